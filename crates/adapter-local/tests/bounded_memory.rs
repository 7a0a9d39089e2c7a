//! A long run keeps bounded memory: the meter and the scaling trace keep a ring of raw entries,
//! while the report's figures cover every invocation.
//!
//! The byte figures in `BENCHMARKS.md` come from the ignored test at the end (RSS, Linux only):
//! `cargo test -p faasport-adapter-local --test bounded_memory -- --ignored --nocapture`.

use std::time::Duration;

use faasport_adapter_local::meter::{RecordRetention, DEFAULT_RING};
use faasport_adapter_local::{LocalConfig, LocalRuntime, Profile};
use faasport_core::{App, Context, Error, Event, Function, Json};

/// The resident set size of this process, in bytes (Linux: `/proc/self/statm`, 4 KiB pages).
fn rss_bytes() -> i64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: i64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("resident pages");
    pages * 4096
}

async fn work(Json(ms): Json<u64>, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(())
}

fn runtime(retention: RecordRetention) -> LocalRuntime {
    let app = App::new("long").function(Function::new("f", work));
    LocalRuntime::builder(app)
        .config(
            LocalConfig::default()
                .profile(Profile::aws())
                .keep_records(retention),
        )
        .build()
        .expect("valid")
}

/// Invokes `f` `n` times, one after the other, with durations from 1 to 100 ms.
async fn run(rt: &LocalRuntime, n: u64) {
    for i in 0..n {
        rt.invoke("f", Event::from_json((i % 100 + 1).into()))
            .await
            .expect("known function");
    }
}

#[tokio::test(start_paused = true)]
async fn two_hundred_thousand_invocations_keep_only_the_ring_and_count_every_one() {
    let rt = runtime(RecordRetention::default());
    run(&rt, 200_000).await;

    assert_eq!(rt.meter().retained(), DEFAULT_RING);
    assert_eq!(rt.meter().dropped(), 200_000 - DEFAULT_RING as u64);
    assert_eq!(rt.meter().len(), 200_000);
    assert_eq!(rt.records().len(), DEFAULT_RING);
    assert!(rt.scaling_trace().len() <= DEFAULT_RING);

    let report = rt.report();
    assert!(report.trace.len() <= DEFAULT_RING);
    let f = &report.functions[0];
    assert_eq!((f.invocations, f.errors, f.cold_starts), (200_000, 0, 1));
    let scaling = &report.scaling[0];
    assert_eq!((scaling.cold_starts, scaling.reuses), (1, 199_999));
    // Every invocation billed: 2,000 rounds of 1 + 2 + … + 100 ms.
    let lambda = &report.costs[0];
    assert_eq!(lambda.quantities.requests, 200_000);
    assert_eq!(lambda.quantities.billed_ms, 2_000 * 5_050);
    // Percentiles from the sketch: within 1 % of the exact 50, 95 and 99 ms.
    for (got, truth) in [(f.p50_ms, 50.0), (f.p95_ms, 95.0), (f.p99_ms, 99.0)] {
        assert!((got - truth).abs() <= truth * 0.01, "{got} vs {truth}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_figures_are_the_same_whether_every_record_is_kept_or_not() {
    let ring = runtime(RecordRetention::Ring(100));
    let all = runtime(RecordRetention::All);
    run(&ring, 5_000).await;
    run(&all, 5_000).await;
    assert_eq!(all.records().len(), 5_000);
    assert_eq!(ring.records().len(), 100);
    let (ring, all) = (ring.report(), all.report());
    assert_eq!(ring.scaling, all.scaling);
    assert_eq!(ring.costs, all.costs);
    assert_eq!(ring.functions[0].invocations, all.functions[0].invocations);
}

/// Resident bytes gained per invocation after a warm-up, with the default ring and with every
/// record kept (the ring first: memory freed by the second run would hide its growth).
#[tokio::test(start_paused = true)]
#[ignore = "a measurement: run with --nocapture"]
async fn bytes_kept_per_invocation() {
    for (label, retention) in [
        ("ring (default)", RecordRetention::default()),
        ("all (--keep-records)", RecordRetention::All),
    ] {
        let rt = runtime(retention);
        run(&rt, 20_000).await;
        let before = rss_bytes();
        run(&rt, 200_000).await;
        let after = rss_bytes();
        let per = (after - before) as f64 / 200_000.0;
        println!(
            "{label}: RSS {:.1} -> {:.1} MB, {per:.1} bytes per invocation over 200,000 after a \
             20,000 warm-up",
            before as f64 / 1e6,
            after as f64 / 1e6
        );
        drop(rt);
    }
}

async fn work_micros(Json(us): Json<u64>, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_micros(us)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_streamed_percentiles_of_a_heavy_tailed_run_are_within_one_percent_of_the_records() {
    use rand::SeedableRng;
    use rand_distr::{Distribution, LogNormal};
    // Past the 512 durations kept exactly, percentiles come from the DDSketch: check them
    // against the exact nearest rank over every kept record, on the generator's heavy tail
    // (log-normal, σ 2.36, median 20 ms: five orders of magnitude between p1 and p99; the
    // timer counts whole milliseconds).
    let app = App::new("tail").function(Function::new("f", work_micros));
    let rt = LocalRuntime::builder(app)
        .config(
            LocalConfig::default()
                .profile(Profile::aws())
                .keep_records(RecordRetention::All),
        )
        .build()
        .expect("valid");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(15);
    let tail = LogNormal::<f64>::new(20_000f64.ln(), 2.36).expect("valid");
    for _ in 0..20_000 {
        let us = tail.sample(&mut rng).clamp(1.0, 6e8) as u64;
        rt.invoke("f", Event::from_json(us.into()))
            .await
            .expect("known function");
    }
    let records = rt.records();
    assert_eq!(records.len(), 20_000);
    let mut exact: Vec<f64> = records
        .iter()
        .map(|r| r.duration.as_secs_f64() * 1000.0)
        .collect();
    exact.sort_by(f64::total_cmp);
    let rank = |p: f64| exact[((p * exact.len() as f64).ceil() as usize).clamp(1, exact.len()) - 1];
    let report = rt.report();
    let f = &report.functions[0];
    for (p, got) in [(0.50, f.p50_ms), (0.95, f.p95_ms), (0.99, f.p99_ms)] {
        let truth = rank(p);
        assert!(
            (got - truth).abs() <= truth * 0.01 + 1e-9,
            "p{p}: sketch {got} ms, records {truth} ms"
        );
    }
    assert!(
        rank(0.99) > 100.0 * rank(0.50),
        "a heavy tail: {} vs {}",
        rank(0.99),
        rank(0.50)
    );
}
