//! Schedules: cron and rate triggers firing on the runtime's clock.
//!
//! Each tick is an asynchronous invocation (as EventBridge Scheduler invokes Lambda), so a
//! failed tick is retried and dead-lettered like a topic delivery. Ticks are computed from the
//! previous scheduled time, not from when the previous tick ran, so a slow handler never shifts
//! the schedule, and under a paused tokio clock a whole day of ticks runs in milliseconds.
//!
//! The runtime's clock starts at [`LocalCloudBuilder::clock_start`](super::LocalCloudBuilder::clock_start)
//! (the real time by default) and advances with tokio's clock. A rate schedule first fires one
//! period after the sources start.

use std::sync::Arc;

use faasport_core::{Event, Schedule, ScheduleTick, Trigger};

use super::Hub;

/// Starts a timer task for every schedule trigger of the app.
pub(crate) fn start_all(hub: &Arc<Hub>) {
    for f in hub.runtime.app().functions() {
        for trigger in f.triggers() {
            let Trigger::Schedule { expression } = trigger else {
                continue;
            };
            // The app was validated when the runtime was built, so this parses.
            let Ok(schedule) = Schedule::parse(expression) else {
                tracing::error!(function = f.name(), expression, "invalid schedule skipped");
                continue;
            };
            hub.tracker
                .spawn(run(hub.clone(), f.name().to_owned(), schedule));
        }
    }
}

async fn run(hub: Arc<Hub>, function: String, schedule: Schedule) {
    let mut after = hub.now();
    while let Some(next) = schedule.next_after(after) {
        let at = hub.instant_of(next);
        tokio::select! {
            () = tokio::time::sleep_until(at) => {}
            () = hub.closing.cancelled() => return,
        }
        let tick = ScheduleTick::new(schedule.expression(), next);
        let id = format!("{}@{}", schedule.expression(), next.to_rfc3339());
        if let Err(e) = hub.dispatch(&function, Arc::new(Event::Schedule(tick)), &id, None) {
            tracing::error!(function, error = %e, "could not deliver a schedule tick");
        }
        after = next;
    }
    tracing::info!(
        function,
        expression = schedule.expression(),
        "schedule has no further firing"
    );
}
