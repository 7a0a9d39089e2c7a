//! Replay throughput: invocations replayed per second of real time, against a baseline in the
//! same run. Run with `cargo bench -p faasport-adapter-local --bench replay`.
//!
//! The trace: 100 functions, each called every 1.8 s for an hour with 100 ms handlers (200,000
//! invocations, about 6 in flight at any time).
//!
//! * baseline: the same arrivals on tokio's paused clock, each a spawned task that only sleeps
//!   for its duration: the cost of simulating time, with no runtime;
//! * replay: [`replay_blocking`] through the local runtime (pools, keep-alive, metering, the
//!   scaling trace, idle-time accounting and pricing) under `aws` with the fixed window and with
//!   the hybrid policy.

#[path = "common/baseline.rs"]
mod common;

use std::time::{Duration, Instant};

use faasport_adapter_local::replay::{replay_blocking, ReplayOptions, Trace, TracedFunction};
use faasport_adapter_local::KeepAlive;

const FUNCTIONS: usize = 100;
const INVOCATIONS: u64 = 200_000;

fn trace() -> Trace {
    let mut trace = Trace::new();
    let ids: Vec<usize> = (0..FUNCTIONS)
        .map(|i| trace.add_function(TracedFunction::new(format!("f{i}"))))
        .collect();
    for i in 0..INVOCATIONS {
        let function = ids[i as usize % FUNCTIONS];
        trace.push(
            Duration::from_millis(i * 18),
            function,
            Duration::from_millis(100),
        );
    }
    trace
}

fn report(name: &str, elapsed: Duration) -> f64 {
    let rate = INVOCATIONS as f64 / elapsed.as_secs_f64();
    let per = elapsed.as_nanos() as f64 / INVOCATIONS as f64 / 1000.0;
    println!("{name:<24} {rate:>10.0} invocations/s  {per:>6.2} µs/invocation");
    rate
}

fn main() {
    let trace = trace();
    let start = Instant::now();
    if let Err(e) = common::baseline(&trace) {
        eprintln!("baseline: {e}");
        return;
    }
    let base = report("baseline (tokio only)", start.elapsed());
    for (name, policy) in [
        ("replay, fixed 10 min", KeepAlive::ProfileDefault),
        ("replay, hybrid", KeepAlive::hybrid()),
    ] {
        let options = ReplayOptions::default().keep_alive(policy);
        let start = Instant::now();
        match replay_blocking(&trace, &options) {
            Ok(r) => {
                let rate = report(name, start.elapsed());
                let run = &r.runs[0];
                println!(
                    "  {} cold starts, {:.0} idle instance-s; {:.1}× the baseline's time",
                    run.cold_starts,
                    run.idle_instance_seconds,
                    base / rate
                );
            }
            Err(e) => eprintln!("{name}: {e}"),
        }
    }
}
