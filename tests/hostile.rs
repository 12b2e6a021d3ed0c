//! Hostile restore inputs through everything a restore does before its
//! first kernel call (bytes to text, the grammar, the plan): huge lines, a
//! million lines, NUL bytes, bytes that are not UTF-8, binary garbage, huge
//! numbers. Each must end in errors that name their lines, or in a plan,
//! without a panic; the kernel side is in the VM tests. Each case runs in a
//! child process of this test binary so that its peak memory can be read
//! and held to a bound proportional to the input.

use ipvsadm_rs::plan::{plan, State};
use ipvsadm_rs::restore::read_commands;
use std::process::Command;

/// The environment variable naming the case a child process runs.
const CASE: &str = "IPVSADM_RS_HOSTILE_CASE";

/// What a restore would report before touching the kernel: the errors (as
/// printed) or the number of planned operations.
fn validate(input: &[u8]) -> Result<usize, Vec<String>> {
    let commands = read_commands("ipvsadm", input)
        .map_err(|problems| problems.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    plan(&State::default(), &commands)
        .map(|steps| steps.len())
        .map_err(|refused| {
            refused
                .iter()
                .map(|r| format!("line {}: {}", r.line, r.error))
                .collect()
        })
}

/// A cheap deterministic byte stream (xorshift), for garbage inputs.
fn garbage(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn service_lines(count: usize) -> Vec<u8> {
    let mut text = String::with_capacity(count * 28);
    for i in 0..count {
        text.push_str(&format!(
            "-A -t 10.{}.{}.{}:80 -s rr\n",
            i >> 16,
            (i >> 8) & 255,
            i & 255
        ));
    }
    text.into_bytes()
}

/// The input of each case.
fn input_of(case: &str) -> Vec<u8> {
    const MIB: usize = 1 << 20;
    match case {
        "long_word_line" => {
            let mut line = b"-A -t 10.0.0.1:80 -s ".to_vec();
            line.extend(std::iter::repeat_n(b'x', MIB));
            line
        }
        "many_words_line" => b"-a ".repeat(MIB / 3),
        "million_lines" => service_lines(1_000_000),
        "million_lines_last_bad" => {
            let mut input = service_lines(999_999);
            input.extend_from_slice(b"-A -t 10.255.255.255:80 -s rr -w 1\n");
            input
        }
        "garbage" => garbage(MIB),
        other => panic!("unknown case {other}"),
    }
}

/// Run `case` in a child process: its outcome (first errors, or the
/// number of operations), the number of errors, and its peak memory in KiB.
fn in_child(case: &str) -> (String, usize, u64) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "suites::hostile::child_side",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CASE, case)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "case {case} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {stdout}"))
            .to_string()
    };
    (
        field("outcome: "),
        field("errors: ").parse().unwrap(),
        field("peak_kib: ").parse().unwrap(),
    )
}

/// The child side of `in_child`; does nothing unless a case is named.
#[test]
#[ignore = "run by the other tests in a child process"]
fn child_side() {
    let Ok(case) = std::env::var(CASE) else {
        return;
    };
    let input = input_of(&case);
    let (outcome, errors) = match validate(&input) {
        Ok(steps) => (format!("{steps} operations"), 0),
        Err(problems) => (problems[0].clone(), problems.len()),
    };
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .unwrap()
        .trim()
        .to_string();
    // The harness prints the test name on the same line first.
    println!("\noutcome: {outcome}\nerrors: {errors}\npeak_kib: {peak}");
}

/// Peak memory within `per_byte` times the input plus 32 MiB for the
/// program itself; prints the figure (the closing notes quote it).
fn assert_memory(case: &str, peak_kib: u64, per_byte: u64) {
    let input = input_of(case).len() as u64;
    let bound = (per_byte * input + (32 << 20)) / 1024;
    println!(
        "{case}: input {} KiB, peak {peak_kib} KiB (bound {bound} KiB)",
        input / 1024
    );
    assert!(
        peak_kib <= bound,
        "{case}: peak {peak_kib} KiB over {bound} KiB"
    );
}

#[test]
fn a_one_mebibyte_word_is_cut_as_ipvsadm_cuts_it() {
    let (outcome, errors, peak) = in_child("long_word_line");
    // Names are cut to the kernel's 15 characters, as ipvsadm does; the
    // kernel then finds no such scheduler (tested in the VM). Here the
    // plan goes through: nothing refuses the line before the kernel.
    assert_eq!((outcome.as_str(), errors), ("1 operations", 0));
    assert_memory("long_word_line", peak, 4);
}

#[test]
fn a_line_of_a_third_of_a_million_words_is_refused_with_its_line() {
    let (outcome, errors, peak) = in_child("many_words_line");
    assert_eq!(errors, 1);
    assert!(outcome.starts_with("line 1: "), "{outcome}");
    assert_memory("many_words_line", peak, 16);
}

#[test]
fn a_million_lines_plan_within_a_bounded_memory() {
    let (outcome, errors, peak) = in_child("million_lines");
    assert_eq!((outcome.as_str(), errors), ("1000000 operations", 0));
    assert_memory("million_lines", peak, 40);
}

#[test]
fn a_bad_millionth_line_is_named() {
    let (outcome, errors, peak) = in_child("million_lines_last_bad");
    assert_eq!(errors, 1);
    assert_eq!(
        outcome,
        "line 1000000: Illegal 'weight' option with the 'add-service' command"
    );
    assert_memory("million_lines_last_bad", peak, 40);
}

#[test]
fn binary_garbage_is_refused_line_by_line() {
    let input = input_of("garbage");
    let lines = input.split(|&b| b == b'\n').count();
    let (outcome, errors, peak) = in_child("garbage");
    assert!(outcome.starts_with("line 1: "), "{outcome}");
    assert!(
        errors >= 1 && errors <= lines,
        "{errors} errors for {lines} lines"
    );
    assert_memory("garbage", peak, 16);
}

#[test]
fn nul_bytes_and_bytes_that_are_not_utf8_name_their_lines() {
    let input =
        b"-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.1.1.1\0 -m\n-C\n-A -t caf\xe9.example:80\n";
    assert_eq!(
        validate(input),
        Err(vec![
            "line 2: a NUL byte at column 30".to_string(),
            "line 4: byte 0xe9 at column 10 is not UTF-8 text".to_string(),
        ])
    );
}

#[test]
fn huge_numbers_get_ipvsadms_messages_with_their_lines() {
    let input = b"-A -t 10.0.0.1:99999999999999999999999\n\
-A -t 10.0.0.2:80 -p 18446744073709551617\n\
-A -f 4294967296\n\
-a -t 10.0.0.1:80 -r 10.1.1.1 -w 1e400\n\
-a -t 10.0.0.1:80 -r 10.1.1.1 -x 99999999999\n\
--set 99999999999 0 0\n\
-A -t 10.0.0.3:80 -M 255.255.255.0 -p 1 --pe 0123456789abcdef0123456789\n";
    let problems = validate(input).unwrap_err();
    let numbers: Vec<&str> = problems
        .iter()
        .map(|p| p.split(':').next().unwrap())
        .collect();
    assert_eq!(
        numbers,
        ["line 1", "line 2", "line 3", "line 4", "line 5", "line 6"],
        "{problems:#?}"
    );
    assert_eq!(
        problems[0],
        "line 1: illegal virtual server address[:port] specified"
    );
    assert_eq!(
        problems[1],
        "line 2: invalid timeout value `18446744073709551617' specified"
    );
    assert_eq!(problems[3], "line 4: illegal weight specified");
}
