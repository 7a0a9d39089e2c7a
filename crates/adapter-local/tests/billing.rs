//! Billing worked examples, computed by hand from each provider's published rules and the
//! bundled price table (2026-11): Lambda x86 $0.0000166667/GB-s + $0.20/M requests; Azure
//! Consumption $0.000016/GB-s + $0.20/M executions; Cloud Run $0.000024/vCPU-s +
//! $0.0000025/GiB-s + $0.40/M requests.

use std::time::Duration;

use faasport_adapter_local::meter::{AzureConsumptionRule, CloudRunRule, LambdaRule};
use faasport_adapter_local::{
    BillingProvider, BillingRule, InvocationRecord, LambdaArch, PriceError, PriceTable,
    PricingOptions,
};

fn table() -> PriceTable {
    PriceTable::bundled().expect("the bundled table parses")
}

fn record(duration_ms: u64, memory_mb: u32) -> InvocationRecord {
    let mut r = InvocationRecord::new("f", "req");
    r.duration = Duration::from_millis(duration_ms);
    r.memory_mb = memory_mb;
    r.instance = Some(1);
    r
}

fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= expected.abs() * 1e-9,
        "{actual} != {expected}"
    );
}

fn cents(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

#[test]
fn a_million_50ms_calls_at_128mb_cost_0_304_on_lambda_x86() {
    let r = record(50, 128);
    let records = vec![&r; 1_000_000];
    let rule = LambdaRule::new(table().aws_lambda, LambdaArch::X86_64);
    let q = rule.quantities(&records);
    assert_eq!(q.requests, 1_000_000);
    assert_eq!(q.billed_ms, 50_000_000);
    // 1e6 × 0.05 s × 0.125 GB = 6,250 GB-s.
    assert_close(q.gb_seconds, 6_250.0);
    let total = rule.charges(&q).total();
    // 6,250 × 0.0000166667 + 1e6 × 0.20 / 1e6
    assert_close(total, 6_250.0 * 0.0000166667 + 0.20);
    assert_close(total, 0.304166875);
    assert_eq!(cents(total), 0.30);
    assert_eq!(format!("{total:.3}"), "0.304");
}

#[test]
fn the_same_calls_cost_0_283_on_lambda_arm() {
    let r = record(50, 128);
    let records = vec![&r; 1_000_000];
    let rule = LambdaRule::new(table().aws_lambda, LambdaArch::Arm64);
    let total = rule.charges(&rule.quantities(&records)).total();
    assert_close(total, 6_250.0 * 0.0000133334 + 0.20);
    assert_eq!(format!("{total:.3}"), "0.283");
}

#[test]
fn the_same_calls_cost_0_40_on_azure_consumption_because_of_the_100ms_minimum() {
    let r = record(50, 128);
    let records = vec![&r; 1_000_000];
    let rule = AzureConsumptionRule::new(table().azure_consumption);
    let q = rule.quantities(&records);
    assert_eq!(q.billed_ms, 100_000_000, "each execution bills 100 ms");
    // 1e6 × 0.1 s × 0.125 GB = 12,500 GB-s × 0.000016 = 0.20, plus 0.20 for executions.
    assert_close(q.gb_seconds, 12_500.0);
    let total = rule.charges(&q).total();
    assert_close(total, 0.40);
    assert_eq!(cents(total), 0.40);
}

#[test]
fn azure_rounds_memory_up_in_128mb_steps_and_caps_it() {
    let rule = AzureConsumptionRule::new(table().azure_consumption);
    assert_eq!(rule.billed_memory_mb(64), 128);
    assert_eq!(rule.billed_memory_mb(160), 256);
    assert_eq!(rule.billed_memory_mb(256), 256);
    assert_eq!(rule.billed_memory_mb(4096), 1536);
}

#[test]
fn lambda_bills_the_init_phase_of_a_cold_start_rounded_up_to_the_millisecond() {
    let rule = LambdaRule::new(table().aws_lambda, LambdaArch::X86_64);
    let mut cold = record(0, 1024);
    cold.cold = true;
    cold.init = Duration::from_micros(300_400);
    cold.duration = Duration::from_micros(50_200);
    assert_eq!(rule.billed_duration(&cold), Duration::from_millis(351));
    let mut warm = cold.clone();
    warm.cold = false;
    warm.init = Duration::ZERO;
    assert_eq!(rule.billed_duration(&warm), Duration::from_millis(51));

    let q = rule.quantities(&[&cold, &warm]);
    assert_eq!(q.billed_ms, 402);
    // 1 GB × 0.402 s × 0.0000166667 + 2 × 0.20 / 1e6
    assert_close(
        rule.charges(&q).total(),
        0.402 * 0.0000166667 + 2.0 * 0.20e-6,
    );
}

#[test]
fn cloud_run_bills_overlapping_requests_on_one_instance_once() {
    let rule = CloudRunRule::new(table().cloud_run, None);
    // Two 50 ms requests at the same time on instance 1, 512 MiB, 1 vCPU.
    let a = record(50, 512);
    let b = record(50, 512);
    let q = rule.quantities(&[&a, &b]);
    assert_eq!(q.requests, 2);
    assert_eq!(
        q.billed_ms, 100,
        "one busy interval of 50 ms, rounded up to 100 ms"
    );
    let shared = rule.charges(&q).total();
    // 0.1 s × (1 vCPU × 0.000024 + 0.5 GiB × 0.0000025) + 2 × 0.40 / 1e6
    assert_close(shared, 0.1 * (0.000024 + 0.5 * 0.0000025) + 2.0 * 0.40e-6);

    // The same two requests one after the other: two busy intervals, billed twice.
    let mut later = record(50, 512);
    later.arrived_at = Duration::from_secs(1);
    let q = rule.quantities(&[&a, &later]);
    assert_eq!(q.billed_ms, 200);
    // On two instances at once, each instance bills its own interval.
    let mut other = record(50, 512);
    other.instance = Some(2);
    assert_eq!(rule.quantities(&[&a, &other]).billed_ms, 200);
}

#[test]
fn cloud_run_counts_start_up_as_busy_time() {
    let rule = CloudRunRule::new(table().cloud_run, Some(2.0));
    let mut cold = record(50, 1024);
    cold.cold = true;
    cold.init = Duration::from_millis(120);
    let q = rule.quantities(&[&cold]);
    assert_eq!(q.billed_ms, 200);
    assert_close(q.vcpu_seconds, 0.4);
    assert_close(q.gb_seconds, 0.2);
}

#[test]
fn throttled_calls_are_not_billed() {
    let mut r = record(50, 128);
    r.outcome = faasport_adapter_local::Outcome::Throttled;
    let rule = LambdaRule::new(table().aws_lambda, LambdaArch::X86_64);
    let q = rule.quantities(&[&r]);
    assert_eq!((q.requests, q.billed_ms), (0, 0));
}

#[test]
fn the_free_tier_makes_the_lambda_example_free_when_asked_for() {
    let r = record(50, 128);
    let records = vec![r; 1_000_000];
    let options = PricingOptions::default().free_tier(true);
    let costs = faasport_adapter_local::meter::compare_costs(&records, &table(), &options);
    let lambda = costs
        .iter()
        .find(|c| c.provider == BillingProvider::AwsLambda)
        .expect("lambda");
    assert_close(lambda.free_tier_credit, 0.304166875);
    assert_eq!(lambda.total, 0.0);
    let azure = costs
        .iter()
        .find(|c| c.provider == BillingProvider::AzureConsumption)
        .expect("azure");
    assert_close(azure.charges.total(), 0.40);
    assert_eq!(
        azure.total, 0.0,
        "12,500 GB-s and 1M executions are within Azure's grant"
    );
}

#[test]
fn the_bundled_price_table_is_version_2026_11() {
    let t = table();
    assert_eq!(t.version, "2026-11");
    assert_eq!(t.currency, "USD");
}

#[test]
fn a_price_table_with_an_unknown_key_is_a_parse_error() {
    let text = faasport_adapter_local::meter::BUNDLED_PRICES
        .replace("schema = 1", "schema = 1\nsurprise = true");
    assert!(matches!(
        PriceTable::from_toml_str(&text),
        Err(PriceError::Parse(_))
    ));
    assert!(matches!(
        PriceTable::from_toml_str("not = [valid"),
        Err(PriceError::Parse(_))
    ));
}

#[test]
fn a_negative_price_is_an_invalid_table() {
    let text = faasport_adapter_local::meter::BUNDLED_PRICES.replacen(
        "per_gb_second = 0.000016 ",
        "per_gb_second = -0.000016 ",
        1,
    );
    let err = PriceTable::from_toml_str(&text).expect_err("negative");
    assert_eq!(
        err.to_string(),
        "invalid price table: `azure_consumption.per_gb_second` must be a finite, non-negative number"
    );
}

#[test]
fn a_missing_price_file_is_a_read_error_naming_the_file() {
    let err = PriceTable::from_file("/nonexistent/prices.toml").expect_err("missing");
    assert!(matches!(err, PriceError::Read { .. }));
    assert_eq!(
        err.to_string(),
        "cannot read price table /nonexistent/prices.toml"
    );
}

#[test]
fn a_price_file_overrides_the_bundled_prices() {
    let text = faasport_adapter_local::meter::BUNDLED_PRICES
        .replace("version = \"2026-11\"", "version = \"test\"")
        .replacen(
            "per_million_executions = 0.20 ",
            "per_million_executions = 0.40 ",
            1,
        );
    let path = std::env::temp_dir().join(format!("faasport-prices-{}.toml", std::process::id()));
    std::fs::write(&path, text).expect("temp file");
    let t = PriceTable::from_file(&path).expect("valid");
    let _ = std::fs::remove_file(&path);
    assert_eq!(t.version, "test");
    let r = record(50, 128);
    let rule = AzureConsumptionRule::new(t.azure_consumption);
    assert_close(
        rule.charges(&rule.quantities(&vec![&r; 1_000_000])).total(),
        0.60,
    );
}
