//! Trace replay: both trace formats, exact cold starts, pre-warms, idle instance time, throttles
//! and cost under the fixed and hybrid keep-alive policies, and typed errors for bad traces.

use std::path::{Path, PathBuf};
use std::time::Duration;

use faasport_adapter_local::pool::{HybridConfig, HybridFallback};
use faasport_adapter_local::replay::{
    compare, compare_blocking, generate, replay, replay_blocking, AzureOptions, DurationModel,
    GenerateOptions, GeneratedStream, ReplayError, ReplayMatrix, ReplayOptions, Spread, Trace,
    TraceError,
};
use faasport_adapter_local::{
    BillingProvider, InvocationSource, KeepAlive, PriceTable, Profile, ProfileKind,
};

const SEC: Duration = Duration::from_secs(1);
const MIN: Duration = Duration::from_secs(60);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/replay")
        .join(name)
}

fn periodic() -> Trace {
    Trace::from_csv_file(fixture("periodic.csv")).expect("valid fixture")
}

fn azure(options: &AzureOptions) -> Trace {
    Trace::from_azure_files(
        fixture("azure_invocations.csv"),
        Some(&fixture("azure_durations.csv")),
        options,
    )
    .expect("valid fixture")
}

fn aws(policy: KeepAlive) -> ReplayOptions {
    ReplayOptions::default()
        .profile(Profile::aws())
        .keep_alive(policy)
}

#[test]
fn the_simple_csv_format_loads_functions_memory_and_sorted_invocations() {
    let trace = periodic();
    assert_eq!(trace.functions().len(), 1);
    assert_eq!(trace.functions()[0].name, "cron");
    assert_eq!(trace.functions()[0].memory_mb, Some(256));
    assert_eq!(trace.functions()[0].source, InvocationSource::Http);
    let at: Vec<Duration> = trace.invocations().iter().map(|i| i.at).collect();
    assert_eq!(at, (0..9).map(|i| 30 * MIN * i).collect::<Vec<_>>());
    assert!(trace.invocations().iter().all(|i| i.duration == SEC));

    let unsorted = Trace::from_csv_file(fixture("unsorted.csv")).expect("valid fixture");
    let order: Vec<(Duration, usize)> = unsorted
        .invocations()
        .iter()
        .map(|i| (i.at, i.function))
        .collect();
    assert_eq!(order, [(Duration::ZERO, 1), (30 * SEC, 1), (MIN, 0)]);
    assert_eq!(
        unsorted.invocations()[2].duration,
        Duration::from_micros(10_500)
    );
}

#[tokio::test(start_paused = true)]
async fn a_fixed_ten_minute_window_makes_every_half_hourly_call_cold() {
    let report = replay(&periodic(), &aws(KeepAlive::ProfileDefault))
        .await
        .expect("replays");
    let run = report
        .run(ProfileKind::Aws, "fixed 10 min")
        .expect("one run");
    assert_eq!((run.invocations, run.cold_starts, run.prewarms), (9, 9, 0));
    assert_eq!(run.cold_start_rate, 1.0);
    assert_eq!(run.cold_start_p75, 1.0, "one function: its own rate");
    assert_eq!(run.instances, 9);
    // Each instance: 1 s of work, then 10 minutes of keep-alive until it is reaped.
    assert_eq!(run.idle_instance_seconds, 9.0 * 600.0);
    // At the trace's 256 MB: 5,400 idle instance-seconds × 0.25 GB.
    assert_eq!(run.idle_gb_seconds, 9.0 * 600.0 * 0.25);
    assert_eq!(run.instance_seconds, 9.0 * 601.0);
    assert_eq!(run.throttles, 0);
}

