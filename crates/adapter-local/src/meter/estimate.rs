//! Pricing without running: a described [`Workload`] priced analytically, in time that does
//! not depend on its number of calls, under the very [`BillingRule`]s the meter applies to a
//! run.
//!
//! The rules meter a handful of representative records (one batch of `concurrency`
//! invocations sharing an instance, one cold and one warm invocation), and the quantities of
//! `calls` identical invocations are those of the batch times the number of batches, plus the
//! remainder, plus the cold starts' extra: [`BilledQuantities`] are sums over invocations (or
//! over busy intervals, which identical batches repeat), so scaling them is exact. A test
//! checks the estimate against metering the same records one by one.
//!
//! [`Pricing`] is the one input of every pricing call: the price table and the options.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::activity::Activity;
use super::billing::{BilledQuantities, BillingRule, LambdaArch, PricingOptions, WarmCapacity};
use super::cost::{billing_rules, compare_costs_with_capacity, price, ProviderCost};
use super::prices::{PriceError, PriceTable};
use crate::record::InvocationRecord;

/// The busy periods [`Workload::activity`] meters one by one before scaling the rest.
const CHAIN: u64 = 1_000;

/// What every pricing call takes: the price table and the pricing options (Lambda
/// architecture, free tiers, Cloud Run vCPUs).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Pricing {
    /// The prices.
    pub table: PriceTable,
    /// The options.
    pub options: PricingOptions,
}

impl Pricing {
    /// `table` with `options`.
    pub fn new(table: PriceTable, options: PricingOptions) -> Self {
        Self { table, options }
    }

    /// The bundled table with the default options.
    ///
    /// # Errors
    /// Only if the bundled table were broken (a test guards it).
    pub fn bundled() -> Result<Self, PriceError> {
        Ok(Self::new(PriceTable::bundled()?, PricingOptions::default()))
    }

    /// Sets the options.
    pub fn options(mut self, options: PricingOptions) -> Self {
        self.options = options;
        self
    }

    /// The billing rules of every provider, in report order (AWS, Google Cloud, Azure).
    pub fn rules(&self) -> Vec<Box<dyn BillingRule>> {
        billing_rules(&self.table, &self.options)
    }

    /// Prices `workload` on every provider without running it. O(1) in `workload.calls`.
    pub fn estimate(&self, workload: &Workload) -> Vec<ProviderCost> {
        self.rules()
            .iter()
            .map(|rule| {
                let q = workload.quantities(rule.as_ref());
                price(
                    rule.as_ref(),
                    vec![(workload.function.clone(), q)],
                    &self.table,
                    self.options.free_tier,
                )
            })
            .collect()
    }

    /// Prices recorded invocations on every provider, with the capacity each function kept warm
    /// (by function name; empty for none).
    pub fn compare(
        &self,
        records: &[InvocationRecord],
        warm: &BTreeMap<String, WarmCapacity>,
    ) -> Vec<ProviderCost> {
        compare_costs_with_capacity(records, warm, &self.table, &self.options)
    }
}

/// A workload described instead of run: `calls` identical invocations of one function.
///
/// ```
/// use std::time::Duration;
/// use faasport_adapter_local::meter::{Pricing, Workload};
/// use faasport_adapter_local::BillingProvider;
///
/// // aws.amazon.com/lambda/pricing, example 1: 3 M calls of 120 ms at 1,536 MB on x86.
/// let costs = Pricing::bundled()?
///     .estimate(&Workload::new(3_000_000, Duration::from_millis(120), 1_536));
/// let lambda = costs.iter().find(|c| c.provider == BillingProvider::AwsLambda).unwrap();
/// assert_eq!(format!("{:.2}", lambda.total), "9.60");
/// # Ok::<(), faasport_adapter_local::PriceError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Workload {
    /// The function's name (for the cost lines).
    pub function: String,
    /// How many invocations.
    pub calls: u64,
    /// The handler duration of each.
    pub duration: Duration,
    /// The function's memory (MB).
    pub memory_mb: u32,
    /// How many of the calls started a new instance (and ran its initialiser first).
    pub cold_starts: u64,
    /// The initialiser's duration on a cold start.
    pub init: Duration,
    /// How many invocations run at once on one instance (Cloud Run bills their overlap once);
    /// 1 by default. Per-invocation billing (Lambda, Azure Consumption) is unaffected.
    pub concurrency: u32,
    /// Capacity kept warm (provisioned concurrency, min instances), if any.
    #[serde(skip)]
    pub provisioned: Option<WarmCapacity>,
    /// Of the calls, how many ran on the capacity kept warm.
    pub provisioned_calls: u64,
    /// The function's architecture, if it chose one (`None`: the pricing option's).
    pub arch: Option<LambdaArch>,
    /// The function's ephemeral storage in MB, if set (Lambda bills what is above 512 MB).
    pub ephemeral_storage_mb: Option<u32>,
    /// Response bytes each call streams (Lambda bills what is beyond 6 MB per request).
    pub streamed_bytes: u64,
    /// The time the calls are spread over (a month of 730 h unless set), for the average
    /// request rate of [`Pricing::break_even`].
    pub period: Duration,
    /// How busy the instances serving the calls were, for the rules that bill instance time
    /// (Cloud Run, Azure Flex; see [`Activity`]). `None`: each batch of `concurrency` calls is
    /// its own busy period, an upper bound at a sustained rate.
    #[serde(default)]
    pub activity: Option<Activity>,
}

