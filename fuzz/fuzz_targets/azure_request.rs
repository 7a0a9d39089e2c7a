//! `cargo fuzz run azure_request`: see [`faasport_fuzz::azure_request`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| faasport_fuzz::azure_request(data));
