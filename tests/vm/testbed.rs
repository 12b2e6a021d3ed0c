//! Rust side of the real-kernel test bed: run one bash script in one VM boot
//! (tests/vm/testbed.sh) next to the reference ipvsadm and the freshly built
//! ipvsadm-rs, and read back what it produced. A VM that cannot start fails
//! the test with the reason; nothing is skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct VmRun {
    pub stdout: String,
    pub stderr: String,
    pub status: i32,
    /// the payload's $RESULTS folder, copied out of the VM
    pub results: PathBuf,
}

impl VmRun {
    pub fn read(&self, relative: impl AsRef<Path>) -> String {
        let path = self.results.join(relative);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    /// Fail, showing the difference, unless the comparison `name` (lib.sh's
    /// `same NAME A B`) found none.
    pub fn assert_same(&self, name: &str, what: &str) {
        let diff = self.read(format!("{name}.diff"));
        assert!(diff.is_empty(), "{what}: the outputs differ\n{diff}");
    }
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Boot the VM once and run `script` (bash) inside it. `group` names the
/// output folder under target/vm-runs, where console logs stay for debugging.
pub fn run_in_vm(group: &str, script: &str) -> VmRun {
    run_in_vm_with_files(group, script, &[])
}

/// As `run_in_vm`, with `files` (relative to the crate root) copied to /work.
pub fn run_in_vm_with_files(group: &str, script: &str, files: &[&str]) -> VmRun {
    let out = manifest_dir().join("target").join("vm-runs").join(group);
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("create the run folder");
    let script_path = out.join("payload.sh");
    std::fs::write(&script_path, script).expect("write the payload");
    // IPVSADM_RS_TEST_BINARY runs the VM tests against another build of
    // the same source (the static musl one, say).
    let binary = std::env::var("IPVSADM_RS_TEST_BINARY")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_ipvsadm-rs").to_string());
    let mut command = Command::new("bash");
    command
        .arg(manifest_dir().join("tests/vm/testbed.sh"))
        .arg("run")
        .arg("--ipvsadm-rs")
        .arg(binary);
    for file in files {
        command.arg("--file").arg(manifest_dir().join(file));
    }
    let result = command
        .arg(&script_path)
        .arg(&out)
        .output()
        .expect("run tests/vm/testbed.sh");
    if !result.status.success() {
        panic!(
            "the VM test bed failed for group {group}:\n{}{}",
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        );
    }
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap_or_default();
    VmRun {
        stdout: read("stdout"),
        stderr: read("stderr"),
        status: read("rc")
            .trim()
            .parse()
            .expect("the payload's exit status"),
        results: out.join("results"),
    }
}
