//! Kept-warm capacity: min instances billed as Lambda provisioned concurrency and as Cloud Run
//! idle min instances, and not at all on Azure Consumption. Every figure is computed by hand
//! from the bundled price table (2026-11) under the virtual clock:
//!
//! * Lambda x86: on-demand $0.0000166667/GB-s; provisioned concurrency $0.0000041667/GB-s
//!   configured and $0.0000097222/GB-s of duration on it; $0.20/M requests either way.
//! * Cloud Run: request-based busy time $0.000024/vCPU-s + $0.0000025/GiB-s + $0.40/M requests;
//!   idle min instances at the instance-based $0.000018/vCPU-s + $0.000002/GiB-s.
//! * Azure Consumption: $0.000016/GB-s (100 ms minimum) + $0.20/M; no min instances.

use std::time::Duration;

use tokio::time::Instant;

use faasport_adapter_local::trace::StartCause;
use faasport_adapter_local::{
    BillingProvider, LambdaArch, LocalRuntime, PricingOptions, Profile, ProviderCost, Report,
    ScalingEventKind,
};
use faasport_core::{App, Context, Error, Event, Function, Json};

const HOUR: Duration = Duration::from_secs(3600);

async fn work(Json(ms): Json<u64>, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(())
}

fn runtime(app: App, pricing: PricingOptions) -> LocalRuntime {
    LocalRuntime::builder(app)
        .profile(Profile::aws())
        .pricing(pricing)
        .build()
        .expect("valid app")
}

fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= expected.abs() * 1e-9,
        "{actual} != {expected}"
    );
}

fn cost(report: &Report, provider: BillingProvider) -> &ProviderCost {
    report
        .costs
        .iter()
        .find(|c| c.provider == provider)
        .expect("every provider is priced")
}

/// 2 min instances at 512 MB for one hour; 10 sequential 100 ms calls, then 3 concurrent 1 s
/// calls (two on the min instances, the third spills over to a new on-demand instance).
async fn two_min_instances_for_an_hour(pricing: PricingOptions) -> (LocalRuntime, Report) {
    let app = App::new("pc").function(Function::new("api", work).memory_mb(512).min_instances(2));
    let rt = runtime(app, pricing);
    let origin = Instant::now();
    rt.ready().await;
    for _ in 0..10 {
        let inv = rt
            .invoke("api", Event::from_json(100.into()))
            .await
            .expect("known function");
        assert!(!inv.record.cold, "served by a min instance");
    }
    let burst: Vec<_> = (0..3)
        .map(|_| {
            let rt = rt.clone();
            tokio::spawn(async move { rt.invoke("api", Event::from_json(1000.into())).await })
        })
        .collect();
    let mut colds = 0;
    for call in burst {
        let inv = call.await.expect("joined").expect("known function");
        colds += u32::from(inv.record.cold);
    }
    assert_eq!(
        colds, 1,
        "the third concurrent call starts an on-demand instance"
    );
    tokio::time::sleep_until(origin + HOUR).await;
    let report = rt.report();
    (rt, report)
}

