//! Fidelity II (issue 13): the published rules the meter applies, each with its expected figure
//! worked out by hand in a comment from the provider's rule, as cited in the project's reference
//! notes (`pricing-and-scaling.md`, section in brackets) and the provider page they cite. Every
//! figure goes through the public API and the bundled price table (2026-11).

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use faasport_adapter_local::meter::{
    compare_costs_with_capacity, BilledQuantities, LambdaRule, WarmCapacity,
};
use faasport_adapter_local::{
    BillingProvider, BillingRule, InvocationRecord, LambdaArch, LocalRuntime, PriceTable,
    PricingOptions, Profile, ProviderCost, Report,
};
use faasport_core::{App, Context, Error, Function, Json};

fn table() -> PriceTable {
    PriceTable::bundled().expect("the bundled table parses")
}

fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= expected.abs() * 1e-9,
        "{actual} != {expected}"
    );
}

fn cost(costs: &[ProviderCost], provider: BillingProvider) -> &ProviderCost {
    costs
        .iter()
        .find(|c| c.provider == provider)
        .expect("every provider is priced")
}

fn on_demand(gb_seconds: f64) -> BilledQuantities {
    let mut q = BilledQuantities::default();
    q.gb_seconds = gb_seconds;
    q
}

async fn work(Json(ms): Json<u64>, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Item 3: Lambda's monthly GB-s tiers, x86 and arm64.
// ---------------------------------------------------------------------------------------------

#[test]
fn lambda_x86_gb_seconds_past_six_billion_are_priced_at_the_second_tier() {
    // [ref §11.1; aws.amazon.com/lambda/pricing: "$0.0000166667 for the first 6 billion
    // GB-seconds / month", then $0.000015 up to 15 B, then $0.0000133334 (Price List SKU
    // TG3M4CAGBA3NYQBH)]. 10 B GB-s in a month:
    //   6e9 × 0.0000166667 = 100,000.2
    //   4e9 × 0.000015     =  60,000.0
    //   total                160,000.2 (a flat first-tier rate would give 166,667.0)
    let rule = LambdaRule::new(table().aws_lambda, LambdaArch::X86_64);
    assert_close(rule.charges(&on_demand(10e9)).compute, 160_000.2);
    // 20 B GB-s: 100,000.2 + 9e9 × 0.000015 (135,000) + 5e9 × 0.0000133334 (66,667) = 301,667.2
    assert_close(rule.charges(&on_demand(20e9)).compute, 301_667.2);
    // Below the first bound the first-tier rate applies: 1,000 × 0.0000166667 = 0.0166667.
    assert_close(rule.charges(&on_demand(1_000.0)).compute, 0.0166667);
}

#[test]
fn lambda_arm64_gb_seconds_are_priced_through_its_own_three_tiers() {
    // [ref §11.1; aws.amazon.com/lambda/pricing first tier "7.5 billion GB-seconds"; other tiers
    // Price List SKU 72SBSFWPMDTH8S3J]. 20 B GB-s on arm64:
    //   7.5e9   × 0.0000133334 = 100,000.5
    //   11.25e9 × 0.0000120001 = 135,001.125
    //   1.25e9  × 0.0000106667 =  13,333.375
    //   total                    248,335.0
    let rule = LambdaRule::new(table().aws_lambda, LambdaArch::Arm64);
    assert_close(rule.charges(&on_demand(20e9)).compute, 248_335.0);
}

#[test]
fn a_price_table_with_tiers_out_of_order_is_refused() {
    let text = faasport_adapter_local::meter::BUNDLED_PRICES.replace(
        "up_to_gb_seconds = 15_000_000_000",
        "up_to_gb_seconds = 5_000_000_000",
    );
    let err = PriceTable::from_toml_str(&text).expect_err("tiers must increase");
    assert!(err.to_string().contains("aws_lambda.x86_64.tiers"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Item 4: provisioned concurrency billed in 5-minute blocks, per on/off window.
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn provisioned_concurrency_kept_seven_minutes_is_billed_ten() {
    // [ref §11.1, §13; aws.amazon.com/lambda/pricing: provisioned concurrency "is calculated
    // from the time you enable it on your function until it is disabled, rounded up to the
    // nearest five minutes"]. One 1,024 MB min instance for 7 min → billed 10 min:
    //   1 GB × 1 × 600 s = 600 GB-s × $0.0000041667 = $0.00250002.
    // Cloud Run bills idle min instances exactly (100 ms steps): 420 s × (1 vCPU × $0.000018 +
    // 1 GiB × $0.000002) = $0.0084 [ref §11.4].
    let app = App::new("pc").function(Function::new("warm", work).memory_mb(1024).min_instances(1));
    let rt = LocalRuntime::builder(app)
        .profile(Profile::aws())
        .build()
        .expect("valid app");
    let origin = Instant::now();
    rt.ready().await;
    tokio::time::sleep_until(origin + Duration::from_secs(7 * 60)).await;
    let report: Report = rt.report();
    let lambda = cost(&report.costs, BillingProvider::AwsLambda);
    assert_close(lambda.quantities.provisioned_gb_seconds, 600.0);
    assert_close(lambda.charges.provisioned, 0.00250002);
    let cloud_run = cost(&report.costs, BillingProvider::CloudRun);
    assert_close(cloud_run.quantities.provisioned_vcpu_seconds, 420.0);
    assert_close(cloud_run.charges.provisioned, 0.0084);
}

#[test]
fn each_on_off_window_of_provisioned_concurrency_is_rounded_up_on_its_own() {
    // [ref §11.1; aws.amazon.com/lambda/pricing, five-minute rounding "from the time you enable
    // it ... until it is disabled"]. Two windows, 7 min and 1 min, 3 instances of 512 MB:
    //   ceil5(7 min) + ceil5(1 min) = 10 + 5 = 15 min = 900 s (not ceil5(8 min) = 10 min)
    //   0.5 GB × 3 × 900 s = 1,350 GB-s × $0.0000041667 = $0.005625045.
    // arm64 [ref §11.1, Price List SKU MV7PTBS82AVCMXJJ]: 1,350 × $0.0000033334 = $0.00450009.
    let warm = WarmCapacity::windows(
        3,
        512,
        [Duration::from_secs(7 * 60), Duration::from_secs(60)],
    );
    let capacity = BTreeMap::from([("api".to_owned(), warm)]);
    for (arch, expected) in [
        (LambdaArch::X86_64, 0.005625045),
        (LambdaArch::Arm64, 0.00450009),
    ] {
        let options = PricingOptions::default().lambda_arch(arch);
        let costs = compare_costs_with_capacity(&[], &capacity, &table(), &options);
        let lambda = cost(&costs, BillingProvider::AwsLambda);
        assert_close(lambda.quantities.provisioned_gb_seconds, 1_350.0);
        assert_close(lambda.charges.provisioned, expected);
        // Cloud Run takes the windows exactly: 3 × 480 s idle = 1,440 vCPU-s.
        let cloud_run = cost(&costs, BillingProvider::CloudRun);
        assert_close(cloud_run.quantities.provisioned_vcpu_seconds, 1_440.0);
    }
}

#[test]
fn the_pricing_page_provisioned_concurrency_example_comes_to_the_cent() {
    // [ref §11.1; aws.amazon.com/lambda/pricing, Provisioned Concurrency example 1]: 1,024 MB,
    // provisioned concurrency 1,000 for two hours, 1.2 M invocations of 1 s each on it:
    //   configured: 1,000 × 7,200 s × 1 GB = 7,200,000 GB-s × $0.0000041667 = $30.00
    //   duration:   1.2 M × 1 s × 1 GB    = 1,200,000 GB-s × $0.0000097222 = $11.67
    //   requests:   1.2 M × $0.20 / M                                       =  $0.24
    //   total                                                                  $41.91
    let warm =
        WarmCapacity::windows(1_000, 1_024, [Duration::from_secs(7_200)]).instance_ids(0..1_000);
    let mut r = InvocationRecord::new("api", "req");
    r.duration = Duration::from_secs(1);
    r.memory_mb = 1_024;
    r.instance = Some(7);
    let rule = LambdaRule::new(table().aws_lambda, LambdaArch::X86_64);
    let one = rule.quantities_with_capacity(&[&r], &warm);
    // 1.2 M identical invocations: the per-invocation quantities, 1.2 M times.
    let mut q = one;
    q.requests = 1_200_000;
    q.billed_ms = 1_200_000_000;
    q.gb_seconds = 1_200_000.0;
    q.provisioned_execution_gb_seconds = 1_200_000.0;
    let charges = rule.charges(&q);
    assert_close(q.provisioned_gb_seconds, 7_200_000.0);
    assert_eq!(format!("{:.2}", charges.provisioned), "30.00");
    assert_eq!(format!("{:.2}", charges.compute), "11.67");
    assert_eq!(format!("{:.2}", charges.requests), "0.24");
    assert_eq!(format!("{:.2}", charges.total()), "41.91");
}
