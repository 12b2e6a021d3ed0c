//! The feature suites, compiled into the library's test binary (see
//! src/lib.rs): each checks one feature through the library's internals.

#[path = "completions.rs"]
mod completions;
#[path = "fuzz_regressions.rs"]
mod fuzz_regressions;
#[path = "grammar.rs"]
mod grammar;
#[path = "hostile.rs"]
mod hostile;
#[path = "man_page.rs"]
mod man_page;
#[path = "netlink_golden.rs"]
mod netlink_golden;
#[path = "printer_golden.rs"]
mod printer_golden;
#[path = "properties.rs"]
mod properties;