#[tokio::test(start_paused = true)]
async fn the_hybrid_policy_learns_the_period_and_serves_every_later_call_warm() {
    let report = replay(&periodic(), &aws(KeepAlive::hybrid()))
        .await
        .expect("replays");
    let run = report.run(ProfileKind::Aws, "hybrid").expect("one run");
    // The first two calls are cold: with no idle time seen yet the policy falls back to the
    // profile's 10-minute window. From then on a fresh instance is pre-warmed 29 min × 0.9 =
    // 1,566 s after each call and kept 33 min.
    assert_eq!((run.invocations, run.cold_starts, run.prewarms), (9, 2, 8));
    assert_eq!(run.instances, 10);
    // Idle: 600 s (first instance, reaped after the fixed window), 7 × 233 s (pre-warmed
    // instances waiting 1,799 − 1,566 s for their call), 1,980 s (the last pre-warm, never used).
    assert_eq!(run.idle_instance_seconds, 600.0 + 7.0 * 233.0 + 1980.0);
}

#[tokio::test(start_paused = true)]
async fn with_the_papers_range_fallback_the_second_call_finds_the_instance_kept_for_four_hours() {
    let paper = KeepAlive::Hybrid(HybridConfig::default().fallback(HybridFallback::Range));
    let report = replay(&periodic(), &aws(paper)).await.expect("replays");
    let run = report.run(ProfileKind::Aws, "hybrid").expect("one run");
    // First call cold; the second finds the instance kept for the 4-hour range; then pre-warms.
    assert_eq!((run.invocations, run.cold_starts, run.prewarms), (9, 1, 8));
    assert_eq!(run.instances, 9);
    // Idle: 1,799 s (first instance, until the second call), 7 × 233 s, 1,980 s.
    assert_eq!(run.idle_instance_seconds, 1799.0 + 7.0 * 233.0 + 1980.0);
}

#[tokio::test(start_paused = true)]
async fn without_a_cold_start_time_the_policy_does_not_change_the_bill_but_with_one_it_does() {
    let matrix = ReplayMatrix::new(
        vec![Profile::aws()],
        vec![KeepAlive::ProfileDefault, KeepAlive::hybrid()],
    );
    let free = compare(&periodic(), &matrix, &ReplayOptions::default())
        .await
        .expect("replays");
    let lambda = |r: &faasport_adapter_local::ReplayReport, policy| {
        r.run(ProfileKind::Aws, policy)
            .and_then(|run| run.cost(BillingProvider::AwsLambda))
            .expect("priced")
    };
    assert_eq!(lambda(&free, "fixed 10 min"), lambda(&free, "hybrid"));

    let options = ReplayOptions::default().cold_start(Duration::from_millis(250));
    let slow = compare(&periodic(), &matrix, &options)
        .await
        .expect("replays");
    let prices = PriceTable::bundled()
        .expect("bundled prices")
        .aws_lambda
        .x86_64;
    let cost = |billed_s: f64| {
        billed_s * 0.25 * prices.per_gb_second + 9.0 * prices.per_million_requests / 1e6
    };
    // Lambda bills INIT: nine 250 ms initialisers under the fixed window, two under hybrid
    // (pre-warms are not invocations and are not billed).
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1e-9);
    assert!(close(lambda(&slow, "fixed 10 min"), cost(9.0 * 1.25)));
    assert!(close(lambda(&slow, "hybrid"), cost(9.0 + 2.0 * 0.25)));
}

#[tokio::test(start_paused = true)]
async fn a_burst_above_max_instances_is_throttled_on_aws_and_shares_one_instance_on_gcp() {
    let csv = "timestamp_ms,function,duration_ms\n0,api,1000\n0,api,1000\n0,api,1000\n0,api,1000\n0,api,1000\n";
    let trace = Trace::from_csv(csv).expect("valid");
    let matrix = ReplayMatrix::new(
        vec![Profile::aws().max_instances(Some(2)), Profile::gcp()],
        vec![KeepAlive::ProfileDefault],
    );
    let report = compare(&trace, &matrix, &ReplayOptions::default())
        .await
        .expect("replays");
    let aws = report
        .run(ProfileKind::Aws, "fixed 10 min")
        .expect("aws run");
    assert_eq!((aws.invocations, aws.cold_starts, aws.throttles), (5, 2, 3));
    let gcp = report
        .run(ProfileKind::Gcp, "fixed 15 min")
        .expect("gcp run");
    assert_eq!(
        (
            gcp.invocations,
            gcp.cold_starts,
            gcp.throttles,
            gcp.instances
        ),
        (5, 1, 0, 1)
    );
    // Five overlapping calls are one second of busy time on the one instance.
    assert_eq!(gcp.idle_instance_seconds, 15.0 * 60.0);
}

