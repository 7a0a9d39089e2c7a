//! Execution on the local runtime: timeouts, panics, initialisers, deadlines.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use faasport_adapter_local::{LocalRuntime, Outcome};
use faasport_core::{App, Context, Error, Event, Function, Json, Output};

fn payload() -> Event {
    Event::from_json(serde_json::json!({}))
}

async fn sleepy(Json(ms): Json<u64>, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(())
}

async fn panics(_: Event, _cx: Context) -> Result<(), Error> {
    panic!("bug in handler")
}

async fn remaining(_: Event, cx: Context) -> Result<Json<u64>, Error> {
    tokio::time::sleep(Duration::from_millis(250)).await;
    let left = cx
        .remaining_time()
        .ok_or_else(|| Error::permanent("no deadline"))?;
    Ok(Json(left.as_millis() as u64))
}

struct Counter(u32);

async fn read_state(_: Event, cx: Context) -> Result<Json<u32>, Error> {
    let state = cx
        .state::<Counter>()
        .ok_or_else(|| Error::permanent("no state"))?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(Json(state.0))
}

#[tokio::test(start_paused = true)]
async fn an_invocation_past_its_timeout_is_cancelled_and_recorded_as_timed_out() {
    let app = App::new("t").function(Function::new("slow", sleepy).timeout(Duration::from_secs(1)));
    let rt = LocalRuntime::new(app).expect("valid app");

    let inv = rt
        .invoke("slow", Event::from_json(5_000.into()))
        .await
        .expect("known function");
    assert!(matches!(inv.result, Err(Error::Timeout(d)) if d == Duration::from_secs(1)));
    assert_eq!(inv.record.outcome, Outcome::Timeout);
    assert_eq!(inv.record.duration, Duration::from_secs(1));

    let inv = rt
        .invoke("slow", Event::from_json(500.into()))
        .await
        .expect("known function");
    assert_eq!(inv.record.outcome, Outcome::Ok);
    assert!(
        inv.record.cold,
        "a timed-out instance is recycled, so the next call starts a new one"
    );
}

#[tokio::test(start_paused = true)]
async fn a_panic_fails_only_its_own_invocation() {
    let app = App::new("t")
        .function(Function::new("bad", panics))
        .function(Function::new("good", sleepy));
    let rt = LocalRuntime::new(app).expect("valid app");
    let bad = rt.invoke("bad", payload()).await.expect("known");
    assert!(matches!(&bad.result, Err(Error::Panic(m)) if m == "bug in handler"));
    assert_eq!(bad.record.outcome, Outcome::Panic);
    let good = rt
        .invoke("good", Event::from_json(1.into()))
        .await
        .expect("known");
    assert_eq!(good.record.outcome, Outcome::Ok);
    let again = rt.invoke("bad", payload()).await.expect("known");
    assert!(
        !again.record.cold,
        "the instance survives a contained panic"
    );
}

#[tokio::test(start_paused = true)]
async fn the_initialiser_runs_once_per_instance_and_its_state_reaches_the_handler() {
    let runs = Arc::new(AtomicU32::new(0));
    let counter = runs.clone();
    let f = Function::new("stateful", read_state).init(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok::<_, Error>(Counter(n))
        }
    });
    let rt = LocalRuntime::new(App::new("t").function(f)).expect("valid app");
    for i in 0..3 {
        let inv = rt.invoke("stateful", payload()).await.expect("known");
        assert_eq!(inv.result.expect("ok"), Output::Json(1.into()));
        assert_eq!(inv.record.cold, i == 0);
        assert_eq!(
            inv.record.init,
            if i == 0 {
                Duration::from_millis(300)
            } else {
                Duration::ZERO
            }
        );
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    // Two overlapping invocations need two instances: the initialiser runs again.
    let (a, b) = tokio::join!(
        rt.invoke("stateful", payload()),
        rt.invoke("stateful", payload())
    );
    let colds = [a.expect("known").record.cold, b.expect("known").record.cold];
    assert_eq!(colds.iter().filter(|c| **c).count(), 1);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_failing_initialiser_fails_the_invocation_with_an_init_error() {
    #[derive(Debug, thiserror::Error)]
    #[error("no database")]
    struct NoDb;
    let f = Function::new("f", read_state).init(|| async { Err::<Counter, _>(NoDb) });
    let rt = LocalRuntime::new(App::new("t").function(f)).expect("valid app");
    let inv = rt.invoke("f", payload()).await.expect("known");
    assert_eq!(inv.record.outcome, Outcome::InitError);
    assert_eq!(
        inv.result.expect_err("init fails").to_string(),
        "initialisation of function `f` failed: no database"
    );
}

#[tokio::test(start_paused = true)]
async fn the_context_deadline_is_the_timeout_from_the_start_of_the_invocation() {
    let f = Function::new("f", remaining).timeout(Duration::from_secs(2));
    let rt = LocalRuntime::new(App::new("t").function(f)).expect("valid app");
    let inv = rt.invoke("f", payload()).await.expect("known");
    assert_eq!(inv.result.expect("ok"), Output::Json(1750.into()));
}

#[tokio::test]
async fn an_unknown_function_is_an_error_listing_the_known_ones() {
    let rt = LocalRuntime::new(App::new("t").function(Function::new("a", panics))).expect("valid");
    let err = rt.invoke("b", payload()).await.expect_err("unknown");
    assert_eq!(err.to_string(), "no function named `b` (available: a)");
}
