//! libFuzzer entry point; the checks are in `bodies::restore`, built into the
//! library when fuzzing.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ipvsadm_rs::fuzz_bodies::restore(data));
