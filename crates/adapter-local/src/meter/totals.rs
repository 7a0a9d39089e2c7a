//! [`RunTotals`]: the aggregates of a run, updated as each record arrives, in memory that does
//! not grow with the number of invocations.
//!
//! Per function: counts by outcome, cold starts, initialiser and queueing time, handler
//! duration percentiles ([`DurationDigest`]) and the billed quantities of every provider. The
//! report is computed from them, so the raw records can live in a bounded ring.
//!
//! Billing: Lambda and Azure bill each invocation on its own, so their quantities are summed
//! as records arrive. Cloud Run bills busy intervals of an instance, where overlapping
//! invocations share the bill, so the last [`OPEN_WINDOW`] records of a function stay open,
//! and of those only the records that ended less than [`OPEN_HORIZON`] (70 minutes) before the
//! function's latest completion (so a function invoked a few times an hour keeps a few open);
//! older records are closed (their quantities summed per instance) only once no open record of
//! the same instance started before they ended (a chain of overlapping or touching invocations
//! keeps the whole chain open, up to four windows). That is exact unless an invocation
//! completes more than [`OPEN_WINDOW`] records after another one on its instance that it
//! overlapped, or an instance stays busy without a gap for more than four windows of
//! invocations (then its busy interval is cut in two, which can bill one more 100 ms step
//! per cut, at most one per [`OPEN_WINDOW`] invocations). A rule that
//! extends a short busy interval to a minimum period (Azure Flex's 1 s) bills closed records
//! only up to where the instance's open records start ([`BillingRule::quantities_before`]), so
//! a cut between two intervals less than the minimum apart bills their gap once, as the merged
//! interval would, plus at most one 100 ms step.
//! Closed quantities are kept per instance only for the instances started for min instances
//! (the capacity kept warm is priced from them); the rest are summed into one entry per rule.
//! Memory grows with the functions and their min instances, not with invocations or with the
//! instances started on demand; a function's open records are at most its invocations of the
//! last [`OPEN_HORIZON`] (and a sixteenth), and never more than [`OPEN_WINDOW`] and a half
//! (four windows for a chain), so they reach their bound within the first hours of a replay.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sketches_ddsketch::{Config, DDSketch};

use super::billing::{BilledQuantities, BillingRule, WarmCapacity};
use super::cost::{price, ProviderCost};
use super::prices::PriceTable;
use super::FunctionStats;
use crate::name_hash::NameMap;
use crate::record::{InvocationRecord, Outcome};

/// Records of one function kept open for Cloud Run's busy-interval merging.
pub const OPEN_WINDOW: usize = 512;

/// How long after it ended a record stays open at most, counted on the function's latest
/// completion: an hour and ten minutes, past the longest any provider runs one invocation (60
/// minutes) plus a long initialiser. A later record of the same instance that overlaps it would
/// have run longer than that, so closing it then is exact; it keeps a function invoked a few
/// times an hour at a few open records instead of filling [`OPEN_WINDOW`] over days.
pub const OPEN_HORIZON: Duration = Duration::from_secs(70 * 60);

/// Handler durations kept exactly, per function, before percentiles come from the sketch: 8 KB
/// a function at most. (It was 4,096, 64 KB a function: a long replay of a thousand functions,
/// most invoked a few hundred times a day, grew by tens of MB as they filled up.)
pub const EXACT_DURATIONS: usize = 512;

/// Handler-duration percentiles in bounded memory.
///
/// The first [`EXACT_DURATIONS`] durations are kept as they are, and percentiles are the
/// exact nearest rank. Past that, they come from a DDSketch (`sketches-ddsketch`, relative
/// accuracy α = 1 %, at most 2,048 bins): every percentile is within 1 % of a true duration at
/// that rank, whatever the distribution, in at most about 32 KB. Digests merge (the replay of
/// many runs adds them up).
#[derive(Clone)]
pub struct DurationDigest {
    exact: Vec<Duration>,
    sketch: DDSketch,
}

impl Default for DurationDigest {
    fn default() -> Self {
        Self {
            exact: Vec::new(),
            sketch: DDSketch::new(Config::defaults()),
        }
    }
}

impl fmt::Debug for DurationDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DurationDigest")
            .field("count", &self.count())
            .finish_non_exhaustive()
    }
}