#[test]
fn the_azure_per_minute_format_spreads_each_minute_evenly_with_durations_from_the_average() {
    let trace = azure(&AzureOptions::default());
    let names: Vec<&str> = trace.functions().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["fa", "fb"],
        "a function without invocations is left out"
    );
    assert_eq!(trace.functions()[0].app.as_deref(), Some("app1"));
    assert_eq!(trace.functions()[0].source, InvocationSource::Http);
    assert_eq!(trace.functions()[1].source, InvocationSource::Event);
    let fb: Vec<(Duration, Duration)> = trace
        .invocations()
        .iter()
        .filter(|i| i.function == 1)
        .map(|i| (i.at, i.duration))
        .collect();
    assert_eq!(
        fb,
        [
            (5 * MIN, SEC),
            (5 * MIN + 20 * SEC, SEC),
            (5 * MIN + 40 * SEC, SEC)
        ]
    );
    let fa = trace.invocations().iter().filter(|i| i.function == 0);
    assert!(fa
        .clone()
        .all(|i| i.duration == Duration::from_millis(1500)));
    assert_eq!(fa.count(), 9);

    let window = azure(&AzureOptions::default().minutes(30..61));
    let at: Vec<Duration> = window.invocations().iter().map(|i| i.at).collect();
    assert_eq!(at, [Duration::ZERO, 30 * MIN]);
}

#[test]
fn a_seeded_spread_is_reproducible_and_stays_inside_the_minute() {
    let seeded = |seed| azure(&AzureOptions::default().spread(Spread::Seeded(seed)));
    assert_eq!(seeded(7), seeded(7));
    assert_ne!(seeded(7), seeded(8));
    let fb: Vec<Duration> = seeded(7)
        .invocations()
        .iter()
        .filter(|i| i.function == 1)
        .map(|i| i.at)
        .collect();
    assert_eq!(fb.len(), 3);
    assert!(fb.iter().all(|at| (5 * MIN..6 * MIN).contains(at)));
}

#[test]
fn seeded_percentile_draws_stay_between_the_extreme_percentiles_and_are_reproducible() {
    let options = AzureOptions::default().durations(DurationModel::Percentiles { seed: 3 });
    let draws: Vec<Duration> = azure(&options)
        .invocations()
        .iter()
        .filter(|i| i.function == 0)
        .map(|i| i.duration)
        .collect();
    assert_eq!(draws.len(), 9);
    let range = Duration::from_millis(1000)..=Duration::from_millis(2000);
    assert!(draws.iter().all(|d| range.contains(d)), "{draws:?}");
    assert!(
        draws.iter().any(|d| *d != Duration::from_millis(1500)),
        "not the average"
    );
    assert_eq!(azure(&options), azure(&options));
}

#[test]
fn replaying_the_azure_fixture_on_a_thread_of_its_own_counts_every_cold_start() {
    let report = replay_blocking(
        &azure(&AzureOptions::default()),
        &aws(KeepAlive::ProfileDefault),
    )
    .expect("replays");
    let run = &report.runs[0];
    // fa: nine calls 30 min apart, all cold; fb: three calls 20 s apart, the first cold.
    assert_eq!((run.invocations, run.cold_starts), (12, 10));
    assert_eq!(report.trace.invocations, 12);
}

