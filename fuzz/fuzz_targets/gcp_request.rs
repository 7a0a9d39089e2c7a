//! `cargo fuzz run gcp_request`: see [`faasport_fuzz::gcp_request`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| faasport_fuzz::gcp_request(data));