impl DurationDigest {
    /// Adds one duration.
    pub fn add(&mut self, duration: Duration) {
        if self.sketch.count() < EXACT_DURATIONS {
            self.exact.push(duration);
        } else if !self.exact.is_empty() {
            self.exact = Vec::new();
        }
        self.sketch.add(ms(duration));
    }

    /// Adds every duration of `other`.
    pub fn merge(&mut self, other: &DurationDigest) {
        let total = self.count() + other.count();
        if total <= EXACT_DURATIONS && self.is_exact() && other.is_exact() {
            self.exact.extend_from_slice(&other.exact);
        } else {
            self.exact = Vec::new();
        }
        // Both sketches use the default configuration, so merging cannot fail.
        let _ = self.sketch.merge(&other.sketch);
    }

    /// How many durations were added.
    pub fn count(&self) -> usize {
        self.sketch.count()
    }

    fn is_exact(&self) -> bool {
        self.exact.len() == self.sketch.count()
    }

    /// The `p` quantile (0 to 1) in milliseconds: exact nearest rank while every duration is
    /// kept, within 1 % afterwards; 0 when empty.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.is_exact() {
            let mut sorted = self.exact.clone();
            sorted.sort_unstable();
            return nearest_rank(&sorted, p);
        }
        self.sketch.quantile(p).ok().flatten().unwrap_or(0.0)
    }
}

/// Nearest-rank percentile of sorted durations, in milliseconds (0 when empty).
fn nearest_rank(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.clamp(1, sorted.len()) - 1)
        .copied()
        .map_or(0.0, ms)
}

/// The streaming aggregates of one run, per function.
#[derive(Debug, Default)]
pub struct RunTotals {
    rules: Vec<Box<dyn BillingRule>>,
    functions: BTreeMap<Arc<str>, FunctionTotals>,
}

#[derive(Debug, Default)]
struct FunctionTotals {
    stats: FunctionStats,
    durations: DurationDigest,
    open: Vec<InvocationRecord>,
    /// Open records past which the next closing is tried.
    next_close: usize,
    /// The latest end of a record of this function: the function's clock.
    latest_end: Duration,
    /// The function's clock past which the next closing by [`OPEN_HORIZON`] is tried.
    next_horizon_close: Duration,
    /// Per billing rule, the quantities of closed records: by instance for the instances
    /// started for min instances, all others (and throttled records) summed under `None`.
    /// Ordered, as are the groups a closing adds to it: floating-point sums taken in hash
    /// order would differ in their last bits from one run of the same replay to the next.
    closed: Vec<BTreeMap<Option<u64>, BilledQuantities>>,
}

impl RunTotals {
    /// Totals that also meter the billed quantities under `rules` (none: no costs).
    pub fn new(rules: Vec<Box<dyn BillingRule>>) -> Self {
        Self {
            rules,
            functions: BTreeMap::new(),
        }
    }

    /// Adds one invocation.
    pub fn record(&mut self, record: &InvocationRecord) {
        // Known functions are looked up by name, once, without touching the name's reference
        // count (shared by every invocation of the function, on every thread).
        if let Some(f) = self.functions.get_mut(&*record.function) {
            f.add(&self.rules, record);
            return;
        }
        let rules = self.rules.len();
        self.functions
            .entry(Arc::clone(&record.function))
            .or_insert_with(|| FunctionTotals {
                stats: FunctionStats {
                    function: record.function.to_string(),
                    ..FunctionStats::default()
                },
                closed: vec![BTreeMap::new(); rules],
                ..FunctionTotals::default()
            })
            .add(&self.rules, record);
    }

    /// How many invocations were added.
    pub fn invocations(&self) -> u64 {
        self.functions.values().map(|f| f.stats.invocations).sum()
    }

    /// Aggregates per function, sorted by function name.
    pub fn functions(&self) -> Vec<FunctionStats> {
        self.functions
            .values()
            .map(|f| FunctionStats {
                p50_ms: f.durations.percentile_ms(0.50),
                p95_ms: f.durations.percentile_ms(0.95),
                p99_ms: f.durations.percentile_ms(0.99),
                ..f.stats.clone()
            })
            .collect()
    }

