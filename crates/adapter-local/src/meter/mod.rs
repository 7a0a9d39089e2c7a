//! The meter: one [`InvocationRecord`] per invocation, aggregates per function, and what the run
//! would cost on each provider.
//!
//! Recording moves the record into fixed-capacity storage chunks behind one uncontended lock:
//! nothing is allocated there except, once per 4,096 records, a new chunk (the record's own
//! request id is its only allocation, made by the runtime; the function name is shared).
//! Aggregates and costs are computed when asked, from the records.

mod aggregate;
pub mod billing;
mod cost;
mod counters;
mod prices;

use std::sync::{Mutex, MutexGuard, PoisonError};

pub use aggregate::{aggregate, FunctionStats};
pub use billing::{
    AzureConsumptionRule, BilledQuantities, BillingProvider, BillingRule, Charges, CloudRunRule,
    LambdaArch, LambdaRule, PricingOptions, WarmCapacity,
};
pub use cost::{
    billing_rules, compare_costs, compare_costs_with_capacity, FunctionCost, ProviderCost,
};
pub use counters::{DurationHistogram, FunctionCounters, FunctionMetrics, DURATION_BUCKETS};
pub use prices::{PriceError, PriceTable, BUNDLED_PRICES};

use crate::record::InvocationRecord;

/// Records per storage chunk: 4,096 records of ~144 bytes, about 576 KiB.
const CHUNK: usize = 4096;

/// The invocation records of one runtime.
///
/// Records are kept in fixed-capacity chunks: a push writes into the last chunk, or starts a new
/// one when it is full, so recording never moves the records already kept (a single growing
/// vector would copy all of them each time it doubles). Readers that want one slice
/// ([`Meter::with_records`]) get the chunks joined once, off the hot path.
#[derive(Debug, Default)]
pub struct Meter {
    records: Mutex<Chunks>,
}

/// Fixed-capacity chunks of records, in completion order.
#[derive(Debug, Default)]
struct Chunks {
    chunks: Vec<Vec<InvocationRecord>>,
    len: usize,
}

impl Chunks {
    fn with_capacity(capacity: usize) -> Self {
        Self {
            chunks: vec![Vec::with_capacity(capacity.max(1))],
            len: 0,
        }
    }

    /// Appends without ever reallocating a chunk.
    #[inline]
    fn push(&mut self, record: InvocationRecord) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < chunk.capacity() => chunk.push(record),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(record);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    /// Joins the chunks into one (a copy of every record, once) and returns it.
    fn as_slice(&mut self) -> &[InvocationRecord] {
        if self.chunks.len() > 1 {
            let mut all = Vec::with_capacity(self.len);
            for chunk in self.chunks.drain(..) {
                all.extend(chunk);
            }
            self.chunks.push(all);
        }
        self.chunks.first().map_or(&[], Vec::as_slice)
    }

    fn to_vec(&self) -> Vec<InvocationRecord> {
        let mut all = Vec::with_capacity(self.len);
        for chunk in &self.chunks {
            all.extend_from_slice(chunk);
        }
        all
    }

    fn take(&mut self) -> Vec<InvocationRecord> {
        self.as_slice();
        self.len = 0;
        self.chunks.pop().unwrap_or_default()
    }
}

impl Meter {
    /// An empty meter.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty meter with room for `capacity` records before it needs another chunk.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            records: Mutex::new(Chunks::with_capacity(capacity)),
        }
    }

    /// Records one invocation: a short critical section that moves the record into place.
    pub fn record(&self, record: InvocationRecord) {
        self.lock().push(record);
    }

    /// How many invocations were recorded.
    pub fn len(&self) -> usize {
        self.lock().len
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of every record, in completion order.
    pub fn records(&self) -> Vec<InvocationRecord> {
        self.lock().to_vec()
    }

    /// Takes every record out of the meter, leaving it empty (long runs can report and drain
    /// periodically to bound memory).
    pub fn take_records(&self) -> Vec<InvocationRecord> {
        self.lock().take()
    }

    /// Runs `f` on the records without copying them out (the first call after new records
    /// joins the storage chunks into one slice).
    pub fn with_records<T>(&self, f: impl FnOnce(&[InvocationRecord]) -> T) -> T {
        f(self.lock().as_slice())
    }

    fn lock(&self) -> MutexGuard<'_, Chunks> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(records: &[InvocationRecord]) -> Vec<String> {
        records.iter().map(|r| r.request_id.to_string()).collect()
    }

    #[test]
    fn chunks_keep_completion_order_across_boundaries() {
        let meter = Meter::with_capacity(3);
        let n = 3 + CHUNK + 5;
        for i in 0..n {
            meter.record(InvocationRecord::new("f", i.to_string()));
        }
        let expected: Vec<String> = (0..n).map(|i| i.to_string()).collect();
        assert_eq!(meter.len(), n);
        assert_eq!(ids(&meter.records()), expected);
        assert_eq!(meter.with_records(ids), expected);
        // Joined once; records pushed afterwards follow in a new chunk.
        meter.record(InvocationRecord::new("f", "last"));
        assert_eq!(meter.with_records(|r| r.len()), n + 1);
        assert_eq!(
            meter.with_records(|r| ids(r).pop()),
            Some("last".to_owned())
        );
        let taken = meter.take_records();
        assert_eq!(taken.len(), n + 1);
        assert!(meter.is_empty());
        assert_eq!(meter.with_records(<[InvocationRecord]>::len), 0);
        meter.record(InvocationRecord::new("f", "again"));
        assert_eq!(ids(&meter.records()), vec!["again".to_owned()]);
    }
}
