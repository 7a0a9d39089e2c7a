//! Schedule ticks: a cron or rate schedule fired.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One firing of a schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ScheduleTick {
    /// The schedule's expression (`0 2 * * *`, `rate(5 minutes)`) or rule name.
    pub schedule: String,
    /// The time the tick was scheduled for (not when it ran).
    pub scheduled_at: DateTime<Utc>,
}

impl ScheduleTick {
    /// A tick of `schedule` for `scheduled_at`.
    pub fn new(schedule: impl Into<String>, scheduled_at: DateTime<Utc>) -> Self {
        Self {
            schedule: schedule.into(),
            scheduled_at,
        }
    }
}