    /// The run priced under every rule, with the capacity each function kept warm (a function
    /// with warm capacity is priced even if it served nothing).
    pub fn costs(
        &self,
        warm: &BTreeMap<String, WarmCapacity>,
        table: &PriceTable,
        free_tier: bool,
    ) -> Vec<ProviderCost> {
        let mut names: Vec<&str> = self.functions.keys().map(|n| &**n).collect();
        names.extend(
            warm.iter()
                .filter(|(_, w)| w.instances > 0)
                .map(|(n, _)| n.as_str()),
        );
        names.sort_unstable();
        names.dedup();
        self.rules
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                let quantities = names
                    .iter()
                    .map(|name| {
                        let q = self
                            .functions
                            .get(*name)
                            .map(|f| f.quantities(i, rule.as_ref(), None))
                            .unwrap_or_default();
                        let q = match warm.get(*name).filter(|w| w.instances > 0) {
                            Some(capacity) => {
                                let on_warm = self
                                    .functions
                                    .get(*name)
                                    .map(|f| f.quantities(i, rule.as_ref(), Some(capacity)))
                                    .unwrap_or_default();
                                rule.apply_capacity(q, &on_warm, capacity)
                            }
                            None => q,
                        };
                        ((*name).to_owned(), q)
                    })
                    .collect();
                price(rule.as_ref(), quantities, table, free_tier)
            })
            .collect()
    }
}

impl FunctionTotals {
    /// Adds one invocation of this function, closing old open records under `rules`.
    fn add(&mut self, rules: &[Box<dyn BillingRule>], record: &InvocationRecord) {
        let s = &mut self.stats;
        s.invocations += 1;
        s.cold_starts += u64::from(record.cold);
        s.init_ms += ms(record.init);
        s.queued_ms += ms(record.queued);
        match record.outcome {
            Outcome::Ok => {}
            Outcome::Throttled => s.throttles += 1,
            Outcome::Timeout => {
                s.errors += 1;
                s.timeouts += 1;
            }
            Outcome::Error | Outcome::Panic | Outcome::InitError => s.errors += 1,
        }
        if !matches!(record.outcome, Outcome::Throttled | Outcome::InitError) {
            self.durations.add(record.duration);
        }
        if !rules.is_empty() {
            self.open.push(record.clone());
            self.latest_end = self.latest_end.max(end(record));
            if self.open.len() > OPEN_WINDOW.max(self.next_close) {
                self.close_old(rules, self.open.len() / 2);
                // Try again only after half a window more, so a chain that stays open costs
                // amortised constant time per record.
                self.next_close = self.open.len() + OPEN_WINDOW / 2;
            } else if self.latest_end >= self.next_horizon_close {
                // The leading records that ended more than the horizon ago close (in arrival
                // order, which is about the order they ended in). Tried again only after a
                // sixteenth of the horizon, so a record stays open at most 1 1/16 horizons and
                // the scan costs amortised constant time per record.
                let horizon = self.latest_end.saturating_sub(OPEN_HORIZON);
                let closable = self.open.iter().take_while(|r| end(r) < horizon).count();
                if closable > 0 {
                    self.close_old(rules, closable);
                    if self.open.capacity() > 4 * self.open.len().max(16) {
                        self.open.shrink_to(2 * self.open.len());
                    }
                }
                self.next_horizon_close = self.latest_end + OPEN_HORIZON / 16;
            }
        }
    }

