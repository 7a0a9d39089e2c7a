//! The meter: streaming aggregates per function ([`RunTotals`]), the most recent
//! [`InvocationRecord`]s ([`RecordRetention`]), and what the run would cost on each provider.
//!
//! Recording updates the aggregates and moves the record into a bounded ring (or, when every
//! record is kept, into fixed-capacity chunks) behind one uncontended lock. The report is
//! computed from the aggregates, so a long run's memory does not grow with its invocations.

mod activity;
mod aggregate;
pub mod billing;
mod breakeven;
mod cost;
mod counters;
mod estimate;
mod prices;
mod projection;
mod retention;
mod totals;

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

pub use activity::Activity;
pub use aggregate::{aggregate, FunctionStats};
pub use billing::{
    AzureConsumptionRule, AzureFlexRule, BilledQuantities, BillingProvider, BillingRule,
    CapacityWindow, Charges, CloudRunRule, LambdaArch, LambdaRule, PricingOptions, WarmCapacity,
};
pub use breakeven::{BreakEven, CapacityOption, FitQuestion, Versus, HOURS_PER_MONTH};
pub use cost::{
    billing_rules, compare_costs, compare_costs_with_capacity, round_to_cents, FunctionCost,
    Invoice, InvoiceLine, ProviderCost,
};
pub use counters::{DurationHistogram, FunctionCounters, FunctionMetrics, DURATION_BUCKETS};
pub use estimate::{Pricing, Workload};
pub use prices::{
    AlwaysOnPrice, AwsLambdaPrices, AzureConsumptionPrices, AzureFlexPrices, AzureFreeTier,
    CloudRunFreeTier, CloudRunPrices, CloudRunRates, FlexAlwaysReadyPrices, GbSecondTier,
    LambdaArchPrices, LambdaFreeTier, PriceError, PriceTable, PriceTableBuilder,
    ProvisionedConcurrencyPrices, BUNDLED_PRICES,
};
pub use projection::{MonthProjection, ProjectionError, MONTH};
pub(crate) use retention::Retained;
pub use retention::{RecordRetention, DEFAULT_RING};
pub use totals::{DurationDigest, RunTotals, EXACT_DURATIONS, OPEN_HORIZON, OPEN_WINDOW};

use crate::record::InvocationRecord;

/// The invocations of one runtime: their aggregates, and the records kept.
#[derive(Debug, Default)]
pub struct Meter {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    totals: RunTotals,
    records: Retained<InvocationRecord>,
}

impl Meter {
    /// An empty meter keeping the default ring of records, without billing rules.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty meter keeping every record, with room for `capacity` records before it needs
    /// another chunk.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State {
                totals: RunTotals::default(),
                records: Retained::all_with_capacity(capacity),
            }),
        }
    }

    /// An empty meter keeping records under `retention` and metering billed quantities under
    /// `rules` (see [`billing_rules`]).
    pub fn configured(retention: RecordRetention, rules: Vec<Box<dyn BillingRule>>) -> Self {
        Self {
            state: Mutex::new(State {
                totals: RunTotals::new(rules),
                records: Retained::new(retention),
            }),
        }
    }

    /// Records one invocation: updates the aggregates and keeps the record.
    pub fn record(&self, record: InvocationRecord) {
        let mut state = self.lock();
        state.totals.record(&record);
        state.records.push(record);
    }

    /// How many invocations were recorded, kept or not.
    pub fn len(&self) -> usize {
        usize::try_from(self.lock().totals.invocations()).unwrap_or(usize::MAX)
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many records are kept now (at most the ring's size).
    pub fn retained(&self) -> usize {
        self.lock().records.len()
    }

    /// How many records the ring has let go.
    pub fn dropped(&self) -> u64 {
        self.lock().records.dropped()
    }

    /// A copy of every record kept, in completion order.
    pub fn records(&self) -> Vec<InvocationRecord> {
        self.lock().records.to_vec()
    }

    /// Takes every record kept out of the meter (the aggregates stay).
    pub fn take_records(&self) -> Vec<InvocationRecord> {
        self.lock().records.take()
    }

    /// Runs `f` on the records kept without copying them out.
    pub fn with_records<T>(&self, f: impl FnOnce(&[InvocationRecord]) -> T) -> T {
        f(self.lock().records.as_slice())
    }

    /// Runs `f` on the aggregates.
    pub fn with_totals<T>(&self, f: impl FnOnce(&RunTotals) -> T) -> T {
        f(&self.lock().totals)
    }

    /// Aggregates per function, sorted by function name.
    pub fn functions(&self) -> Vec<FunctionStats> {
        self.lock().totals.functions()
    }

    /// The run so far priced under the meter's billing rules, with the capacity each function
    /// kept warm.
    pub fn costs(
        &self,
        warm: &BTreeMap<String, WarmCapacity>,
        table: &PriceTable,
        options: &PricingOptions,
    ) -> Vec<ProviderCost> {
        self.lock().totals.costs(warm, table, options.free_tier)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_meter_counts_every_invocation_and_keeps_the_last() {
        let meter = Meter::configured(RecordRetention::Ring(10), Vec::new());
        for i in 0..1000 {
            meter.record(InvocationRecord::new("f", i.to_string()));
        }
        assert_eq!(
            (meter.len(), meter.retained(), meter.dropped()),
            (1000, 10, 990)
        );
        assert_eq!(meter.functions()[0].invocations, 1000);
        assert_eq!(&*meter.records()[0].request_id, "990");
    }
}
