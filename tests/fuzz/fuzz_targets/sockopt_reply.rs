//! libFuzzer entry point; the checks are in `bodies::sockopt_reply`.
#![no_main]

// Each target uses one of the bodies.
#[allow(dead_code)]
#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::sockopt_reply(data));
