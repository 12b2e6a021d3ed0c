//! `--json`: one JSON document per listing, built with serde from the model
//! itself (so it reads back into the model; written by [`json_bytes`] and,
//! for the services, [`json_records`], byte for byte what serde_json
//! writes), numeric addresses, full 64-bit
//! counters, newline-terminated. Sections appear only when listed.

use super::sort::servers_order;
use super::{json_bytes, json_records};
use crate::model::{Connection, Info, ServiceEntry, ServiceParts, SyncDaemon, Timeouts};
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
        Some(services) => {
            let in_halves = super::two_threads_for(super::real_servers(services));
            write_with_services(w, doc, &|w| write_services(w, services, in_halves))
        }
        None => {
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

/// What serde would write for `doc`, whose services are `services`: the
/// members in the order of `Document`, those that are None left out, the
/// services' array by `write_services`.
fn write_with_services(
    w: &mut dyn Write,
    doc: &Document,
    write_services: &dyn Fn(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let (head, tail) = around_services(doc)?;
    w.write_all(&head)?;
    write_services(w)?;
    w.write_all(&tail)
}

/// The document's bytes before its services' array (ending in
/// `"services":`) and after it: its other members in the order of
/// `Document`, those that are None left out.
fn around_services(doc: &Document) -> io::Result<(Vec<u8>, Vec<u8>)> {
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
    Ok((head, tail))
}

/// One service's record in the `services` array of a `--json` listing, as
/// [`write_document`] writes it for a sorted table (its real servers
/// sorted unless `nosort`). A listing that reads the table service by
/// service makes each record as soon as the service is in, on the thread
/// that read it; a [`DocumentWriter`] puts them together.
pub fn service_record(parts: ServiceParts<'_>, nosort: bool) -> io::Result<Vec<u8>> {
    let (_, _, servers) = parts;
    let mut out = Vec::with_capacity((1 + servers.len()) * BYTES_PER_REAL_SERVER);
    let listed = servers_order(servers, nosort)
        .into_iter()
        .map(|i| &servers[i]);
    json_records::service_of_parts(&mut out, parts, listed)?;
    Ok(out)
}

/// The document [`write_document`] writes, written as its services'
/// records ([`service_record`]) come in, in listing order: the same
/// bytes. Tens of thousands of records go through one large buffer, not
/// to a system call each.
pub struct DocumentWriter<'a> {
    out: io::BufWriter<&'a mut dyn Write>,
    tail: Vec<u8>,
    records: usize,
}

impl<'a> DocumentWriter<'a> {
    /// Writes what comes before the services of `doc` (whose `services`
    /// are left out: they are written as records).
    pub fn start(w: &'a mut dyn Write, doc: &Document) -> io::Result<Self> {
        let (head, tail) = around_services(doc)?;
        let mut out = io::BufWriter::with_capacity(super::STAGED_BYTES, w);
        out.write_all(&head)?;
        out.write_all(b"[")?;
        Ok(DocumentWriter {
            out,
            tail,
            records: 0,
        })
    }

    /// Writes the next service's record.
    pub fn record(&mut self, record: &[u8]) -> io::Result<()> {
        if self.records > 0 {
            self.out.write_all(b",")?;
        }
        self.records += 1;
        self.out.write_all(record)
    }

    /// Writes the rest of the document.
    pub fn finish(mut self) -> io::Result<()> {
        self.out.write_all(b"]")?;
        self.out.write_all(&self.tail)?;
        self.out.flush()
    }
}

/// The services' array, in two halves at once or (`in_halves` false, or a
/// single service) in one piece.
fn write_services(w: &mut dyn Write, services: &[ServiceEntry], in_halves: bool) -> io::Result<()> {
    let serialized = |half: &[ServiceEntry]| {
        let mut out = Vec::with_capacity(super::real_servers(half) * BYTES_PER_REAL_SERVER);
        json_records::services(&mut out, half).map(|()| out)
    };
    if services.len() < 2 || !in_halves {
        return w.write_all(&serialized(services)?);
    }
    let (first, second) = services.split_at(services.len() / 2);
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| serialized(second));
        (serialized(first), second.join())
    });
    let (first, second) = (
        first?,
        second.unwrap_or_else(|p| std::panic::resume_unwind(p))?,
    );
    // `[a,b]` and `[c,d]` make `[a,b,c,d]`.
    w.write_all(&first[..first.len() - 1])?;
    w.write_all(b",")?;
    w.write_all(&second[1..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Info, SyncDaemon, Timeouts};

    #[test]
    fn services_whole_or_in_halves_make_the_document_serde_makes() {
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
            for (doc, in_halves) in [with_others, alone]
                .iter()
                .flat_map(|d| [(d, true), (d, false)])
            {
                let mut written = Vec::new();
                let services_part = |w: &mut dyn Write| write_services(w, &services, in_halves);
                write_with_services(&mut written, doc, &services_part).unwrap();
                let mut whole = serde_json::to_vec(doc).unwrap();
                whole.push(b'\n');
                assert_eq!(
                    String::from_utf8(written).unwrap(),
                    String::from_utf8(whole).unwrap()
                );
            }
        }
    }

    /// Records made service by service as the table is read, put
    /// together, are the document the sorted (or, with `--nosort`,
    /// unsorted) table makes; orphans of both kinds among them.
    #[test]
    fn records_made_as_read_make_the_document() {
        let doc: Document =
            serde_json::from_str(include_str!("../../tests/golden/listings/table.json")).unwrap();
        let mut entries = doc.services.unwrap();
        let mut no_servers = entries[0].clone();
        no_servers.real_servers.clear();
        let mut weightless = entries[1].clone();
        for rs in &mut weightless.real_servers {
            rs.server.weight = 0;
        }
        let mut reversed = entries[0].clone();
        reversed.real_servers.reverse();
        entries.extend([no_servers, weightless, reversed]);
        entries.reverse();
        let info = Info {
            version: 0x010201,
            conn_tab_size: 4096,
        };
        for nosort in [false, true] {
            let mut table = entries.clone();
            if !nosort {
                crate::print::sort::sort_table(&mut table);
            }
            let whole_doc = Document {
                ipvs: Some(info),
                services: Some(table),
                ..Document::default()
            };
            let mut whole = Vec::new();
            write_document(&mut whole, &whole_doc).unwrap();
            let records: Vec<Vec<u8>> = entries
                .iter()
                .map(|e| service_record((&e.service, &e.stats, &e.real_servers), nosort).unwrap())
                .collect();
            let head = Document {
                ipvs: Some(info),
                ..Document::default()
            };
            let mut pieced = Vec::new();
            let mut writer = DocumentWriter::start(&mut pieced, &head).unwrap();
            for entry in crate::print::sort::listing_order(&entries, nosort) {
                writer.record(&records[entry]).unwrap();
            }
            writer.finish().unwrap();
            assert_eq!(
                String::from_utf8(pieced).unwrap(),
                String::from_utf8(whole).unwrap()
            );
        }
    }
}
