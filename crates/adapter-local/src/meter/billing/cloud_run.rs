//! Google Cloud Run billing, request-based (the default), metered per instance.
//!
//! An instance is billed while it handles at least one request, including its start-up: each
//! invocation occupies its instance from the moment it got it (the start of the initialiser on a
//! cold start) to the end of its handler; overlapping invocations on one instance merge into one
//! busy interval, and each busy interval is rounded up to 100 ms. Concurrent requests therefore
//! share the bill. Cost = Σ busy_s × (vCPU × vCPU-s rate + GiB × GiB-s rate) + requests × the
//! per-request price. Memory is the function's (MB read as MiB); vCPU is an option (default 1).
//!
//! Min instances ([`WarmCapacity`]): Google bills idle min instances (reference §1.2, (V): "idle
//! min-instances are billed"). The reference gives no separate idle rate, so their idle time is
//! priced at the table's instance-based rates ($0.000018 per vCPU-s (V), $0.000002 per GiB-s
//! (R)) — a decision; Google's own idle rate under request-based billing may differ. Idle time
//! of one function = min instances × the run's wall time − the busy time (as billed above, in
//! 100 ms steps) of the instances started to keep the minimum, never below zero; it goes to
//! [`BilledQuantities::provisioned_vcpu_seconds`] / `provisioned_gb_seconds` and
//! [`Charges::provisioned`]. The monthly free tier is not applied to it.
//!
//! Not metered locally: pre-warmed instances that served nothing and plain idle instances kept
//! after traffic (Google does not bill them), and shutdown time.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{
    is_billed, round_up_ms, BilledQuantities, BillingProvider, BillingRule, Charges, WarmCapacity,
};
use crate::meter::prices::CloudRunPrices;
use crate::record::InvocationRecord;

/// Cloud Run's billing rule (request-based).
#[derive(Debug, Clone)]
pub struct CloudRunRule {
    prices: CloudRunPrices,
    vcpu: f64,
}

impl CloudRunRule {
    /// The rule with these prices and vCPUs per instance (`None`: the table's default).
    pub fn new(prices: CloudRunPrices, vcpu: Option<f64>) -> Self {
        let vcpu = vcpu
            .filter(|v| v.is_finite() && *v > 0.0)
            .unwrap_or(prices.default_vcpu);
        Self { prices, vcpu }
    }
}

impl BillingRule for CloudRunRule {
    fn provider(&self) -> BillingProvider {
        BillingProvider::CloudRun
    }

    fn label(&self) -> String {
        format!("Google Cloud Run ({} vCPU, request-based)", self.vcpu)
    }

    fn billed_duration(&self, record: &InvocationRecord) -> Duration {
        if !is_billed(record) {
            return Duration::ZERO;
        }
        let ms = round_up_ms(
            record.init + record.duration,
            self.prices.billing_granularity_ms,
        );
        Duration::from_millis(ms)
    }

    fn quantities(&self, records: &[&InvocationRecord]) -> BilledQuantities {
        let mut q = BilledQuantities {
            requests: records.iter().filter(|r| is_billed(r)).count() as u64,
            ..BilledQuantities::default()
        };
        for (start, end, mem) in busy_intervals(records, Duration::ZERO, None) {
            let ms = round_up_ms(end - start, self.prices.billing_granularity_ms);
            let seconds = ms as f64 / 1000.0;
            q.billed_ms += ms;
            q.vcpu_seconds += seconds * self.vcpu;
            q.gb_seconds += seconds * f64::from(mem) / 1024.0;
        }
        q
    }

    fn apply_capacity(
        &self,
        mut q: BilledQuantities,
        on_warm: &BilledQuantities,
        warm: &WarmCapacity,
    ) -> BilledQuantities {
        // `billed_ms` of the warm instances' invocations is their busy time, in 100 ms steps.
        let idle = (warm.instance_seconds() - on_warm.billed_ms as f64 / 1000.0).max(0.0);
        q.provisioned_vcpu_seconds = idle * self.vcpu;
        q.provisioned_gb_seconds = idle * f64::from(warm.memory_mb) / 1024.0;
        q
    }

    fn charges(&self, q: &BilledQuantities) -> Charges {
        let rates = &self.prices.request_based;
        let idle = &self.prices.instance_based;
        Charges {
            compute: q.vcpu_seconds * rates.per_vcpu_second + q.gb_seconds * rates.per_gib_second,
            requests: q.requests as f64 * rates.per_million_requests / 1e6,
            provisioned: q.provisioned_vcpu_seconds * idle.per_vcpu_second
                + q.provisioned_gb_seconds * idle.per_gib_second,
            ..Charges::default()
        }
    }

    fn bills_instance_time(&self) -> bool {
        true
    }

    fn free_tier(&self) -> Option<BilledQuantities> {
        self.prices
            .request_based
            .free_tier
            .as_ref()
            .map(|f| BilledQuantities {
                requests: f.requests,
                gb_seconds: f.gib_seconds as f64,
                vcpu_seconds: f.vcpu_seconds as f64,
                ..BilledQuantities::default()
            })
    }
}

/// Busy intervals per instance: (start, end, memory MB), merged where they overlap; each
/// merged interval then lasts at least `min` (a minimum billable period) but is not extended
/// past `until`, and intervals that this brings together merge again, so an instance is never
/// billed twice for the same time.
pub(super) fn busy_intervals(
    records: &[&InvocationRecord],
    min: Duration,
    until: Option<Duration>,
) -> Vec<(Duration, Duration, u32)> {
    let mut by_instance: BTreeMap<u64, Vec<(Duration, Duration, u32)>> = BTreeMap::new();
    for r in records.iter().filter(|r| is_billed(r)) {
        let Some(instance) = r.instance else { continue };
        let start = r.arrived_at + r.queued;
        let end = start + r.init + r.duration;
        by_instance
            .entry(instance)
            .or_default()
            .push((start, end, r.memory_mb));
    }
    let mut merged = Vec::new();
    for (_, mut spans) in by_instance {
        spans.sort();
        let once = merge(spans);
        if min.is_zero() {
            merged.extend(once);
        } else {
            let extended = once
                .into_iter()
                .map(|(s, e, m)| {
                    let extended = s.saturating_add(min);
                    let extended = until.map_or(extended, |u| extended.min(u));
                    (s, e.max(extended), m)
                })
                .collect();
            merged.extend(merge(extended));
        }
    }
    merged
}

/// Merges sorted intervals that overlap or touch.
fn merge(spans: Vec<(Duration, Duration, u32)>) -> Vec<(Duration, Duration, u32)> {
    let mut merged = Vec::new();
    let mut current: Option<(Duration, Duration, u32)> = None;
    for (start, end, mem) in spans {
        current = match current {
            Some((s, e, m)) if start <= e => Some((s, e.max(end), m.max(mem))),
            Some(done) => {
                merged.push(done);
                Some((start, end, mem))
            }
            None => Some((start, end, mem)),
        };
    }
    merged.extend(current);
    merged
}
