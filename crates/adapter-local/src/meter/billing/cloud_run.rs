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
    // Every billed record's (instance, start, end, memory MB), sorted: each instance's spans in
    // a run, by start, the instances in ascending id order. One vector and one sort, since the
    // streaming meter calls this for every few hundred records of each function.
    let mut spans: Vec<(u64, Duration, Duration, u32)> = records
        .iter()
        .filter(|r| is_billed(r))
        .filter_map(|r| {
            let instance = r.instance?;
            let start = r.arrived_at + r.queued;
            Some((instance, start, start + r.init + r.duration, r.memory_mb))
        })
        .collect();
    // The meter hands over one instance's records at a time, in the order they finished, which
    // is nearly always their order by start: then the check is all the sorting there is.
    if !spans.is_sorted() {
        spans.sort_unstable();
    }
    let mut merged = Vec::with_capacity(spans.len());
    for run in spans.chunk_by(|a, b| a.0 == b.0) {
        let from = merged.len();
        merged.extend(run.iter().map(|&(_, start, end, mem)| (start, end, mem)));
        merge(&mut merged, from);
        if !min.is_zero() {
            for (s, e, _) in &mut merged[from..] {
                let extended = s.saturating_add(min);
                let extended = until.map_or(extended, |u| extended.min(u));
                *e = (*e).max(extended);
            }
            merge(&mut merged, from);
        }
    }
    merged
}

/// Merges, in place, the intervals of `spans` from `from` on, sorted by start, that overlap or
/// touch.
fn merge(spans: &mut Vec<(Duration, Duration, u32)>, from: usize) {
    if spans.len() <= from {
        return;
    }
    let mut current = from;
    for i in from + 1..spans.len() {
        let (start, end, mem) = spans[i];
        let (_, e, m) = &mut spans[current];
        if start <= *e {
            *e = (*e).max(end);
            *m = (*m).max(mem);
        } else {
            current += 1;
            spans[current] = (start, end, mem);
        }
    }
    spans.truncate(current + 1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Outcome;

    fn span(instance: Option<u64>, start_ms: u64, ms: u64, memory_mb: u32) -> InvocationRecord {
        let mut r = InvocationRecord::new("f", "r");
        r.instance = instance;
        r.arrived_at = Duration::from_millis(start_ms);
        r.duration = Duration::from_millis(ms);
        r.memory_mb = memory_mb;
        r
    }

    #[test]
    fn busy_intervals_merge_per_instance_in_instance_order() {
        let ms = Duration::from_millis;
        let mut throttled = span(Some(1), 0, 5_000, 128);
        throttled.outcome = Outcome::Throttled;
        let records = [
            span(Some(2), 100, 50, 128),
            span(Some(1), 300, 100, 128),
            span(Some(1), 0, 100, 256),
            // touches the first interval of instance 1
            span(Some(1), 100, 50, 128),
            span(Some(2), 120, 100, 512),
            span(None, 0, 1_000, 128),
            throttled,
        ];
        let refs: Vec<&InvocationRecord> = records.iter().collect();
        assert_eq!(
            busy_intervals(&refs, Duration::ZERO, None),
            vec![
                (ms(0), ms(150), 256),
                (ms(300), ms(400), 128),
                (ms(100), ms(220), 512),
            ]
        );
        // A 1 s minimum brings instance 1's intervals together, and stops at `until`.
        assert_eq!(
            busy_intervals(&refs, ms(1_000), Some(ms(1_050))),
            vec![(ms(0), ms(1_050), 256), (ms(100), ms(1_050), 512)]
        );
        assert_eq!(
            busy_intervals(&refs, ms(1_000), None),
            vec![(ms(0), ms(1_300), 256), (ms(100), ms(1_100), 512)]
        );
        assert!(busy_intervals(&[], ms(1_000), None).is_empty());
    }
}
