//! The one map from what users ask (a [`Command`]) and what a plan holds
//! (an [`Op`]) to the request the kernel gets (a [`Change`]); the
//! operation a failure is reported for comes with the request
//! ([`Change::op`]).

use super::Op;
use crate::cli::Command;
use crate::kernel::Change;

impl Command {
    /// The request this command sends; None for listings, restores and
    /// drains, which send none of their own (or several).
    pub fn change(&self) -> Option<Change<'_>> {
        Some(match self {
            Command::AddService(s) => Change::AddService(s),
            Command::EditService(s) => Change::EditService(s),
            Command::DeleteService(key) => Change::DeleteService(key),
            Command::Flush => Change::Flush,
            Command::Zero(key) => Change::Zero(key.as_ref()),
            Command::AddServer { service, server } => Change::AddServer(service, server),
            Command::EditServer { service, server } => Change::EditServer(service, server),
            Command::DeleteServer { service, server } => Change::DeleteServer(service, server),
            Command::SetTimeouts(t) => Change::SetTimeouts(t),
            Command::StartDaemon(d) => Change::StartDaemon(d),
            Command::StopDaemon { state, syncid } => Change::StopDaemon(*state, *syncid),
            Command::List { .. }
            | Command::Save { .. }
            | Command::Restore(_)
            | Command::DrainServer { .. } => return None,
        })
    }
}

impl Op {
    /// The request this operation sends; None for a listing.
    pub fn change(&self) -> Option<Change<'_>> {
        Some(match self {
            Op::AddService(s) => Change::AddService(s),
            Op::EditService { new, .. } => Change::EditService(new),
            Op::DeleteService { old } => Change::DeleteService(&old.service.key),
            Op::AddServer { service, server } => Change::AddServer(service, server),
            Op::EditServer { service, new, .. } => Change::EditServer(service, new),
            Op::DeleteServer { service, old } => Change::DeleteServer(service, old),
            Op::Flush { .. } => Change::Flush,
            Op::Zero(key) => Change::Zero(key.as_ref()),
            Op::SetTimeouts { new, .. } => Change::SetTimeouts(new),
            Op::StartDaemon(d) => Change::StartDaemon(d),
            Op::StopDaemon { old } => Change::StopDaemon(old.state, old.syncid),
            Op::List(_) => return None,
        })
    }
}