    /// Closes the `count` oldest open records (half the window, or those past the horizon),
    /// except those a newer open record of the same instance could still merge with.
    fn close_old(&mut self, rules: &[Box<dyn BillingRule>], count: usize) {
        // Past four windows (one invocation overlapping thousands of others), memory wins over
        // exactness: the older ones close regardless.
        let force = self.open.len() > 4 * OPEN_WINDOW;
        // Closed in place: no record moves but the kept ones, shifted down over the closed, and
        // the open records keep their allocation (a long-lived block reallocated on every
        // closing fragments the heap over a long replay).
        let (older, newer) = self.open.split_at(count);
        // The keys are instance ids the runtime hands out, so FNV-1a (`NameMap`) is enough.
        // A run of records of one instance (the usual order) is folded before it touches the
        // map: one hash per run, not per record.
        let mut first_start: NameMap<u64, Duration> = NameMap::default();
        let mut fold = |run: Option<(u64, Duration)>| {
            if let Some((id, start)) = run {
                first_start
                    .entry(id)
                    .and_modify(|s| *s = (*s).min(start))
                    .or_insert(start);
            }
        };
        let mut run: Option<(u64, Duration)> = None;
        for r in newer {
            if let Some(id) = r.instance {
                let start = r.arrived_at + r.queued;
                match &mut run {
                    Some((same, first)) if *same == id => *first = (*first).min(start),
                    _ => fold(run.replace((id, start))),
                }
            }
        }
        fold(run);
        // A record kept open keeps open every older record of its instance that it overlaps,
        // and so on along the chain.
        let span = |r: &InvocationRecord| {
            let start = r.arrived_at + r.queued;
            (start, start + r.init + r.duration)
        };
        // Latest end first: a record ending before every start kept so far cannot overlap
        // any record kept after it either.
        let mut keep = vec![false; older.len()];
        // Only a record that reaches a kept one starts a chain; when none does (invocations
        // of an instance that did not overlap across the split, the usual case), nothing is
        // kept and the order does not matter.
        let reaches_kept = |r: &InvocationRecord| {
            r.instance
                .and_then(|id| first_start.get(&id))
                .is_some_and(|first| span(r).1 >= *first)
        };
        if !force && older.iter().any(reaches_kept) {
            // Records come in the order they finished, so newest first is nearly always the
            // order by latest end already.
            let mut order: Vec<usize> = (0..older.len()).rev().collect();
            let by_end = |&k: &usize| std::cmp::Reverse(span(&older[k]).1);
            if !order.is_sorted_by_key(by_end) {
                order.sort_unstable_by_key(by_end);
            }
            for k in order {
                let Some(id) = older[k].instance else {
                    continue;
                };
                let (start, end) = span(&older[k]);
                if let Some(first) = first_start.get_mut(&id) {
                    if end >= *first {
                        keep[k] = true;
                        *first = (*first).min(start);
                    }
                }
            }
        }
        let closable = older
            .iter()
            .zip(&keep)
            .filter(|(_, keep)| !**keep)
            .map(|(r, _)| r);
        // Grouped by instance in the order the records came (one group in the common case of
        // one instance).
        let mut by_instance: Vec<(Option<u64>, Vec<&InvocationRecord>)> = Vec::new();
        let mut group: NameMap<Option<u64>, usize> = NameMap::default();
        let mut last: Option<(Option<u64>, usize)> = None;
        for r in closable {
            let g = match last {
                // The previous record's instance: no lookup.
                Some((instance, g)) if instance == r.instance => g,
                _ => *group.entry(r.instance).or_insert_with(|| {
                    by_instance.push((r.instance, Vec::new()));
                    by_instance.len() - 1
                }),
            };
            last = Some((r.instance, g));
            by_instance[g].1.push(r);
        }
        // Only a provisioned instance's closed quantities are kept apart (the capacity kept
        // warm is priced from them); every other instance's add up under `None`, so memory
        // does not grow with the instances started on demand.
        let key = |instance: &Option<u64>, records: &[&InvocationRecord]| {
            instance.filter(|_| records.iter().any(|r| r.provisioned))
        };
        for (rule, closed) in rules.iter().zip(&mut self.closed) {
            for (instance, records) in &by_instance {
                // The instance's records still open start here: a minimum billable period
                // (Azure Flex) of the closed ones reaches no further, as merged it would not.
                let next = instance.and_then(|id| first_start.get(&id).copied());
                closed
                    .entry(key(instance, records))
                    .or_default()
                    .add(&rule.quantities_before(records, next));
            }
        }
        drop(by_instance);
        let mut keep = keep.into_iter();
        self.open.retain(|_| keep.next().unwrap_or(true));
    }

    /// The quantities of rule `i`: of every record, or only of those served by `warm`.
    fn quantities(
        &self,
        i: usize,
        rule: &dyn BillingRule,
        warm: Option<&WarmCapacity>,
    ) -> BilledQuantities {
        let served = |instance: Option<u64>| {
            warm.is_none_or(|w| instance.is_some_and(|id| w.instance_ids.contains(&id)))
        };
        let mut q = BilledQuantities::default();
        if let Some(closed) = self.closed.get(i) {
            for (_, c) in closed.iter().filter(|(id, _)| served(**id)) {
                q.add(c);
            }
        }
        let open: Vec<&InvocationRecord> =
            self.open.iter().filter(|r| served(r.instance)).collect();
        q.add(&rule.quantities(&open));
        q
    }
}

