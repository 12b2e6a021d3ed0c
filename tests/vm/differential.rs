//! The differential harness: the same command lines through the reference
//! ipvsadm and ipvsadm-rs (both invoked with argv[0] `ipvsadm`) in the VM,
//! each binary in its own network namespace, comparing exit status, stdout,
//! stderr, and the table each leaves behind (read with the reference binary).

use crate::testbed::{run_in_vm, VmRun};
use std::fmt::Write;

/// One comparison: `setup` lines run with the reference ipvsadm on both
/// sides first; then `line` runs once per binary, with `stdin` if given.
/// A case that changes the table is followed by a reset (flush, default
/// timeouts, daemons stopped).
#[derive(Clone, Debug)]
pub struct Case {
    /// words in bash syntax (quotes allowed), as typed after `ipvsadm`
    pub line: String,
    pub setup: Vec<String>,
    pub stdin: Option<String>,
}

impl Case {
    pub fn line(line: &str) -> Case {
        Case {
            line: line.to_string(),
            setup: Vec::new(),
            stdin: None,
        }
    }
}

#[derive(Debug)]
pub struct Outcome {
    pub status: String,
    pub stdout: String,
    pub stderr: String,
    pub table: String,
}

#[derive(Debug)]
pub struct Compared {
    pub case: Case,
    pub reference: Outcome,
    pub candidate: Outcome,
}

impl Compared {
    pub fn matches(&self) -> bool {
        let (r, c) = (&self.reference, &self.candidate);
        r.status == c.status && r.stdout == c.stdout && r.stderr == c.stderr && r.table == c.table
    }
}

/// How much of the kernel state is compared after every case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableCheck {
    /// `-Sn`, `--thresholds`, `--timeout` and `--daemon` after every case
    EveryCase,
    /// /proc/net/ip_vs after every case, the full view (`-Sn`,
    /// `--thresholds`, `--timeout`, `--daemon`) once at the end: for corpora
    /// that must change nothing, cheap and still attributable
    ProcEveryCase,
}

/// Functions shared by both sides. Each side is one bash process inside its
/// own namespace, so a case costs no namespace switch.
const SIDE_LIBRARY: &str = r#"
# run ARGS...: the binary under test with argv[0] "ipvsadm"
run() { PATH=$BIN_DIR:$PATH ipvsadm "$@"; }
# full_table: what changes left behind, read with the reference binary
full_table() {
    /sbin/ipvsadm -Sn 2>&1
    /sbin/ipvsadm -L -n --thresholds 2>&1 | tail -n +2
    /sbin/ipvsadm -L --timeout 2>&1
    /sbin/ipvsadm -L --daemon 2>&1
}
quick_table() { cat /proc/net/ip_vs; }
snapshot() { if [ "$TABLE_CHECK" = full ]; then full_table; else quick_table; fi; }
reset_table() {
    /sbin/ipvsadm -C
    /sbin/ipvsadm --set 900 120 300
    /sbin/ipvsadm --stop-daemon master 2>/dev/null
    /sbin/ipvsadm --stop-daemon backup 2>/dev/null
}
# one N ARGS...: run case N, capture, snapshot, reset when something changed
one() {
    local n=$1; shift
    local d=$RESULTS/$n
    local input=/dev/null
    [ -f "$d/stdin" ] && input=$d/stdin
    run "$@" < "$input" > "$d/$SIDE.out" 2> "$d/$SIDE.err"
    echo $? > "$d/$SIDE.rc"
    snapshot > "$d/$SIDE.table"
    [ -n "$KEEP_STATE" ] || cmp -s "$d/$SIDE.table" "$RESULTS/empty.$SIDE" || reset_table
}
# listing N ARGS...: the reference and ipvsadm-rs list the same namespace
listing() {
    local n=$1; shift
    local d=$RESULTS/$n
    /sbin/ipvsadm "$@" > "$d/$SIDE.lref" 2>&1; echo $? >> "$d/$SIDE.lref"
    PATH=/tmp/rs-bin:$PATH ipvsadm "$@" > "$d/$SIDE.lrs" 2>&1; echo $? >> "$d/$SIDE.lrs"
}
"#;