#[tokio::test(start_paused = true)]
async fn two_provisioned_instances_at_512mb_for_an_hour_on_lambda_x86() {
    let (rt, report) = two_min_instances_for_an_hour(PricingOptions::default()).await;
    let min_starts = rt
        .scaling_trace()
        .iter()
        .filter(|e| {
            e.kind
                == ScalingEventKind::Started {
                    cause: StartCause::MinInstances,
                }
        })
        .count();
    assert_eq!(min_starts, 2);

    let lambda = cost(&report, BillingProvider::AwsLambda);
    let q = &lambda.quantities;
    assert_eq!(q.requests, 13);
    // 10 × 100 ms + 3 × 1,000 ms, 1 ms rounding.
    assert_eq!(q.billed_ms, 4_000);
    // 0.5 GB × 4 s = 2 GB-s, of which 0.5 GB × (1 s + 2 × 1 s) = 1.5 GB-s on provisioned
    // instances and 0.5 GB-s (the spill-over call) on demand.
    assert_close(q.gb_seconds, 2.0);
    assert_close(q.provisioned_execution_gb_seconds, 1.5);
    // Configured: 0.5 GB × 2 instances × 3,600 s = 3,600 GB-s.
    assert_close(q.provisioned_gb_seconds, 3_600.0);
    assert_eq!(q.provisioned_vcpu_seconds, 0.0);
    let compute = 0.5 * 0.0000166667 + 1.5 * 0.0000097222;
    let requests = 13.0 * 0.20 / 1e6;
    let provisioned = 3_600.0 * 0.0000041667;
    assert_close(lambda.charges.compute, compute);
    assert_close(lambda.charges.requests, requests);
    assert_close(lambda.charges.provisioned, provisioned);
    assert_close(provisioned, 0.01500012);
    assert_close(lambda.total, 0.01502563665);
    assert_close(lambda.functions[0].total, lambda.total);

    let cloud_run = cost(&report, BillingProvider::CloudRun);
    let q = &cloud_run.quantities;
    // Busy time, request-based: 10 × 100 ms + 3 × 1 s on three instances = 4 s.
    assert_eq!(q.billed_ms, 4_000);
    assert_close(q.vcpu_seconds, 4.0);
    assert_close(q.gb_seconds, 2.0);
    // Idle min-instance time: 2 × 3,600 s − 3 s busy on them = 7,197 s, × 1 vCPU, × 0.5 GiB.
    assert_close(q.provisioned_vcpu_seconds, 7_197.0);
    assert_close(q.provisioned_gb_seconds, 3_598.5);
    assert_eq!(q.provisioned_execution_gb_seconds, 0.0);
    assert_close(cloud_run.charges.compute, 4.0 * 0.000024 + 2.0 * 0.0000025);
    assert_close(cloud_run.charges.requests, 13.0 * 0.40 / 1e6);
    assert_close(cloud_run.charges.provisioned, 0.136743);
    assert_close(
        cloud_run.total,
        0.000101 + 0.0000052 + 7_197.0 * 0.000018 + 3_598.5 * 0.000002,
    );

    let azure = cost(&report, BillingProvider::AzureConsumption);
    assert!(!azure.quantities.has_provisioned());
    assert_eq!(azure.charges.provisioned, 0.0);
    // 10 × 100 ms + 3 × 1 s at 512 MB = 2 GB-s.
    assert_close(azure.total, 2.0 * 0.000016 + 13.0 * 0.20 / 1e6);

    let table = report.to_table();
    assert!(table.contains("  of which provisioned"), "{table}");
    assert!(table.contains("  provisioned (kept warm)"), "{table}");
    assert!(
        table.contains("  of which on provisioned instances"),
        "{table}"
    );
    assert!(table.contains("0.015000"), "{table}");
    assert!(
        table.contains("Azure Functions Consumption has no min instances"),
        "{table}"
    );

    let json = serde_json::to_value(&report).expect("serialisable");
    let lambda_json = &json["costs"][0];
    assert_eq!(lambda_json["provider"], "aws_lambda");
    assert_eq!(lambda_json["quantities"]["provisioned_gb_seconds"], 3_600.0);
    assert_eq!(
        lambda_json["quantities"]["provisioned_execution_gb_seconds"],
        1.5
    );
    assert!(lambda_json["charges"]["provisioned"].is_number());
    assert_eq!(json["costs"][2]["charges"]["provisioned"], 0.0);
    let back: Report = serde_json::from_value(json).expect("round trip");
    assert_eq!(back, report);
}

#[tokio::test(start_paused = true)]
async fn the_free_tier_never_covers_a_function_with_provisioned_concurrency() {
    let (_, report) =
        two_min_instances_for_an_hour(PricingOptions::default().free_tier(true)).await;
    let lambda = cost(&report, BillingProvider::AwsLambda);
    // "The Lambda free tier does not apply to functions that have Provisioned Concurrency
    // enabled" (aws.amazon.com/lambda/pricing; pricing and scaling notes §11.1): the function
    // pays everything, its 13 requests and its 0.5 spill-over GB-s included (the total of the
    // x86 test above, $0.01502563665). Before issue 13 the meter covered those two lines.
    assert_eq!(lambda.free_tier_credit, 0.0);
    assert_close(lambda.total, 0.01502563665);
    // Cloud Run's free tier still covers the same run's request-based busy time and requests.
    let cloud_run = cost(&report, BillingProvider::CloudRun);
    assert_close(
        cloud_run.free_tier_lines.compute,
        4.0 * 0.000024 + 2.0 * 0.0000025,
    );
}

