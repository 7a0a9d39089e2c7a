//! Keep-alive re-arming: each invocation pushes its instance's reap back by a whole window,
//! though the timer is only re-armed when it fires (lazily), never on the invocation itself.

use std::time::Duration;

use tokio::time::Instant;

use faasport_adapter_local::trace::ReapCause;
use faasport_adapter_local::{LocalRuntime, Profile, ScalingEventKind};
use faasport_core::{App, Context, Error, Event, Function, Json};

const MIN: Duration = Duration::from_secs(60);
const SECOND: Duration = Duration::from_secs(1);

async fn work(Json(ms): Json<u64>, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_instance_used_within_its_window_is_reaped_one_window_after_its_last_invocation() {
    let rt = LocalRuntime::builder(App::new("rearm").function(Function::new("f", work)))
        .profile(Profile::aws())
        .build()
        .expect("valid app");
    let pool = rt.instance_pool("f").expect("known").clone();
    let t0 = Instant::now();
    let mut colds = Vec::new();
    // Calls of 1 s at 0, 6 and 12 minutes: each lands inside the 10-minute window of the one
    // before, after the timer armed by the first has been pushed back twice without firing.
    for at in [Duration::ZERO, 6 * MIN, 12 * MIN] {
        tokio::time::sleep_until(t0 + at).await;
        let inv = rt
            .invoke("f", Event::from_json(1000.into()))
            .await
            .expect("known function");
        colds.push(inv.record.cold);
    }
    assert_eq!(colds, [true, false, false]);

    let last_end = 12 * MIN + SECOND;
    tokio::time::sleep_until(t0 + last_end + 10 * MIN - Duration::from_millis(1)).await;
    tokio::task::yield_now().await;
    assert_eq!(
        pool.live_count(),
        1,
        "still warm just before the last window ends"
    );
    tokio::time::sleep(Duration::from_millis(1)).await;
    tokio::task::yield_now().await;
    assert_eq!(pool.live_count(), 0, "reaped when the last window ends");

    let reaps: Vec<_> = rt
        .scaling_trace()
        .into_iter()
        .filter(|e| matches!(e.kind, ScalingEventKind::Reaped { .. }))
        .collect();
    assert_eq!(reaps.len(), 1, "{reaps:?}");
    assert_eq!(
        reaps[0].kind,
        ScalingEventKind::Reaped {
            cause: ReapCause::KeepAlive
        }
    );
    assert_eq!(reaps[0].at, last_end + 10 * MIN);
    assert_eq!(rt.report().scaling[0].reuses, 2);
}
