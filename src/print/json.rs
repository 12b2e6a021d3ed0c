//! `--json`: one JSON document per listing, built with serde from the model
//! itself (so it reads back into the model; written by [`json_bytes`],
//! byte for byte what serde_json writes), numeric addresses, full 64-bit
//! counters, newline-terminated. Sections appear only when listed.

use super::json_bytes;
use crate::model::{Connection, Info, ServiceEntry, SyncDaemon, Timeouts};
use serde::{Deserialize, Serialize};
use std::io::{self, Write};

/// The document. Field names are part of the interface (see ipvsadm-rs(8)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// kernel IPVS version and connection table size (whole-table listings)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipvs: Option<Info>,
    /// the services with their real servers (`-L`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<ServiceEntry>>,
    /// connection timeouts (`-L --timeout`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<Timeouts>,
    /// sync daemons (`-L --daemon`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daemons: Option<Vec<SyncDaemon>>,
    /// the connection table (`-L -c`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections: Option<Vec<Connection>>,
}

/// The document as one line of JSON, built in memory and written in a
/// few big pieces (serializing straight into a writer costs a call
/// through `dyn Write` for every token).
pub fn write_document(w: &mut dyn Write, doc: &Document) -> io::Result<()> {
    match doc.services.as_deref() {
        Some(services) if services.len() > 1 && super::two_threads_for(real_servers(services)) => {
            write_with_halves(w, doc, services)
        }
        _ => {
            let mut bytes = Vec::new();
            json_bytes::append(&mut bytes, doc)?;
            bytes.push(b'\n');
            w.write_all(&bytes)
        }
    }
}

/// About this many bytes of JSON per real server with its counters; the
/// buffers are sized for it up front.
const BYTES_PER_REAL_SERVER: usize = 400;

fn real_servers(services: &[ServiceEntry]) -> usize {
    services.iter().map(|s| s.real_servers.len()).sum()
}

/// What `write_document` writes in one thread, `services` (the document's
/// own, two or more) serialized in two halves at once: the members in the
/// order of `Document`, those that are None left out.
fn write_with_halves(
    w: &mut dyn Write,
    doc: &Document,
    services: &[ServiceEntry],
) -> io::Result<()> {
    /// `"name":` after `{` (the first member) or `,`.
    fn name(out: &mut Vec<u8>, name: &str, first: bool) {
        out.push(if first { b'{' } else { b',' });
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
    }
    let mut head = Vec::new();
    if let Some(ipvs) = &doc.ipvs {
        name(&mut head, "ipvs", true);
        json_bytes::append(&mut head, ipvs)?;
    }
    // The array's two halves are written after its name.
    let first = head.is_empty();
    name(&mut head, "services", first);
    let mut tail = Vec::new();
    if let Some(timeouts) = &doc.timeouts {
        name(&mut tail, "timeouts", false);
        json_bytes::append(&mut tail, timeouts)?;
    }
    if let Some(daemons) = &doc.daemons {
        name(&mut tail, "daemons", false);
        json_bytes::append(&mut tail, daemons)?;
    }
    if let Some(connections) = &doc.connections {
        name(&mut tail, "connections", false);
        json_bytes::append(&mut tail, connections)?;
    }
    tail.extend_from_slice(b"}\n");
    let (first, second) = services.split_at(services.len() / 2);
    let serialized = |half: &[ServiceEntry]| {
        let mut out = Vec::with_capacity(real_servers(half) * BYTES_PER_REAL_SERVER);
        json_bytes::append(&mut out, half).map(|()| out)
    };
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| serialized(second));
        (serialized(first), second.join())
    });
    let (first, second) = (
        first?,
        second.unwrap_or_else(|p| std::panic::resume_unwind(p))?,
    );
    // `[a,b]` and `[c,d]` make `[a,b,c,d]`.
    w.write_all(&head)?;
    w.write_all(&first[..first.len() - 1])?;
    w.write_all(b",")?;
    w.write_all(&second[1..])?;
    w.write_all(&tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Info, SyncDaemon, Timeouts};

    #[test]
    fn services_in_halves_make_the_document_serde_makes() {
        let doc: Document =
            serde_json::from_str(include_str!("../../tests/golden/listings/table.json")).unwrap();
        let services = doc.services.clone().unwrap();
        assert!(services.len() >= 3);
        let mut wide = services[0].clone();
        wide.real_servers = vec![services[0].real_servers[0].clone(); 5];
        let shapes: [Vec<crate::model::ServiceEntry>; 3] = [
            services.clone(),
            services[..2].to_vec(),
            vec![wide.clone(), wide],
        ];
        for services in shapes {
            let with_others = Document {
                ipvs: Some(Info {
                    version: 0x010201,
                    conn_tab_size: 4096,
                }),
                services: Some(services.clone()),
                timeouts: Some(Timeouts::default()),
                daemons: Some(Vec::<SyncDaemon>::new()),
                connections: Some(Vec::new()),
            };
            let alone = Document {
                services: Some(services.clone()),
                ..Document::default()
            };
            for doc in [with_others, alone] {
                let mut halves = Vec::new();
                write_with_halves(&mut halves, &doc, &services).unwrap();
                let mut whole = serde_json::to_vec(&doc).unwrap();
                whole.push(b'\n');
                assert_eq!(
                    String::from_utf8(halves).unwrap(),
                    String::from_utf8(whole).unwrap()
                );
            }
        }
    }
}