impl Workload {
    /// `calls` warm invocations of `duration` each at `memory_mb`, one at a time.
    pub fn new(calls: u64, duration: Duration, memory_mb: u32) -> Self {
        Self {
            function: "workload".to_owned(),
            calls,
            duration,
            memory_mb,
            cold_starts: 0,
            init: Duration::ZERO,
            concurrency: 1,
            provisioned: None,
            provisioned_calls: 0,
            arch: None,
            ephemeral_storage_mb: None,
            streamed_bytes: 0,
            period: Duration::from_secs(730 * 3_600),
            activity: None,
        }
    }

    /// Prices instance time (Cloud Run, Azure Flex) from `activity`: busy periods of its mean
    /// length, each followed by its mean idle gap, metered by each rule as a run's would be
    /// (rounding per period, Flex's 1 s minimum merging periods closer than that). Its busy
    /// time includes any start-up, so the cold starts add nothing more on those rules.
    ///
    /// ```
    /// use std::time::Duration;
    /// use faasport_adapter_local::meter::{Activity, Pricing, Workload};
    /// use faasport_adapter_local::BillingProvider;
    ///
    /// // 36,000 calls of 100 ms in an hour, Poisson arrivals on one Cloud Run instance.
    /// let hour = Duration::from_secs(3_600);
    /// let busy = Activity::poisson(10.0, Duration::from_millis(100), hour);
    /// let calls = Workload::new(36_000, Duration::from_millis(100), 512).over(hour);
    /// let pricing = Pricing::bundled()?;
    /// let run = |w: &Workload| {
    ///     let costs = pricing.estimate(w);
    ///     costs.iter().find(|c| c.provider == BillingProvider::CloudRun).unwrap().total
    /// };
    /// assert!(run(&calls.clone().activity(busy)) < run(&calls));
    /// # Ok::<(), faasport_adapter_local::PriceError>(())
    /// ```
    pub fn activity(mut self, activity: Activity) -> Self {
        self.activity = Some(activity);
        self
    }

    /// Spreads the calls over `period`.
    pub fn over(mut self, period: Duration) -> Self {
        self.period = period;
        self
    }

    /// Runs on `arch` (priced at that Lambda architecture's rates).
    pub fn arch(mut self, arch: LambdaArch) -> Self {
        self.arch = Some(arch);
        self
    }

    /// Gives each call `mb` of ephemeral storage.
    pub fn ephemeral_storage_mb(mut self, mb: u32) -> Self {
        self.ephemeral_storage_mb = Some(mb);
        self
    }

    /// Streams `bytes` of response per call.
    pub fn streamed_bytes(mut self, bytes: u64) -> Self {
        self.streamed_bytes = bytes;
        self
    }

    /// Names the function.
    pub fn function(mut self, name: impl Into<String>) -> Self {
        self.function = name.into();
        self
    }

    /// `cold_starts` of the calls (at most all of them) ran an initialiser of `init` first.
    pub fn cold_starts(mut self, cold_starts: u64, init: Duration) -> Self {
        self.cold_starts = cold_starts.min(self.calls);
        self.init = init;
        self
    }

