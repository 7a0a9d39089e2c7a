//! Cloud Scheduler into [`ScheduleTick`]s, for functions with a schedule trigger.
//!
//! | delivery | recognised by | `scheduled_at` |
//! |---|---|---|
//! | HTTP target | header `X-CloudScheduler: true` | `X-CloudScheduler-ScheduleTime`, else now |
//! | Pub/Sub target | a Pub/Sub message on a topic the function does not subscribe to | the publish time, else now |
//! | CloudEvent `google.cloud.scheduler.job.v1.executed` | its type | the event's `time`, else now |
//! | CloudEvent `dev.knative.sources.ping` (a Knative `PingSource`, see `manifest knative`) | its type | the event's `time`, else now |
//!
//! The tick's schedule is the function's expression when it has exactly one, else the job name
//! (`X-CloudScheduler-JobName`), else empty.

use chrono::{DateTime, Utc};
use faasport_core::ScheduleTick;
use http::HeaderMap;

/// The header Cloud Scheduler adds to HTTP-target requests.
pub const SCHEDULER_HEADER: &str = "x-cloudscheduler";
/// The CloudEvent type of a job run.
pub const EXECUTED: &str = "google.cloud.scheduler.job.v1.executed";
/// The CloudEvent type a Knative `PingSource` sends on its schedule.
pub const KNATIVE_PING: &str = "dev.knative.sources.ping";

/// Whether the request comes from a Cloud Scheduler HTTP target.
pub fn is_scheduler_request(headers: &HeaderMap) -> bool {
    headers
        .get(SCHEDULER_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The tick for a Cloud Scheduler HTTP-target request; `schedule` is the function's one
/// expression, if it has exactly one.
pub fn from_headers(headers: &HeaderMap, schedule: Option<&str>) -> ScheduleTick {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let at = header("x-cloudscheduler-scheduletime")
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    let name = schedule
        .or_else(|| header("x-cloudscheduler-jobname"))
        .unwrap_or("");
    ScheduleTick::new(name, at)
}
