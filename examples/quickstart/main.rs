//! The quickstart: `cargo run --example quickstart`.
//!
//! With no arguments it drives a short built-in workload through the local runtime and its event
//! sources on the virtual clock (an hour of simulated traffic in well under a second) and prints
//! what happened, then what it would cost on each cloud. With arguments it is the app binary
//! (`serve`, `invoke`, `report`, `manifest`, ...), and the same code deploys to any cloud.

mod app;

use std::time::Duration;

use faasport::core::chrono::{TimeZone, Utc};
use faasport::local::{
    BillingProvider, InvocationSource, InvokeOptions, Outcome, Profile, Report, Sources,
};
use faasport::prelude::*;

fn main() -> Result<(), Error> {
    if std::env::args().len() > 1 {
        let runtime = tokio::runtime::Runtime::new()?;
        return runtime.block_on(faasport::run(app::app()));
    }
    // Paused tokio time: sleeps in handlers, keep-alive windows and schedules advance a virtual
    // clock instantly and deterministically.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()?;
    runtime.block_on(async {
        let (aws, summary) = workload(Profile::aws()).await?;
        println!("{summary}\n");
        println!("{}", aws.to_table());
        // Each cloud packs requests onto instances its own way: replay the same workload under
        // each provider's scaling profile and price it with that provider's rules.
        println!("Same workload under each provider's own scaling profile");
        println!(
            "{:<10} {:>15} {:>13} {:>12}",
            "profile", "instances", "cold starts", "cost (USD)"
        );
        for (profile, provider) in [
            (Profile::aws(), BillingProvider::AwsLambda),
            (Profile::gcp(), BillingProvider::CloudRun),
            (Profile::azure(), BillingProvider::AzureConsumption),
        ] {
            let name = profile.kind.to_string();
            let (report, _) = workload(profile).await?;
            let cold: u64 = report.functions.iter().map(|f| f.cold_starts).sum();
            let instances: u64 = report
                .scaling
                .iter()
                .map(|s| s.cold_starts + s.min_instance_starts + s.prewarms)
                .sum();
            let cost = report
                .costs
                .iter()
                .find(|c| c.provider == provider)
                .map_or(0.0, |c| c.total);
            println!("{name:<10} {instances:>15} {cold:>13} {cost:>12.6}");
        }
        Ok(())
    })
}

/// Three bursts of 20 concurrent orders, 5 minutes apart (inside Lambda's keep-alive, so the
/// later bursts find warm instances); every order is billed through the
/// `orders` topic; the nightly job fires from its schedule at 02:00.
async fn workload(profile: Profile) -> Result<(Report, String), Error> {
    let start = Utc
        .with_ymd_and_hms(2026, 11, 28, 1, 0, 0)
        .single()
        .ok_or_else(|| Error::invalid_payload("bad start time"))?;
    let kind = profile.kind;
    let shop = Sources::builder(app::app())
        .clock_start(start)
        .runtime(move |runtime| runtime.profile(profile))
        .build()?;
    shop.start();

    let mut created = 0;
    for burst in 0..3u64 {
        let mut calls = Vec::new();
        for i in 0..20u64 {
            let shop = shop.clone();
            let order = app::Order {
                customer: format!("c{i}"),
                amount_cents: 500 + 37 * i + burst,
            };
            calls.push(tokio::spawn(async move {
                let req = HttpRequest::new(Method::POST, "/orders")?.with_body(Body::json(&order)?);
                let options = InvokeOptions::default().source(InvocationSource::Http);
                shop.runtime()
                    .invoke_with("create-order", Event::Http(req), options)
                    .await
            }));
        }
        for call in calls {
            let invocation = call
                .await
                .map_err(|e| Error::Unsupported(format!("workload task failed: {e}")))??;
            if invocation.record.outcome == Outcome::Ok {
                created += 1;
            }
        }
        tokio::time::sleep(Duration::from_secs(5 * 60)).await;
    }
    // Let the schedule reach 02:00 (the clock is at 01:15) and every delivery finish.
    tokio::time::sleep(Duration::from_secs(50 * 60)).await;
    shop.settle().await;
    let deliveries = shop.deliveries();
    let report = shop.runtime().report();
    let leftover = shop.shutdown(Duration::from_secs(5)).await;

    let summary = format!(
        "faasport quickstart: app `shop` on the local runtime ({kind} profile, virtual clock from {start})\n\
         orders created: {created}; topic deliveries processed: {}, dead-lettered: {}; left undelivered at shutdown: {}",
        deliveries.processed,
        deliveries.dead_lettered,
        leftover.undelivered.len()
    );
    Ok((report, summary))
}
