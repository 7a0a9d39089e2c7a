//! Keep-alive timers are re-armed, not spawned anew: however many times instances go idle, the
//! runtime keeps one timer task per live instance, and none once they are reaped.

use std::time::Duration;

use futures::future::join;

use faasport_adapter_local::{LocalRuntime, Profile};
use faasport_core::{App, Context, Error, Event, Function, Json};

async fn work(Json(ms): Json<u64>, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(())
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

#[tokio::test(start_paused = true)]
async fn a_thousand_idle_transitions_leave_one_timer_task_per_instance() {
    let rt = LocalRuntime::builder(App::new("timers").function(Function::new("f", work)))
        .profile(Profile::aws())
        .build()
        .expect("valid app");
    let call = || rt.invoke("f", Event::from_json(5.into()));

    // Two instances (one call each at a time on Lambda), each idle 500 times.
    for _ in 0..500 {
        let (a, b) = join(call(), call()).await;
        assert!(a.expect("known").result.is_ok() && b.expect("known").result.is_ok());
    }
    let pool = rt.instance_pool("f").expect("pool");
    assert_eq!((pool.live_count(), pool.idle_count()), (2, 2));
    assert_eq!(alive_tasks(), 2);

    // Ten minutes after their last call both are reaped and their timers end with them.
    tokio::time::sleep(Duration::from_secs(10 * 60) + Duration::from_millis(1)).await;
    assert_eq!(pool.live_count(), 0);
    assert_eq!(alive_tasks(), 0);
}
