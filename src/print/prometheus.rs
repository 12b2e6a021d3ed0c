//! `-L --prometheus`: the table in the Prometheus text exposition format,
//! as node_exporter's textfile collector reads it. Every service has
//! series, those without a real server too (node_exporter's own ipvs
//! collector builds its series from real-server lines, so an empty service
//! has none there). Label names follow that collector where they overlap,
//! so dashboards carry over.

use crate::model::{Protocol, RealServerEntry, ServiceEntry, ServiceKey};
use std::fmt::Write as _;
use std::io::{self, Write};

/// What the metrics cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsScope<'a> {
    /// real-server series too (big tables may leave them out)
    pub real_servers: bool,
    /// the network namespace read, for a `netns` label
    pub netns: Option<&'a str>,
}

/// One metric family: its name, type and help line.
struct Family {
    name: &'static str,
    kind: &'static str,
    help: &'static str,
}

const fn family(name: &'static str, kind: &'static str, help: &'static str) -> Family {
    Family { name, kind, help }
}

/// The families of the five traffic counters and the five rates, in the
/// order of `Stats`' fields.
const SERVICE_TRAFFIC: [Family; 10] = [
    family(
        "ipvs_service_connections_total",
        "counter",
        "Connections scheduled to the virtual service.",
    ),
    family(
        "ipvs_service_incoming_packets_total",
        "counter",
        "Packets in from clients.",
    ),
    family(
        "ipvs_service_outgoing_packets_total",
        "counter",
        "Packets out to clients.",
    ),
    family(
        "ipvs_service_incoming_bytes_total",
        "counter",
        "Bytes in from clients.",
    ),
    family(
        "ipvs_service_outgoing_bytes_total",
        "counter",
        "Bytes out to clients.",
    ),
    family(
        "ipvs_service_connections_per_second",
        "gauge",
        "Connections per second, the kernel's estimate.",
    ),
    family(
        "ipvs_service_incoming_packets_per_second",
        "gauge",
        "Incoming packets per second, the kernel's estimate.",
    ),
    family(
        "ipvs_service_outgoing_packets_per_second",
        "gauge",
        "Outgoing packets per second, the kernel's estimate.",
    ),
    family(
        "ipvs_service_incoming_bytes_per_second",
        "gauge",
        "Incoming bytes per second, the kernel's estimate.",
    ),
    family(
        "ipvs_service_outgoing_bytes_per_second",
        "gauge",
        "Outgoing bytes per second, the kernel's estimate.",
    ),
];

const SERVER_TRAFFIC: [Family; 5] = [
    family(
        "ipvs_real_server_connections_total",
        "counter",
        "Connections scheduled to the real server.",
    ),
    family(
        "ipvs_real_server_incoming_packets_total",
        "counter",
        "Packets in from clients to the real server.",
    ),
    family(
        "ipvs_real_server_outgoing_packets_total",
        "counter",
        "Packets out to clients from the real server.",
    ),
    family(
        "ipvs_real_server_incoming_bytes_total",
        "counter",
        "Bytes in from clients to the real server.",
    ),
    family(
        "ipvs_real_server_outgoing_bytes_total",
        "counter",
        "Bytes out to clients from the real server.",
    ),
];

const SERVICE_INFO: Family = family(
    "ipvs_service_info",
    "gauge",
    "A virtual service and its scheduler (always 1).",
);
const REAL_SERVERS: Family = family(
    "ipvs_service_real_servers",
    "gauge",
    "Real servers of the virtual service, 0 included.",
);
const ORPHANED: Family = family(
    "ipvs_service_orphaned",
    "gauge",
    "1 when the virtual service cannot send a new connection anywhere (no real server, or all at weight 0).",
);
const ORPHAN_REASON: Family = family(
    "ipvs_service_orphan_info",
    "gauge",
    "Why an orphaned virtual service is one: reason no_real_servers or all_weights_zero (always 1).",
);

/// How a value is read off a real server's entry.
type Reading = fn(&RealServerEntry) -> i64;

