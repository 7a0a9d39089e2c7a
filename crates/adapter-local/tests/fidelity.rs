//! Fidelity II (issue 13): the published rules the meter applies, each with its expected figure
//! worked out by hand in a comment from the provider's rule, as cited in the project's reference
//! notes (`pricing-and-scaling.md`, section in brackets) and the provider page they cite. Every
//! figure goes through the public API and the bundled price table (2026-11).

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use faasport_adapter_local::meter::{
    compare_costs_with_capacity, BilledQuantities, LambdaRule, Pricing, WarmCapacity, Workload,
};
use faasport_adapter_local::{
    BillingProvider, BillingRule, InvocationRecord, LambdaArch, LocalRuntime, PriceTable,
    PricingOptions, Profile, ProviderCost, Report,
};
use faasport_core::{App, Context, Error, Event, Function, Json};

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
    let mut q = on_demand(20e9);
    q.arm64_gb_seconds = 20e9; // what the rule meters for arm64 records
    assert_close(rule.charges(&q).compute, 248_335.0);
    // The same GB-s metered from an arm64 record at the arm64 default.
    let mut r = InvocationRecord::new("f", "1");
    r.duration = Duration::from_secs(1);
    r.memory_mb = 1_024;
    assert_close(rule.quantities(&[&r]).arm64_gb_seconds, 1.0);
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
    let warm = WarmCapacity::windows(1_000, 1_024, [Duration::from_secs(7_200)]);
    let workload =
        Workload::new(1_200_000, Duration::from_secs(1), 1_024).provisioned(warm, 1_200_000);
    let costs = Pricing::bundled().expect("bundled").estimate(&workload);
    let lambda = cost(&costs, BillingProvider::AwsLambda);
    assert_close(lambda.quantities.provisioned_gb_seconds, 7_200_000.0);
    assert_close(
        lambda.quantities.provisioned_execution_gb_seconds,
        1_200_000.0,
    );
    assert_eq!(format!("{:.2}", lambda.charges.provisioned), "30.00");
    assert_eq!(format!("{:.2}", lambda.charges.compute), "11.67");
    assert_eq!(format!("{:.2}", lambda.charges.requests), "0.24");
    assert_eq!(format!("{:.2}", lambda.total), "41.91");
}

// ---------------------------------------------------------------------------------------------
// Item 7: pricing without running, with the meter's own rules.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_pricing_page_on_demand_example_is_priced_without_running() {
    // [ref §1.1, §11.1; aws.amazon.com/lambda/pricing, example 1]: 3 M requests a month, 120 ms
    // each, 1,536 MB, x86:
    //   compute:  3e6 × 0.12 s × 1.5 GB = 540,000 GB-s × $0.0000166667 = $9.00 (9.000018)
    //   requests: 3 M × $0.20 / M                                      = $0.60
    //   total                                                            $9.60
    // With the free tier (1 M requests, 400,000 GB-s a month [ref §1.1]):
    //   (540,000 − 400,000) × $0.0000166667 = $2.33; (3 M − 1 M) × $0.20 / M = $0.40; $2.73.
    let workload = Workload::new(3_000_000, Duration::from_millis(120), 1_536);
    let pricing = Pricing::bundled().expect("bundled");
    let costs = pricing.estimate(&workload);
    let lambda = cost(&costs, BillingProvider::AwsLambda);
    assert_eq!(lambda.quantities.requests, 3_000_000);
    assert_eq!(lambda.quantities.billed_ms, 360_000_000);
    assert_close(lambda.quantities.gb_seconds, 540_000.0);
    assert_eq!(format!("{:.2}", lambda.charges.compute), "9.00");
    assert_eq!(format!("{:.2}", lambda.total), "9.60");
    let free = pricing
        .clone()
        .options(PricingOptions::default().free_tier(true))
        .estimate(&workload);
    assert_eq!(
        format!("{:.2}", cost(&free, BillingProvider::AwsLambda).total),
        "2.73"
    );
}

/// `calls` records of `workload`'s shape, laid out as the estimate assumes: batches of
/// `concurrency` overlapping calls on one instance, batches one second apart.
fn records_like(
    calls: u64,
    duration_ms: u64,
    memory_mb: u32,
    concurrency: u64,
) -> Vec<InvocationRecord> {
    (0..calls)
        .map(|i| {
            let mut r = InvocationRecord::new("workload", i.to_string());
            r.duration = Duration::from_millis(duration_ms);
            r.memory_mb = memory_mb;
            r.instance = Some(0);
            r.arrived_at = Duration::from_secs(i / concurrency);
            r
        })
        .collect()
}