fn bash_single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Run every case in one VM boot and return the comparisons, in order.
pub fn compare_in_vm(group: &str, cases: &[Case], check: TableCheck) -> Vec<Compared> {
    let steps: Vec<Step> = cases.iter().cloned().map(Step::Change).collect();
    compare_steps(group, &steps, check, false)
        .into_iter()
        .filter_map(|r| match r {
            StepResult::Change(c) => Some(*c),
            StepResult::Listing { .. } => None,
        })
        .collect()
}

/// One step of a sequence: a change (run by each binary on its own side),
/// or a listing (run by both binaries on the same namespace, on each side).
#[derive(Clone, Debug)]
pub enum Step {
    Change(Case),
    Listing(String),
}

#[derive(Debug)]
pub enum StepResult {
    Change(Box<Compared>),
    /// (side, reference output + status, ipvsadm-rs output + status)
    Listing {
        form: String,
        outputs: Vec<(String, String, String)>,
    },
}

/// Run a sequence in one VM boot; `keep_state`: no reset between steps.
pub fn compare_steps(
    group: &str,
    steps: &[Step],
    check: TableCheck,
    keep_state: bool,
) -> Vec<StepResult> {
    let cases: Vec<Case> = steps
        .iter()
        .map(|s| match s {
            Step::Change(c) => c.clone(),
            Step::Listing(form) => Case::line(form),
        })
        .collect();
    let mut cases_script = String::new();
    let mut script = String::from("source /testbed/lib.sh\nmkns ref\nmkns rs\n");
    script.push_str("mkdir -p /tmp/ref-bin /tmp/rs-bin\n");
    script.push_str("ln -s /sbin/ipvsadm /tmp/ref-bin/ipvsadm\nln -s /usr/sbin/ipvsadm-rs /tmp/rs-bin/ipvsadm\n");
    for (n, case) in cases.iter().enumerate() {
        let _ = writeln!(script, "mkdir -p $RESULTS/{n}");
        if let Some(stdin) = &case.stdin {
            let _ = writeln!(
                script,
                "printf '%s' {} > $RESULTS/{n}/stdin",
                bash_single_quoted(stdin)
            );
        }
        for setup in &case.setup {
            let _ = writeln!(cases_script, "/sbin/ipvsadm {setup} >/dev/null 2>&1");
        }
        match &steps[n] {
            Step::Change(_) => {
                let _ = writeln!(cases_script, "one {n} {}", case.line);
            }
            Step::Listing(form) => {
                let _ = writeln!(cases_script, "listing {n} {form}");
            }
        }
    }
    let keep = if keep_state { "1" } else { "" };
    let table_check = match check {
        TableCheck::EveryCase => "full",
        TableCheck::ProcEveryCase => "proc",
    };
    let _ = write!(
        script,
        r#"cat > /tmp/side-lib.sh <<'LIBRARY'
{SIDE_LIBRARY}
LIBRARY
cat > /tmp/cases.sh <<'CASES'
{cases_script}
CASES
side() {{
    ip netns exec "$1" env SIDE=$1 BIN_DIR=/tmp/$1-bin TABLE_CHECK={table_check} KEEP_STATE={keep} RESULTS=$RESULTS bash -c '
        source /tmp/side-lib.sh
        run -v > $RESULTS/version.$SIDE 2>&1
        snapshot > $RESULTS/empty.$SIDE
        source /tmp/cases.sh
        full_table > $RESULTS/final.$SIDE'
}}
# One side after the other: the kernel's service hash table is shared by all
# namespaces and dumps resume by position, so changes on one side can make a
# dump on the other skip or repeat entries.
side ref
side rs
exit 0
"#
    );
    let run = run_in_vm(group, &script);
    assert_eq!(
        run.status, 0,
        "the payload failed:\n{}\n{}",
        run.stdout, run.stderr
    );
    // Guard against a harness that runs the same binary twice.
    assert!(
        run.read("version.ref").starts_with("ipvsadm v1.31 "),
        "{}",
        run.read("version.ref")
    );
    assert!(
        run.read("version.rs").starts_with("ipvsadm-rs v"),
        "{}",
        run.read("version.rs")
    );
    assert_eq!(
        run.read("final.ref"),
        run.read("final.rs"),
        "the tables left at the end differ (reference first)"
    );
    steps
        .iter()
        .enumerate()
        .map(|(n, step)| match step {
            Step::Change(case) => StepResult::Change(Box::new(Compared {
                case: case.clone(),
                reference: outcome(&run, n, "ref"),
                candidate: outcome(&run, n, "rs"),
            })),
            Step::Listing(form) => StepResult::Listing {
                form: form.clone(),
                outputs: ["ref", "rs"]
                    .iter()
                    .map(|side| {
                        (
                            side.to_string(),
                            run.read(format!("{n}/{side}.lref")),
                            run.read(format!("{n}/{side}.lrs")),
                        )
                    })
                    .collect(),
            },
        })
        .collect()
}