#[tokio::test(start_paused = true)]
async fn the_standard_matrix_reports_six_runs_as_a_table_and_as_json() {
    let report = compare(
        &periodic(),
        &ReplayMatrix::standard(),
        &ReplayOptions::default(),
    )
    .await
    .expect("replays");
    let runs: Vec<(ProfileKind, &str)> = report
        .runs
        .iter()
        .map(|r| (r.profile, r.keep_alive.as_str()))
        .collect();
    assert_eq!(
        runs,
        [
            (ProfileKind::Aws, "fixed 10 min"),
            (ProfileKind::Aws, "hybrid"),
            (ProfileKind::Gcp, "fixed 15 min"),
            (ProfileKind::Gcp, "hybrid"),
            (ProfileKind::Azure, "fixed 20 min"),
            (ProfileKind::Azure, "hybrid"),
        ]
    );
    assert!(report.runs.iter().all(|r| r.costs.len() == 4));
    let table = report.to_table();
    assert!(
        table.contains("1 functions, 9 invocations over 240.0 min"),
        "{table}"
    );
    assert!(table.contains("cold %"), "{table}");
    let json = serde_json::to_value(&report).expect("serialises");
    assert_eq!(json["runs"][1]["cold_starts"], 2);
    assert_eq!(json["runs"][0]["costs"][0]["provider"], "aws_lambda");
}

