//! The quickstart's workload does what its summary says, under every profile.
#![cfg(feature = "local")]

#[path = "../examples/quickstart/app.rs"]
#[allow(dead_code)]
mod app;
#[path = "../examples/quickstart/workload.rs"]
mod workload;

use faasport::local::{BillingProvider, Profile};

#[tokio::test(start_paused = true)]
async fn the_quickstart_bills_every_order_and_runs_the_nightly_job_on_aws() {
    let run = workload::run(Profile::aws()).await.expect("workload runs");
    assert_eq!(run.orders_created, 60);
    assert_eq!(
        run.deliveries.processed, 61,
        "60 orders billed and one nightly tick"
    );
    assert_eq!(run.deliveries.dead_lettered, 0);
    assert_eq!(run.left_undelivered, 0);
    let stats = |name: &str| {
        run.report
            .functions
            .iter()
            .find(|f| f.function == name)
            .unwrap_or_else(|| panic!("no stats for {name}"))
            .clone()
    };
    // 20 concurrent orders per burst need 20 Lambda instances; the later bursts, 5 minutes
    // apart, find them warm.
    assert_eq!(
        (
            stats("create-order").invocations,
            stats("create-order").cold_starts
        ),
        (60, 20)
    );
    assert_eq!(stats("nightly").invocations, 1);
    let providers: Vec<_> = run.report.costs.iter().map(|c| c.provider).collect();
    assert_eq!(
        providers,
        [
            BillingProvider::AwsLambda,
            BillingProvider::CloudRun,
            BillingProvider::AzureConsumption
        ]
    );
    assert!(run.report.costs.iter().all(|c| c.total > 0.0));
    assert!(run.summary().contains("orders created: 60"));
}

#[tokio::test(start_paused = true)]
async fn cloud_run_packs_the_same_bursts_onto_far_fewer_instances() {
    let aws = workload::run(Profile::aws()).await.expect("aws run");
    let gcp = workload::run(Profile::gcp()).await.expect("gcp run");
    let cold = |run: &workload::WorkloadRun| {
        run.report
            .functions
            .iter()
            .map(|f| f.cold_starts)
            .sum::<u64>()
    };
    assert_eq!(gcp.orders_created, 60);
    assert!(
        cold(&gcp) < cold(&aws),
        "gcp {} vs aws {}",
        cold(&gcp),
        cold(&aws)
    );
}