#[test]
fn an_estimate_equals_metering_the_same_invocations_one_by_one() {
    // The estimate meters one batch and multiplies; the meter sums every record. 2,003 calls of
    // 73 ms at 300 MB, 4 at a time per instance (500 full batches and a batch of 3): same
    // quantities and totals on every provider.
    let pricing = Pricing::bundled().expect("bundled");
    let workload = Workload::new(2_003, Duration::from_millis(73), 300)
        .concurrency(4)
        .function("workload");
    let estimated = pricing.estimate(&workload);
    let metered = pricing.compare(&records_like(2_003, 73, 300, 4), &BTreeMap::new());
    assert_eq!(estimated.len(), 4);
    for (e, m) in estimated.iter().zip(&metered) {
        assert_eq!(e.provider, m.provider);
        assert_eq!(e.quantities.requests, m.quantities.requests, "{}", e.label);
        assert_eq!(
            e.quantities.billed_ms, m.quantities.billed_ms,
            "{}",
            e.label
        );
        assert_close(e.quantities.gb_seconds, m.quantities.gb_seconds);
        assert_close(e.total, m.total);
    }
    // Cloud Run shares the 4 overlapping calls: 501 busy intervals of 100 ms, not 2,003.
    assert_eq!(
        cost(&estimated, BillingProvider::CloudRun)
            .quantities
            .billed_ms,
        50_100
    );
}

#[test]
fn cold_starts_add_their_initialiser_to_the_estimate_as_the_meter_bills_it() {
    // [ref §1.1: billed = ceil_1ms(init + duration) on a cold start, INIT billed since
    // 2025-08-01]. 1,000 calls of 20 ms at 128 MB, 10 of them cold with a 12.5 ms initialiser:
    //   Lambda billed ms = 990 × 20 + 10 × ceil(32.5) = 19,800 + 330 = 20,130.
    //   Azure Consumption does not bill start-up [ref §1.3]: 1,000 × max(100, 20) = 100,000 ms.
    let pricing = Pricing::bundled().expect("bundled");
    let workload = Workload::new(1_000, Duration::from_millis(20), 128)
        .cold_starts(10, Duration::from_micros(12_500));
    let costs = pricing.estimate(&workload);
    assert_eq!(
        cost(&costs, BillingProvider::AwsLambda)
            .quantities
            .billed_ms,
        20_130
    );
    assert_eq!(
        cost(&costs, BillingProvider::AzureConsumption)
            .quantities
            .billed_ms,
        100_000
    );
    let mut records = records_like(1_000, 20, 128, 1);
    for r in records.iter_mut().take(10) {
        r.cold = true;
        r.init = Duration::from_micros(12_500);
        r.instance = Some(u64::MAX);
    }
    let metered = pricing.compare(&records, &BTreeMap::new());
    assert_close(
        cost(&metered, BillingProvider::AwsLambda).total,
        cost(&costs, BillingProvider::AwsLambda).total,
    );
}

#[test]
fn three_hundred_million_calls_are_priced_as_a_million_times_three_hundred() {
    // O(1): the estimate of 300 M calls is exactly 1e6 × that of 300 calls (same batch, scaled),
    // which a loop over the calls could not produce in the time this test takes. 300 M × 120 ms ×
    // 1.5 GB = 54 M GB-s (below the 6 B tier bound): 54e6 × 0.0000166667 + 300 M × $0.20 / M =
    // 900.0018 + 60 = $960.0018. (10 calls per instance at once: 300 is a whole number of batches.)
    let pricing = Pricing::bundled().expect("bundled");
    let small =
        pricing.estimate(&Workload::new(300, Duration::from_millis(120), 1_536).concurrency(10));
    let big = pricing
        .estimate(&Workload::new(300_000_000, Duration::from_millis(120), 1_536).concurrency(10));
    for (s, b) in small.iter().zip(&big) {
        assert_eq!(b.quantities.requests, s.quantities.requests * 1_000_000);
        assert_eq!(b.quantities.billed_ms, s.quantities.billed_ms * 1_000_000);
        assert_close(b.quantities.gb_seconds, s.quantities.gb_seconds * 1e6);
    }
    assert_close(cost(&big, BillingProvider::AwsLambda).total, 960.0018);
}

