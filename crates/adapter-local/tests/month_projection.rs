//! A month projected from a running runtime: its costs so far, scaled by the time it ran, with
//! the monthly free tier applied to the month.

use std::time::Duration;

use faasport_adapter_local::meter::{ProjectionError, MONTH};
use faasport_adapter_local::{BillingProvider, LocalRuntime};
use faasport_core::{App, Context, Error, Event, Function};

async fn work(_: Event, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_minute_of_traffic_projects_to_a_month_of_it() {
    let app = App::new("p").function(Function::new("work", work).memory_mb(1024));
    let runtime = LocalRuntime::builder(app)
        .virtual_clock()
        .build()
        .expect("runtime");
    assert_eq!(
        runtime.month_projection().err(),
        Some(ProjectionError::NoElapsedTime),
        "no rate before any time has passed"
    );
    for _ in 0..600 {
        runtime
            .invoke("work", Event::from_json(1.into()))
            .await
            .expect("invoke");
    }
    // 600 calls of 100 ms, one after another: exactly one minute of virtual time.
    assert_eq!(runtime.uptime(), Duration::from_secs(60));
    let month = runtime.month_projection().expect("projection");
    let lambda = month
        .iter()
        .find(|p| p.provider == BillingProvider::AwsLambda)
        .expect("lambda");
    let factor = MONTH.as_secs_f64() / 60.0;
    assert_eq!(lambda.factor, factor);
    assert_eq!(lambda.elapsed, Duration::from_secs(60));
    // Lambda bills per ms, INIT included: 600 requests and 60 GB-s in the minute (1 GB, the
    // first call's initialiser is empty); a month is 43,800 minutes.
    assert_eq!(lambda.month.quantities.requests, 600 * 43_800);
    assert!((lambda.month.quantities.gb_seconds - 60.0 * 43_800.0).abs() < 1e-3);
    // The run's own cost is reported before any free tier; the month's after it.
    let run = runtime
        .costs()
        .into_iter()
        .find(|c| c.provider == BillingProvider::AwsLambda)
        .expect("run cost");
    assert_eq!(lambda.so_far, run.charges.total());
    assert!(lambda.month.free_tier_credit > 0.0);
    assert!(
        (lambda.total() - (lambda.month.charges.total() - lambda.month.free_tier_credit)).abs()
            < 1e-9
    );
}
