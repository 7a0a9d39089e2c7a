//! Every seed of every fuzz target, and every input that once crashed one, through the target
//! as a plain test: the targets keep compiling on stable and the fixed crashes stay fixed.
//!
//! Seeds live in `fuzz/seeds/<target>/` (made from the adapters' test fixtures by
//! `fuzz/seed.sh`), past crashes in `fuzz/regressions/<target>/`.

use std::path::Path;

fn run_all(target: &str, body: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for folder in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(folder).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a readable folder").path();
            let data = std::fs::read(&path).expect("a readable input");
            body(&data);
            count += 1;
        }
    }
    assert!(count > 0, "no seeds for {target}: run fuzz/seed.sh");
}

#[test]
fn every_aws_payload_seed_decodes_without_panicking() {
    run_all("aws_payload", faasport_fuzz::aws_payload);
}

#[test]
fn every_gcp_request_seed_decodes_without_panicking() {
    run_all("gcp_request", faasport_fuzz::gcp_request);
}

#[test]
fn every_azure_request_seed_decodes_without_panicking() {
    run_all("azure_request", faasport_fuzz::azure_request);
}

#[test]
fn every_schedule_seed_parses_without_panicking() {
    run_all("schedule", faasport_fuzz::schedule);
}

#[test]
fn every_replay_trace_seed_loads_within_the_limits() {
    run_all("replay_trace", faasport_fuzz::replay_trace);
}

#[test]
fn every_invoke_event_seed_reads_without_panicking() {
    run_all("invoke_event", faasport_fuzz::invoke_event);
}
