//! Aggregates per function: counts and duration percentiles.

use serde::{Deserialize, Serialize};

use crate::record::InvocationRecord;

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
    /// Median handler duration, in milliseconds (nearest rank over invocations that ran; see
    /// [`DurationDigest`](super::DurationDigest) for long runs).
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

/// Aggregates records per function, sorted by function name (the same streaming
/// [`RunTotals`](super::RunTotals) the runtime keeps, fed from a slice).
pub fn aggregate(records: &[InvocationRecord]) -> Vec<FunctionStats> {
    let mut totals = super::RunTotals::default();
    for r in records {
        totals.record(r);
    }
    totals.functions()
}
