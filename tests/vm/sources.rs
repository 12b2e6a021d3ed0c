//! Whole-table listings read real servers from three sources (`getsockopt`
//! requests, `/proc/net/ip_vs`, netlink); on tables whose shape sends
//! them to the `/proc` text, and on the cases that text cannot tell apart
//! or does not carry, every source gives the reference's bytes.

use crate::testbed;

/// The table: 300 IPv6 services (so the cheapest source is the text),
/// fwmark 1 in both families, a v6 service with an IPv4 tunnel server, a
/// GUE tunnel server, thresholds and persistence.
const TABLE: &str = r#"
source /testbed/lib.sh
mkns s
busybox awk 'BEGIN { for (i = 1; i <= 300; i++) {
    printf "-A -t [2001:db8::%x]:80 -s wlc\n", i
    for (j = 1; j <= 3; j++) printf "-a -t [2001:db8::%x]:80 -r [2001:db8:1::%x:%x]:80 -m -w %d\n", i, i, j, j } }' > /tmp/rules
cat >> /tmp/rules <<'RULES'
-A -f 1 -s rr
-a -f 1 -r 10.1.1.1:0 -g -w 2
-A -f 1 -6 -s rr
-a -f 1 -6 -r [2001:db8:9::1]:0 -g -w 3
-a -f 1 -6 -r [2001:db8:9::2]:0 -g -w 4
-A -t [2001:db8::ffff]:443 -s sh -p 60
-a -t [2001:db8::ffff]:443 -r 10.2.2.2:443 -i -w 5
-A -u 10.0.0.1:53 -s lc
-a -u 10.0.0.1:53 -r 10.3.3.3:53 -i --tun-type gue --tun-port 6080 --tun-csum
-a -u 10.0.0.1:53 -r 10.3.3.4:53 -m -x 100 -y 50
-A -t 10.0.0.1:80 -s wrr
-a -t 10.0.0.1:80 -r 10.4.4.4:8080 -m -w 0
RULES
ip netns exec s /sbin/ipvsadm -R < /tmp/rules
n=0
for form in -Ln -Sn "-Ln --thresholds" "-Ln --persistent-conn" "-Ln --tun-info" "-Ln --sort"; do
    n=$((n + 1))
    echo "$form" >> $RESULTS/forms
    ip netns exec s /sbin/ipvsadm $form > $RESULTS/ref.$n
    ip netns exec s ipvsadm-rs $form > $RESULTS/cheapest.$n
    for source in netlink requests; do
        IPVSADM_RS_LIST_SOURCE=$source ip netns exec s ipvsadm-rs $form > $RESULTS/$source.$n
    done
    IPVSADM_RS_LIST_SOURCE=proc IPVSADM_RS_NETLINK_TRACE=/tmp/trace.$n ip netns exec s ipvsadm-rs $form > $RESULTS/proc.$n
    grep -c "^> " /tmp/trace.$n > $RESULTS/sent.$n
done
"#;

#[test]
fn every_real_server_source_lists_like_the_reference() {
    let run = testbed::run_in_vm("sources", TABLE);
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    let forms = run.read("forms");
    for (i, form) in forms.lines().enumerate() {
        let n = i + 1;
        let reference = run.read(format!("ref.{n}"));
        assert!(reference.lines().count() > 300, "{form}: {reference}");
        for source in ["cheapest", "netlink", "requests", "proc"] {
            assert_eq!(
                run.read(format!("{source}.{n}")),
                reference,
                "{form} from {source}"
            );
        }
    }
    // -Ln from the whole text asks netlink only for the two fwmark-1
    // services (the text cannot tell their families apart): well under one
    // request per service. (The cheapest source meets the text halfway,
    // wherever the race puts the meeting.)
    let counted = run.read("sent.1");
    let requests: usize = counted
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("requests counted: {counted:?}"));
    assert!(requests < 20, "-Ln sent {requests} netlink requests");
    eprintln!("-Ln of 305 services sent {requests} netlink requests");
}
