//! [`QueueScaling`]: how fast a queue trigger's consumer adds concurrent work while a backlog
//! lasts, per provider.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Provider;

/// How a queue consumer's concurrency grows while messages wait, per provider (the pricing and
/// scaling notes §10, with their sources).
///
/// | | concurrent work at first | then | at most |
/// |---|---|---|---|
/// | aws (Lambda + SQS) | 5 batches | +1 every 200 ms (300 a minute) | 1,000 batches |
/// | azure (Storage queue trigger) | 24 messages (one instance: `batchSize` 16 + `newBatchThreshold` 8) | +24 (one instance) every 30 s | 200 instances × 24 |
/// | gcp (Pub/Sub push to Cloud Run) | 8,000 (100 instances × 80 concurrent requests) | no ramp | 8,000 |
/// | local | 5 | no ramp | 5 |
///
/// Sources. Lambda: "starts with 5 concurrent batches ... adds up to 300 more concurrent
/// invocations per minute, up to 1,000" (docs.aws.amazon.com/lambda/latest/dg/
/// services-sqs-scaling.html, §10.1 (V); the 2023 guide said +60 a minute). Azure: host.json
/// `queues.batchSize` 16 and `newBatchThreshold` = batchSize / 2 = 8 on Consumption, so an
/// instance holds at most 24 messages (functions-bindings-storage-queue, §10.5 (V)); a new
/// instance at most every 30 s for non-HTTP triggers (event-driven-scaling, §2.3, §10.6 (V));
/// 200 instances on Consumption (§2.3 (V)). Target-based scaling may add up to 4 instances at a
/// time, at an interval the documentation does not give, so the incremental rate is used — a
/// decision. Google: a push subscription delivers as fast as the endpoint accepts ("Pub/Sub
/// dynamically adjusts the rate of push requests based on the rate at which it receives
/// success responses", §10.7 (V); the slow-start window is not documented (R)), so the bound is
/// Cloud Run's capacity: max instances (100) × concurrency (80) (§2.2 (V)).
///
/// A function's own instance cap (reserved concurrency on Lambda) lowers the ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueueScaling {
    /// Concurrent batches (or messages) at first.
    pub initial: u32,
    /// How many more after each `per` of backlog.
    pub step: u32,
    /// The ramp's period (`Duration::ZERO`: no ramp).
    pub per: Duration,
    /// The ceiling.
    pub max: u32,
}

impl QueueScaling {
    /// The rule of `provider` (see the table on [`QueueScaling`]).
    pub fn of(provider: Provider) -> Self {
        match provider {
            Provider::Aws => Self::new(5, 1, Duration::from_millis(200), 1_000),
            Provider::Azure => Self::new(24, 24, Duration::from_secs(30), 200 * 24),
            Provider::Gcp => Self::new(100 * 80, 0, Duration::ZERO, 100 * 80),
            Provider::Local => Self::new(5, 0, Duration::ZERO, 5),
        }
    }

    /// `initial`, then `step` more every `per`, up to `max`.
    pub const fn new(initial: u32, step: u32, per: Duration, max: u32) -> Self {
        Self {
            initial,
            step,
            per,
            max,
        }
    }

    /// The concurrency allowed after `backlog` of continuous backlog, at most `cap` (the
    /// function's own instance cap, if any).
    ///
    /// ```
    /// use std::time::Duration;
    /// use faasport_core::contract::QueueScaling;
    /// use faasport_core::Provider;
    ///
    /// let sqs = QueueScaling::of(Provider::Aws);
    /// assert_eq!(sqs.allowed(Duration::ZERO, None), 5);
    /// assert_eq!(sqs.allowed(Duration::from_secs(60), None), 305);
    /// assert_eq!(sqs.allowed(Duration::from_secs(600), None), 1_000);
    /// assert_eq!(sqs.allowed(Duration::from_secs(600), Some(50)), 50);
    /// ```
    pub fn allowed(&self, backlog: Duration, cap: Option<u32>) -> u32 {
        let ceiling = cap.map_or(self.max, |c| c.min(self.max)).max(1);
        let steps = if self.per.is_zero() {
            0
        } else {
            u64::try_from(backlog.as_nanos() / self.per.as_nanos()).unwrap_or(u64::MAX)
        };
        let grown =
            u64::from(self.initial).saturating_add(steps.saturating_mul(u64::from(self.step)));
        u32::try_from(grown).unwrap_or(u32::MAX).min(ceiling)
    }

    /// How long a backlog must last before more than `current` is allowed (`None`: never).
    pub fn next_step(&self, current: u32) -> Option<Duration> {
        if self.step == 0 || self.per.is_zero() || current >= self.max {
            return None;
        }
        let steps = current.saturating_sub(self.initial) / self.step + 1;
        Some(self.per.saturating_mul(steps))
    }
}