/// Per real server: the values read off its entry.
const SERVER_VALUES: [(Family, Reading); 6] = [
    (
        family(
            "ipvs_real_server_weight",
            "gauge",
            "Weight of the real server (0: no new connections).",
        ),
        |rs| i64::from(rs.server.weight),
    ),
    (
        family(
            "ipvs_real_server_active_connections",
            "gauge",
            "Connections in an active state.",
        ),
        |rs| i64::from(rs.active_conns),
    ),
    (
        family(
            "ipvs_real_server_inactive_connections",
            "gauge",
            "Connections in other states (UDP flows included).",
        ),
        |rs| i64::from(rs.inactive_conns),
    ),
    (
        family(
            "ipvs_real_server_persistence_templates",
            "gauge",
            "Persistence templates pointing at the real server.",
        ),
        |rs| i64::from(rs.persist_conns),
    ),
    (
        family(
            "ipvs_real_server_upper_threshold_connections",
            "gauge",
            "Upper connection threshold (0: none).",
        ),
        |rs| i64::from(rs.server.u_threshold),
    ),
    (
        family(
            "ipvs_real_server_lower_threshold_connections",
            "gauge",
            "Lower connection threshold (0: none).",
        ),
        |rs| i64::from(rs.server.l_threshold),
    ),
];

/// A label value in the exposition format: backslash, quote and newline
/// escaped.
fn escaped(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The labels of a service, as node_exporter's ipvs collector names them:
/// `proto` is TCP, UDP, SCTP or FWM; a fwmark service has `local_mark` and
/// an empty address.
fn service_labels(key: &ServiceKey, netns: Option<&str>) -> String {
    let (address, port, mark, proto) = match key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => {
            let proto = match protocol {
                Protocol::Tcp => "TCP",
                Protocol::Udp => "UDP",
                Protocol::Sctp => "SCTP",
            };
            (addr.to_string(), *port, String::new(), proto)
        }
        ServiceKey::Fwmark { fwmark, .. } => (String::new(), 0, fwmark.to_string(), "FWM"),
    };
    let mut labels = format!(
        "local_address=\"{address}\",local_port=\"{port}\",local_mark=\"{mark}\",proto=\"{proto}\""
    );
    if let ServiceKey::Fwmark { family, .. } = key {
        let name = match family {
            crate::model::Family::Inet => "inet",
            crate::model::Family::Inet6 => "inet6",
        };
        let _ = write!(labels, ",family=\"{name}\"");
    }
    if let Some(netns) = netns {
        let _ = write!(labels, ",netns=\"{}\"", escaped(netns));
    }
    labels
}

fn server_labels(service: &str, rs: &RealServerEntry) -> String {
    format!(
        "{service},remote_address=\"{}\",remote_port=\"{}\"",
        rs.server.addr, rs.server.port
    )
}

/// The series of one family, headed by its `# HELP` and `# TYPE` lines.
fn write_family(out: &mut String, family: &Family, series: impl Iterator<Item = (String, String)>) {
    let _ = writeln!(out, "# HELP {} {}", family.name, family.help);
    let _ = writeln!(out, "# TYPE {} {}", family.name, family.kind);
    for (labels, value) in series {
        let _ = writeln!(out, "{}{{{labels}}} {value}", family.name);
    }
}

/// The metrics of `entries` (sorted as listings are).
pub fn write_metrics(
    w: &mut dyn Write,
    entries: &[ServiceEntry],
    scope: MetricsScope<'_>,
) -> io::Result<()> {
    let labels: Vec<String> = entries
        .iter()
        .map(|e| service_labels(&e.service.key, scope.netns))
        .collect();
    let services = || entries.iter().zip(&labels);
    let mut out = String::new();
    write_family(
        &mut out,
        &SERVICE_INFO,
        services().map(|(e, l)| {
            let scheduler = escaped(&e.service.scheduler);
            (format!("{l},scheduler=\"{scheduler}\""), "1".to_string())
        }),
    );
    write_family(
        &mut out,
        &REAL_SERVERS,
        services().map(|(e, l)| (l.clone(), e.real_servers.len().to_string())),
    );
    write_family(
        &mut out,
        &ORPHANED,
        services().map(|(e, l)| (l.clone(), u8::from(e.is_orphan()).to_string())),
    );
    write_family(
        &mut out,
        &ORPHAN_REASON,
        services().filter_map(|(e, l)| {
            let reason = e.orphan_reason()?.name();
            Some((format!("{l},reason=\"{reason}\""), "1".to_string()))
        }),
    );
    for (i, family) in SERVICE_TRAFFIC.iter().enumerate() {
        write_family(
            &mut out,
            family,
            services().map(|(e, l)| (l.clone(), e.stats.values()[i].to_string())),
        );
    }
    if scope.real_servers {
        write_server_families(&mut out, entries, &labels);
    }
    w.write_all(out.as_bytes())
}

