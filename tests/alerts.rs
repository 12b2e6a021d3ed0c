//! The example alerting rules (packaging/ipvs-alerts.yml) load, and pass
//! their unit tests (packaging/ipvs-alerts.test.yml), in promtool.

use super::tool_installed;
use std::process::Command;

#[test]
fn alert_rules_pass_their_unit_tests() {
    if !tool_installed("promtool") {
        return;
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging");
    for args in [
        ["check", "rules", "ipvs-alerts.yml"],
        ["test", "rules", "ipvs-alerts.test.yml"],
    ] {
        let out = Command::new("promtool")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool {args:?}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
