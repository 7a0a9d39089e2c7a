//! Aggregates per function: counts and duration percentiles.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::record::{InvocationRecord, Outcome};

/// What happened to one function's invocations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FunctionStats {
    /// The function.
    pub function: String,
    /// Invocations, throttled ones included.
    pub invocations: u64,
    /// Invocations that failed: handler errors, timeouts, panics, failed initialisers.
    pub errors: u64,
    /// Of which timeouts.
    pub timeouts: u64,
    /// Invocations refused by a limit.
    pub throttles: u64,
    /// Invocations that started an instance.
    pub cold_starts: u64,
    /// Median handler duration, in milliseconds (nearest rank over invocations that ran).
    pub p50_ms: f64,
    /// 95th percentile handler duration, in milliseconds.
    pub p95_ms: f64,
    /// 99th percentile handler duration, in milliseconds.
    pub p99_ms: f64,
    /// Total initialiser time, in milliseconds.
    pub init_ms: f64,
    /// Total time invocations waited for capacity, in milliseconds.
    pub queued_ms: f64,
}

/// Aggregates records per function, sorted by function name.
pub fn aggregate(records: &[InvocationRecord]) -> Vec<FunctionStats> {
    let mut groups: BTreeMap<&str, Vec<&InvocationRecord>> = BTreeMap::new();
    for r in records {
        groups.entry(&r.function).or_default().push(r);
    }
    groups
        .into_iter()
        .map(|(name, rs)| stats(name, &rs))
        .collect()
}

fn stats(function: &str, records: &[&InvocationRecord]) -> FunctionStats {
    let mut s = FunctionStats {
        function: function.to_owned(),
        ..FunctionStats::default()
    };
    let mut durations = Vec::with_capacity(records.len());
    for r in records {
        s.invocations += 1;
        s.cold_starts += u64::from(r.cold);
        s.init_ms += ms(r.init);
        s.queued_ms += ms(r.queued);
        match r.outcome {
            Outcome::Ok => {}
            Outcome::Throttled => s.throttles += 1,
            Outcome::Timeout => {
                s.errors += 1;
                s.timeouts += 1;
            }
            Outcome::Error | Outcome::Panic | Outcome::InitError => s.errors += 1,
        }
        if !matches!(r.outcome, Outcome::Throttled | Outcome::InitError) {
            durations.push(r.duration);
        }
    }
    durations.sort_unstable();
    s.p50_ms = percentile(&durations, 0.50);
    s.p95_ms = percentile(&durations, 0.95);
    s.p99_ms = percentile(&durations, 0.99);
    s
}

/// Nearest-rank percentile of sorted durations, in milliseconds (0 when empty).
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.clamp(1, sorted.len()) - 1)
        .copied()
        .map_or(0.0, ms)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let sorted: Vec<_> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 0.50), 50.0);
        assert_eq!(percentile(&sorted, 0.95), 95.0);
        assert_eq!(percentile(&sorted, 0.99), 99.0);
        assert_eq!(percentile(&sorted[..1], 0.99), 1.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
