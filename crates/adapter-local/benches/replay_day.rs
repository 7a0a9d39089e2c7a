//! A day of a generated 1,000-function trace (issue 15's target: under 60 s for one profile and
//! one policy on a 2-core machine), against a baseline in the same run. Run with
//! `cargo bench -p faasport-adapter-local --bench replay_day` (`-- FUNCTIONS HOURS SEED` to
//! change the trace; default 1000 24 1).
//!
//! * generate: [`generate`] with the 2019 trace's published characteristics;
//! * baseline: the same arrivals on tokio's paused clock, each a spawned task that only sleeps
//!   for its duration (the cost of simulating time, no runtime);
//! * stream: [`replay_blocking`] of a [`GeneratedStream`] under `aws` with its fixed 10-minute
//!   window: the trace is drawn as it is replayed and never held in memory. It runs first, so
//!   the peak memory printed after it is the streamed replay's alone;
//! * replay: the same under `aws` from the trace in memory ([`generate`]), then the standard
//!   matrix (3 profiles × 2 policies) with [`compare_blocking`], one run per core at a time.
//!
//! Peak memory (`VmHWM`) is read from `/proc/self/status` after each step. `-- … stream` runs
//! the streamed replay alone (to compare its peak memory across trace lengths).

#[path = "common/baseline.rs"]
mod common;

use std::time::{Duration, Instant};

use faasport_adapter_local::replay::{
    compare_blocking, generate, replay_blocking, GenerateOptions, GeneratedStream, ReplayMatrix,
    ReplayOptions,
};
use faasport_adapter_local::KeepAlive;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-') && a != "stream")
        .collect();
    let arg = |i: usize, default: f64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (functions, hours, seed) = (arg(0, 1000.0) as usize, arg(1, 24.0), arg(2, 1.0) as u64);
    let options =
        GenerateOptions::new(functions, Duration::from_secs_f64(hours * 3600.0)).seed(seed);
    let start = Instant::now();
    match GeneratedStream::new(&options).map(|stream| {
        replay_blocking(
            &stream,
            &ReplayOptions::default().keep_alive(KeepAlive::ProfileDefault),
        )
    }) {
        Ok(Ok(r)) => {
            let t = start.elapsed().as_secs_f64();
            let run = &r.runs[0];
            println!(
                "stream aws, fixed 10 min: {} functions, {} invocations over {hours} h in {t:.2} s, {:.0} invocations/s; {} cold starts ({:.2} %), {:.0} idle GB-s (peak RSS {:.0} MB)",
                r.trace.functions,
                r.trace.invocations,
                r.trace.invocations as f64 / t,
                run.cold_starts,
                run.cold_start_rate * 100.0,
                run.idle_gb_seconds,
                peak_rss_mb()
            );
        }
        Ok(Err(e)) => eprintln!("stream: {e}"),
        Err(e) => eprintln!("stream: {e}"),
    }
    if std::env::args().any(|a| a == "stream") {
        return;
    }
    let start = Instant::now();
    let generated = match generate(&options) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("generate: {e}");
            return;
        }
    };
    let trace = generated.trace;
    let n = trace.invocations().len() as f64;
    println!(
        "generate: {} functions, {} invocations over {hours} h in {:.2} s (peak RSS {:.0} MB)",
        trace.functions().len(),
        n,
        start.elapsed().as_secs_f64(),
        peak_rss_mb()
    );
    let start = Instant::now();
    if let Err(e) = common::baseline(&trace) {
        eprintln!("baseline: {e}");
        return;
    }
    let base = start.elapsed().as_secs_f64();
    println!(
        "baseline (tokio only): {base:.2} s, {:.0} invocations/s (peak RSS {:.0} MB)",
        n / base,
        peak_rss_mb()
    );
    let start = Instant::now();
    match replay_blocking(
        &trace,
        &ReplayOptions::default().keep_alive(KeepAlive::ProfileDefault),
    ) {
        Ok(r) => {
            let t = start.elapsed().as_secs_f64();
            let run = &r.runs[0];
            println!(
                "replay aws, fixed 10 min: {t:.2} s, {:.0} invocations/s, {:.1}× the baseline's time; {} cold starts ({:.2} %), {:.0} idle GB-s (peak RSS {:.0} MB)",
                n / t,
                t / base,
                run.cold_starts,
                run.cold_start_rate * 100.0,
                run.idle_gb_seconds,
                peak_rss_mb()
            );
        }
        Err(e) => eprintln!("replay: {e}"),
    }
    let start = Instant::now();
    match compare_blocking(&trace, &ReplayMatrix::standard(), &ReplayOptions::default()) {
        Ok(r) => {
            let t = start.elapsed().as_secs_f64();
            println!(
                "compare, 3 profiles × 2 policies on {} threads: {t:.2} s (peak RSS {:.0} MB)",
                std::thread::available_parallelism().map_or(1, |p| p.get()),
                peak_rss_mb()
            );
            print!("{}", r.to_table());
        }
        Err(e) => eprintln!("compare: {e}"),
    }
}