#[test]
fn a_table_built_from_scratch_prices_like_the_bundled_one() {
    // The bundled Lambda x86 and Azure Consumption rates, set by hand: the page example above
    // gives the same $9.60 on Lambda and, on Azure (1,536 MB billed, 120 ms ≥ 100 ms minimum),
    // 540,000 GB-s × $0.000016 + 3 × $0.20 = $9.24 [ref §1.3].
    let table = PriceTable::builder("by-hand")
        .lambda(LambdaArch::X86_64, 0.0000166667, 0.20)
        .azure_consumption(0.000016, 0.20)
        .build()
        .expect("valid");
    let costs = Pricing::new(table, PricingOptions::default()).estimate(&Workload::new(
        3_000_000,
        Duration::from_millis(120),
        1_536,
    ));
    assert_eq!(
        format!("{:.2}", cost(&costs, BillingProvider::AwsLambda).total),
        "9.60"
    );
    assert_eq!(
        format!(
            "{:.2}",
            cost(&costs, BillingProvider::AzureConsumption).total
        ),
        "9.24"
    );
    assert_eq!(cost(&costs, BillingProvider::CloudRun).total, 0.0);
    let bad = PriceTable::builder("bad")
        .lambda(LambdaArch::Arm64, -1.0, 0.2)
        .build();
    assert!(bad.is_err());
}

// ---------------------------------------------------------------------------------------------
// Item 1: Lambda concurrency is per account and region, shared by every function.
// ---------------------------------------------------------------------------------------------

/// Fires `n` simultaneous 1 s calls at each function, returns (served, throttled) per function.
async fn burst(rt: &LocalRuntime, functions: &[&str], n: usize) -> Vec<(usize, usize)> {
    let mut calls = Vec::new();
    for f in functions {
        for _ in 0..n {
            let rt = rt.clone();
            let f = (*f).to_owned();
            calls.push((
                f.clone(),
                tokio::spawn(async move { rt.invoke(&f, Event::from_json(1_000.into())).await }),
            ));
        }
    }
    let mut out = vec![(0, 0); functions.len()];
    for (f, call) in calls {
        let i = functions.iter().position(|g| *g == f).expect("known");
        let inv = call.await.expect("joined").expect("known function");
        if inv.result.is_ok() {
            out[i].0 += 1;
        } else {
            out[i].1 += 1;
        }
    }
    out
}

#[tokio::test(start_paused = true)]
async fn two_functions_bursting_share_the_account_concurrency_of_one_thousand() {
    // [ref §9.1; docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html: the 1,000
    // concurrent executions per Region are "shared by every function in the Region"]. 1,000
    // simultaneous calls to each of two functions (each well within its own scaling rate of
    // 1,000 new environments per 10 s, §9.2): 1,000 run, the other 1,000 get 429.
    let app = App::new("acct")
        .function(Function::new("a", work))
        .function(Function::new("b", work));
    let rt = LocalRuntime::builder(app)
        .profile(Profile::aws())
        .build()
        .expect("valid app");
    let served = burst(&rt, &["a", "b"], 1_000).await;
    let total: usize = served.iter().map(|(ok, _)| ok).sum();
    let throttled: usize = served.iter().map(|(_, t)| t).sum();
    assert_eq!((total, throttled), (1_000, 1_000), "{served:?}");
    // Once they finish, the pool is free again: a lone call runs.
    let later = rt
        .invoke("b", Event::from_json(10.into()))
        .await
        .expect("known function");
    assert!(later.result.is_ok());
}

#[tokio::test(start_paused = true)]
async fn reserved_concurrency_carves_its_share_out_of_the_account_pool() {
    // [ref §9.1; configuration-concurrency.html: reserved concurrency "acts as both a lower and
    // upper bound"; API_PutFunctionConcurrency: at least 100 stays unreserved]. `a` reserves
    // 300 (max instances on the aws profile): it runs 300 of its 1,000 calls whatever `b` does,
    // and `b` gets the rest of the account, 1,000 − 300 = 700.
    let app = App::new("acct")
        .function(Function::new("a", work).max_instances(300))
        .function(Function::new("b", work));
    let rt = LocalRuntime::builder(app)
        .profile(Profile::aws())
        .build()
        .expect("valid app");
    let served = burst(&rt, &["a", "b"], 1_000).await;
    assert_eq!(served, vec![(300, 700), (700, 300)]);
}

