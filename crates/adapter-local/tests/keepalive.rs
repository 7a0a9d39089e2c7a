//! Keep-alive: reaping after the window, scale to zero, and the hybrid histogram policy's
//! pre-warming compared with a fixed window.

use std::time::Duration;

use tokio::time::Instant;

use faasport_adapter_local::trace::{ReapCause, StartCause};
use faasport_adapter_local::{KeepAlive, LocalRuntime, Profile, ScalingEventKind};
use faasport_core::{App, Context, Error, Event, Function, Json};

const MIN: Duration = Duration::from_secs(60);

async fn work(Json(ms): Json<u64>, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(())
}

fn runtime(keep_alive: KeepAlive) -> LocalRuntime {
    LocalRuntime::builder(App::new("keepalive").function(Function::new("f", work)))
        .profile(Profile::aws())
        .keep_alive(keep_alive)
        .build()
        .expect("valid app")
}

/// Calls `f` (1 s each) at the given offsets from now; returns whether each call was cold.
async fn calls_at(rt: &LocalRuntime, offsets: &[Duration]) -> Vec<bool> {
    let t0 = Instant::now();
    let mut colds = Vec::new();
    for offset in offsets {
        tokio::time::sleep_until(t0 + *offset).await;
        let inv = rt
            .invoke("f", Event::from_json(1000.into()))
            .await
            .expect("known function");
        colds.push(inv.record.cold);
    }
    colds
}

#[tokio::test(start_paused = true)]
async fn after_the_keep_alive_window_the_pool_is_at_zero_and_the_next_call_is_cold() {
    let rt = runtime(KeepAlive::ProfileDefault);
    let pool = rt.instance_pool("f").expect("known").clone();
    assert_eq!(calls_at(&rt, &[Duration::ZERO]).await, [true]);
    assert_eq!(pool.live_count(), 1);

    tokio::time::sleep(10 * MIN - Duration::from_millis(1)).await;
    assert_eq!(
        pool.live_count(),
        1,
        "still warm just before the window ends"
    );
    tokio::time::sleep(Duration::from_millis(1)).await;
    tokio::task::yield_now().await;
    assert_eq!(pool.live_count(), 0, "scaled to zero");

    let reap = rt
        .scaling_trace()
        .into_iter()
        .find(|e| matches!(e.kind, ScalingEventKind::Reaped { .. }))
        .expect("a reap");
    assert_eq!(
        reap.kind,
        ScalingEventKind::Reaped {
            cause: ReapCause::KeepAlive
        }
    );
    assert_eq!(reap.at, Duration::from_secs(1) + 10 * MIN);
    assert_eq!(calls_at(&rt, &[Duration::ZERO]).await, [true]);
}

#[tokio::test(start_paused = true)]
async fn a_call_inside_the_window_is_warm_and_restarts_the_window() {
    let rt = runtime(KeepAlive::Fixed(10 * MIN));
    let colds = calls_at(&rt, &[Duration::ZERO, 9 * MIN, 18 * MIN, 40 * MIN]).await;
    assert_eq!(colds, [true, false, false, true]);
}

fn every(period: Duration, n: u32) -> Vec<Duration> {
    (0..n).map(|i| period * i).collect()
}

#[tokio::test(start_paused = true)]
async fn hybrid_pre_warms_a_function_called_every_thirty_minutes_where_the_fixed_window_goes_cold()
{
    let fixed = runtime(KeepAlive::ProfileDefault);
    assert_eq!(calls_at(&fixed, &every(30 * MIN, 6)).await, [true; 6]);

    let hybrid = runtime(KeepAlive::hybrid());
    let colds = calls_at(&hybrid, &every(30 * MIN, 6)).await;
    // With no idle time seen yet the policy falls back to the profile's 10-minute window, so the
    // second call is cold too. From then on the instance is unloaded after each call and
    // pre-warmed 29 min × 0.9 = 26 min 6 s after it ended.
    assert_eq!(colds, [true, true, false, false, false, false]);
    let trace = hybrid.scaling_trace();
    let prewarms: Vec<Duration> = trace
        .iter()
        .filter(|e| {
            e.kind
                == ScalingEventKind::Started {
                    cause: StartCause::Prewarm,
                }
        })
        .map(|e| e.at)
        .collect();
    let end_of_second_call = 30 * MIN + Duration::from_secs(1);
    let prewarm = Duration::from_secs(29 * 60 * 9 / 10);
    assert_eq!(prewarms.len(), 4);
    assert_eq!(prewarms[0], end_of_second_call + prewarm);
    let unloads = trace
        .iter()
        .filter(|e| {
            e.kind
                == ScalingEventKind::Reaped {
                    cause: ReapCause::Unloaded,
                }
        })
        .count();
    assert_eq!(unloads, 5);
}

#[tokio::test(start_paused = true)]
async fn hybrid_leaves_an_early_call_cold_where_the_fixed_window_keeps_it_warm() {
    // Every 20 minutes four times, then one call 5 minutes after the last.
    let mut offsets = every(20 * MIN, 4);
    offsets.push(60 * MIN + 5 * MIN);

    let fixed = runtime(KeepAlive::ProfileDefault);
    assert_eq!(
        calls_at(&fixed, &offsets).await,
        [true, true, true, true, false]
    );

    // The hybrid policy first falls back to the 10-minute window (the second call is cold),
    // then learns the 20-minute idle time: it unloads the instance after each call and pre-warms
    // it 17 min 6 s later, so a call after 5 minutes finds nothing.
    let hybrid = runtime(KeepAlive::hybrid());
    assert_eq!(
        calls_at(&hybrid, &offsets).await,
        [true, true, false, false, true]
    );
}

#[tokio::test(start_paused = true)]
async fn a_pre_warm_is_cancelled_by_an_earlier_arrival() {
    let rt = runtime(KeepAlive::hybrid());
    let mut offsets = every(20 * MIN, 3);
    offsets.push(40 * MIN + 2 * MIN);
    calls_at(&rt, &offsets).await;
    tokio::time::sleep(3 * 3600 * Duration::from_secs(1)).await;
    let prewarms = rt
        .scaling_trace()
        .iter()
        .filter(|e| {
            e.kind
                == ScalingEventKind::Started {
                    cause: StartCause::Prewarm,
                }
        })
        .count();
    // One pre-warm served the third call; the one scheduled after the third call was cancelled
    // by the fourth; the one after the fourth happened (nothing arrived afterwards).
    assert_eq!(prewarms, 2);
}

#[tokio::test(flavor = "current_thread")]
async fn the_virtual_clock_option_lets_a_ten_minute_window_pass_instantly() {
    let real = std::time::Instant::now();
    let rt = LocalRuntime::builder(App::new("vc").function(Function::new("f", work)))
        .profile(Profile::aws())
        .virtual_clock()
        .build()
        .expect("current-thread runtime");
    assert_eq!(
        calls_at(&rt, &[Duration::ZERO, 11 * MIN]).await,
        [true, true]
    );
    assert!(real.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_virtual_clock_option_refuses_a_multi_thread_runtime_with_a_typed_error() {
    let err = LocalRuntime::builder(App::new("vc").function(Function::new("f", work)))
        .virtual_clock()
        .build()
        .expect_err("needs current-thread");
    assert_eq!(
        err.to_string(),
        "local runtime: the virtual clock needs a current-thread tokio runtime"
    );
}
