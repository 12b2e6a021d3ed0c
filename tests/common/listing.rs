//! Render a listing form from a `--json` document with the compat printer,
//! for comparing with what the reference ipvsadm printed for the same table.

use ipvsadm_rs::cli::{parse_command_line, Command, ListTarget, Parsed};
use ipvsadm_rs::model::Protocol;
use ipvsadm_rs::print::compat;
use ipvsadm_rs::print::json::Document;
use ipvsadm_rs::print::names::{Resolver, SystemResolver};
use std::net::IpAddr;

/// The test VM's /etc/hosts, and the services database of this machine
/// (the VM copies it from the host).
pub struct VmNames;

impl Resolver for VmNames {
    fn host_name(&self, addr: IpAddr) -> Option<String> {
        let name = match addr.to_string().as_str() {
            "127.0.0.1" => "localhost",
            "10.1.2.3" => "webhost",
            "10.1.2.4" => "dbhost",
            "10.1.2.5" => "realserver-with-a-very-long-host-name.example.org",
            "::1" => "localhost",
            _ => return None,
        };
        Some(name.to_string())
    }

    fn service_name(&self, port: u16, protocol: Protocol) -> Option<String> {
        SystemResolver.service_name(port, protocol)
    }
}

/// What ipvsadm-rs's printer makes of `form` for the table in `doc`; None
/// for forms the document does not hold (timeouts, daemons).
pub fn render(doc: &Document, form: &str) -> Option<String> {
    let words: Vec<String> = form.split_whitespace().map(String::from).collect();
    let services = doc.services.clone().unwrap_or_default();
    let mut out = Vec::new();
    match parse_command_line("ipvsadm", &words).unwrap() {
        Parsed::Run(Command::List {
            target: ListTarget::Table,
            format,
        }) => compat::write_listing(&mut out, doc.ipvs.as_ref(), &services, &format, &VmNames)
            .unwrap(),
        Parsed::Run(Command::List {
            target: ListTarget::Service(key),
            format,
        }) => {
            let entry = services
                .iter()
                .find(|e| e.service.key == key)
                .expect("the selected service")
                .clone();
            compat::write_listing(&mut out, None, &[entry], &format, &VmNames).unwrap()
        }
        Parsed::Run(Command::Save {
            numeric,
            full: false,
        }) => compat::write_save(&mut out, &services, numeric, &VmNames).unwrap(),
        _ => return None,
    }
    Some(String::from_utf8(out).unwrap())
}
