//! Azure Functions Consumption plan billing.
//!
//! Per execution, `d = max(100 ms, ceil_1ms(duration))` and
//! `m = min(1,536, ceil_128(max(128, memory_MB)))`; `GB-s = m / 1024 × d_s`; cost = GB-s × rate +
//! executions × the per-execution price. Azure meters the observed memory of the host; the local
//! meter uses the function's declared memory instead (a documented choice). Start-up time is
//! not billed on Consumption.
//!
//! Min instances: the Consumption plan has none (it always scales from zero; always-ready
//! instances exist only on the Flex Consumption and Premium plans, not modelled here), so
//! capacity the local runtime keeps warm costs nothing on this line: the rule keeps the
//! default [`BillingRule::quantities_with_capacity`], which ignores it.

use std::time::Duration;

use super::{
    gb_seconds, is_billed, round_up_ms, BilledQuantities, BillingProvider, BillingRule, Charges,
};
use crate::meter::prices::AzureConsumptionPrices;
use crate::record::InvocationRecord;

/// Azure Consumption's billing rule.
#[derive(Debug, Clone)]
pub struct AzureConsumptionRule {
    prices: AzureConsumptionPrices,
}

impl AzureConsumptionRule {
    /// The rule with these prices.
    pub fn new(prices: AzureConsumptionPrices) -> Self {
        Self { prices }
    }

    fn billed_ms(&self, record: &InvocationRecord) -> u64 {
        if !is_billed(record) {
            return 0;
        }
        round_up_ms(record.duration, self.prices.billing_granularity_ms)
            .max(self.prices.min_duration_ms)
    }

    /// The billed memory for a declared memory size (MB).
    pub fn billed_memory_mb(&self, memory_mb: u32) -> u32 {
        let p = &self.prices;
        let step = p.memory_step_mb.max(1);
        memory_mb
            .max(p.min_memory_mb)
            .div_ceil(step)
            .saturating_mul(step)
            .min(p.max_memory_mb)
    }
}

impl BillingRule for AzureConsumptionRule {
    fn provider(&self) -> BillingProvider {
        BillingProvider::AzureConsumption
    }

    fn label(&self) -> String {
        "Azure Functions (Consumption)".to_owned()
    }

    fn billed_duration(&self, record: &InvocationRecord) -> Duration {
        Duration::from_millis(self.billed_ms(record))
    }

    fn quantities(&self, records: &[&InvocationRecord]) -> BilledQuantities {
        let mut q = BilledQuantities::default();
        for r in records.iter().filter(|r| is_billed(r)) {
            let ms = self.billed_ms(r);
            q.requests += 1;
            q.billed_ms += ms;
            q.gb_seconds += gb_seconds(self.billed_memory_mb(r.memory_mb), ms);
        }
        q
    }

    fn charges(&self, q: &BilledQuantities) -> Charges {
        Charges {
            compute: q.gb_seconds * self.prices.per_gb_second,
            requests: q.requests as f64 * self.prices.per_million_executions / 1e6,
            provisioned: 0.0,
            ..Charges::default()
        }
    }

    fn free_tier(&self) -> Option<BilledQuantities> {
        self.prices.free_tier.as_ref().map(|f| BilledQuantities {
            requests: f.executions,
            gb_seconds: f.gb_seconds as f64,
            ..BilledQuantities::default()
        })
    }
}
