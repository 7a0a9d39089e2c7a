//! A start whose invocation went away (cancelled while it waited for the scale-out rate, or
//! during the initialiser) is reaped as `abandoned` in the scaling trace, gives its scale-out
//! token back and is not counted as a cold start.

use std::convert::Infallible;
use std::time::Duration;

use faasport_adapter_local::trace::{ReapCause, StartCause};
use faasport_adapter_local::{
    Backpressure, LocalRuntime, Outcome, Profile, ScaleOutRate, ScalingEventKind,
};
use faasport_core::{App, Context, Error, Event, Function, Json};

const SEC: Duration = Duration::from_secs(1);

async fn work(Json(ms): Json<u64>, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(())
}

/// One invocation per instance, and one new instance per `per`.
fn runtime(per: Duration, backpressure: Backpressure, f: Function) -> LocalRuntime {
    let profile = Profile::custom()
        .concurrency_per_instance(1)
        .scale_out(Some(ScaleOutRate::new(1, per)))
        .backpressure(backpressure);
    LocalRuntime::builder(App::new("abandon").function(f))
        .profile(profile)
        .build()
        .expect("valid app")
}

fn started(at: Duration, id: u64) -> (Duration, Option<u64>, ScalingEventKind) {
    let cause = StartCause::Demand;
    (at, Some(id), ScalingEventKind::Started { cause })
}

fn abandoned(at: Duration, id: u64) -> (Duration, Option<u64>, ScalingEventKind) {
    let cause = ReapCause::Abandoned;
    (at, Some(id), ScalingEventKind::Reaped { cause })
}

fn instance_events(rt: &LocalRuntime) -> Vec<(Duration, Option<u64>, ScalingEventKind)> {
    rt.scaling_trace()
        .into_iter()
        .filter(|e| e.instance.is_some())
        .map(|e| (e.at, e.instance, e.kind))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_start_handed_to_a_cancelled_waiter_is_reaped_as_abandoned_and_returns_its_token() {
    let rt = runtime(10 * SEC, Backpressure::Block, Function::new("f", work));
    let call = |rt: &LocalRuntime, ms: u64| {
        let rt = rt.clone();
        tokio::spawn(async move { rt.invoke("f", Event::from_json(ms.into())).await })
    };
    let first = call(&rt, 60_000);
    // Needs a second instance; the bucket's next token comes at 10 s, so it waits.
    let cancelled = call(&rt, 1_000);
    tokio::time::sleep(5 * SEC).await;
    cancelled.abort();
    // At 10 s the waiter's turn comes: an instance is started for it, but nobody takes it.
    tokio::time::sleep(7 * SEC).await;
    let late = call(&rt, 1_000)
        .await
        .expect("task")
        .expect("known function");

    // The token came back, so the call at 12 s starts an instance at once.
    assert_eq!(late.record.outcome, Outcome::Ok);
    assert!(late.record.cold);
    assert_eq!(late.record.queued, Duration::ZERO);
    assert_eq!(
        instance_events(&rt),
        [
            started(Duration::ZERO, 1),
            started(10 * SEC, 2),
            abandoned(10 * SEC, 2),
            started(12 * SEC, 3),
        ]
    );
    let summary = &rt.report().scaling[0];
    assert_eq!((summary.cold_starts, summary.abandoned_starts), (2, 1));
    assert_eq!(summary.reaps, 0);
    first.await.expect("task").expect("known function");
}

#[tokio::test(start_paused = true)]
async fn a_start_cancelled_during_its_initialiser_is_reaped_as_abandoned_and_returns_its_token() {
    let f = Function::new("f", work).init(|| async {
        tokio::time::sleep(5 * SEC).await;
        Ok::<_, Infallible>(())
    });
    let rt = runtime(60 * SEC, Backpressure::Reject, f);

    let gave_up = tokio::time::timeout(SEC, rt.invoke("f", Event::from_json(10.into()))).await;
    assert!(gave_up.is_err(), "cancelled during the initialiser");
    let next = rt
        .invoke("f", Event::from_json(10.into()))
        .await
        .expect("known function");

    // Not throttled by the one-per-minute rate: the abandoned start gave its token back.
    assert_eq!(next.record.outcome, Outcome::Ok);
    assert_eq!(next.record.init, 5 * SEC);
    assert_eq!(
        instance_events(&rt),
        [
            started(Duration::ZERO, 1),
            abandoned(SEC, 1),
            started(SEC, 2)
        ]
    );
    let summary = &rt.report().scaling[0];
    assert_eq!((summary.cold_starts, summary.abandoned_starts), (1, 1));
}
