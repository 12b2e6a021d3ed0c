//! `-L --prometheus` on the real kernel: varied tables with real traffic,
//! checked by promtool and Python's prometheus_client parser on the host,
//! compared with `--json`; the shipped metrics unit's command writes them
//! and node_exporter's textfile collector serves them.

use crate::testbed;
use ipvsadm_rs::model::{OrphanReason, ServiceEntry, ServiceKey};
use ipvsadm_rs::print::json::Document;
use std::process::Command;

/// A program the host-side checks need; CI installs them (tests/run.sh).
fn require(program: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|out| out.status.success());
    assert!(
        found,
        "{program} is missing: install {package} (tests/run.sh does)"
    );
}

/// `promtool check metrics` on `text`: nothing to report.
fn promtool_finds_nothing(text: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool: {said}"
    );
}

/// Python's prometheus_client parser reads `path`: the samples, one per
/// line, as `name labels value` with the labels sorted.
fn python_samples(path: &std::path::Path) -> Vec<String> {
    let script = r#"
import sys
from prometheus_client.parser import text_string_to_metric_families as parse
for family in parse(open(sys.argv[1]).read()):
    for s in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
        print(s.name, labels, repr(s.value))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// The labels the metrics give a service, sorted as `python_samples` prints them.
fn sorted_labels(key: &ServiceKey) -> String {
    match key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => format!(
            "local_address={addr},local_mark=,local_port={port},netns=lb,proto={}",
            format!("{protocol:?}").to_uppercase()
        ),
        ServiceKey::Fwmark { fwmark, family } => format!(
            "family={},local_address=,local_mark={fwmark},local_port=0,netns=lb,proto=FWM",
            format!("{family:?}").to_lowercase()
        ),
    }
}

fn sample(samples: &[String], name: &str, labels: &str) -> f64 {
    let prefix = format!("{name} {labels} ");
    let found: Vec<&String> = samples.iter().filter(|s| s.starts_with(&prefix)).collect();
    assert_eq!(found.len(), 1, "{prefix}");
    found[0][prefix.len()..].parse().unwrap()
}

#[test]
fn metrics_pass_promtool_match_json_and_reach_node_exporter() {
    require("promtool", "prometheus");
    require("python3", "python3");
    let run = testbed::run_in_vm_with_files(
        "metrics",
        include_str!("metrics.sh"),
        &[
            "packaging/ipvsadm-rs-metrics.service",
            "/usr/bin/prometheus-node-exporter",
        ],
    );
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.read("all.rc").trim(), "0");
    for file in ["all.prom", "services.prom", "orphans.prom", "root.prom"] {
        promtool_finds_nothing(&run.read(file));
    }
    let doc: Document = serde_json::from_str(&run.read("table.json")).unwrap();
    let services: Vec<ServiceEntry> = doc.services.unwrap();
    assert_eq!(services.len(), 7);
    let samples = python_samples(&run.results.join("all.prom"));
    let mut traffic = 0.0;
    for entry in &services {
        let labels = sorted_labels(&entry.service.key);
        let count = sample(&samples, "ipvs_service_real_servers", &labels);
        assert_eq!(count as usize, entry.real_servers.len(), "{labels}");
        let stats = &entry.stats;
        for (name, value) in [
            ("ipvs_service_connections_total", stats.conns),
            ("ipvs_service_incoming_packets_total", stats.inpkts),
            ("ipvs_service_outgoing_packets_total", stats.outpkts),
            ("ipvs_service_incoming_bytes_total", stats.inbytes),
            ("ipvs_service_outgoing_bytes_total", stats.outbytes),
        ] {
            assert_eq!(
                sample(&samples, name, &labels),
                value as f64,
                "{name} {labels}"
            );
        }
        for rs in &entry.real_servers {
            let labels = format!(
                "{labels},remote_address={},remote_port={}",
                rs.server.addr, rs.server.port
            );
            let labels = sorted_server_labels(&labels);
            let weight = sample(&samples, "ipvs_real_server_weight", &labels);
            assert_eq!(weight, f64::from(rs.server.weight));
            let bytes = sample(&samples, "ipvs_real_server_incoming_bytes_total", &labels);
            assert_eq!(bytes, rs.stats.inbytes as f64);
        }
        traffic += stats.inbytes as f64;
        let orphaned = sample(&samples, "ipvs_service_orphaned", &labels);
        assert_eq!(orphaned == 1.0, entry.is_orphan(), "{labels}");
    }
    assert!(traffic > 0.0, "no traffic was counted");
    // services only: no real-server series.
    assert!(!run.read("services.prom").contains("ipvs_real_server_"));
    // Orphans: each kind, with its reason, in metrics and in JSON.
    assert_eq!(run.read("orphans.rc").trim(), "3");
    let orphans: Document = serde_json::from_str(&run.read("orphans.json")).unwrap();
    let reasons: Vec<(String, Option<OrphanReason>)> = orphans
        .services
        .unwrap()
        .iter()
        .map(|e| (format!("{:?}", e.service.key), e.orphan_reason()))
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    let raw: serde_json::Value = serde_json::from_str(&run.read("orphans.json")).unwrap();
    let listed: Vec<&str> = raw["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["orphan"].as_str().unwrap())
        .collect();
    let mut kinds = listed.clone();
    kinds.sort();
    assert_eq!(
        kinds,
        ["all_weights_zero", "no_real_servers", "no_real_servers"]
    );
    let metrics = run.read("orphans.prom");
    assert!(metrics.contains("local_port=\"53\",local_mark=\"\",proto=\"UDP\",netns=\"lb\",reason=\"all_weights_zero\"} 1"), "{metrics}");
    assert!(metrics.contains("local_port=\"81\",local_mark=\"\",proto=\"TCP\",netns=\"lb\",reason=\"no_real_servers\"} 1"), "{metrics}");
    assert!(
        metrics
            .contains("proto=\"FWM\",family=\"inet6\",netns=\"lb\",reason=\"no_real_servers\"} 1"),
        "{metrics}"
    );
    // The text listing stays ipvsadm's: no reason in it.
    let text = run.read("orphans.txt");
    assert!(
        text.starts_with("IP Virtual Server version")
            && !text.contains("reason")
            && !text.contains("weights"),
        "{text}"
    );
    // The initial namespace has an empty table: families without series.
    assert!(!run.read("root.prom").lines().any(|l| !l.starts_with('#')));
    // The unit's command wrote the file (renamed into place), and
    // node_exporter serves its series.
    assert_eq!(run.read("unit.rc").trim(), "0");
    assert_eq!(run.read("unit.files"), "ipvsadm-rs.prom\n");
    let scraped = run.read("scraped.txt");
    assert!(
        scraped.contains("node_textfile_scrape_error 0"),
        "{scraped}"
    );
    for entry in &services {
        let key = match entry.service.key {
            ServiceKey::Addr { port, .. } => format!("local_port=\"{port}\""),
            ServiceKey::Fwmark { fwmark, .. } => format!("local_mark=\"{fwmark}\""),
        };
        assert!(
            scraped
                .lines()
                .any(|l| l.starts_with("ipvs_service_real_servers{") && l.contains(&key)),
            "{key} not served:\n{scraped}"
        );
    }
}

/// Service labels plus remote ones, sorted by name as the parser's dump is.
fn sorted_server_labels(labels: &str) -> String {
    let mut parts: Vec<&str> = labels.split(',').collect();
    parts.sort_by_key(|p| p.split('=').next().unwrap().to_string());
    parts.join(",")
}