fn outcome(run: &VmRun, n: usize, side: &str) -> Outcome {
    Outcome {
        status: run.read(format!("{n}/{side}.rc")).trim().to_string(),
        stdout: run.read(format!("{n}/{side}.out")),
        stderr: run.read(format!("{n}/{side}.err")),
        table: run.read(format!("{n}/{side}.table")),
    }
}

/// A readable report of every mismatch (empty when all match).
pub fn mismatch_report(compared: &[Compared]) -> String {
    let mut report = String::new();
    for c in compared.iter().filter(|c| !c.matches()) {
        for setup in &c.case.setup {
            let _ = writeln!(report, "    (setup: ipvsadm {setup})");
        }
        let _ = writeln!(report, "=== ipvsadm {}", c.case.line);
        let (r, o) = (&c.reference, &c.candidate);
        if r.status != o.status {
            let _ = writeln!(
                report,
                "  exit status: reference {} / ipvsadm-rs {}",
                r.status, o.status
            );
        }
        for (what, a, b) in [
            ("stdout", &r.stdout, &o.stdout),
            ("stderr", &r.stderr, &o.stderr),
            ("table", &r.table, &o.table),
        ] {
            if a != b {
                let _ = writeln!(
                    report,
                    "  {what}:\n    reference:  {a:?}\n    ipvsadm-rs: {b:?}"
                );
            }
        }
    }
    report
}

/// Read a corpus file: one case per line (bash words), `#` comments; setup
/// lines come first, each followed by ` ;; ` (a line ending in ` ;; ` tests
/// ipvsadm without arguments).
pub fn read_corpus(text: &str) -> Vec<Case> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts: Vec<String> = format!("{l} ")
                .split(" ;; ")
                .map(|p| p.trim().to_string())
                .collect();
            let line = parts.pop().unwrap_or_default();
            Case {
                line,
                setup: parts,
                stdin: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(stderr: &str) -> Outcome {
        Outcome {
            status: "2".into(),
            stdout: String::new(),
            stderr: stderr.into(),
            table: String::new(),
        }
    }

    #[test]
    fn a_difference_is_reported() {
        let same = Compared {
            case: Case::line("-A"),
            reference: outcome("x\n"),
            candidate: outcome("x\n"),
        };
        assert!(same.matches());
        assert!(mismatch_report(std::slice::from_ref(&same)).is_empty());
        let differ = Compared {
            case: Case::line("-A"),
            reference: outcome("x\n"),
            candidate: outcome("y\n"),
        };
        assert!(!differ.matches());
        let report = mismatch_report(&[same, differ]);
        assert!(
            report.contains("=== ipvsadm -A") && report.contains("stderr"),
            "{report}"
        );
    }

    #[test]
    fn corpus_lines_skip_comments_and_blanks() {
        let cases = read_corpus("# c\n\n-L -A\n  -nL  \n");
        assert_eq!(
            cases.iter().map(|c| c.line.as_str()).collect::<Vec<_>>(),
            ["-L -A", "-nL"]
        );
    }
}
