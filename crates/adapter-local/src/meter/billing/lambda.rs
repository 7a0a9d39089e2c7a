//! AWS Lambda on-demand billing.
//!
//! Per invocation, `billed = ceil_1ms(init (on a cold start) + duration)`, no minimum; INIT is
//! billed for every runtime since 2025-08-01 (and always was for custom runtimes, which is what a
//! Rust function uses). `GB-s = memory_MB / 1024 × billed_s`; cost = the on-demand GB-s priced
//! through the architecture's monthly tiers ([`LambdaArchPrices::duration_price`]) + requests ×
//! the per-request price. One request per environment: no sharing.
//!
//! # Monthly tiers
//!
//! Reference §11.1 ((V) aws.amazon.com/lambda/pricing: "up to 6 billion GB-seconds"; other
//! tiers (3P) AWS Price List): x86 $0.0000166667 per GB-s up to 6 B GB-s, $0.000015 up to
//! 15 B, $0.0000133334 above; arm64 $0.0000133334 up to 7.5 B, $0.0000120001 up to 18.75 B,
//! $0.0000106667 above. Tiers apply to the aggregate of one architecture, so they are applied
//! to a provider's total ([`ProviderCost`](crate::meter::ProviderCost)`::charges`); a
//! function's own line is priced as if it were alone in the month. The free tier, when asked
//! for, is taken off the first GB-s (the credit is the price of the total minus the price of
//! what is left), and what is left is priced through the tiers.
//!
//! # Provisioned concurrency (min instances)
//!
//! Reference §11.1 ((V) aws.amazon.com/lambda/pricing for the wording and x86 rates, (3P) Price
//! List for arm64): $0.0000041667 per GB-s (arm64 $0.0000033334) while configured, even idle,
//! "calculated from the time you enable it on your function until it is disabled, **rounded up
//! to the nearest five minutes**", plus duration at $0.0000097222 per GB-s (arm64
//! $0.0000077778) while it runs. So `n` instances of `m` MB configured during windows
//! `w_1..w_k` cost `m / 1024 × n × Σ ceil_5min(w_i) × rate` ([`Charges::provisioned`],
//! [`WarmCapacity::windows`]; the block is the table's `provisioned_block_ms`), and each
//! invocation that ran on one of those instances is billed its GB-s at the provisioned
//! duration rate instead of the on-demand one (in [`Charges::compute`]). Invocations beyond
//! the provisioned instances spill over to on-demand instances and are billed on-demand, as
//! on AWS. The provisioned duration GB-s are not counted in the on-demand tiers.
//!
//! Where the reference is silent, these are decisions:
//! * invocations on provisioned instances are metered like on-demand ones (1 ms rounding, INIT
//!   billed if one was cold) and still pay the per-request price (the pricing page's example
//!   charges requests at $0.20/M);
//! * the free tier is deducted from on-demand requests and GB-s only, never from provisioned
//!   capacity or the GB-s that ran on it;
//! * a table without provisioned prices for an architecture meters the capacity but does not
//!   price it (zero), and invocations on it are billed at the on-demand rate.

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
        let free_storage = self.prices.ephemeral_storage_free_mb;
        let free_stream = self
            .prices
            .response_streaming_free_mb_per_request
            .saturating_mul(1 << 20);
        let mut q = BilledQuantities::default();
        for r in records.iter().filter(|r| is_billed(r)) {
            let ms = self.billed_ms(r);
            let gb = gb_seconds(r.memory_mb, ms);
            q.requests += 1;
            q.billed_ms += ms;
            q.gb_seconds += gb;
            if r.arch.unwrap_or(self.arch) == LambdaArch::Arm64 {
                q.arm64_gb_seconds += gb;
            }
            if let Some(storage) = r.ephemeral_storage_mb {
                q.ephemeral_gb_seconds += gb_seconds(storage.saturating_sub(free_storage), ms);
            }
            q.streamed_bytes += r.streamed_bytes.saturating_sub(free_stream);
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
        q.arm64_provisioned_execution_gb_seconds = on_warm.arm64_gb_seconds;
        let block = Duration::from_millis(self.prices.provisioned_block_ms);
        q.provisioned_gb_seconds =
            f64::from(warm.memory_mb) / 1024.0 * warm.instance_seconds_in_blocks(block);
        if warm.arch.unwrap_or(self.arch) == LambdaArch::Arm64 {
            q.arm64_provisioned_gb_seconds = q.provisioned_gb_seconds;
        }
        q
    }

    fn charges(&self, q: &BilledQuantities) -> Charges {
        // Each architecture's GB-s at its own rates and tiers.
        let split = |total: f64, arm: f64| ((total - arm).max(0.0), arm.min(total));
        let on_demand = (q.gb_seconds - q.provisioned_execution_gb_seconds).max(0.0);
        let arm_on_demand =
            (q.arm64_gb_seconds - q.arm64_provisioned_execution_gb_seconds).max(0.0);
        let (x86_on_demand, arm_on_demand) = split(on_demand, arm_on_demand);
        let (x86_on_pc, arm_on_pc) = split(
            q.provisioned_execution_gb_seconds,
            q.arm64_provisioned_execution_gb_seconds,
        );
        let (x86_pc, arm_pc) = split(q.provisioned_gb_seconds, q.arm64_provisioned_gb_seconds);
        let pc_rates = |rates: &LambdaArchPrices| match &rates.provisioned_concurrency {
            Some(pc) => (pc.per_gb_second_duration, pc.per_gb_second_configured),
            None => (rates.per_gb_second, 0.0),
        };
        let (x86, arm) = (&self.prices.x86_64, &self.prices.arm64);
        let (x86_duration, x86_configured) = pc_rates(x86);
        let (arm_duration, arm_configured) = pc_rates(arm);
        Charges {
            compute: x86.duration_price(x86_on_demand)
                + arm.duration_price(arm_on_demand)
                + x86_on_pc * x86_duration
                + arm_on_pc * arm_duration,
            requests: q.requests as f64 * self.rates().per_million_requests / 1e6,
            provisioned: x86_pc * x86_configured + arm_pc * arm_configured,
            storage: q.ephemeral_gb_seconds * self.prices.ephemeral_storage_per_gb_second,
            streaming: q.streamed_bytes as f64 / f64::from(1u32 << 30)
                * self.prices.response_streaming_per_gb,
        }
    }

    fn free_tier_excludes_provisioned(&self) -> bool {
        // "The Lambda free tier does not apply to functions that have Provisioned Concurrency
        // enabled" (aws.amazon.com/lambda/pricing; reference §11.1).
        true
    }

    fn free_tier(&self) -> Option<BilledQuantities> {
        self.prices.free_tier.as_ref().map(|f| BilledQuantities {
            requests: f.requests,
            gb_seconds: f.gb_seconds as f64,
            streamed_bytes: f.streaming_gb.saturating_mul(1 << 30),
            ..BilledQuantities::default()
        })
    }
}
