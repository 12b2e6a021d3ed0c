//! libFuzzer entry point; the checks are in `bodies::proc_ip_vs`, built into
//! the library when fuzzing.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ipvsadm_rs::fuzz_bodies::proc_ip_vs(data));
