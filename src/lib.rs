//! ipvsadm-rs: a drop-in replacement for ipvsadm, the admin tool of the
//! Linux kernel's IPVS load balancer, and a library for programs that
//! manage IPVS themselves.
//!
//! Data flows one way. Changes: text → typed [`cli::Command`] →
//! [`plan`] (checked against the current table, with what undoes each
//! step) → [`kernel`] (batched, rolled back on a refusal). Listings:
//! [`kernel`] → typed [`model`] table → printer → bytes.
//!
//! The library's surface is what a program needs to manage IPVS without
//! the hangs and half-applied changes of ad-hoc netlink clients:
//!
//! - [`model`]: services, real servers, timeouts, sync daemons;
//! - [`kernel`]: the connection ([`kernel::Ipvs`]), where every wait has
//!   a deadline and changes go in batches of many requests per system call;
//! - [`plan`]: a simulation of commands against a table, which finds the
//!   kernel's refusals before anything is sent, and the smallest change
//!   from one table to another;
//! - [`cli`]: ipvsadm's grammar, for commands given as text;
//! - [`print`](mod@print): ipvsadm's listing and save formats, byte for
//!   byte, the JSON document, and change plans;
//! - [`error`]: every failure, with ipvsadm's message and exit status.
//!
//! [`tool`] is the `ipvsadm-rs` command itself, for the binary.
#![warn(missing_docs)]

// The feature suites under tests/ check internals (the grammar, wire
// bytes, printers) through `ipvsadm_rs::` paths; compiled into the
// library's own tests, those paths reach what is crate-private.
#[cfg(any(test, fuzzing))]
extern crate self as ipvsadm_rs;

pub mod cli;
pub(crate) mod drain;
pub(crate) mod errno_text;
pub mod error;
pub(crate) mod exec;
pub mod kernel;
pub(crate) mod listing;
pub mod model;
pub mod plan;
pub mod print;
pub(crate) mod restore;
pub(crate) mod sys;
pub mod tool;

/// The bodies of the fuzz targets (tests/fuzz), built into the library
/// when fuzzing so that they reach its internals.
#[cfg(any(test, fuzzing))]
#[doc(hidden)]
#[path = "../tests/fuzz/bodies.rs"]
pub mod fuzz_bodies;

#[cfg(test)]
#[path = "../tests/suites.rs"]
mod suites;