#[test]
fn reserving_more_than_the_account_allows_is_refused() {
    // [ref §9.1: you can reserve up to the account concurrency minus 100]. 950 + 0 leaves 50.
    let app = App::new("greedy")
        .function(Function::new("a", work).max_instances(950))
        .function(Function::new("b", work));
    let err = LocalRuntime::builder(app)
        .profile(Profile::aws())
        .build()
        .expect_err("at least 100 must stay unreserved");
    assert!(
        err.to_string()
            .contains("at least 100 must stay unreserved"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Item 5: ephemeral storage, response streaming, the free tier line by line, cents rounding.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_pricing_page_ephemeral_storage_line_comes_to_the_cent() {
    // [ref §11.1; aws.amazon.com/lambda/pricing, example 3]: 2,048 MB of ephemeral storage over
    // 1.68 M s of compute: (2,048 − 512) / 1,024 = 1.5 GB × 1,680,000 s = 2,520,000 GB-s
    //   × $0.0000000309 = $0.077868 → $0.08 on the invoice.
    let workload =
        Workload::new(1_680_000, Duration::from_secs(1), 1_024).ephemeral_storage_mb(2_048);
    let costs = Pricing::bundled().expect("bundled").estimate(&workload);
    let lambda = cost(&costs, BillingProvider::AwsLambda);
    assert_close(lambda.quantities.ephemeral_gb_seconds, 2_520_000.0);
    assert_close(lambda.charges.storage, 0.077868);
    let invoice = lambda.invoice();
    let storage = invoice
        .lines
        .iter()
        .find(|l| l.item == "storage")
        .expect("a storage line");
    assert_eq!(storage.billed, 0.08);
    // Azure and Cloud Run have no such charge.
    assert_eq!(
        cost(&costs, BillingProvider::AzureConsumption)
            .charges
            .storage,
        0.0
    );
}

#[tokio::test(start_paused = true)]
async fn a_function_with_more_ephemeral_storage_is_billed_for_it_by_the_runtime() {
    // [ref §11.1: 512 MB free, configurable to 10,240 MB, $0.0000000309 per GB-s above 512].
    // One 1 s call with 10,240 MB: (10,240 − 512) / 1,024 = 9.5 GB × 1 s = 9.5 GB-s.
    let app = App::new("tmp").function(Function::new("big", work).ephemeral_storage_mb(10_240));
    let rt = LocalRuntime::builder(app)
        .profile(Profile::aws())
        .build()
        .expect("valid app");
    rt.invoke("big", Event::from_json(1_000.into()))
        .await
        .expect("known function");
    let report = rt.report();
    let lambda = cost(&report.costs, BillingProvider::AwsLambda);
    assert_close(lambda.quantities.ephemeral_gb_seconds, 9.5);
    assert_close(lambda.charges.storage, 9.5 * 0.0000000309);
    // 256 MB is below what Lambda accepts.
    let small = App::new("tmp").function(Function::new("small", work).ephemeral_storage_mb(256));
    let err = LocalRuntime::builder(small)
        .profile(Profile::aws())
        .build()
        .expect_err("Lambda accepts 512 to 10,240 MB");
    assert!(err.to_string().contains("ephemeral storage"), "{err}");
}

#[test]
fn response_streaming_is_billed_beyond_six_megabytes_per_request() {
    // [ref §11.1; aws.amazon.com/lambda/pricing: $0.008 per GB written beyond the first 6 MB of
    // each request, 1 GB = 1,024 MB, 100 GB/month free]. 1,000 calls streaming 10 MB each:
    //   1,000 × (10 − 6) MB = 4,000 MB = 3.90625 GB × $0.008 = $0.03125;
    // with the free tier, the 100 GB cover it all: the streaming line's credit is $0.03125.
    let workload = Workload::new(1_000, Duration::from_millis(100), 128).streamed_bytes(10 << 20);
    let pricing = Pricing::bundled().expect("bundled");
    let lambda = pricing.estimate(&workload).remove(0);
    assert_eq!(lambda.quantities.streamed_bytes, 4_000 << 20);
    assert_close(lambda.charges.streaming, 0.03125);
    let free = pricing
        .options(PricingOptions::default().free_tier(true))
        .estimate(&workload)
        .remove(0);
    assert_close(free.free_tier_lines.streaming, 0.03125);
}

#[test]
fn the_free_tier_is_deducted_line_by_line_and_invoices_round_each_line_to_the_cent() {
    // [ref §1.1; aws.amazon.com/lambda/pricing example 1 with the free tier]: 3 M × 120 ms ×
    // 1,536 MB. Requests: 1 M free → credit 1 M × $0.20/M = $0.20, billed 2 M = $0.40.
    // Compute: 400,000 GB-s free → credit 400,000 × $0.0000166667 = $6.66668, billed
    // 140,000 × $0.0000166667 = $2.333338 → $2.33. Invoice: $2.33 + $0.40 = $2.73.
    let pricing = Pricing::bundled()
        .expect("bundled")
        .options(PricingOptions::default().free_tier(true));
    let lambda = pricing
        .estimate(&Workload::new(3_000_000, Duration::from_millis(120), 1_536))
        .remove(0);
    assert_close(lambda.free_tier_lines.requests, 0.20);
    assert_close(lambda.free_tier_lines.compute, 6.66668);
    let invoice = lambda.invoice();
    let lines: Vec<(&str, f64)> = invoice
        .lines
        .iter()
        .map(|l| (l.item.as_str(), l.billed))
        .collect();
    assert_eq!(lines, vec![("compute", 2.33), ("requests", 0.40)]);
    assert_eq!(invoice.total, 2.73);
    // Halves round up, as on an invoice, even where f64 holds 0.285 as 0.28499999…
    assert_eq!(faasport_adapter_local::meter::round_to_cents(0.285), 0.29);
    assert_eq!(
        faasport_adapter_local::meter::round_to_cents(11.66664),
        11.67
    );
}

#[test]
fn the_azure_consumption_pricing_example_comes_to_the_cent() {
    // [ref §1.3 for the rates and rules; azure.microsoft.com/pricing/details/functions,
    // Consumption example]: 3 M executions a month, 1 s each, 512 MB observed memory, with the
    // monthly free grant (400,000 GB-s, 1 M executions):
    //   3 M × 1 s × 0.5 GB = 1,500,000 GB-s − 400,000 = 1,100,000 × $0.000016 = $17.60
    //   (3 M − 1 M) × $0.20 / M                                             =  $0.40
    //   total                                                                 $18.00
    let pricing = Pricing::bundled()
        .expect("bundled")
        .options(PricingOptions::default().free_tier(true));
    let azure = pricing
        .estimate(&Workload::new(3_000_000, Duration::from_secs(1), 512))
        .remove(2);
    assert_eq!(azure.provider, BillingProvider::AzureConsumption);
    let invoice = azure.invoice();
    let lines: Vec<(&str, f64)> = invoice
        .lines
        .iter()
        .map(|l| (l.item.as_str(), l.billed))
        .collect();
    assert_eq!(lines, vec![("compute", 17.60), ("requests", 0.40)]);
    assert_eq!(invoice.total, 18.00);
}

#[test]
fn the_provisioned_concurrency_example_invoice_adds_rounded_lines() {
    // Same example as above: $30.00024 → $30.00, $11.66664 → $11.67, $0.24: $41.91.
    let warm = WarmCapacity::windows(1_000, 1_024, [Duration::from_secs(7_200)]);
    let workload =
        Workload::new(1_200_000, Duration::from_secs(1), 1_024).provisioned(warm, 1_200_000);
    let invoice = Pricing::bundled()
        .expect("bundled")
        .estimate(&workload)
        .remove(0)
        .invoice();
    let lines: Vec<(&str, f64)> = invoice
        .lines
        .iter()
        .map(|l| (l.item.as_str(), l.billed))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("compute", 11.67),
            ("requests", 0.24),
            ("provisioned", 30.00)
        ]
    );
    assert_eq!(invoice.total, 41.91);
}

// Azure Flex Consumption [ref §1.3, §11.2; learn.microsoft.com/azure/azure-functions/
// flex-consumption-plan and functions-consumption-costs].

#[test]
fn flex_bills_one_short_call_per_instance_activity_as_a_full_second_of_two_gigabytes() {
    // [ref §1.3 meter rule, §1.4 example A]: "minimum billable execution period 1,000 ms, then
    // rounded up to 100 ms", GB-s = instance memory × active time. 1 M calls of 50 ms, each its
    // own activity period on a 2,048 MB instance: 1 M × 1 s × 2 GB = 2,000,000 GB-s
    //   × $0.000026 = $52.00, + 1 M × $0.40 / M = $0.40: $52.40 (the reference's worst case).
    let costs = Pricing::bundled()
        .expect("bundled")
        .estimate(&Workload::new(1_000_000, Duration::from_millis(50), 2_048));
    let flex = cost(&costs, BillingProvider::AzureFlex);
    assert_eq!(flex.quantities.billed_ms, 1_000_000_000);
    assert_close(flex.quantities.gb_seconds, 2_000_000.0);
    assert_eq!(flex.invoice().total, 52.40);
}

#[test]
fn flex_bills_an_instance_busy_for_an_hour_as_microsofts_example_does() {
    // [ref §11.2, Microsoft Learn functions-consumption-costs]: one 2 GB instance busy for an
    // hour: 2 GB × 3,600 s = 7,200 GB-s × $0.000026 = $0.1872; 40 req/s = 0.144 M requests
    // × $0.40 / M = $0.0576. Here 144,000 calls of 25 ms back to back on one instance: one
    // activity period of 3,600 s, however many calls it holds.
    let records: Vec<InvocationRecord> = (0..144_000u64)
        .map(|i| {
            let mut r = InvocationRecord::new("api", i.to_string());
            r.arrived_at = Duration::from_millis(i * 25);
            r.duration = Duration::from_millis(25);
            r.memory_mb = 2_048;
            r.instance = Some(1);
            r
        })
        .collect();
    let costs = Pricing::bundled()
        .expect("bundled")
        .compare(&records, &BTreeMap::new());
    let flex = cost(&costs, BillingProvider::AzureFlex);
    assert_eq!(flex.quantities.billed_ms, 3_600_000);
    assert_close(flex.charges.compute, 0.1872);
    assert_close(flex.charges.requests, 0.0576);
    // A month's projection from this hour scales the same aggregates
    // (`BilledQuantities::scaled`): × 730 hours = 7,200 × 730 × $0.000026 = $136.656 → $136.66.
    let rule = faasport_adapter_local::meter::AzureFlexRule::new(
        table().azure_flex.expect("the bundled table prices Flex"),
    );
    let month = rule.charges(&flex.quantities.scaled(730.0));
    assert_eq!(format!("{:.2}", month.compute), "136.66");
}

#[test]
fn flex_always_ready_instances_pay_a_baseline_and_a_lower_execution_rate() {
    // [ref §11.2, §11.5: "A 2 GB always-ready baseline costs $0.0288/h"]: one always-ready
    // 2,048 MB instance for an hour: 2 GB × 3,600 s × $0.000004 = $0.0288. 1,000 calls of 1 s
    // on it, one at a time: 1,000 × 1 s × 2 GB = 2,000 GB-s at the always-ready execution rate
    // $0.000016 = $0.032 (on demand they would cost 2,000 × $0.000026 = $0.052).
    let warm = WarmCapacity::windows(1, 2_048, [Duration::from_secs(3_600)]);
    let workload = Workload::new(1_000, Duration::from_secs(1), 2_048).provisioned(warm, 1_000);
    let costs = Pricing::bundled().expect("bundled").estimate(&workload);
    let flex = cost(&costs, BillingProvider::AzureFlex);
    assert_close(flex.charges.provisioned, 0.0288);
    assert_close(flex.charges.compute, 0.032);
}

// ---------------------------------------------------------------------------------------------
// Item 6: the architecture belongs to the function.
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn each_function_is_priced_at_its_own_architecture() {
    // [ref §1.1, §11.1; aws.amazon.com/lambda/pricing]: x86 $0.0000166667 and arm64
    // $0.0000133334 per GB-s (first tiers). Two 1,024 MB functions, one call of 1 s each, the
    // second on arm64, priced under the default x86 option with no re-pricing step:
    //   x86: 1 GB-s × 0.0000166667 + arm64: 1 GB-s × 0.0000133334 = $0.0000300001 of compute.
    let app = App::new("arch")
        .function(Function::new("x", work).memory_mb(1_024))
        .function(
            Function::new("a", work)
                .memory_mb(1_024)
                .arch(LambdaArch::Arm64),
        );
    let rt = LocalRuntime::builder(app)
        .profile(Profile::aws())
        .build()
        .expect("valid app");
    for f in ["x", "a"] {
        rt.invoke(f, Event::from_json(1_000.into()))
            .await
            .expect("known function");
    }
    let report = rt.report();
    let lambda = cost(&report.costs, BillingProvider::AwsLambda);
    assert_close(lambda.quantities.arm64_gb_seconds, 1.0);
    assert_close(lambda.charges.compute, 0.0000300001);
    let a = lambda
        .functions
        .iter()
        .find(|f| f.function == "a")
        .expect("a is priced");
    assert_close(a.charges.compute, 0.0000133334);
}

// ---------------------------------------------------------------------------------------------
// Item 2: event-source scaling.
// ---------------------------------------------------------------------------------------------

/// A LocalCloud under `profile` whose `slow` function consumes `jobs` one message per batch,
/// 60 s each; returns it with the gauge of batches running at once.
fn slow_consumer(
    profile: Profile,
    cap: Option<u32>,
) -> (
    faasport_adapter_local::LocalCloud,
    std::sync::Arc<std::sync::atomic::AtomicU32>,
) {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    let running = Arc::new(AtomicU32::new(0));
    let gauge = running.clone();
    let slow = move |_batch: faasport_core::QueueBatch, _cx: Context| {
        let running = gauge.clone();
        async move {
            running.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(60)).await;
            running.fetch_sub(1, Ordering::SeqCst);
            Ok::<_, Error>(faasport_core::BatchOutcome::success())
        }
    };
    let mut f = Function::new("slow", slow)
        .queue_batched("jobs", 1, Duration::ZERO)
        .timeout(Duration::from_secs(90));
    if let Some(cap) = cap {
        f = f.max_instances(cap);
    }
    let app = App::new("q")
        .queue_spec(
            faasport_core::QueueSpec::new("jobs").visibility_timeout(Duration::from_secs(600)),
        )
        .function(f);
    let sources = faasport_adapter_local::LocalCloud::builder(app)
        .profile(profile)
        .build()
        .expect("valid app");
    (sources, running)
}

