//! Instance-billed platforms (Cloud Run request-based, Azure Flex) priced from how busy the
//! instances were (`meter::Activity`), not one busy period per call (issue 13). Each figure is
//! worked by hand from the bundled price table (2026-11) and the pricing notes
//! (`pricing-and-scaling.md`, section in brackets):
//!
//! * Cloud Run request-based: $0.000024 per vCPU-s, $0.0000025 per GiB-s, $0.40 per M requests,
//!   each busy period rounded up to 100 ms [§1.2, §11.4];
//! * Azure Flex on demand: $0.000026 per GB-s of instance memory (512 MB here), $0.40 per M
//!   executions, each active period at least 1 s then in 100 ms steps [§1.3, §11.2].

use std::time::Duration;

use tokio::time::Instant;

use faasport_adapter_local::meter::{Activity, FitQuestion, Pricing, Workload};
use faasport_adapter_local::{BillingProvider, LocalRuntime, Profile, ProviderCost};
use faasport_core::{App, Context, Error, Event, Function, Json};

fn cost(costs: &[ProviderCost], provider: BillingProvider) -> &ProviderCost {
    costs
        .iter()
        .find(|c| c.provider == provider)
        .expect("every provider is priced")
}

fn assert_close(actual: f64, expected: f64, relative: f64) {
    assert!(
        (actual - expected).abs() <= expected.abs() * relative,
        "{actual} != {expected}"
    );
}

async fn work(Json(ms): Json<u64>, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(())
}

#[test]
fn the_pricing_notes_api_at_ten_requests_a_second_is_priced_from_its_busy_periods() {
    // [§12.2 step 2, §12.3] 10 req/s of 100 ms at 512 MB for a month of 730 h (2,628,000 s),
    // 26.28 M calls, Poisson arrivals on one instance: busy B = 1 − e^(−1) = 0.632121 of the
    // time, in λ·e^(−1)·T = 9,667,872 busy periods of (e − 1)/10 = 0.171828 s, each followed by
    // a 0.1 s idle gap on average.
    //
    // Cloud Run: each period rounds up to 0.2 s: 9,667,872 × 0.2 = 1,933,574.4 s
    //   vCPU  1,933,574.4 × $0.000024        = $46.4057856
    //   GiB     966,787.2 × $0.0000025       =  $2.4169680
    //   requests 26.28 M  × $0.40 / M        = $10.5120000
    //   total $59.3347536 → $59.33. (The notes' $52.46 leaves out the 100 ms rounding; one busy
    //   period per call, the old upper bound, gives $76.87.)
    // Flex: periods less than 1 s apart are one active period, so the instance is billed about
    //   all of its 2,628,000 s: a chain of 1,000 periods spans 999 × 0.271828 + 1 = 272.56 s →
    //   272.6 s, so 1 s + (272.6 − 1) s × 9,667,871 / 999 = 2,628,423.19 s
    //   GB-s 0.5 × 2,628,423.19 × $0.000026   = $34.1695
    //   executions 26.28 M × $0.40 / M         = $10.5120
    //   total $44.68 (the notes' lower bound without the 1 s minimum is $32.11; one active
    //   period per call, the old estimate, $352.15).
    let month = Duration::from_secs(2_628_000);
    let d = Duration::from_millis(100);
    let pricing = Pricing::bundled().expect("bundled prices");
    let calls = Workload::new(26_280_000, d, 512).over(month);
    let busy = calls.clone().activity(Activity::poisson(10.0, d, month));

    let costs = pricing.estimate(&busy);
    let run = cost(&costs, BillingProvider::CloudRun);
    assert_eq!(run.quantities.billed_ms, 1_933_574_400);
    assert_close(run.total, 59.334_753_6, 1e-9);
    assert_eq!(format!("{:.2}", run.total), "59.33");
    let flex = cost(&costs, BillingProvider::AzureFlex);
    assert_close(
        flex.quantities.billed_ms as f64 / 1000.0,
        2_628_423.186,
        1e-9,
    );
    assert_eq!(format!("{:.2}", flex.total), "44.68");
    // Per-invocation billing does not change.
    let before = pricing.estimate(&calls);
    let lambda = |c: &[ProviderCost]| cost(c, BillingProvider::AwsLambda).total;
    assert_eq!(lambda(&costs), lambda(&before));
    assert_eq!(
        format!("{:.2}", cost(&before, BillingProvider::CloudRun).total),
        "76.87"
    );
    assert_eq!(
        format!("{:.2}", cost(&before, BillingProvider::AzureFlex).total),
        "352.15"
    );
    // [§12.3] At this busy fraction Cloud Run's instance-based billing ($0.0684/h, $49.93 a
    // month for 1 vCPU and 0.5 GiB; 5 ms of CPU a request, so one instance holds the load) is
    // the cheaper of the two.
    let question = FitQuestion::default().cpu_per_request(Duration::from_millis(5));
    let fit = pricing.break_even(&busy, &question);
    let instance_based = fit
        .iter()
        .find(|b| b.option.name.starts_with("Cloud Run instance-based"))
        .expect("listed");
    assert_eq!(format!("{:.2}", instance_based.monthly), "49.93");
    let request_based = instance_based
        .versus
        .iter()
        .find(|v| v.provider == BillingProvider::CloudRun)
        .expect("listed");
    assert!(request_based.monthly > instance_based.monthly);
}

