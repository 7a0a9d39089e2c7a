//! Scaling under each profile: instance counts, backpressure, scale-out rates, min instances.

use std::time::Duration;

use futures::future::join_all;
use tokio::time::Instant;

use faasport_adapter_local::{
    Backpressure, Invocation, InvocationSource, InvokeOptions, LocalRuntime, Outcome, Profile,
    ScaleOutRate, ScalingEventKind,
};
use faasport_core::contract::Limits;
use faasport_core::{App, Context, Error, Event, Function, Json, Provider};

async fn work(Json(ms): Json<u64>, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(())
}

fn runtime(profile: Profile, f: Function) -> LocalRuntime {
    LocalRuntime::builder(App::new("scaling").function(f))
        .profile(profile)
        .build()
        .expect("valid app")
}

/// Lambda with the account's concurrency raised to 2,000 (the default 1,000 "can be increased
/// to tens of thousands", pricing and scaling notes §9.1), so a reservation of 1,500 fits.
fn raised_account() -> Profile {
    Profile::aws().limits(Limits::of(Provider::Aws).account_concurrency(Some(2_000), 100))
}

async fn burst(rt: &LocalRuntime, n: usize, ms: u64, source: InvocationSource) -> Vec<Invocation> {
    let calls = (0..n).map(|_| {
        rt.invoke_with(
            "f",
            Event::from_json(ms.into()),
            InvokeOptions::default().source(source),
        )
    });
    join_all(calls)
        .await
        .into_iter()
        .map(|r| r.expect("known function"))
        .collect()
}

fn count(invocations: &[Invocation], outcome: Outcome) -> usize {
    invocations
        .iter()
        .filter(|i| i.record.outcome == outcome)
        .count()
}