#[test]
fn a_malformed_csv_field_is_a_typed_error_naming_its_line_and_column() {
    let err = Trace::from_csv_file(fixture("bad_duration.csv")).expect_err("malformed");
    assert!(
        matches!(&err, TraceError::Field { line: 3, column: 3, name, value, .. } if name == "duration_ms" && value == "abc"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "trace: line 3, column 3 (duration_ms): `abc` is not a number"
    );

    let err = Trace::from_csv_file(fixture("bad_field_count.csv")).expect_err("short line");
    assert_eq!(err.to_string(), "trace: line 5: expected 3 fields, found 2");
    let err = Trace::from_csv("timestamp_ms,function,duration_ms\n-5,f,1\n").expect_err("negative");
    assert!(
        matches!(
            err,
            TraceError::Field {
                line: 2,
                column: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let err = Trace::from_csv("time,function,duration\n").expect_err("bad header");
    assert!(matches!(err, TraceError::Header { line: 1, .. }), "{err:?}");
    assert!(matches!(
        Trace::from_csv("\n# nothing\n"),
        Err(TraceError::MissingHeader { .. })
    ));
    let err = Trace::from_csv_file(fixture("missing.csv")).expect_err("no file");
    assert!(matches!(err, TraceError::Io { .. }), "{err:?}");
}

#[test]
fn a_malformed_azure_count_names_the_minute_column() {
    let err = Trace::from_azure_files(
        fixture("azure_bad_count.csv"),
        None,
        &AzureOptions::default(),
    )
    .expect_err("malformed");
    assert_eq!(
        err.to_string(),
        "invocations: line 3, column 11 (7): `x` is not a non-negative integer"
    );
    let err = Trace::from_azure(
        "HashOwner,HashApp,HashFunction,Trigger,1,3\n",
        None,
        &AzureOptions::default(),
    )
    .expect_err("minutes out of order");
    assert!(matches!(err, TraceError::Header { line: 1, .. }), "{err:?}");
    let durations = "HashOwner,HashApp,HashFunction,Average\no,a,f,slow\n";
    let err = Trace::from_azure(
        "HashOwner,HashApp,HashFunction,Trigger,1\n",
        Some(durations),
        &AzureOptions::default(),
    )
    .expect_err("bad average");
    assert_eq!(
        err.to_string(),
        "durations: line 2, column 4 (Average): `slow` is not a number"
    );
}

#[tokio::test(start_paused = true)]
async fn an_empty_trace_is_refused_rather_than_replayed() {
    let trace = Trace::from_csv("timestamp_ms,function,duration_ms\n").expect("valid, empty");
    let err = replay(&trace, &ReplayOptions::default())
        .await
        .expect_err("empty");
    assert!(matches!(err, ReplayError::EmptyTrace));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_threaded_runtime_is_a_typed_error_and_the_blocking_variant_is_the_way_out() {
    let err = replay(&periodic(), &ReplayOptions::default())
        .await
        .expect_err("needs current thread");
    assert!(matches!(err, ReplayError::Runtime(_)), "{err:?}");
    let report = replay_blocking(&periodic(), &ReplayOptions::default()).expect("own thread");
    assert_eq!(report.runs[0].cold_starts, 9);
}

#[tokio::test(start_paused = true)]
async fn a_traced_function_outside_the_profiles_limits_is_replayed_within_them() {
    let trace = Trace::from_csv("timestamp_ms,function,duration_ms,memory_mb\n0,long,1200000,64\n")
        .expect("valid trace");
    let report = replay(&trace, &aws(KeepAlive::ProfileDefault))
        .await
        .expect("replays");
    let run = report
        .run(ProfileKind::Aws, "fixed 10 min")
        .expect("one run");
    // Lambda's limits: the 20-minute call times out at 900 s, and runs at 128 MB, not 64 MB.
    assert_eq!((run.invocations, run.errors), (1, 1));
    let prices = PriceTable::bundled()
        .expect("bundled prices")
        .aws_lambda
        .x86_64;
    let expected = 900.0 * 0.125 * prices.per_gb_second + prices.per_million_requests / 1e6;
    let lambda = run.cost(BillingProvider::AwsLambda).expect("priced");
    assert!((lambda - expected).abs() <= 1e-12 * expected, "{lambda}");
}

#[tokio::test(start_paused = true)]
async fn a_generated_stream_replays_as_the_same_trace_held_in_memory() {
    // The stream draws its invocations while they are replayed; the figures are those of the
    // collected trace (functions in another order, so sums of costs may differ in the last bits).
    let options = GenerateOptions::new(40, 2 * 60 * MIN)
        .seed(9)
        .max_daily(2e4);
    let stream = GeneratedStream::new(&options).expect("stream");
    let trace = generate(&options).expect("generated").trace;
    let matrix = ReplayMatrix::new(
        vec![Profile::aws(), Profile::gcp()],
        vec![KeepAlive::ProfileDefault, KeepAlive::hybrid()],
    );
    let options = ReplayOptions::default().cold_start(Duration::from_millis(250));
    let streamed = compare(&stream, &matrix, &options)
        .await
        .expect("stream replays");
    let held = compare(&trace, &matrix, &options)
        .await
        .expect("trace replays");
    assert_eq!(streamed.trace, held.trace);
    assert!(held.trace.invocations > 500, "{:?}", held.trace);
    for (s, h) in streamed.runs.iter().zip(&held.runs) {
        assert_eq!(
            (
                s.invocations,
                s.cold_starts,
                s.prewarms,
                s.throttles,
                s.instances
            ),
            (
                h.invocations,
                h.cold_starts,
                h.prewarms,
                h.throttles,
                h.instances
            ),
            "{} {}",
            h.profile,
            h.keep_alive
        );
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        assert!(close(s.idle_gb_seconds, h.idle_gb_seconds));
        for (a, b) in s.costs.iter().zip(&h.costs) {
            assert_eq!(a.provider, b.provider);
            assert!(close(a.total, b.total), "{} vs {}", a.total, b.total);
        }
    }
}

#[test]
fn a_throttled_replay_of_a_generated_trace_is_reproducible_figure_for_figure() {
    // Same seed, same numbers: an account limit of 3 shared executions is full often enough
    // that invocations wait and are throttled, where work due on the same virtual millisecond
    // must be taken in the same order every time. Each replay has a runtime of its own, whose
    // clock starts at another real instant; durations and arrivals are in microseconds.
    let options = GenerateOptions::new(40, 2 * 60 * MIN)
        .seed(9)
        .max_daily(2e4);
    let stream = GeneratedStream::new(&options).expect("stream");
    let mut profile = Profile::aws();
    profile.limits = profile.limits.account_concurrency(Some(3), 0);
    let matrix = ReplayMatrix::new(
        vec![profile, Profile::gcp()],
        vec![KeepAlive::ProfileDefault, KeepAlive::hybrid()],
    );
    let options = ReplayOptions::default().cold_start(Duration::from_millis(250));
    let first = compare_blocking(&stream, &matrix, &options).expect("replays");
    assert!(
        first.runs[0].throttles > 0,
        "no throttling: {:?}",
        first.runs[0]
    );
    for _ in 0..3 {
        let again = compare_blocking(&stream, &matrix, &options).expect("replays again");
        assert_eq!(first, again);
    }
}
