//! Provisioned concurrency switched on, changed and off while the runtime runs
//! (`LocalRuntime::set_provisioned_concurrency`, issue 13): instances start and go at once, as
//! on the platform, and each setting is billed as its own on/off window. Figures are worked by
//! hand from the bundled price table (2026-11) under the virtual clock:
//!
//! * Lambda x86 provisioned concurrency: $0.0000041667 per GB-s configured, "calculated from the
//!   time you enable it on your function until it is disabled, rounded up to the nearest five
//!   minutes" (aws.amazon.com/lambda/pricing; reference §11.1, §13), $0.0000097222 per GB-s of
//!   duration on it, $0.20 per M requests;
//! * Cloud Run idle min instances: exact, at the instance-based $0.000018 per vCPU-s and
//!   $0.000002 per GiB-s (reference §11.4).

use std::time::Duration;

use tokio::time::Instant;

use faasport_adapter_local::{
    BillingProvider, LocalRuntime, Profile, ProviderCost, ReapCause, ScalingEventKind,
};
use faasport_core::{App, AppError, Context, Error, Event, Function, Json};

const MIN: Duration = Duration::from_secs(60);

async fn work(Json(ms): Json<u64>, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(())
}

fn runtime(function: Function) -> LocalRuntime {
    LocalRuntime::builder(App::new("pc").function(function))
        .profile(Profile::aws())
        .build()
        .expect("valid app")
}

fn cost(costs: &[ProviderCost], provider: BillingProvider) -> &ProviderCost {
    costs
        .iter()
        .find(|c| c.provider == provider)
        .expect("every provider is priced")
}

fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= expected.abs() * 1e-9,
        "{actual} != {expected}"
    );
}

fn reaped(rt: &LocalRuntime, cause: ReapCause) -> usize {
    rt.scaling_trace()
        .iter()
        .filter(|e| e.kind == ScalingEventKind::Reaped { cause })
        .count()
}

#[tokio::test(start_paused = true)]
async fn provisioned_concurrency_switched_on_changed_and_off_bills_each_window_in_five_minute_blocks(
) {
    // A 1,024 MB function with no provisioned concurrency at build time:
    //   t = 60 s   set to 100: 100 instances start at once;
    //   t = 60 s   1,000 calls of 100 ms one after another, all on provisioned instances;
    //   t = 480 s  set to 40: 60 idle instances are released at once;
    //   t = 540 s  set to 0: the other 40 go;
    //   t = 1,200 s the report.
    // Lambda, each window rounded up to five minutes on its own:
    //   100 × ceil_5min(420 s) = 100 × 600 s = 60,000 GB-s
    //    40 × ceil_5min(60 s)  =  40 × 300 s = 12,000 GB-s
    //   72,000 GB-s × $0.0000041667            = $0.30000240 provisioned
    //   1,000 × 0.1 s × 1 GB = 100 GB-s × $0.0000097222 = $0.00097222 duration on it
    //   1,000 × $0.20 / M                      = $0.00020000 requests
    //   total $0.30117462 → $0.30 (unrounded windows would give 44,400 GB-s, $0.19).
    // Cloud Run bills the windows exactly, less the busy time of the instances (1,000 × 100 ms):
    //   100 × 420 + 40 × 60 − 100 = 44,300 idle vCPU-s and GiB-s.
    let rt = runtime(Function::new("api", work).memory_mb(1024));
    let origin = Instant::now();
    tokio::time::sleep_until(origin + MIN).await;
    assert_eq!(rt.set_provisioned_concurrency("api", 100).ok(), Some(0));
    rt.ready().await;
    let pool = rt.instance_pool("api").expect("known function");
    assert_eq!(pool.live_count(), 100);
    for _ in 0..1_000 {
        let call = rt
            .invoke("api", Event::from_json(100.into()))
            .await
            .expect("known function");
        assert!(call.result.is_ok());
        assert!(
            !call.record.cold,
            "every call runs on a provisioned instance"
        );
    }
    tokio::time::sleep_until(origin + 8 * MIN).await;
    assert_eq!(rt.set_provisioned_concurrency("api", 40).ok(), Some(100));
    assert_eq!(
        (pool.live_count(), reaped(&rt, ReapCause::Deprovisioned)),
        (40, 60)
    );
    tokio::time::sleep_until(origin + 9 * MIN).await;
    assert_eq!(rt.set_provisioned_concurrency("api", 0).ok(), Some(40));
    assert_eq!(pool.live_count(), 0);
    tokio::time::sleep_until(origin + 20 * MIN).await;

    let report = rt.report();
    assert_eq!(report.scaling[0].min_instance_starts, 100);
    let lambda = cost(&report.costs, BillingProvider::AwsLambda);
    assert_close(lambda.quantities.provisioned_gb_seconds, 72_000.0);
    assert_close(lambda.quantities.provisioned_execution_gb_seconds, 100.0);
    assert_close(lambda.charges.provisioned, 0.3000024);
    assert_close(lambda.total, 0.30117462);
    assert_eq!(format!("{:.2}", lambda.total), "0.30");
    let cloud_run = cost(&report.costs, BillingProvider::CloudRun);
    assert_close(cloud_run.quantities.provisioned_vcpu_seconds, 44_300.0);
    assert_close(cloud_run.quantities.provisioned_gb_seconds, 44_300.0);
}