#[tokio::test(start_paused = true)]
async fn lambdas_sqs_poller_starts_at_five_batches_and_adds_three_hundred_a_minute() {
    // [ref §10.1; docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html]: "5 batches at
    // a time", then "+up to 300 ... per minute", up to 1,000. With 3,000 messages of 60 s each:
    //   at t = 0:    5 batches;
    //   at t = 30 s: 5 + 30 s × 300 / 60 s = 5 + 150 = 155 (none has finished yet).
    use std::sync::atomic::Ordering;
    let (sources, running) = slow_consumer(Profile::aws(), None);
    for i in 0..3_000 {
        sources
            .send("jobs", faasport_core::Message::new(i.to_string()))
            .await
            .expect("sent");
    }
    sources.start();
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(running.load(Ordering::SeqCst), 5);
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(running.load(Ordering::SeqCst), 155);
}

#[tokio::test(start_paused = true)]
async fn the_poller_never_passes_the_functions_reserved_concurrency() {
    // [ref §10.1: MaximumConcurrency / reserved concurrency caps the mapping]: reserved 50, so
    // after a minute of backlog (305 allowed by the ramp) 50 batches run.
    use std::sync::atomic::Ordering;
    let (sources, running) = slow_consumer(Profile::aws(), Some(50));
    for i in 0..500 {
        sources
            .send("jobs", faasport_core::Message::new(i.to_string()))
            .await
            .expect("sent");
    }
    sources.start();
    tokio::time::sleep(Duration::from_secs(59)).await;
    assert_eq!(running.load(Ordering::SeqCst), 50);
}

