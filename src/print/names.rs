//! How ipvsadm names an address and port (`addrport_to_anyname`): numeric
//! with `-n`, else the resolver's host name and the services database's port
//! name for the service's protocol. Resolution sits behind a trait so the
//! printer stays a pure function in tests.

use super::text;
use crate::model::Protocol;
use crate::sys;
use std::net::IpAddr;

/// Name look-ups the printer needs (from more than one thread: big tables
/// are formatted in parts at once).
pub trait Resolver: Sync {
    /// The host name of `addr`, if it has one.
    fn host_name(&self, addr: IpAddr) -> Option<String>;
    /// The name of `port` for `protocol` in the services database.
    fn service_name(&self, port: u16, protocol: Protocol) -> Option<String>;
}

/// The system resolver and services database (what ipvsadm uses).
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn host_name(&self, addr: IpAddr) -> Option<String> {
        sys::host_name(addr)
    }

    fn service_name(&self, port: u16, protocol: Protocol) -> Option<String> {
        sys::service_name(port, protocol.db_name())
    }
}

/// No names at all (numeric output, and tests).
pub struct NoNames;

impl Resolver for NoNames {
    fn host_name(&self, _: IpAddr) -> Option<String> {
        None
    }

    fn service_name(&self, _: u16, _: Protocol) -> Option<String> {
        None
    }
}

/// `inet_ntop` text of an address.
pub(crate) fn numeric_host(addr: &IpAddr) -> String {
    match addr {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => {
            let mut text = String::with_capacity(39);
            text::push_ipv6(&mut text, *a);
            text
        }
    }
}

/// `host:port` or `[host]:port`, at most 59 characters (ipvsadm's 60-byte
/// buffer), written over `text`: big listings reuse one buffer for every
/// real server.
pub(crate) fn write_addr_port(
    text: &mut String,
    addr: &IpAddr,
    port: u16,
    protocol: Option<Protocol>,
    numeric: bool,
    names: &dyn Resolver,
) {
    text.clear();
    if numeric {
        // the common case of big listings, without allocations or fmt
        // (no IPv6 text with its port reaches 59 characters)
        match addr {
            IpAddr::V4(a) => text::push_ipv4(text, *a),
            IpAddr::V6(a) => {
                text.push('[');
                text::push_ipv6(text, *a);
                text.push(']');
            }
        }
        text.push(':');
        text::push_unsigned(text, u64::from(port));
        return;
    }
    let host = names.host_name(*addr).unwrap_or_else(|| numeric_host(addr));
    let port_text = protocol
        .and_then(|p| names.service_name(port, p))
        .unwrap_or_else(|| port.to_string());
    let v6 = addr.is_ipv6();
    if v6 {
        text.push('[');
    }
    text.push_str(&host);
    if v6 {
        text.push(']');
    }
    text.push(':');
    text.push_str(&port_text);
    truncate(text, 59);
}

/// Cut a C string to `max` bytes (on a character boundary).
pub(crate) fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}
