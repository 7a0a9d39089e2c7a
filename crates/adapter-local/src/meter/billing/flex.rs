//! Azure Functions Flex Consumption billing, metered per instance.
//!
//! Reference §1.3 and §11.2 ((V) learn.microsoft.com/azure/azure-functions/flex-consumption-plan
//! and functions-consumption-costs): "GB-s = instance memory size × the instance's active time,
//! no matter how many executions run concurrently on it"; the "minimum billable execution
//! period [is] 1,000 ms, then rounded up to the nearest 100 ms". So, per instance busy interval
//! (overlapping invocations on one instance merge, as on Cloud Run, [`CloudRunRule`]'s
//! intervals), `billed = max(1,000 ms, ceil_100ms(active))` and `GB-s = instance MB / 1,024 ×
//! billed_s`. An instance is never billed twice for the same time: when a busy interval's
//! 1 s minimum reaches into the next one (two short executions less than a second apart), the
//! two are one active period — a decision, since the page does not say; without it a steady
//! trickle of short calls would bill an instance several seconds per second. On demand: $0.000026 per GB-s and $0.40 per million executions [V, ref §13],
//! free grant 100,000 GB-s + 250,000 executions a month (3P).
//!
//! The instance size is the smallest of the table's sizes (512, 2,048, 4,096 MB) that holds the
//! function's memory — a decision: Flex sets the size per app, 2,048 MB by default.
//!
//! Always-ready instances (the local min instances, [`WarmCapacity`]) pay a baseline of
//! $0.000004 per GB-s of their memory for as long as they are configured, and $0.000016 per
//! GB-s while they execute instead of the on-demand rate, with no free grant [3P, ref §11.2].
//! The execution count of always-ready instances is still covered by the free grant here (the
//! meter does not split executions by mode).
//!
//! [`CloudRunRule`]: super::CloudRunRule

use std::time::Duration;

use super::cloud_run::busy_intervals;
use super::{
    is_billed, round_up_ms, BilledQuantities, BillingProvider, BillingRule, Charges, WarmCapacity,
};
use crate::meter::prices::AzureFlexPrices;
use crate::record::InvocationRecord;

/// Azure Flex Consumption's billing rule.
#[derive(Debug, Clone)]
pub struct AzureFlexRule {
    prices: AzureFlexPrices,
}

impl AzureFlexRule {
    /// The rule with these prices.
    pub fn new(prices: AzureFlexPrices) -> Self {
        Self { prices }
    }

    /// The instance size (MB) a function with `memory_mb` runs on: the smallest size that
    /// holds it, or the largest.
    pub fn instance_memory_mb(&self, memory_mb: u32) -> u32 {
        let sizes = || self.prices.instance_memory_mb.iter().copied();
        sizes()
            .filter(|s| *s >= memory_mb)
            .min()
            .or_else(|| sizes().max())
            .unwrap_or(self.prices.default_instance_memory_mb)
    }

    fn billed_ms(&self, active: Duration) -> u64 {
        round_up_ms(active, self.prices.billing_granularity_ms).max(self.prices.min_active_ms)
    }
}

impl BillingRule for AzureFlexRule {
    fn provider(&self) -> BillingProvider {
        BillingProvider::AzureFlex
    }

    fn label(&self) -> String {
        "Azure Functions (Flex Consumption)".to_owned()
    }

    fn billed_duration(&self, record: &InvocationRecord) -> Duration {
        if !is_billed(record) {
            return Duration::ZERO;
        }
        Duration::from_millis(self.billed_ms(record.init + record.duration))
    }

    fn quantities(&self, records: &[&InvocationRecord]) -> BilledQuantities {
        self.quantities_before(records, None)
    }

    fn quantities_before(
        &self,
        records: &[&InvocationRecord],
        next: Option<Duration>,
    ) -> BilledQuantities {
        let mut q = BilledQuantities {
            requests: records.iter().filter(|r| is_billed(r)).count() as u64,
            ..BilledQuantities::default()
        };
        let min = Duration::from_millis(self.prices.min_active_ms);
        for (start, end, mem) in busy_intervals(records, min, next) {
            // An interval reaching `next` goes on in the later records: no minimum of its own.
            let ms = if Some(end) == next {
                round_up_ms(end - start, self.prices.billing_granularity_ms)
            } else {
                self.billed_ms(end - start)
            };
            q.billed_ms += ms;
            q.gb_seconds += f64::from(self.instance_memory_mb(mem)) / 1024.0 * ms as f64 / 1000.0;
        }
        q
    }

    fn apply_capacity(
        &self,
        mut q: BilledQuantities,
        on_warm: &BilledQuantities,
        warm: &WarmCapacity,
    ) -> BilledQuantities {
        q.provisioned_execution_gb_seconds = on_warm.gb_seconds;
        q.provisioned_gb_seconds =
            f64::from(self.instance_memory_mb(warm.memory_mb)) / 1024.0 * warm.instance_seconds();
        q
    }

    fn charges(&self, q: &BilledQuantities) -> Charges {
        let p = &self.prices;
        let (baseline, execution) = p.always_ready.as_ref().map_or((0.0, p.per_gb_second), |r| {
            (r.per_gb_second_baseline, r.per_gb_second_execution)
        });
        let on_ready = q.provisioned_execution_gb_seconds;
        let on_demand = (q.gb_seconds - on_ready).max(0.0);
        Charges {
            compute: on_demand * p.per_gb_second + on_ready * execution,
            requests: q.requests as f64 * p.per_million_executions / 1e6,
            provisioned: q.provisioned_gb_seconds * baseline,
            ..Charges::default()
        }
    }

    fn bills_instance_time(&self) -> bool {
        true
    }

    fn free_tier(&self) -> Option<BilledQuantities> {
        self.prices.free_tier.as_ref().map(|f| BilledQuantities {
            requests: f.executions,
            gb_seconds: f.gb_seconds as f64,
            ..BilledQuantities::default()
        })
    }
}
