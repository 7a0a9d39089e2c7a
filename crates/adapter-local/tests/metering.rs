//! Metering through the runtime: records, aggregates, billed durations, the report.

use std::time::Duration;

use futures::future::join_all;

use faasport_adapter_local::{
    BillingProvider, InvocationSource, InvokeOptions, LocalRuntime, Outcome, Profile,
};
use faasport_core::{App, Context, Error, Event, Function, Json};

async fn work(Json(ms): Json<u64>, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    if ms == 13 {
        return Err(Error::permanent("unlucky"));
    }
    Ok(())
}

fn with_init(name: &str) -> Function {
    Function::new(name, work).init(|| async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok::<_, Error>(())
    })
}

async fn call(rt: &LocalRuntime, f: &str, ms: u64) -> faasport_adapter_local::Invocation {
    rt.invoke(f, Event::from_json(ms.into()))
        .await
        .expect("known function")
}

#[tokio::test(start_paused = true)]
async fn a_record_holds_init_duration_billed_time_memory_instance_and_attempt() {
    let app = App::new("m").function(with_init("f").memory_mb(1024));
    let rt = LocalRuntime::builder(app)
        .profile(Profile::aws())
        .build()
        .expect("valid");
    let cold = call(&rt, "f", 50).await.record;
    assert!(cold.cold);
    assert_eq!(cold.init, Duration::from_millis(300));
    assert_eq!(cold.duration, Duration::from_millis(50));
    assert_eq!(cold.billed, Duration::from_millis(350), "Lambda bills INIT");
    assert_eq!(cold.memory_mb, 1024);
    assert_eq!(cold.instance, Some(1));
    assert_eq!(cold.attempt, 1);
    assert_eq!(cold.queued, Duration::ZERO);

    let warm = rt
        .invoke_with(
            "f",
            Event::from_json(50.into()),
            InvokeOptions::default()
                .attempt(2)
                .source(InvocationSource::Event),
        )
        .await
        .expect("known")
        .record;
    assert!(!warm.cold);
    assert_eq!(warm.billed, Duration::from_millis(50));
    assert_eq!(warm.attempt, 2);
    assert_eq!(warm.arrived_at, Duration::from_millis(350));
}

#[tokio::test(start_paused = true)]
async fn billed_durations_follow_the_profile() {
    let app = || App::new("m").function(Function::new("f", work));
    let azure = LocalRuntime::builder(app())
        .profile(Profile::azure())
        .build()
        .expect("valid");
    assert_eq!(
        call(&azure, "f", 20).await.record.billed,
        Duration::from_millis(100)
    );
    let gcp = LocalRuntime::builder(app())
        .profile(Profile::gcp())
        .build()
        .expect("valid");
    assert_eq!(
        call(&gcp, "f", 120).await.record.billed,
        Duration::from_millis(200)
    );
    let custom = LocalRuntime::builder(app())
        .profile(Profile::custom())
        .build()
        .expect("valid");
    assert_eq!(
        call(&custom, "f", 120).await.record.billed,
        Duration::from_millis(120)
    );
}

#[tokio::test(start_paused = true)]
async fn aggregates_count_outcomes_and_cold_starts_and_give_duration_percentiles() {
    let app = App::new("m").function(Function::new("f", work).max_instances(1));
    let rt = LocalRuntime::new(app).expect("valid");
    for ms in 1..=100 {
        call(&rt, "f", ms).await;
    }
    // Two at once with one instance: one is throttled.
    join_all([call(&rt, "f", 5), call(&rt, "f", 5)]).await;

    let report = rt.report();
    let f = &report.functions[0];
    assert_eq!(f.function, "f");
    assert_eq!(f.invocations, 102);
    assert_eq!(f.errors, 1, "the 13 ms call failed");
    assert_eq!(f.throttles, 1);
    assert_eq!(f.cold_starts, 1);
    assert_eq!((f.p50_ms, f.p95_ms, f.p99_ms), (50.0, 95.0, 99.0));
}

#[tokio::test(start_paused = true)]
async fn the_report_prices_one_run_on_every_provider_with_the_billed_quantities() {
    let app = App::new("shop").function(Function::new("f", work).memory_mb(128));
    let rt = LocalRuntime::builder(app)
        .profile(Profile::aws())
        .build()
        .expect("valid");
    for _ in 0..10 {
        call(&rt, "f", 50).await;
    }
    let report = rt.report();
    let providers: Vec<_> = report.costs.iter().map(|c| c.provider).collect();
    assert_eq!(
        providers,
        [
            BillingProvider::AwsLambda,
            BillingProvider::CloudRun,
            BillingProvider::AzureConsumption,
            BillingProvider::AzureFlex
        ]
    );
    // Flex: the ten back-to-back calls keep one instance active for 500 ms, billed as the
    // 1,000 ms minimum on the smallest instance holding 128 MB (512 MB): 0.5 GB-s.
    let flex = &report.costs[3];
    assert_eq!(flex.quantities.billed_ms, 1_000);
    assert!((flex.quantities.gb_seconds - 0.5).abs() < 1e-12);
    let lambda = &report.costs[0];
    assert_eq!(lambda.quantities.requests, 10);
    assert_eq!(lambda.quantities.billed_ms, 500);
    let azure = &report.costs[2];
    assert_eq!(azure.quantities.billed_ms, 1000);
    assert_eq!(report.scaling[0].cold_starts, 1);
    assert_eq!(report.scaling[0].reuses, 9);

    let table = report.to_table();
    assert!(table.contains("Cost by provider (USD, prices 2026-11)"));
    assert!(table.contains("AWS Lambda (x86_64)"));
    assert!(table.contains("Azure Functions (Consumption)"));
    assert!(table.contains("Google Cloud Run (1 vCPU, request-based)"));

    let json = serde_json::to_value(&report).expect("serialisable");
    assert_eq!(json["app"], "shop");
    assert_eq!(json["profile"], "aws");
    assert_eq!(json["functions"][0]["invocations"], 10);
    assert_eq!(json["costs"][0]["provider"], "aws_lambda");
    assert_eq!(json["costs"][0]["quantities"]["billed_ms"], 500);
    assert_eq!(json["costs"][2]["quantities"]["requests"], 10);
    assert_eq!(json["trace"][0]["kind"], "started");
    assert_eq!(json["trace"][0]["cause"], "demand");
    assert_eq!(json["trace"][1]["kind"], "reused");
}

#[tokio::test(start_paused = true)]
async fn concurrent_requests_on_one_cloud_run_instance_are_billed_once_in_the_report() {
    let app = App::new("m").function(Function::new("f", work).memory_mb(512));
    let rt = LocalRuntime::builder(app)
        .profile(Profile::gcp())
        .build()
        .expect("valid");
    let calls = join_all((0..10).map(|_| call(&rt, "f", 50))).await;
    assert!(calls.iter().all(|c| c.record.outcome == Outcome::Ok));
    let report = rt.report();
    let cloud_run = &report.costs[1];
    assert_eq!(cloud_run.provider, BillingProvider::CloudRun);
    assert_eq!(cloud_run.quantities.billed_ms, 100);
    let expected = 0.1 * (0.000024 + 0.5 * 0.0000025) + 10.0 * 0.40e-6;
    assert!((cloud_run.total - expected).abs() < 1e-15);
    // Lambda runs one request per environment: ten 50 ms requests.
    assert_eq!(report.costs[0].quantities.billed_ms, 500);
}
