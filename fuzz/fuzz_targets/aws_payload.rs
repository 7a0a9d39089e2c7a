//! `cargo fuzz run aws_payload`: see [`faasport_fuzz::aws_payload`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| faasport_fuzz::aws_payload(data));
