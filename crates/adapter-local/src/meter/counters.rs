//! Running totals per function, for metrics scraped while the runtime serves.
//!
//! The records answer every question after a run, but reading them costs O(invocations). A
//! scrape of `/_faasport/metrics` every few seconds over a long `serve` needs O(functions): each
//! invocation also bumps a few atomic counters of its function ([`FunctionCounters`]), and a
//! scrape reads them ([`FunctionMetrics`]). They are never reset, as Prometheus counters must be,
//! so [`Meter::take_records`](super::Meter::take_records) does not touch them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::pool::InstanceGauges;
use crate::record::{InvocationRecord, Outcome};

/// Upper bounds, in seconds, of the handler-duration histogram's buckets: the Prometheus
/// client libraries' default buckets. A last, unbounded bucket (`+Inf`) follows.
pub const DURATION_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The counters of one function, bumped once per invocation without a lock.
#[derive(Debug, Default)]
pub struct FunctionCounters {
    by_outcome: [AtomicU64; Outcome::ALL.len()],
    nanos_by_outcome: [AtomicU64; Outcome::ALL.len()],
    cold_starts: AtomicU64,
    buckets: [AtomicU64; DURATION_BUCKETS.len() + 1],
}

impl FunctionCounters {
    /// Counts one invocation. Its handler duration goes into the histogram when the handler
    /// ran (not for throttled invocations or failed initialisers).
    pub fn record(&self, record: &InvocationRecord) {
        let i = record.outcome.index();
        let nanos = nanos(record.duration);
        self.by_outcome[i].fetch_add(1, Ordering::Relaxed);
        self.nanos_by_outcome[i].fetch_add(nanos, Ordering::Relaxed);
        if record.cold {
            self.cold_starts.fetch_add(1, Ordering::Relaxed);
        }
        if matches!(record.outcome, Outcome::Throttled | Outcome::InitError) {
            return;
        }
        let seconds = record.duration.as_secs_f64();
        let bucket = DURATION_BUCKETS
            .iter()
            .position(|&bound| seconds <= bound)
            .unwrap_or(DURATION_BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now, with the function's instance gauges.
    pub fn snapshot(&self, function: &str, instances: InstanceGauges) -> FunctionMetrics {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut cumulative = Vec::with_capacity(self.buckets.len());
        let mut running = 0;
        for bucket in &self.buckets {
            running += load(bucket);
            cumulative.push(running);
        }
        // The histogram's sum is the handler time of the outcomes whose handler ran: the same
        // durations `record` adds to the histogram, without a counter of their own.
        let observed_nanos: u64 = Outcome::ALL
            .iter()
            .filter(|o| !matches!(o, Outcome::Throttled | Outcome::InitError))
            .map(|&o| load(&self.nanos_by_outcome[o.index()]))
            .fold(0, u64::wrapping_add);
        FunctionMetrics {
            function: function.to_owned(),
            invocations: Outcome::ALL
                .iter()
                .map(|&o| (o, load(&self.by_outcome[o.index()])))
                .collect(),
            handler_seconds: Outcome::ALL
                .iter()
                .map(|&o| (o, seconds(load(&self.nanos_by_outcome[o.index()]))))
                .collect(),
            cold_starts: load(&self.cold_starts),
            duration: DurationHistogram {
                count: running,
                cumulative,
                sum_seconds: seconds(observed_nanos),
            },
            instances,
        }
    }
}

/// One function's counters and gauges at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FunctionMetrics {
    /// The function.
    pub function: String,
    /// Invocations so far by outcome, every outcome listed.
    pub invocations: Vec<(Outcome, u64)>,
    /// Handler time so far by outcome, in seconds.
    pub handler_seconds: Vec<(Outcome, f64)>,
    /// Invocations that started an instance.
    pub cold_starts: u64,
    /// Handler durations of the invocations that ran.
    pub duration: DurationHistogram,
    /// Instances now.
    pub instances: InstanceGauges,
}

impl FunctionMetrics {
    /// Invocations with `outcome` so far.
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.invocations
            .iter()
            .find(|(o, _)| *o == outcome)
            .map_or(0, |(_, n)| *n)
    }
}

/// A histogram of handler durations, Prometheus-style: cumulative counts per bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DurationHistogram {
    /// Observations at or below each bound of [`DURATION_BUCKETS`], then the total (`+Inf`).
    pub cumulative: Vec<u64>,
    /// The sum of the observations, in seconds.
    pub sum_seconds: f64,
    /// How many observations.
    pub count: u64,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn seconds(nanos: u64) -> f64 {
    Duration::from_nanos(nanos).as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ms: u64, outcome: Outcome) -> InvocationRecord {
        let mut r = InvocationRecord::new("f", "r");
        r.duration = Duration::from_millis(ms);
        r.outcome = outcome;
        r
    }

    #[test]
    fn durations_land_in_cumulative_buckets_and_refused_calls_are_only_counted() {
        let c = FunctionCounters::default();
        for (ms, outcome) in [
            (5, Outcome::Ok),
            (30, Outcome::Ok),
            (20_000, Outcome::Timeout),
            (0, Outcome::Throttled),
        ] {
            c.record(&record(ms, outcome));
        }
        let m = c.snapshot("f", InstanceGauges::default());
        assert_eq!(m.duration.cumulative, [1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3]);
        assert_eq!(m.duration.count, 3);
        assert_eq!(m.duration.sum_seconds, 20.035);
        assert_eq!(
            (
                m.count(Outcome::Ok),
                m.count(Outcome::Timeout),
                m.count(Outcome::Throttled)
            ),
            (2, 1, 1)
        );
    }
}
