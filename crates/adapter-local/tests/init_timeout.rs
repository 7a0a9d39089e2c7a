//! A hung initialiser is bounded by the profile's start-up limit: the invocations waiting for
//! that instance fail with an init error, the instance is discarded and the next call starts a
//! fresh one.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::future::join;

use faasport_adapter_local::trace::ReapCause;
use faasport_adapter_local::{LocalRuntime, Outcome, Profile, ScalingEventKind};
use faasport_core::{App, Context, Error, Event, Function};

async fn nothing(_: Event, _cx: Context) -> Result<(), Error> {
    Ok(())
}

/// A function whose first initialiser never finishes; later ones return at once.
fn hangs_once(timeout: Duration) -> Function {
    let hang = Arc::new(AtomicBool::new(true));
    Function::new("f", nothing).timeout(timeout).init(move || {
        let hang = hang.swap(false, Ordering::SeqCst);
        async move {
            if hang {
                std::future::pending::<()>().await;
            }
            Ok::<_, Infallible>(())
        }
    })
}

fn runtime(profile: Profile, f: Function) -> LocalRuntime {
    LocalRuntime::builder(App::new("init").function(f))
        .profile(profile)
        .build()
        .expect("valid app")
}

fn event() -> Event {
    Event::from_json(serde_json::Value::Null)
}

/// Fails the test, rather than hanging it, if `work` is still blocked after an hour.
async fn within_an_hour<T>(work: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(3600), work)
        .await
        .expect("the hung initialiser was never cut off")
}

#[tokio::test(start_paused = true)]
async fn on_aws_an_initialiser_is_cut_off_at_ten_seconds_and_its_instance_discarded() {
    let rt = runtime(Profile::aws(), hangs_once(Duration::from_secs(3)));

    let hung = within_an_hour(rt.invoke("f", event()))
        .await
        .expect("known function");
    assert_eq!(hung.record.outcome, Outcome::InitError);
    assert_eq!(
        hung.result.expect_err("init timed out").to_string(),
        "initialisation of function `f` failed: the initialiser did not finish within 10s \
         (the aws profile's start-up limit)"
    );
    assert!(hung.record.cold);
    assert_eq!(hung.record.init, Duration::from_secs(10));
    assert_eq!(hung.record.instance, None);
    assert_eq!(rt.instance_pool("f").expect("pool").live_count(), 0);

    let next = rt.invoke("f", event()).await.expect("known function");
    assert_eq!(next.record.outcome, Outcome::Ok);
    assert!(next.record.cold);

    let trace: Vec<_> = rt
        .scaling_trace()
        .into_iter()
        .map(|e| (e.at, e.instance, e.kind))
        .filter(|(_, _, kind)| !matches!(kind, ScalingEventKind::Started { .. }))
        .collect();
    assert_eq!(
        trace,
        [(
            Duration::from_secs(10),
            Some(1),
            ScalingEventKind::Reaped {
                cause: ReapCause::InitFailed
            }
        )]
    );
}

#[tokio::test(start_paused = true)]
async fn on_cloud_run_a_call_waiting_for_the_same_instance_fails_at_the_240_second_startup_limit() {
    let rt = runtime(Profile::gcp(), hangs_once(Duration::from_secs(600)));

    let (first, second) =
        within_an_hour(join(rt.invoke("f", event()), rt.invoke("f", event()))).await;
    let (first, second) = (first.expect("known"), second.expect("known"));
    assert_eq!(
        (first.record.outcome, second.record.outcome),
        (Outcome::InitError, Outcome::InitError)
    );
    assert_eq!(first.record.init, Duration::from_secs(240));
    // The second call joined the starting instance rather than starting its own.
    assert!(!second.record.cold);
    assert_eq!(second.record.queued, Duration::from_secs(240));
    assert_eq!(rt.instance_pool("f").expect("pool").live_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn without_a_documented_start_up_limit_the_function_timeout_bounds_the_initialiser() {
    let rt = runtime(Profile::custom(), hangs_once(Duration::from_secs(3)));

    let hung = within_an_hour(rt.invoke("f", event()))
        .await
        .expect("known function");
    assert_eq!(hung.record.outcome, Outcome::InitError);
    assert_eq!(hung.record.init, Duration::from_secs(3));
    assert_eq!(
        hung.result.expect_err("init timed out").to_string(),
        "initialisation of function `f` failed: the initialiser did not finish within 3s \
         (the function's timeout)"
    );
}