#[tokio::test(start_paused = true)]
async fn an_azure_queue_trigger_adds_an_instance_of_twenty_four_messages_every_thirty_seconds() {
    // [ref §10.5: batchSize 16 + newBatchThreshold 8 = 24 messages per instance; §2.3, §10.6:
    // one new instance per 30 s for non-HTTP triggers]: 24 at first, 48 after 30 s, 72 after
    // 60 s (the batches last 60 s here, so none has finished at 59 s: 48).
    use std::sync::atomic::Ordering;
    let (sources, running) = slow_consumer(Profile::azure(), None);
    for i in 0..500 {
        sources
            .send("jobs", faasport_core::Message::new(i.to_string()))
            .await
            .expect("sent");
    }
    sources.start();
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(running.load(Ordering::SeqCst), 24);
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(running.load(Ordering::SeqCst), 48);
}

// ---------------------------------------------------------------------------------------------
// Item 8: is serverless a fit? Break-even against capacity kept running.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_break_even_rates_of_the_reference_worked_example() {
    // [ref §12.2, §12.3]: an I/O-bound JSON API, 100 ms per request, 5 ms of CPU, 512 MB,
    // 10 req/s on average (26.28 M a month of 730 h), peak 3× (30 req/s), u_t = 0.7.
    //   Lambda x86 per request: 0.05 GB-s × $0.0000166667 + $0.20/M = $1.0333335 per M;
    //   a month: 26.28 M × that = $27.156 → $27.16.
    //   Fargate ARM 0.5 vCPU ($0.01975/h): K = 0.7 × min(1,000 / 0.1 s, 0.5 / 0.005 s) = 70 req/s,
    //   N = max(1, ceil(30 / 70)) = 1; λ̄* = 0.01975 / (3,600 × 1.0333335e-6) = 5.309 req/s;
    //   a month 730 × 0.01975 = $14.42; idle share 1 − 10 / (1 × 100) = 90 %.
    //   EC2 m7g.medium ($0.0408/h): K = 0.7 × 1 / 0.005 = 140; λ̄* = 10.97 req/s.
    let workload = Workload::new(26_280_000, Duration::from_millis(100), 512)
        .over(Duration::from_secs(730 * 3_600));
    let question = faasport_adapter_local::meter::FitQuestion::default()
        .peak_factor(3.0)
        .cpu_per_request(Duration::from_millis(5));
    let fits = Pricing::bundled()
        .expect("bundled")
        .break_even(&workload, &question);
    let fargate = fits
        .iter()
        .find(|f| f.option.name.starts_with("AWS Fargate ARM"))
        .expect("Fargate ARM is in the table");
    assert_close(fargate.capacity_rps, 70.0);
    assert_eq!(fargate.instances, 1);
    assert_eq!(format!("{:.2}", fargate.monthly), "14.42");
    assert_close(fargate.idle_share, 0.9);
    let lambda = &fargate.versus[0];
    assert_eq!(lambda.provider, BillingProvider::AwsLambda);
    assert_eq!(format!("{:.2}", lambda.monthly), "27.16");
    assert_eq!(
        format!("{:.2}", lambda.break_even_rps.expect("capacity can win")),
        "5.31"
    );
    let m7g = fits
        .iter()
        .find(|f| f.option.name.starts_with("EC2 m7g.medium"))
        .expect("m7g is in the table");
    assert_close(m7g.capacity_rps, 140.0);
    assert_eq!(
        format!(
            "{:.2}",
            m7g.versus[0].break_even_rps.expect("capacity can win")
        ),
        "10.97"
    );
    // Lambda provisioned concurrency sized for the peak: K = 0.7 × 1 / 0.1 s = 7 req/s per
    // environment, N = ceil(30 / 7) = 5 environments of 0.5 GB at $0.0000041667/GB-s
    // (0.5 × 3,600 × 0.0000041667 = $0.00750006/h each), requests still pay duration at
    // $0.0000097222/GB-s: per request 0.05 × 0.0000097222 + 0.2e-6 = $0.00000068611;
    // λ̄* = 5 × 0.00750006 / (3,600 × (1.0333335e-6 − 0.68611e-6)) = 30.0 req/s.
    let pc = fits
        .iter()
        .find(|f| f.option.name.starts_with("Lambda provisioned"))
        .expect("derived from the Lambda table");
    assert_eq!(pc.instances, 5);
    assert_eq!(
        format!("{:.1}", pc.versus[0].break_even_rps.expect("can win")),
        "30.0"
    );
}