#[tokio::test(start_paused = true)]
async fn a_busy_provisioned_instance_finishes_its_call_before_it_is_released() {
    let rt = runtime(Function::new("api", work).min_instances(2));
    rt.ready().await;
    let call = {
        let rt = rt.clone();
        tokio::spawn(async move { rt.invoke("api", Event::from_json(10_000.into())).await })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(rt.set_provisioned_concurrency("api", 0).ok(), Some(2));
    let pool = rt.instance_pool("api").expect("known function");
    // The idle one goes now; the busy one takes no new call and goes when its call ends.
    assert_eq!(pool.live_count(), 1);
    let next = rt
        .invoke("api", Event::from_json(10.into()))
        .await
        .expect("known function");
    assert!(
        next.record.cold,
        "a new call does not land on the released instance"
    );
    let done = call.await.expect("joined").expect("known function");
    assert!(done.result.is_ok());
    assert!(!done.record.cold);
    assert_eq!(reaped(&rt, ReapCause::Deprovisioned), 2);
}

#[tokio::test(start_paused = true)]
async fn provisioned_concurrency_that_would_empty_the_account_pool_is_refused() {
    // [aws: provisioned concurrency can be allocated "up to the unreserved account concurrency
    // minus 100"]. The account's 1,000 less the 100 kept unreserved leaves 900.
    let rt = runtime(Function::new("api", work));
    let err = rt
        .set_provisioned_concurrency("api", 901)
        .expect_err("over the account");
    assert!(
        matches!(
            err,
            Error::App(AppError::ProvisionedConcurrency {
                requested: 901,
                available: 900,
                ..
            })
        ),
        "{err}"
    );
    assert_eq!(rt.set_provisioned_concurrency("api", 900).ok(), Some(0));
    // A reserved function cannot provision more than its reservation.
    let reserved = runtime(Function::new("api", work).max_instances(10));
    assert!(matches!(
        reserved.set_provisioned_concurrency("api", 11),
        Err(Error::App(AppError::MinAboveMax { .. }))
    ));
    assert!(matches!(
        rt.set_provisioned_concurrency("nope", 1),
        Err(Error::UnknownFunction { .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn lowering_provisioned_concurrency_gives_the_account_pool_back() {
    // Two unreserved functions share the account's 1,000: `a` provisions 800, so `b` can burst
    // to 200 only; once `a` drops to 0, `b` can burst to 1,000.
    let app = App::new("acct")
        .function(Function::new("a", work))
        .function(Function::new("b", work));
    let rt = LocalRuntime::builder(app)
        .profile(Profile::aws())
        .build()
        .expect("valid app");
    rt.set_provisioned_concurrency("a", 800).expect("fits");
    rt.ready().await;
    let burst = |n: usize| {
        let rt = rt.clone();
        async move {
            let calls: Vec<_> = (0..n)
                .map(|_| {
                    let rt = rt.clone();
                    tokio::spawn(
                        async move { rt.invoke("b", Event::from_json(1_000.into())).await },
                    )
                })
                .collect();
            let mut ok = 0;
            for c in calls {
                ok += usize::from(c.await.expect("joined").expect("known").result.is_ok());
            }
            ok
        }
    };
    assert_eq!(burst(1_000).await, 200);
    rt.set_provisioned_concurrency("a", 0).expect("always fits");
    assert_eq!(burst(1_000).await, 1_000);
}
