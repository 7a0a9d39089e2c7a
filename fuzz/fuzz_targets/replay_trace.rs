//! `cargo fuzz run replay_trace`: see [`faasport_fuzz::replay_trace`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| faasport_fuzz::replay_trace(data));
