//! AWS Lambda on-demand billing.
//!
//! Per invocation, `billed = ceil_1ms(init (on a cold start) + duration)`, no minimum; INIT is
//! billed for every runtime since 2025-08-01 (and always was for custom runtimes, which is what a
//! Rust function uses). `GB-s = memory_MB / 1024 × billed_s`; cost = GB-s × the architecture's
//! first-tier rate + requests × the per-request price. One request per environment: no sharing.

use std::time::Duration;

use super::{
    is_billed, round_up_ms, BilledQuantities, BillingProvider, BillingRule, Charges, LambdaArch,
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
            q.gb_seconds += f64::from(r.memory_mb) / 1024.0 * ms as f64 / 1000.0;
        }
        q
    }

    fn charges(&self, q: &BilledQuantities) -> Charges {
        let rates = self.rates();
        Charges {
            compute: q.gb_seconds * rates.per_gb_second,
            requests: q.requests as f64 * rates.per_million_requests / 1e6,
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
