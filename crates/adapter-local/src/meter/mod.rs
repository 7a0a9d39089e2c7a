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
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};

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

/// Records handed to [`Meter::record`] that wait, in their order, for the aggregates to take
/// them all at once.
const BATCH: usize = 64;

/// The invocations of one runtime: their aggregates, and the records kept.
///
/// Recording hands the record over under a lock held for one push; every 64 records,
/// whoever records the last one (if nobody is reading) moves them into the aggregates and the
/// ring under the meter's main lock. Every read takes the records handed over first, so it
/// sees every invocation recorded before it. Two threads recording at once wait only for a
/// push, not for the aggregates (closing Cloud Run's busy intervals takes tens of thousands
/// of instructions every few hundred records).
#[derive(Debug, Default)]
pub struct Meter {
    state: Mutex<State>,
    /// Records handed over, in completion order, not yet in `state` (at most [`BATCH`], more
    /// only while a reader holds `state`).
    pending: Mutex<Vec<InvocationRecord>>,
}

#[derive(Debug, Default)]
struct State {
    totals: RunTotals,
    records: Retained<InvocationRecord>,
    /// The other half of the pending buffer: swapped with it, then drained, so neither
    /// reallocates.
    spare: Vec<InvocationRecord>,
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
                spare: Vec::new(),
            }),
            pending: Mutex::default(),
        }
    }

    /// An empty meter keeping records under `retention` and metering billed quantities under
    /// `rules` (see [`billing_rules`]).
    pub fn configured(retention: RecordRetention, rules: Vec<Box<dyn BillingRule>>) -> Self {
        Self {
            state: Mutex::new(State {
                totals: RunTotals::new(rules),
                records: Retained::new(retention),
                spare: Vec::new(),
            }),
            pending: Mutex::default(),
        }
    }

    /// Records one invocation: the aggregates count it and the ring keeps it, in completion
    /// order, by the next read at the latest (see [`Meter`]).
    pub fn record(&self, record: InvocationRecord) {
        self.hand_over(|pending| pending.push(record));
    }

    /// [`Meter::record`] of a copy of `record`, cloned straight into the batch (the runtime
    /// keeps the original for its caller).
    pub(crate) fn record_copy(&self, record: &InvocationRecord) {
        self.hand_over(|pending| pending.push(record.clone()));
    }

    /// Adds to the batch under its lock (`add` pushes one record), and settles a full batch.
    #[inline]
    fn hand_over(&self, add: impl FnOnce(&mut Vec<InvocationRecord>)) {
        let full = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            add(&mut pending);
            pending.len() >= BATCH
        };
        if full {
            // A reader holding the state takes them; else the next full batch will.
            match self.state.try_lock() {
                Ok(mut state) => self.settle(&mut state),
                Err(TryLockError::Poisoned(poisoned)) => self.settle(&mut poisoned.into_inner()),
                Err(TryLockError::WouldBlock) => {}
            }
        }
    }

    /// Moves the records handed over into the aggregates and the ring, in their order.
    fn settle(&self, state: &mut State) {
        let State {
            totals,
            records,
            spare,
        } = state;
        {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            if pending.is_empty() {
                return;
            }
            std::mem::swap(&mut *pending, spare);
        }
        for record in spare.iter() {
            totals.record(record);
        }
        records.append(spare);
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

    /// The state, with every record handed over so far in it.
    fn lock(&self) -> MutexGuard<'_, State> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.settle(&mut state);
        state
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

    #[test]
    fn every_read_sees_the_records_of_a_batch_not_yet_full() {
        let meter = Meter::with_capacity(8);
        for i in 0..3 {
            meter.record(InvocationRecord::new("f", i.to_string()));
        }
        assert_eq!((meter.len(), meter.retained()), (3, 3));
        assert_eq!(meter.functions()[0].invocations, 3);
        let ids: Vec<String> = meter
            .records()
            .iter()
            .map(|r| r.request_id.to_string())
            .collect();
        assert_eq!(ids, ["0", "1", "2"]);
        meter.record(InvocationRecord::new("f", "3"));
        assert_eq!(meter.with_records(|records| records.len()), 4);
        assert_eq!(meter.with_totals(|totals| totals.invocations()), 4);
    }

    #[test]
    fn records_from_many_threads_are_all_kept_each_thread_in_its_order() {
        const THREADS: usize = 4;
        const EACH: usize = 10 * BATCH + 7;
        let meter = Meter::with_capacity(THREADS * EACH);
        std::thread::scope(|scope| {
            for t in 0..THREADS {
                let meter = &meter;
                scope.spawn(move || {
                    for n in 0..EACH {
                        meter.record(InvocationRecord::new("f", format!("{t}-{n}")));
                        if n % 100 == 0 {
                            // Readers in between take what was handed over.
                            assert!(meter.len() > n);
                        }
                    }
                });
            }
        });
        assert_eq!(meter.len(), THREADS * EACH);
        let mut next = [0usize; THREADS];
        for record in meter.records() {
            let (t, n) = record.request_id.split_once('-').expect("t-n ids");
            let (t, n): (usize, usize) = (t.parse().expect("thread"), n.parse().expect("n"));
            assert_eq!(n, next[t], "thread {t}'s records out of order");
            next[t] += 1;
        }
        assert_eq!(next, [EACH; THREADS]);
    }
}
