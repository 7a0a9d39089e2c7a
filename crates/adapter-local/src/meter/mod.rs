//! The meter: one [`InvocationRecord`] per invocation, aggregates per function, and what the run
//! would cost on each provider.
//!
//! Recording is a push onto a vector behind an uncontended lock: the record's own strings are
//! the only allocation. Aggregates and costs are computed when asked, from the records.

mod aggregate;
pub mod billing;
mod cost;
mod counters;
mod prices;

use std::sync::{Mutex, MutexGuard, PoisonError};

pub use aggregate::{aggregate, FunctionStats};
pub use billing::{
    AzureConsumptionRule, BilledQuantities, BillingProvider, BillingRule, Charges, CloudRunRule,
    LambdaArch, LambdaRule, PricingOptions,
};
pub use cost::{billing_rules, compare_costs, FunctionCost, ProviderCost};
pub use counters::{DurationHistogram, FunctionCounters, FunctionMetrics, DURATION_BUCKETS};
pub use prices::{PriceError, PriceTable, BUNDLED_PRICES};

use crate::record::InvocationRecord;

/// The invocation records of one runtime.
#[derive(Debug, Default)]
pub struct Meter {
    records: Mutex<Vec<InvocationRecord>>,
}

impl Meter {
    /// An empty meter.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty meter with room for `capacity` records.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            records: Mutex::new(Vec::with_capacity(capacity)),
        }
    }

    /// Records one invocation.
    pub fn record(&self, record: InvocationRecord) {
        self.lock().push(record);
    }

    /// How many invocations were recorded.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// A copy of every record, in completion order.
    pub fn records(&self) -> Vec<InvocationRecord> {
        self.lock().clone()
    }

    /// Takes every record out of the meter, leaving it empty (long runs can report and drain
    /// periodically to bound memory).
    pub fn take_records(&self) -> Vec<InvocationRecord> {
        std::mem::take(&mut *self.lock())
    }

    /// Runs `f` on the records without copying them.
    pub fn with_records<T>(&self, f: impl FnOnce(&[InvocationRecord]) -> T) -> T {
        f(&self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, Vec<InvocationRecord>> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
