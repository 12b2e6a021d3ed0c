//! Tests against the real kernel, in the QEMU test bed: one VM boot per test
//! function. They never skip: if the VM cannot run, they fail and say why.

mod differential;
mod testbed;

use differential::{compare_in_vm, mismatch_report, read_corpus, TableCheck};

/// Every invalid line of the corpus: same stderr and exit status as the
/// reference, and nothing changed in the kernel.
#[test]
fn invalid_command_lines_match_the_reference() {
    let cases = read_corpus(include_str!("../corpus/invalid-command-lines.txt"));
    assert!(
        cases.len() >= 150,
        "the corpus must hold at least 150 lines"
    );
    let compared = compare_in_vm("invalid-command-lines", &cases, TableCheck::ProcEveryCase);
    let accepted: Vec<&str> = compared
        .iter()
        .filter(|c| c.reference.status == "0")
        .map(|c| c.case.line.as_str())
        .collect();
    assert!(
        accepted.is_empty(),
        "the reference accepts these corpus lines: {accepted:#?}"
    );
    let report = mismatch_report(&compared);
    let mismatches = compared.iter().filter(|c| !c.matches()).count();
    assert!(
        report.is_empty(),
        "{mismatches} of {} lines differ:\n{report}",
        compared.len()
    );
    eprintln!(
        "{} invalid command lines: identical stderr, exit status and table",
        compared.len()
    );
}

/// Commands that reach the kernel: the same exit status, output and
/// messages, and the same table afterwards (read with the reference).
#[test]
fn kernel_commands_match_the_reference() {
    let cases = read_corpus(include_str!("../corpus/kernel-commands.txt"));
    let compared = compare_in_vm("kernel-commands", &cases, TableCheck::EveryCase);
    let report = mismatch_report(&compared);
    let mismatches = compared.iter().filter(|c| !c.matches()).count();
    assert!(
        report.is_empty(),
        "{mismatches} of {} cases differ:\n{report}",
        compared.len()
    );
    let changed = compared
        .iter()
        .filter(|c| c.reference.table != compared[0].reference.table || c.reference.status == "0")
        .count();
    eprintln!("{} kernel commands: identical status, output and table ({changed} changed the table or succeeded)", compared.len());
}
