//! The quickstart: `cargo run --example quickstart`.
//!
//! With no arguments it drives a short built-in workload through the local runtime (on the
//! virtual clock, so it takes well under a second of real time) and prints what happened. With
//! arguments it is the app binary (`serve`, `invoke`, ...), and the same code deploys to any cloud.

mod app;

use std::collections::BTreeMap;
use std::time::Duration;

use faasport::core::chrono::{TimeZone, Utc};
use faasport::local::{InvocationRecord, LocalRuntime, Outcome};
use faasport::prelude::*;

fn main() -> Result<(), Error> {
    if std::env::args().len() > 1 {
        let runtime = tokio::runtime::Runtime::new()?;
        return runtime.block_on(faasport::run(app::app()));
    }
    // Paused tokio time: sleeps in the handlers advance a virtual clock instantly.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()?;
    runtime.block_on(workload())
}

/// Three bursts of 20 concurrent orders a minute apart, each order billed, then the nightly job.
async fn workload() -> Result<(), Error> {
    let shop = LocalRuntime::new(app::app())?;
    println!("faasport quickstart: app `shop` on the local runtime (virtual clock)\n");
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
                shop.invoke("create-order", Event::Http(req)).await
            }));
        }
        for call in calls {
            call.await
                .map_err(|e| Error::Unsupported(format!("workload task failed: {e}")))??;
        }
        for i in 0..20u64 {
            let order = app::Order {
                customer: format!("c{i}"),
                amount_cents: 500 + i,
            };
            let msg = TopicMessage::new("orders", format!("m{burst}-{i}"), Body::json(&order)?);
            shop.invoke("bill", Event::Topic(msg)).await?;
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    let at = Utc
        .with_ymd_and_hms(2026, 11, 28, 2, 0, 0)
        .single()
        .ok_or_else(|| Error::invalid_payload("bad tick time"))?;
    shop.invoke(
        "nightly",
        Event::Schedule(ScheduleTick::new("0 2 * * *", at)),
    )
    .await?;
    print_summary(&shop.records());
    Ok(())
}

fn print_summary(records: &[InvocationRecord]) {
    let mut by_function: BTreeMap<&str, Vec<&InvocationRecord>> = BTreeMap::new();
    for r in records {
        by_function.entry(&r.function).or_default().push(r);
    }
    println!(
        "{:<14} {:>11} {:>11} {:>7} {:>14}",
        "function", "invocations", "cold starts", "errors", "mean duration"
    );
    for (name, rs) in by_function {
        let cold = rs.iter().filter(|r| r.cold).count();
        let errors = rs.iter().filter(|r| r.outcome != Outcome::Ok).count();
        let total: Duration = rs.iter().map(|r| r.duration).sum();
        let mean = total / u32::try_from(rs.len().max(1)).unwrap_or(u32::MAX);
        println!(
            "{name:<14} {:>11} {cold:>11} {errors:>7} {:>11} ms",
            rs.len(),
            mean.as_millis()
        );
    }
}