#[tokio::test(start_paused = true)]
async fn a_measured_run_prices_the_same_as_its_own_bill() {
    // 40 calls of 100 ms, one every 250 ms, on one Cloud Run instance alive for the 10 s of the
    // run: the runtime measures 4 s busy in 40 busy periods out of 10 s alive.
    // Cloud Run bills 40 × 0.1 s = 4,000 ms. Flex: each period's 1 s minimum reaches the next
    // one, so the run is one active period from 0 to 9.75 + 1 = 10.75 s, billed 10,800 ms.
    // The same 40 calls priced from the measured activity give the same two figures; priced
    // as one busy period each they would give Flex 40 × 1 s = 40,000 ms.
    let app = App::new("busy").function(Function::new("api", work).memory_mb(512));
    let rt = LocalRuntime::builder(app)
        .profile(Profile::gcp())
        .build()
        .expect("valid app");
    let origin = Instant::now();
    for i in 0..40 {
        tokio::time::sleep_until(origin + Duration::from_millis(250 * i)).await;
        let call = rt
            .invoke("api", Event::from_json(100.into()))
            .await
            .expect("known function");
        assert!(call.result.is_ok());
    }
    tokio::time::sleep_until(origin + Duration::from_secs(10)).await;
    let time = rt.instance_time(Duration::from_secs(10));
    assert_eq!((time.instances, time.busy_periods), (1, 40));
    let activity = Activity::from(time);
    assert_close(activity.busy, 4.0, 1e-12);
    assert_close(activity.alive, 10.0, 1e-12);

    let report = rt.report();
    let billed = |c: &[ProviderCost], p| cost(c, p).quantities.billed_ms;
    assert_eq!(billed(&report.costs, BillingProvider::CloudRun), 4_000);
    assert_eq!(billed(&report.costs, BillingProvider::AzureFlex), 10_800);

    let pricing = Pricing::bundled().expect("bundled prices");
    let calls = Workload::new(40, Duration::from_millis(100), 512);
    let estimate = pricing.estimate(&calls.clone().activity(activity));
    for provider in [BillingProvider::CloudRun, BillingProvider::AzureFlex] {
        assert_eq!(
            billed(&estimate, provider),
            billed(&report.costs, provider),
            "{provider:?}"
        );
        assert_close(
            cost(&estimate, provider).total,
            cost(&report.costs, provider).total,
            1e-9,
        );
    }
    let per_call = pricing.estimate(&calls);
    assert_eq!(billed(&per_call, BillingProvider::AzureFlex), 40_000);
}

#[test]
fn flex_bills_two_calls_less_than_a_second_apart_as_one_active_period() {
    // [§1.3: "minimum billable execution period 1,000 ms, then rounded up to the nearest
    // 100 ms"] Two 100 ms calls on one instance, 300 ms apart (0–0.1 s and 0.4–0.5 s): each
    // is billed at least 1 s from its start (0–1.0 s and 0.4–1.4 s), and the instance is
    // billed once for the time they share, so one active period 0–1.4 s, 1,400 ms, not
    // 2 × 1,000 ms. Two calls 2 s apart are two periods: 2,000 ms; all three, 2,400 ms.
    use faasport_adapter_local::InvocationRecord;
    let pricing = Pricing::bundled().expect("bundled prices");
    let flex = pricing
        .rules()
        .into_iter()
        .find(|r| r.provider() == BillingProvider::AzureFlex)
        .expect("flex is priced");
    let call = |at_ms: u64| {
        let mut r = InvocationRecord::new("api", at_ms.to_string());
        r.instance = Some(1);
        r.memory_mb = 512;
        r.arrived_at = Duration::from_millis(at_ms);
        r.duration = Duration::from_millis(100);
        r
    };
    let (a, b, c) = (call(0), call(400), call(2_400));
    assert_eq!(flex.quantities(&[&a, &b]).billed_ms, 1_400);
    assert_eq!(flex.quantities(&[&b, &c]).billed_ms, 2_000);
    assert_eq!(flex.quantities(&[&a, &b, &c]).billed_ms, 2_400);
}
