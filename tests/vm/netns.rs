//! `--netns` on the real kernel: in two named namespaces and one reached
//! only by a path, byte for byte what the reference ipvsadm gives inside
//! the namespace; the same tables after changes and restores; restores in
//! two namespaces at once; clear refusals that change nothing.

use crate::random::LISTING_FORMS;
use crate::testbed;

const CHANGES: &str = "\
--set 100 20 30
-A -t 10.0.0.1:80 -s rr -p 60
-a -t 10.0.0.1:80 -r 10.1.1.1 -m -w 3 -x 50 -y 5
-a -t 10.0.0.1:80 -r 10.1.1.2 -g
-A -u [2001:db8::2]:53 -s wlc
-a -u [2001:db8::2]:53 -r [2001:db8::10]:53 -m -w 0
-A -f 3000 -6 -s sh -b sh-port
-A -t 10.0.0.9:80 -s lc
-E -t 10.0.0.9:80 -s wrr
-A -t 192.168.5.5:443 -s rr
-D -t 192.168.5.5:443
-A --sctp-service 10.0.0.3:3868 -s rr
-a --sctp-service 10.0.0.3:3868 -r 10.1.0.9:3868 -i --tun-type gue --tun-port 6080 --tun-csum
-Z
";

fn rules() -> String {
    let mut text = String::new();
    for i in 0..300 {
        text.push_str(&format!(
            "-A -t 10.50.{}.{}:80 -s rr\n",
            i / 250,
            i % 250 + 1
        ));
        text.push_str(&format!(
            "-a -t 10.50.{}.{}:80 -r 10.60.0.{}:80 -m -w {}\n",
            i / 250,
            i % 250 + 1,
            i % 200 + 1,
            i % 5
        ));
    }
    text
}

fn seconds(text: &str) -> f64 {
    text.trim().parse().expect("seconds since boot")
}

#[test]
fn netns_matches_the_reference_inside_the_namespace() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/vm-inputs/netns");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("changes.txt"), CHANGES).unwrap();
    std::fs::write(dir.join("forms.txt"), LISTING_FORMS.join("\n") + "\n").unwrap();
    std::fs::write(dir.join("rules.txt"), rules()).unwrap();
    let files: Vec<String> = ["changes.txt", "forms.txt", "rules.txt"]
        .iter()
        .map(|f| dir.join(f).display().to_string())
        .collect();
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let run = testbed::run_in_vm_with_files("netns", include_str!("netns.sh"), &files);
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    let forms: usize = run.read("forms").trim().parse().unwrap();
    assert_eq!(forms, LISTING_FORMS.len());
    for n in 1..=3 {
        let changes = run.read(format!("changes.{n}"));
        assert_eq!(
            changes.matches(": 0\n").count(),
            CHANGES.lines().count(),
            "{changes}"
        );
        for f in 1..=forms {
            run.assert_same(&format!("listing.{n}.{f}"), LISTING_FORMS[f - 1]);
        }
        run.assert_same(&format!("changes.{n}"), "the table after the changes");
        run.assert_same(&format!("restore.{n}"), "the table after the restore");
    }
    assert!(run
        .read("changes.want")
        .contains("-A -f 3000 -6 -s sh -b sh-port"));
    assert!(run.read("restore.want").lines().count() > 600);
    for rc in [
        "restore.a.rc",
        "restore.b.rc",
        "restore.path.rc",
        "lock.a.rc",
        "lock.b.rc",
    ] {
        assert_eq!(run.read(rc).trim(), "0", "{rc}");
    }
    // a's lock was held until about 5 s after `start`: b went through at
    // once, the second restore in a waited for it.
    let start = seconds(&run.read("lock.start"));
    let (b_end, a_end) = (
        seconds(&run.read("lock.b.end")),
        seconds(&run.read("lock.a.end")),
    );
    assert!(b_end - start < 3.0, "b waited: {start} {b_end}");
    assert!(a_end - start > 3.5, "a did not wait: {start} {a_end}");
    assert_eq!(
        run.read("missing.out"),
        "ipvsadm-rs: cannot enter network namespace nosuch: /var/run/netns/nosuch does not exist\nrc 2\n"
    );
    assert_eq!(
        run.read("notns.out"),
        "ipvsadm-rs: cannot enter network namespace /tmp: /tmp is not a network namespace\nrc 2\n"
    );
    assert_eq!(
        run.read("nobody.out"),
        "ipvsadm-rs: cannot enter network namespace a: Operation not permitted\nrc 2\n"
    );
    run.assert_same("root", "the initial namespace's table");
    assert!(!run.read("untouched").contains("10.88.0.1"));
}