    /// Runs `concurrency` invocations at once per instance (at least 1).
    pub fn concurrency(mut self, concurrency: u32) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Keeps `capacity` warm, and runs `calls_on_it` of the calls (at most all of them) on it.
    pub fn provisioned(mut self, capacity: WarmCapacity, calls_on_it: u64) -> Self {
        self.provisioned = Some(capacity);
        self.provisioned_calls = calls_on_it.min(self.calls);
        self
    }

    fn record(&self, instance: u64, cold: bool) -> InvocationRecord {
        let mut r = InvocationRecord::new(self.function.as_str(), "estimate");
        r.duration = self.duration;
        r.memory_mb = self.memory_mb;
        r.instance = Some(instance);
        r.arch = self.arch;
        r.ephemeral_storage_mb = self.ephemeral_storage_mb;
        r.streamed_bytes = self.streamed_bytes;
        if cold {
            r.cold = true;
            r.init = self.init;
        }
        r
    }

    /// The quantities of `calls` of the workload's invocations under `rule`, without the
    /// capacity: whole batches of `concurrency` overlapping calls, then the remainder.
    fn invocations(&self, rule: &dyn BillingRule, calls: u64) -> BilledQuantities {
        let per_batch = u64::from(self.concurrency.max(1));
        let batch: Vec<InvocationRecord> = (0..per_batch.min(calls.max(1)))
            .map(|_| self.record(0, false))
            .collect();
        let refs: Vec<&InvocationRecord> = batch.iter().collect();
        let mut q = BilledQuantities::default();
        let full = calls / per_batch;
        if full > 0 {
            q.add(&rule.quantities(&refs).times(full));
        }
        let rest = usize::try_from(calls % per_batch).unwrap_or(0);
        if rest > 0 {
            q.add(&rule.quantities(&refs[..rest]));
        }
        q
    }

    /// What `rule` meters for the workload: its invocations, the cold starts' extra time, and
    /// the capacity kept warm.
    pub fn quantities(&self, rule: &dyn BillingRule) -> BilledQuantities {
        let q = match &self.activity {
            Some(activity) if rule.bills_instance_time() => self.busy(rule, activity),
            _ => self.calls_alone(rule),
        };
        match &self.provisioned {
            Some(capacity) if capacity.instances > 0 => {
                let on_warm = self.invocations(rule, self.provisioned_calls);
                let mut capacity = capacity.clone();
                capacity.arch = capacity.arch.or(self.arch);
                rule.apply_capacity(q, &on_warm, &capacity)
            }
            _ => q,
        }
    }

    /// What an instance-billed `rule` meters for `activity`'s busy periods: a chain of up to
    /// [`CHAIN`] periods of the mean length, each after the mean gap, metered through the rule;
    /// the first period, plus the chain's cost per further period times the other periods.
    /// The requests are the calls.
    fn busy(&self, rule: &dyn BillingRule, activity: &Activity) -> BilledQuantities {
        // Beyond a few years a period or gap is out of any month's scale; bounding them keeps
        // the chain's instants within `Duration`.
        let bounded = |s: f64| Duration::try_from_secs_f64(s.min(1e8)).unwrap_or_default();
        let n = activity.periods;
        let mut q = if n == 0 {
            BilledQuantities::default()
        } else {
            let (length, gap) = activity.mean_period_and_gap();
            let (length, gap) = (bounded(length), bounded(gap));
            let links = n.min(CHAIN);
            let chain: Vec<InvocationRecord> = (0..links)
                .map(|i| {
                    let mut r = self.record(0, false);
                    r.arrived_at = (length + gap) * u32::try_from(i).unwrap_or(u32::MAX);
                    r.duration = length;
                    r
                })
                .collect();
            let refs: Vec<&InvocationRecord> = chain.iter().collect();
            let mut q = rule.quantities(&refs[..1]);
            if links > 1 {
                let further = rule.quantities(&refs).minus_exactly(&q);
                q.add(&further.scaled((n - 1) as f64 / (links - 1) as f64));
            }
            q
        };
        q.requests = self.calls;
        q
    }

    /// What `rule` meters for the calls on their own: their invocations and the cold starts'
    /// extra time.
    fn calls_alone(&self, rule: &dyn BillingRule) -> BilledQuantities {
        let mut q = self.invocations(rule, self.calls);
        if self.cold_starts > 0 {
            let cold = self.record(0, true);
            let warm = self.record(0, false);
            let extra = rule
                .quantities(&[&cold])
                .minus_exactly(&rule.quantities(&[&warm]));
            q.add(&extra.times(self.cold_starts));
        }
        q
    }
}
