//! The quickstart's built-in workload: an hour of shop traffic on the virtual clock.

use std::time::Duration;

use faasport::core::chrono::{TimeZone, Utc};
use faasport::local::{
    DeliveryCounts, InvocationSource, InvokeOptions, LocalCloud, Outcome, Profile, ProfileKind,
    Report,
};
use faasport::prelude::*;

use crate::app;

/// What one run of the workload did.
pub struct WorkloadRun {
    /// The profile it ran under.
    pub profile: ProfileKind,
    /// Orders the API accepted.
    pub orders_created: usize,
    /// Asynchronous deliveries: one per order to `bill`, one per schedule tick to `nightly`.
    pub deliveries: DeliveryCounts,
    /// Deliveries still pending at shutdown (always zero unless something is stuck).
    pub left_undelivered: usize,
    /// What the runtime measured and what it would cost.
    pub report: Report,
}

impl WorkloadRun {
    /// One paragraph for people.
    pub fn summary(&self) -> String {
        format!(
            "faasport quickstart: app `shop` on the local runtime ({} profile, virtual clock)\n\
             orders created: {}; asynchronous deliveries (orders to `bill`, ticks to `nightly`) \
             processed: {}, dead-lettered: {}; left undelivered at shutdown: {}",
            self.profile,
            self.orders_created,
            self.deliveries.processed,
            self.deliveries.dead_lettered,
            self.left_undelivered
        )
    }
}

/// Three bursts of 20 concurrent orders, 5 minutes apart (inside Lambda's keep-alive, so the
/// later bursts find warm instances); every order is billed through the `orders` topic; the
/// nightly job fires from its schedule at 02:00.
pub async fn run(profile: Profile) -> Result<WorkloadRun, Error> {
    let start = Utc
        .with_ymd_and_hms(2026, 11, 28, 1, 0, 0)
        .single()
        .ok_or_else(|| Error::invalid_payload("bad start time"))?;
    let kind = profile.kind;
    let shop = LocalCloud::builder(app::app())
        .clock_start(start)
        .profile(profile)
        .build()?;
    shop.start();

    let mut orders_created = 0;
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
            let invocation = call.await.map_err(|e| Error::Local {
                reason: format!("workload task failed: {e}"),
            })??;
            if invocation.record.outcome == Outcome::Ok {
                orders_created += 1;
            }
        }
        tokio::time::sleep(Duration::from_secs(5 * 60)).await;
    }
    // Let the schedule reach 02:00 (the clock is at 01:15) and every delivery finish.
    tokio::time::sleep(Duration::from_secs(50 * 60)).await;
    shop.settle().await;
    let deliveries = shop.deliveries();
    let report = shop.runtime().report();
    let shutdown = shop.shutdown(Duration::from_secs(5)).await;
    Ok(WorkloadRun {
        profile: kind,
        orders_created,
        deliveries,
        left_undelivered: shutdown.undelivered.len(),
        report,
    })
}