/// When a record's invocation ended: its start plus initialiser and handler time.
fn end(r: &InvocationRecord) -> Duration {
    r.arrived_at + r.queued + r.init + r.duration
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank_while_every_duration_is_kept() {
        let mut digest = DurationDigest::default();
        for ms in 1..=100 {
            digest.add(Duration::from_millis(ms));
        }
        assert_eq!(digest.percentile_ms(0.50), 50.0);
        assert_eq!(digest.percentile_ms(0.95), 95.0);
        assert_eq!(digest.percentile_ms(0.99), 99.0);
        assert_eq!(DurationDigest::default().percentile_ms(0.5), 0.0);
    }

    #[test]
    fn percentiles_past_the_exact_limit_are_within_one_percent() {
        let mut a = DurationDigest::default();
        let mut b = DurationDigest::default();
        for us in 1..=50_000u64 {
            a.add(Duration::from_micros(us * 2));
            b.add(Duration::from_micros(us * 2 - 1));
        }
        a.merge(&b);
        assert_eq!(a.count(), 100_000);
        for (p, truth) in [(0.50, 50.0), (0.95, 95.0), (0.99, 99.0)] {
            let got = a.percentile_ms(p);
            assert!(
                (got - truth).abs() <= truth * 0.01,
                "p{p}: {got} vs {truth}"
            );
        }
    }

    #[test]
    fn closed_quantities_are_kept_apart_only_for_provisioned_instances() {
        use crate::meter::{billing_rules, PricingOptions};
        // 20,000 invocations, each on an instance of its own started on demand, and every
        // tenth on one of two provisioned instances: the closed quantities hold one entry for
        // all on-demand instances and one per provisioned instance, whatever the count.
        let table = PriceTable::bundled().expect("bundled prices");
        let mut totals = RunTotals::new(billing_rules(&table, &PricingOptions::default()));
        for i in 0..20_000u64 {
            let mut r = InvocationRecord::new("f", i.to_string());
            r.arrived_at = Duration::from_millis(i * 10);
            r.duration = Duration::from_millis(5);
            if i % 10 == 0 {
                r.instance = Some(i / 10 % 2);
                r.provisioned = true;
            } else {
                r.instance = Some(100 + i);
                r.cold = true;
            }
            totals.record(&r);
        }
        let f = totals.functions.get("f").expect("metered");
        for closed in &f.closed {
            let mut keys: Vec<Option<u64>> = closed.keys().copied().collect();
            keys.sort_unstable();
            assert_eq!(keys, [None, Some(0), Some(1)]);
        }
        // The capacity kept warm is priced from the two provisioned instances only.
        let warm = WarmCapacity::new(2, 128, Duration::from_secs(200)).instance_ids([0, 1]);
        let rule = totals.rules[0].as_ref();
        let served = f.quantities(0, rule, Some(&warm));
        let all = f.quantities(0, rule, None);
        assert_eq!((served.requests, all.requests), (2_000, 20_000));
    }

    #[test]
    fn a_stream_without_pauses_keeps_flex_close_to_one_active_period() {
        // 20,000 calls of 0.5 ms, one every millisecond on one instance, for 20 s: Flex's 1 s
        // minimum makes it one active period, from 0 to the last call's 19.999 s + 1 s,
        // exactly 21,000 ms. The streamed meter closes the older records every 256 calls or
        // so, billing them up to where the open ones start, so each of its ~80 cuts may round
        // one more 100 ms step: at most 29,000 ms (before periods merged, each call was its
        // own 1 s: 20,000,000 ms). Cloud Run bills each call's own 100 ms, cut or not.
        use crate::meter::{billing_rules, compare_costs, BillingProvider, PricingOptions};
        let records: Vec<InvocationRecord> = (0..20_000u64)
            .map(|i| {
                let mut r = InvocationRecord::new("f", i.to_string());
                r.instance = Some(1);
                r.arrived_at = Duration::from_millis(i);
                r.duration = Duration::from_micros(500);
                r
            })
            .collect();
        let table = PriceTable::bundled().expect("bundled prices");
        let options = PricingOptions::default();
        let mut totals = RunTotals::new(billing_rules(&table, &options));
        for r in &records {
            totals.record(r);
        }
        let streamed = totals.costs(&BTreeMap::new(), &table, false);
        let exact = compare_costs(&records, &table, &options);
        let billed = |costs: &[ProviderCost], p| {
            costs
                .iter()
                .find(|c| c.provider == p)
                .map_or(0, |c| c.quantities.billed_ms)
        };
        assert_eq!(billed(&exact, BillingProvider::AzureFlex), 21_000);
        let flex = billed(&streamed, BillingProvider::AzureFlex);
        assert!((21_000..=29_000).contains(&flex), "{flex} ms");
        assert_eq!(
            billed(&streamed, BillingProvider::CloudRun),
            billed(&exact, BillingProvider::CloudRun)
        );
    }

    #[test]
    fn streamed_bills_equal_the_bills_of_every_record_past_the_open_window() {
        use crate::meter::{billing_rules, compare_costs, PricingOptions};
        let mut records: Vec<InvocationRecord> = (0..3_000u64)
            .map(|i| {
                let mut r = InvocationRecord::new("f", i.to_string());
                r.instance = Some(i % 4);
                r.arrived_at = Duration::from_millis(i * 7);
                r.duration = Duration::from_millis(i * 37 % 50 + 1);
                r.cold = i < 4;
                // Every billed quantity streams too: ephemeral storage, response streaming,
                // per-function architecture (issue 13).
                if i % 3 == 0 {
                    r.ephemeral_storage_mb = Some(2_048);
                    r.streamed_bytes = 7 << 20;
                    r.arch = Some(crate::meter::LambdaArch::Arm64);
                }
                r.outcome = if i % 97 == 0 {
                    Outcome::Throttled
                } else {
                    Outcome::Ok
                };
                if r.outcome == Outcome::Throttled {
                    r.instance = None;
                }
                r
            })
            .collect();
        records.sort_by_key(|r| r.arrived_at + r.duration);
        let table = PriceTable::bundled().expect("bundled prices");
        let options = PricingOptions::default();
        let mut totals = RunTotals::new(billing_rules(&table, &options));
        for r in &records {
            totals.record(r);
        }
        let streamed = totals.costs(&BTreeMap::new(), &table, false);
        let exact = compare_costs(&records, &table, &options);
        assert_eq!(streamed.len(), 4);
        assert!(streamed[0].charges.storage > 0.0 && streamed[0].quantities.streamed_bytes > 0);
        for (s, e) in streamed.iter().zip(&exact) {
            assert_eq!(s.quantities.requests, e.quantities.requests, "{}", s.label);
            if s.provider == crate::meter::BillingProvider::AzureFlex {
                // Flex's 1 s minimum merges intervals across a close: each cut may round one
                // more 100 ms step (about 10 closes × 4 instances here).
                let extra = s.quantities.billed_ms - e.quantities.billed_ms;
                assert!(extra <= 4_000, "{extra} ms more");
                continue;
            }
            assert_eq!(
                s.quantities.billed_ms, e.quantities.billed_ms,
                "{}",
                s.label
            );
            assert!((s.total - e.total).abs() < 1e-12, "{}", s.label);
            assert!(
                (s.charges.storage - e.charges.storage).abs() < 1e-15
                    && s.quantities.streamed_bytes == e.quantities.streamed_bytes
                    && (s.quantities.arm64_gb_seconds - e.quantities.arm64_gb_seconds).abs() < 1e-9,
                "{}",
                s.label
            );
        }
    }
    #[test]
    fn a_function_invoked_every_ten_minutes_keeps_only_its_last_horizon_open_and_bills_exactly() {
        use crate::meter::{billing_rules, compare_costs, PricingOptions};
        // 2,000 invocations ten minutes apart (two weeks), some of them overlapping the next
        // one on the same instance: memory stays at the horizon's records, bills stay exact.
        let records: Vec<InvocationRecord> = (0..2_000u64)
            .map(|i| {
                let mut r = InvocationRecord::new("f", i.to_string());
                r.instance = Some(i % 2);
                r.arrived_at = Duration::from_secs(i * 600);
                r.duration = Duration::from_secs(if i % 5 == 0 { 1_300 } else { 3 });
                r
            })
            .collect();
        let mut sorted = records.clone();
        sorted.sort_by_key(end);
        let table = PriceTable::bundled().expect("bundled prices");
        let options = PricingOptions::default();
        let mut totals = RunTotals::new(billing_rules(&table, &options));
        let mut most_open = 0;
        for r in &sorted {
            totals.record(r);
            most_open = most_open.max(totals.functions["f"].open.len());
        }
        // 70 minutes and a sixteenth of 10-minute arrivals, plus the record that closes them.
        assert!(most_open <= 9, "{most_open} records open");
        let streamed = totals.costs(&BTreeMap::new(), &table, false);
        let exact = compare_costs(&sorted, &table, &options);
        for (s, e) in streamed.iter().zip(&exact) {
            assert_eq!(
                s.quantities.billed_ms, e.quantities.billed_ms,
                "{}",
                s.label
            );
            assert_eq!(s.quantities.requests, 2_000, "{}", s.label);
        }
    }
}
