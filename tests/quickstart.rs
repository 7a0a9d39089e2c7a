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
            BillingProvider::AzureConsumption,
            BillingProvider::AzureFlex
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

// The idiom for testing your own app: `faasport::testing::TestApp` on the virtual clock.

fn post_order(body: &'static str) -> faasport::http::Request<&'static str> {
    faasport::http::Request::post("/orders")
        .header("content-type", "application/json")
        .body(body)
        .expect("a valid request")
}

#[tokio::test]
async fn an_order_posted_to_the_api_is_created_and_billed_once() {
    use faasport::prelude::*;
    use faasport::testing::TestApp;

    let shop = TestApp::new(app::app()).expect("a valid app");
    let response = shop
        .http(post_order(r#"{"customer":"ada","amount_cents":1250}"#))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: serde_json::Value = response.body().to_json().expect("JSON");
    assert_eq!(created["order"]["customer"], "ada");

    shop.settle().await.expect("settled");
    let published = shop.published("orders");
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].id, created["id"].as_str().expect("an id"));
    assert_eq!(shop.invocations("bill").len(), 1);
    assert!(shop.dead_letters().is_empty());
    assert_eq!(shop.cold_starts("create-order"), 1);
}

#[tokio::test]
async fn the_api_refuses_malformed_and_out_of_range_orders_without_publishing() {
    use faasport::prelude::*;
    use faasport::testing::TestApp;

    let shop = TestApp::new(app::app()).expect("a valid app");
    let malformed = shop.http(post_order("{not json")).await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let zero = shop
        .http(post_order(r#"{"customer":"ada","amount_cents":0}"#))
        .await;
    assert_eq!(zero.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(zero.body().as_str(), Some("amount out of range"));
    shop.settle().await.expect("settled");
    assert!(shop.published("orders").is_empty());
}

#[tokio::test]
async fn the_nightly_job_fires_at_two_in_the_morning() {
    use faasport::core::chrono::{TimeZone, Utc};
    use faasport::testing::TestApp;

    let start = Utc
        .with_ymd_and_hms(2026, 11, 28, 1, 30, 0)
        .single()
        .expect("a valid time");
    let shop = TestApp::builder(app::app())
        .clock_start(start)
        .build()
        .expect("a valid app");
    shop.advance(std::time::Duration::from_secs(29 * 60)).await;
    assert!(shop.invocations("nightly").is_empty());
    shop.advance(std::time::Duration::from_secs(2 * 60)).await;
    shop.settle().await.expect("settled");
    assert_eq!(shop.invocations("nightly").len(), 1);
}
