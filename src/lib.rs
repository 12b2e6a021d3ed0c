//! ipvsadm-rs: a drop-in replacement for ipvsadm, the admin tool of the
//! Linux kernel's IPVS load balancer. Data flows one way: text → typed
//! commands ([`cli`]) → kernel operations; kernel dump → [`model`] → printer.

pub mod apply;
pub mod cli;
pub mod errno_text;
pub mod error;
pub mod exec;
pub mod fetch;
pub mod model;
pub mod netlink;
pub mod plan;
pub mod print;
pub mod sys;
