//! The account's shared concurrency holds on a multi-threaded runtime: functions racing for
//! its last units on several threads never run more invocations at once than the pool allows
//! (issue 13; the pool used to be checked under one function's lock, so two functions could
//! both pass the check for the same last unit).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use faasport_adapter_local::{LocalRuntime, Profile};
use faasport_core::{App, Context, Error, Event, Function};

/// Invocations running now, and the most ever seen at once.
#[derive(Default)]
struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
}

const LIMIT: u32 = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn functions_racing_on_many_threads_never_exceed_the_account_pool() {
    let gauge = Arc::new(Gauge::default());
    let handler = |gauge: Arc<Gauge>| {
        move |_: Event, _: Context| {
            let gauge = gauge.clone();
            async move {
                let running = gauge.now.fetch_add(1, Ordering::SeqCst) + 1;
                gauge.max.fetch_max(running, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_micros(200)).await;
                gauge.now.fetch_sub(1, Ordering::SeqCst);
                Ok::<(), Error>(())
            }
        }
    };
    let app = App::new("race")
        .function(Function::new("a", handler(gauge.clone())))
        .function(Function::new("b", handler(gauge.clone())));
    let mut profile = Profile::aws();
    profile.limits = profile.limits.account_concurrency(Some(LIMIT), 0);
    let rt = LocalRuntime::builder(app)
        .profile(profile)
        .build()
        .expect("valid app");
    // 64 callers, half on each function, each making 300 calls: the pool is full most of the
    // time, and every unit it frees is raced for by both functions.
    let callers: Vec<_> = (0..64)
        .map(|i| {
            let rt = rt.clone();
            let function = if i % 2 == 0 { "a" } else { "b" };
            tokio::spawn(async move {
                let mut served = 0u32;
                for _ in 0..300 {
                    let call = rt
                        .invoke(function, Event::from_json(serde_json::Value::Null))
                        .await
                        .expect("known");
                    served += u32::from(call.result.is_ok());
                }
                served
            })
        })
        .collect();
    let mut served = 0;
    for caller in callers {
        served += caller.await.expect("joined");
    }
    let max = gauge.max.load(Ordering::SeqCst);
    assert!(served > 0);
    assert!(
        max <= LIMIT as usize,
        "{max} invocations ran at once on an account pool of {LIMIT}"
    );
}
