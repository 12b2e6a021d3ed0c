//! libFuzzer entry point; the checks are in `bodies::proc_conn`.
#![no_main]

#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::proc_conn(data));