/// The real-server families, every real server of every service in each.
fn write_server_families(out: &mut String, entries: &[ServiceEntry], labels: &[String]) {
    let servers = || {
        entries.iter().zip(labels).flat_map(|(e, l)| {
            e.real_servers
                .iter()
                .map(move |rs| (rs, server_labels(l, rs)))
        })
    };
    for (family, value) in &SERVER_VALUES {
        write_family(
            out,
            family,
            servers().map(|(rs, l)| (l, value(rs).to_string())),
        );
    }
    for (i, family) in SERVER_TRAFFIC.iter().enumerate() {
        write_family(
            out,
            family,
            servers().map(|(rs, l)| (l, rs.stats.values()[i].to_string())),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::json::Document;

    fn table() -> Vec<ServiceEntry> {
        let doc: Document =
            serde_json::from_str(include_str!("../../tests/golden/listings/table.json")).unwrap();
        doc.services.unwrap()
    }

    fn metrics(entries: &[ServiceEntry], scope: MetricsScope<'_>) -> String {
        let mut out = Vec::new();
        write_metrics(&mut out, entries, scope).unwrap();
        String::from_utf8(out).unwrap()
    }

    const ALL: MetricsScope<'static> = MetricsScope {
        real_servers: true,
        netns: None,
    };

    /// The value of the one series of `name` whose labels contain `labels`.
    fn value(text: &str, name: &str, labels: &str) -> String {
        let found: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with(&format!("{name}{{")) && l.contains(labels))
            .collect();
        assert_eq!(found.len(), 1, "{name} {labels}: {found:?}");
        found[0].rsplit(' ').next().unwrap().to_string()
    }

    #[test]
    fn every_service_has_series_empty_ones_too() {
        let entries = table();
        let text = metrics(&entries, ALL);
        for entry in &entries {
            let labels = service_labels(&entry.service.key, None);
            let count = value(&text, "ipvs_service_real_servers", &format!("{{{labels}}}"));
            assert_eq!(count, entry.real_servers.len().to_string());
            let orphaned = value(&text, "ipvs_service_orphaned", &format!("{{{labels}}}"));
            assert_eq!(orphaned == "1", entry.is_orphan());
        }
        assert!(text.contains(
            "ipvs_service_orphan_info{local_address=\"200.0.0.1\",local_port=\"80\",local_mark=\"\",proto=\"TCP\",reason=\"no_real_servers\"} 1\n"
        ));
        assert!(text.contains("reason=\"all_weights_zero\"} 1\n"));
        assert!(text.contains(
            "{local_address=\"\",local_port=\"0\",local_mark=\"100\",proto=\"FWM\",family=\"inet6\"}"
        ));
        assert!(text.contains("local_address=\"2001:db8::1\",local_port=\"443\""));
    }

    #[test]
    fn families_have_help_and_type_and_counters_are_the_64_bit_values() {
        let mut entries = table();
        entries[0].stats.inbytes = u64::MAX;
        entries[0].real_servers[0].stats.outbytes = 1 << 40;
        let text = metrics(&entries, ALL);
        let names: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .map(|l| l.split(' ').next().unwrap())
            .collect();
        assert_eq!(names.len(), 4 + 10 + 6 + 5);
        for name in &names {
            assert!(text.contains(&format!("# HELP {name} ")), "{name}");
            assert_eq!(
                name.ends_with("_total"),
                text.contains(&format!("# TYPE {name} counter"))
            );
        }
        let first = service_labels(&entries[0].service.key, None);
        assert_eq!(
            value(&text, "ipvs_service_incoming_bytes_total", &first),
            u64::MAX.to_string()
        );
        assert_eq!(
            value(&text, "ipvs_real_server_outgoing_bytes_total", &first),
            (1u64 << 40).to_string()
        );
    }

    #[test]
    fn services_only_leaves_real_servers_out_and_netns_is_a_label() {
        let entries = table();
        let scope = MetricsScope {
            real_servers: false,
            netns: Some("lb \"a\"\\b"),
        };
        let text = metrics(&entries, scope);
        assert!(!text.contains("ipvs_real_server_"));
        let series = text.lines().filter(|l| !l.starts_with('#'));
        for line in series {
            assert!(line.contains(",netns=\"lb \\\"a\\\"\\\\b\""), "{line}");
        }
    }
}