fn starts(rt: &LocalRuntime) -> Vec<Duration> {
    rt.scaling_trace()
        .iter()
        .filter(|e| matches!(e.kind, ScalingEventKind::Started { .. }))
        .map(|e| e.at)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn aws_starts_ten_instances_and_throttles_ninety_of_a_hundred_calls_in_reject_mode() {
    let rt = runtime(Profile::aws(), Function::new("f", work).max_instances(10));
    let calls = burst(&rt, 100, 1000, InvocationSource::Direct).await;

    assert_eq!(count(&calls, Outcome::Ok), 10);
    assert_eq!(count(&calls, Outcome::Throttled), 90);
    assert_eq!(starts(&rt).len(), 10);
    let throttled = calls
        .iter()
        .find(|i| i.record.outcome == Outcome::Throttled)
        .expect("some are throttled");
    assert!(matches!(
        &throttled.result,
        Err(Error::Throttled { reason, retry_after: None })
            if reason == "function `f` is at its limit of 10 instances × 1 concurrent invocations"
    ));
    assert_eq!(throttled.record.instance, None);
    assert_eq!(throttled.record.billed, Duration::ZERO);
    let trace = rt.scaling_trace();
    let throttles = trace
        .iter()
        .filter(|e| e.kind == ScalingEventKind::Throttled)
        .count();
    assert_eq!(throttles, 90);
}

#[tokio::test(start_paused = true)]
async fn aws_in_queue_mode_serves_all_hundred_calls_in_ten_waves_on_ten_instances() {
    let profile = Profile::aws().backpressure(Backpressure::Queue {
        deadline: Duration::from_secs(60),
    });
    let rt = runtime(profile, Function::new("f", work).max_instances(10));
    let t0 = Instant::now();
    let calls = burst(&rt, 100, 1000, InvocationSource::Direct).await;

    assert_eq!(count(&calls, Outcome::Ok), 100);
    assert_eq!(starts(&rt).len(), 10);
    assert_eq!(t0.elapsed(), Duration::from_secs(10));
    let mut waits: Vec<u64> = calls.iter().map(|i| i.record.queued.as_secs()).collect();
    waits.sort_unstable();
    let expected: Vec<u64> = (0..10).flat_map(|s| [s; 10]).collect();
    assert_eq!(
        waits, expected,
        "ten calls wait 0 s, ten wait 1 s, ... ten wait 9 s"
    );
    assert_eq!(calls.iter().filter(|i| i.record.cold).count(), 10);
}

#[tokio::test(start_paused = true)]
async fn block_mode_waits_without_a_deadline() {
    let profile = Profile::aws().backpressure(Backpressure::Block);
    let rt = runtime(profile, Function::new("f", work).max_instances(1));
    let calls = burst(&rt, 3, 20_000, InvocationSource::Direct).await;
    assert_eq!(count(&calls, Outcome::Ok), 3);
    assert_eq!(calls[2].record.queued, Duration::from_secs(40));
}

#[tokio::test(start_paused = true)]
async fn a_queued_call_is_throttled_when_its_deadline_passes() {
    let profile = Profile::aws().backpressure(Backpressure::Queue {
        deadline: Duration::from_millis(500),
    });
    let rt = runtime(profile, Function::new("f", work).max_instances(1));
    let calls = burst(&rt, 2, 1000, InvocationSource::Direct).await;
    assert_eq!(calls[0].record.outcome, Outcome::Ok);
    assert_eq!(calls[1].record.outcome, Outcome::Throttled);
    assert_eq!(calls[1].record.queued, Duration::from_millis(500));
    assert!(
        matches!(&calls[1].result, Err(Error::Throttled { reason, .. })
        if reason == "function `f` found no capacity within the queue deadline of 500ms")
    );
}

/// Cloud Run sizes for 60% of 80 concurrent requests: ceil(100 / 48) = 3 instances.
#[tokio::test(start_paused = true)]
async fn gcp_serves_a_hundred_simultaneous_calls_on_three_instances_without_throttling() {
    let rt = runtime(Profile::gcp(), Function::new("f", work).max_instances(10));
    let calls = burst(&rt, 100, 1000, InvocationSource::Http).await;
    assert_eq!(count(&calls, Outcome::Ok), 100);
    assert_eq!(starts(&rt).len(), 3);
    assert_eq!(calls.iter().filter(|i| i.record.cold).count(), 3);
}

#[tokio::test(start_paused = true)]
async fn gcp_filling_instances_to_their_concurrency_needs_two_instances() {
    let profile = Profile::gcp().target_utilisation(1.0);
    let rt = runtime(profile, Function::new("f", work).max_instances(10));
    let calls = burst(&rt, 100, 1000, InvocationSource::Http).await;
    assert_eq!(count(&calls, Outcome::Ok), 100);
    assert_eq!(starts(&rt).len(), 2);
}

#[tokio::test(start_paused = true)]
async fn azure_adds_one_instance_per_second_for_http_and_the_rest_wait() {
    let f = Function::new("f", work).concurrency_per_instance(1);
    let rt = runtime(Profile::azure(), f);
    let calls = burst(&rt, 3, 10_000, InvocationSource::Http).await;
    assert_eq!(count(&calls, Outcome::Ok), 3);
    assert_eq!(
        starts(&rt),
        [0, 1, 2].map(Duration::from_secs).to_vec(),
        "instances start at 0 s, 1 s and 2 s"
    );
    let waits: Vec<_> = calls.iter().map(|i| i.record.queued).collect();
    assert_eq!(waits, [0, 1, 2].map(Duration::from_secs).to_vec());
}

#[tokio::test(start_paused = true)]
async fn azure_adds_one_instance_per_thirty_seconds_for_events() {
    let f = Function::new("f", work)
        .concurrency_per_instance(1)
        .timeout(Duration::from_secs(300));
    let rt = runtime(Profile::azure(), f);
    let calls = burst(&rt, 3, 100_000, InvocationSource::Event).await;
    assert_eq!(count(&calls, Outcome::Ok), 3);
    assert_eq!(starts(&rt), [0, 30, 60].map(Duration::from_secs).to_vec());
}

#[tokio::test(start_paused = true)]
async fn a_call_refused_by_the_scale_out_rate_says_when_to_retry() {
    let profile = Profile::aws().scale_out(Some(ScaleOutRate::new(2, Duration::from_secs(10))));
    let rt = runtime(profile, Function::new("f", work));
    let calls = burst(&rt, 3, 1000, InvocationSource::Direct).await;
    assert_eq!(count(&calls, Outcome::Ok), 2);
    assert!(matches!(
        &calls[2].result,
        Err(Error::Throttled { reason, retry_after: Some(after) })
            if reason == "function `f` reached its scale-out rate limit"
                && *after == Duration::from_secs(5)
    ));
}

#[tokio::test(start_paused = true)]
async fn warm_instances_are_reused_and_take_no_scale_out_token() {
    let profile = Profile::aws().scale_out(Some(ScaleOutRate::new(1, Duration::from_secs(3600))));
    let rt = runtime(profile, Function::new("f", work));
    for i in 0..5 {
        let inv = &burst(&rt, 1, 100, InvocationSource::Direct).await[0];
        assert_eq!(inv.record.outcome, Outcome::Ok);
        assert_eq!(inv.record.cold, i == 0);
        assert_eq!(inv.record.instance, Some(1));
    }
}

#[tokio::test(start_paused = true)]
async fn with_two_min_instances_the_first_two_concurrent_calls_are_warm() {
    let rt = runtime(Profile::aws(), Function::new("f", work).min_instances(2));
    rt.ready().await;
    let calls = burst(&rt, 3, 1000, InvocationSource::Direct).await;
    let colds: Vec<bool> = calls.iter().map(|i| i.record.cold).collect();
    assert_eq!(colds, [false, false, true]);

    // Min instances are never reaped; the extra one is.
    tokio::time::sleep(Duration::from_secs(3600)).await;
    let pool = rt.instance_pool("f").expect("known");
    assert_eq!(pool.live_count(), 2);
    let calls = burst(&rt, 2, 1000, InvocationSource::Direct).await;
    assert!(calls.iter().all(|i| !i.record.cold));
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_instance_is_recycled() {
    let f = Function::new("f", work).timeout(Duration::from_secs(1));
    let rt = runtime(Profile::aws(), f);
    let inv = &burst(&rt, 1, 5000, InvocationSource::Direct).await[0];
    assert_eq!(inv.record.outcome, Outcome::Timeout);
    assert_eq!(rt.instance_pool("f").expect("known").live_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn lambda_starts_a_thousand_instances_at_once_and_throttles_the_rest_of_a_synchronous_burst()
{
    // Reserved concurrency 1,500 (an account limit raised above Lambda's default 1,000): the cap
    // is not what stops the burst, the scale-out rate of 1,000 new environments per 10 s is.
    let rt = runtime(
        raised_account(),
        Function::new("f", work).max_instances(1500),
    );
    let calls = burst(&rt, 1500, 1000, InvocationSource::Direct).await;

    assert_eq!(count(&calls, Outcome::Ok), 1000);
    assert_eq!(count(&calls, Outcome::Throttled), 500);
    assert_eq!(starts(&rt), vec![Duration::ZERO; 1000]);
    assert!(calls
        .iter()
        .filter(|i| i.record.outcome == Outcome::Ok)
        .all(|i| i.record.cold && i.record.queued == Duration::ZERO));
    // The bucket refills continuously at 100 per second: the next token is 10 ms away.
    assert!(calls
        .iter()
        .filter(|i| i.record.outcome == Outcome::Throttled)
        .all(|i| matches!(
            &i.result,
            Err(Error::Throttled { reason, retry_after: Some(after) })
                if reason == "function `f` reached its scale-out rate limit"
                    && *after == Duration::from_millis(10)
        )));
}

#[tokio::test(start_paused = true)]
async fn lambda_starts_the_rest_of_an_event_burst_as_the_scale_out_budget_refills() {
    // Asynchronous events are not refused: they wait (Lambda's internal queue) and start one
    // instance every 10 ms as tokens come back, 100 per second.
    let f = Function::new("f", work)
        .max_instances(1500)
        .timeout(Duration::from_secs(60));
    let rt = runtime(raised_account(), f);
    let calls = burst(&rt, 1500, 30_000, InvocationSource::Event).await;

    assert_eq!(count(&calls, Outcome::Ok), 1500);
    let expected: Vec<Duration> = std::iter::repeat_n(Duration::ZERO, 1000)
        .chain((1..=500).map(|k| Duration::from_millis(10 * k)))
        .collect();
    assert_eq!(starts(&rt), expected);
    assert_eq!(
        calls.iter().map(|i| i.record.queued).max(),
        Some(Duration::from_secs(5))
    );
}
