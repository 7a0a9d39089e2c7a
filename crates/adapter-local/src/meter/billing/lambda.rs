//! AWS Lambda on-demand billing.
//!
//! Per invocation, `billed = ceil_1ms(init (on a cold start) + duration)`, no minimum; INIT is
//! billed for every runtime since 2025-08-01 (and always was for custom runtimes, which is what a
//! Rust function uses). `GB-s = memory_MB / 1024 × billed_s`; cost = GB-s × the architecture's
//! first-tier rate + requests × the per-request price. One request per environment: no sharing.
//!
//! # Provisioned concurrency (min instances)
//!
//! What the reference supports (§1.1, (3P), x86 only): $0.0000041667 per GB-s "while it is
//! configured (even when idle)", plus duration at $0.0000097222 per GB-s "while it runs". So a
//! function with `n` min instances of `m` MB over a run of wall time `t` costs
//! `m / 1024 × n × t_s × 0.0000041667` for the capacity ([`Charges::provisioned`]), and each
//! invocation that ran on one of those instances is billed its GB-s at $0.0000097222 instead of
//! the on-demand rate (in [`Charges::compute`]). Invocations beyond the provisioned instances
//! spill over to on-demand instances and are billed on-demand, as on AWS.
//!
//! Where the reference is silent, these are decisions:
//! * invocations on provisioned instances are metered like on-demand ones (1 ms rounding, INIT
//!   billed if one was cold) and still pay the per-request price (the table has no separate
//!   request price for them);
//! * the configured time is the run's exact wall time, not rounded (AWS's pricing page rounds
//!   configured time up to 5 minutes; that rule is not in the reference and is not applied);
//! * the free tier is deducted from on-demand requests and GB-s only, never from provisioned
//!   capacity or the GB-s that ran on it;
//! * the table has provisioned prices for x86 only: under arm64 the capacity is metered but not
//!   priced (zero), and invocations on it are billed at the on-demand arm64 rate.

use std::time::Duration;

use super::{
    gb_seconds, is_billed, round_up_ms, BilledQuantities, BillingProvider, BillingRule, Charges,
    LambdaArch, WarmCapacity,
};
use crate::meter::prices::{AwsLambdaPrices, LambdaArchPrices};
use crate::record::InvocationRecord;

/// Lambda's billing rule.
#[derive(Debug, Clone)]
pub struct LambdaRule {
    prices: AwsLambdaPrices,
    arch: LambdaArch,
}

impl LambdaRule {
    /// The rule for one architecture.
    pub fn new(prices: AwsLambdaPrices, arch: LambdaArch) -> Self {
        Self { prices, arch }
    }

    fn rates(&self) -> &LambdaArchPrices {
        match self.arch {
            LambdaArch::X86_64 => &self.prices.x86_64,
            LambdaArch::Arm64 => &self.prices.arm64,
        }
    }

    fn billed_ms(&self, record: &InvocationRecord) -> u64 {
        if !is_billed(record) {
            return 0;
        }
        let init = if record.cold && self.prices.init_billed {
            record.init
        } else {
            Duration::ZERO
        };
        round_up_ms(init + record.duration, self.prices.billing_granularity_ms)
            .max(self.prices.min_billed_ms)
    }
}

impl BillingRule for LambdaRule {
    fn provider(&self) -> BillingProvider {
        BillingProvider::AwsLambda
    }

    fn label(&self) -> String {
        match self.arch {
            LambdaArch::X86_64 => "AWS Lambda (x86_64)".to_owned(),
            LambdaArch::Arm64 => "AWS Lambda (arm64)".to_owned(),
        }
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
            q.gb_seconds += gb_seconds(r.memory_mb, ms);
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
        q.provisioned_gb_seconds = f64::from(warm.memory_mb) / 1024.0 * warm.instance_seconds();
        q
    }

    fn charges(&self, q: &BilledQuantities) -> Charges {
        let rates = self.rates();
        let (duration_rate, configured_rate) = match &rates.provisioned_concurrency {
            Some(pc) => (pc.per_gb_second_duration, pc.per_gb_second_configured),
            None => (rates.per_gb_second, 0.0),
        };
        let on_provisioned = q.provisioned_execution_gb_seconds;
        let on_demand = (q.gb_seconds - on_provisioned).max(0.0);
        Charges {
            compute: on_demand * rates.per_gb_second + on_provisioned * duration_rate,
            requests: q.requests as f64 * rates.per_million_requests / 1e6,
            provisioned: q.provisioned_gb_seconds * configured_rate,
        }
    }

    fn free_tier(&self) -> Option<BilledQuantities> {
        self.prices.free_tier.as_ref().map(|f| BilledQuantities {
            requests: f.requests,
            gb_seconds: f.gb_seconds as f64,
            ..BilledQuantities::default()
        })
    }
}
