//! `--json`: one JSON document per listing, built with serde from the model
//! itself (so it reads back into the model), numeric addresses, full 64-bit
//! counters, newline-terminated. Sections appear only when listed.

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

/// The document as one line of JSON, built whole in memory and written
/// at once (serializing straight into a writer costs a call through `dyn
/// Write` for every token).
pub fn write_document(w: &mut dyn Write, doc: &Document) -> io::Result<()> {
    let mut bytes = serde_json::to_vec(doc)?;
    bytes.push(b'\n');
    w.write_all(&bytes)
}