#[tokio::test(start_paused = true)]
async fn an_idle_min_instance_is_billed_even_when_the_function_is_never_called() {
    let app = App::new("idle")
        .function(Function::new("warm", work).memory_mb(1024).min_instances(1))
        .function(Function::new("other", work).memory_mb(128));
    let rt = runtime(app, PricingOptions::default());
    let origin = Instant::now();
    rt.ready().await;
    rt.invoke("other", Event::from_json(50.into()))
        .await
        .expect("known function");
    tokio::time::sleep_until(origin + Duration::from_secs(600)).await;
    let report = rt.report();
    assert!(report.functions.iter().all(|f| f.function != "warm"));

    let warm = |provider| {
        cost(&report, provider)
            .functions
            .iter()
            .find(|f| f.function == "warm")
            .expect("a function with min instances is priced")
            .clone()
    };
    // Lambda: 1 GB × 1 × 600 s = 600 GB-s configured.
    let lambda = warm(BillingProvider::AwsLambda);
    assert_eq!(lambda.quantities.requests, 0);
    assert_close(lambda.quantities.provisioned_gb_seconds, 600.0);
    assert_close(lambda.total, 600.0 * 0.0000041667);
    // Cloud Run: 600 idle s × 1 vCPU and × 1 GiB at the instance-based rates.
    let cloud_run = warm(BillingProvider::CloudRun);
    assert_close(cloud_run.quantities.provisioned_vcpu_seconds, 600.0);
    assert_close(cloud_run.total, 600.0 * 0.000018 + 600.0 * 0.000002);
    assert_close(cloud_run.total, 0.012);
    // Azure Consumption: nothing.
    assert_eq!(warm(BillingProvider::AzureConsumption).total, 0.0);

    let table = report.to_table();
    let (_, costs) = table.split_once("Cost by provider").expect("a cost table");
    let row = costs
        .lines()
        .find(|l| l.starts_with("warm "))
        .expect("a cost row for the idle function");
    assert!(
        row.contains("0.002500") && row.contains("0.012000"),
        "{row}"
    );
}

#[tokio::test(start_paused = true)]
async fn arm64_provisioned_concurrency_is_priced_at_the_arm_rates() {
    // Reference §11.1 ([3P] AWS Price List SKUs MV7PTBS82AVCMXJJ, 3Z4YRQ6XJRDK27UP): arm64
    // provisioned concurrency $0.0000033334 per GB-s configured and $0.0000077778 per GB-s of
    // duration. 3,600 GB-s configured × 0.0000033334 = $0.01200024; 1.5 GB-s on it at
    // 0.0000077778 and the 0.5 GB-s spill-over at the on-demand 0.0000133334.
    let (_, report) =
        two_min_instances_for_an_hour(PricingOptions::default().lambda_arch(LambdaArch::Arm64))
            .await;
    let lambda = cost(&report, BillingProvider::AwsLambda);
    assert_close(lambda.quantities.provisioned_gb_seconds, 3_600.0);
    assert_close(lambda.charges.provisioned, 0.01200024);
    assert_close(
        lambda.charges.compute,
        0.5 * 0.0000133334 + 1.5 * 0.0000077778,
    );
}

#[tokio::test(start_paused = true)]
async fn a_table_without_a_provisioned_price_says_so() {
    // A table built from scratch with no provisioned-concurrency rates for arm64: the capacity
    // is metered, not charged, and the report says why.
    let table = faasport_adapter_local::PriceTable::builder("no-pc")
        .lambda(LambdaArch::Arm64, 0.0000133334, 0.20)
        .build()
        .expect("valid table");
    let app = App::new("pc").function(Function::new("api", work).memory_mb(512).min_instances(2));
    let rt = LocalRuntime::builder(app)
        .profile(Profile::aws())
        .prices(table)
        .pricing(PricingOptions::default().lambda_arch(LambdaArch::Arm64))
        .build()
        .expect("valid app");
    let origin = Instant::now();
    rt.ready().await;
    tokio::time::sleep_until(origin + HOUR).await;
    let report = rt.report();
    let lambda = cost(&report, BillingProvider::AwsLambda);
    assert_close(lambda.quantities.provisioned_gb_seconds, 3_600.0);
    assert_eq!(lambda.charges.provisioned, 0.0);
    let table = report.to_table();
    assert!(
        table.contains("AWS Lambda (arm64): the price table has no price for this capacity"),
        "{table}"
    );
}
