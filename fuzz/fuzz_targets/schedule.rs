//! `cargo fuzz run schedule`: see [`faasport_fuzz::schedule`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| faasport_fuzz::schedule(data));