// ---------------------------------------------------------------------------------------------
// Item 9: reading results.
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_report_answers_the_cost_on_one_provider_and_the_instances_at_a_time() {
    // Three simultaneous 1 s calls on Lambda start three environments at t = 0; the fixed
    // keep-alive of 10 min [ref §2.1, Shahrad et al.] reaps them 10 min after they went idle.
    use faasport_adapter_local::{ReapCause, ScalingEventKind, StartCause};
    let app = App::new("read").function(Function::new("f", work));
    let rt = LocalRuntime::builder(app)
        .profile(Profile::aws())
        .build()
        .expect("valid app");
    let calls: Vec<_> = (0..3)
        .map(|_| {
            let rt = rt.clone();
            tokio::spawn(async move { rt.invoke("f", Event::from_json(1_000.into())).await })
        })
        .collect();
    for c in calls {
        c.await.expect("joined").expect("known function");
    }
    tokio::time::sleep(Duration::from_secs(15 * 60)).await;
    let report = rt.report();
    assert_eq!(report.instances_at("f", Duration::ZERO), 3);
    assert_eq!(report.instances_at("f", Duration::from_secs(60)), 3);
    assert_eq!(report.instances_at("f", Duration::from_secs(12 * 60)), 0);
    let lambda = report.cost(BillingProvider::AwsLambda).expect("priced");
    assert_eq!(lambda.quantities.requests, 3);
    assert!(report.cost(BillingProvider::AzureFlex).is_some());
    // The scaling enums at one import path.
    assert!(report.trace.iter().any(|e| e.kind
        == ScalingEventKind::Started {
            cause: StartCause::Demand
        }));
    assert!(report.trace.iter().any(|e| e.kind
        == ScalingEventKind::Reaped {
            cause: ReapCause::KeepAlive
        }));
}
