//! `cargo fuzz run invoke_event`: see [`faasport_fuzz::invoke_event`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| faasport_fuzz::invoke_event(data));
