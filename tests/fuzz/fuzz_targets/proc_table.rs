//! libFuzzer entry point; the checks are in `bodies::proc_table`.
#![no_main]

// Each target uses one of the bodies.
#[allow(dead_code)]
#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::proc_table(data));
