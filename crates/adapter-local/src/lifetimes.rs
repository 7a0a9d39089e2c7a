//! Instance time as a run goes: how long instances lived, and how much of it they spent
//! without work, in memory that does not grow with the number of invocations.
//!
//! An instance is alive from its `started` event to its `reaped` event (or to the time asked
//! for, if it is still alive then). It is busy while at least one invocation runs on it,
//! counting a cold invocation's initialiser: each invocation contributes the interval from
//! `arrived_at + queued` to `arrived_at + queued + init + duration`, and overlapping intervals
//! of concurrent invocations are merged. Idle time is alive time minus busy time, so a
//! pre-warmed instance's initialiser counts as idle (memory held, no requested work); weighted
//! by the function's memory it is the memory a keep-alive policy held for nothing.
//!
//! Memory: one entry per live instance, holding the busy intervals that a later invocation could
//! still overlap. An invocation reported at time `t` started no earlier than `t` minus its
//! function's horizon (timeout plus the longest initialiser), so intervals ending before that
//! are merged, summed and dropped; an instance's entry goes away when it is reaped. An instance
//! that runs one invocation at a time (Lambda, Azure's default) starts its next invocation only
//! after the last one ended, so everything before the newest interval's start settles at once:
//! at most [`COMPACT_AT`] intervals per instance, however long the horizon.

use std::sync::Arc;
use std::time::Duration;

use crate::name_hash::NameMap;

/// Merge and settle an instance's intervals once it holds this many.
const COMPACT_AT: usize = 64;

/// Instance time, in instance-seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct InstanceTime {
    /// Instances started, for any cause (abandoned starts excluded).
    pub instances: u64,
    /// Alive time of every instance, in instance-seconds.
    pub alive: f64,
    /// Of which without work, in instance-seconds.
    pub idle: f64,
    /// The idle time weighted by each instance's memory, in GB-seconds (GB of 1,024 MB).
    pub idle_gb: f64,
    /// How many busy periods (activity periods) the busy time `alive − idle` was made of: the
    /// merged intervals during which at least one invocation ran on an instance. With the busy
    /// time, what instance-billed platforms meter ([`Activity`](crate::meter::Activity)).
    pub busy_periods: u64,
}

impl std::ops::AddAssign for InstanceTime {
    fn add_assign(&mut self, other: Self) {
        self.instances += other.instances;
        self.alive += other.alive;
        self.idle += other.idle;
        self.idle_gb += other.idle_gb;
        self.busy_periods += other.busy_periods;
    }
}

/// What the trace knows of a function: its memory and its horizon.
#[derive(Debug, Clone, Copy)]
struct FunctionShape {
    memory_mb: u32,
    horizon: Duration,
    /// One invocation at a time per instance: intervals arrive in order and never overlap.
    sequential: bool,
}

#[derive(Debug)]
struct Life {
    started: Duration,
    function: Arc<str>,
    /// Busy time already merged and summed.
    settled: Duration,
    /// How many merged busy periods make up `settled`.
    settled_periods: u64,
    /// Busy intervals not settled yet (disjoint and sorted after a compaction).
    spans: Vec<(Duration, Duration)>,
    /// The latest end of any interval reported.
    latest: Duration,
    /// Compact when `spans` reaches this length: [`COMPACT_AT`], or twice what the last
    /// compaction kept (so a busy instance is not compacted on every invocation).
    compact_at: usize,
}

/// The instance-time aggregates of a run (see the [module docs](self)).
#[derive(Debug, Default)]
pub(crate) struct Lifetimes {
    functions: NameMap<Arc<str>, FunctionShape>,
    live: NameMap<u64, Life>,
    closed: InstanceTime,
}

impl Lifetimes {
    /// Tells the memory, horizon (timeout plus the longest initialiser) and concurrency per
    /// instance of `function`.
    pub(crate) fn register(
        &mut self,
        function: &str,
        memory_mb: u32,
        horizon: Duration,
        concurrency: u32,
    ) {
        self.functions.insert(
            Arc::from(function),
            FunctionShape {
                memory_mb,
                horizon,
                sequential: concurrency <= 1,
            },
        );
    }

    pub(crate) fn started(&mut self, id: u64, at: Duration, function: &Arc<str>) {
        self.live.insert(
            id,
            Life {
                started: at,
                function: Arc::clone(function),
                settled: Duration::ZERO,
                settled_periods: 0,
                spans: Vec::new(),
                latest: at,
                compact_at: COMPACT_AT,
            },
        );
    }

    /// The instance never became one: its invocation went away before it was ready.
    pub(crate) fn abandoned(&mut self, id: u64) {
        self.live.remove(&id);
    }

    pub(crate) fn reaped(&mut self, id: u64, at: Duration) {
        if let Some(life) = self.live.remove(&id) {
            let time = self.measure(&life, at);
            self.closed += time;
        }
    }

    /// An invocation ran on instance `id` from `start` to `end`.
    pub(crate) fn worked(&mut self, id: u64, start: Duration, end: Duration) {
        self.worked_spans(std::iter::once((id, start, end)));
    }

    /// [`Lifetimes::worked`] for each `(instance, start, end)`, looking an instance up once
    /// per run of its spans (a pool hands them over in batches, mostly one instance's).
    pub(crate) fn worked_spans(&mut self, spans: impl Iterator<Item = (u64, Duration, Duration)>) {
        let mut spans = spans.peekable();
        while let Some((id, start, end)) = spans.next() {
            let same = |&(next, _, _): &(u64, Duration, Duration)| next == id;
            let Some(life) = self.live.get_mut(&id) else {
                // Reaped already: its whole run counts nothing.
                while spans.next_if(same).is_some() {}
                continue;
            };
            Self::add_span(&self.functions, life, start, end);
            while let Some((_, start, end)) = spans.next_if(same) {
                Self::add_span(&self.functions, life, start, end);
            }
        }
    }

    /// Adds one busy span to `life`, compacting its spans when they reach the threshold.
    fn add_span(
        functions: &NameMap<Arc<str>, FunctionShape>,
        life: &mut Life,
        start: Duration,
        end: Duration,
    ) {
        life.spans.push((start, end.max(start)));
        life.latest = life.latest.max(end);
        if life.spans.len() >= life.compact_at {
            let before = match functions.get(&life.function) {
                // The next invocation starts no earlier than this one's start.
                Some(f) if f.sequential => start,
                Some(f) => life.latest.saturating_sub(f.horizon),
                None => Duration::ZERO,
            };
            compact(life, before);
            life.compact_at = COMPACT_AT.max(2 * life.spans.len());
        }
    }

    /// Instance time so far, with instances still alive counted up to `end`.
    pub(crate) fn time(&self, end: Duration) -> InstanceTime {
        let mut time = self.closed;
        for life in self.live.values() {
            time += self.measure(life, end);
        }
        time
    }

    /// Live instances tracked now.
    #[cfg(test)]
    pub(crate) fn live(&self) -> usize {
        self.live.len()
    }

    /// One instance's time, alive until `end`.
    fn measure(&self, life: &Life, end: Duration) -> InstanceTime {
        let stopped = end.max(life.started);
        let alive = stopped - life.started;
        let mut spans = life.spans.clone();
        let (open, periods) = merged_periods(&mut spans, life.started, stopped);
        let worked = (life.settled + open).min(alive);
        let idle = (alive - worked).as_secs_f64();
        let memory_mb = self
            .functions
            .get(&life.function)
            .map_or(faasport_core::DEFAULT_MEMORY_MB, |f| f.memory_mb);
        InstanceTime {
            instances: 1,
            alive: alive.as_secs_f64(),
            idle,
            idle_gb: idle * f64::from(memory_mb) / 1024.0,
            busy_periods: life.settled_periods + periods,
        }
    }
}

/// Merges `life`'s intervals and settles those ending before `before` (no later invocation can
/// overlap them), clipped to the instance's start.
fn compact(life: &mut Life, before: Duration) {
    life.spans.sort_unstable();
    let mut merged: Vec<(Duration, Duration)> = Vec::with_capacity(life.spans.len());
    for &(s, e) in &life.spans {
        let s = s.max(life.started);
        let e = e.max(s);
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let keep_from = merged.partition_point(|&(_, e)| e < before);
    for &(s, e) in &merged[..keep_from] {
        life.settled += e - s;
        life.settled_periods += u64::from(e > s);
    }
    merged.drain(..keep_from);
    life.spans = merged;
}

/// The total length of the union of `spans`, clipped to `from..to`.
#[cfg(test)]
pub(crate) fn merged_length(
    spans: &mut [(Duration, Duration)],
    from: Duration,
    to: Duration,
) -> Duration {
    merged_periods(spans, from, to).0
}

/// The total length of the union of `spans`, clipped to `from..to`, and how many disjoint
/// periods of positive length it is made of.
fn merged_periods(
    spans: &mut [(Duration, Duration)],
    from: Duration,
    to: Duration,
) -> (Duration, u64) {
    spans.sort_unstable();
    let mut total = Duration::ZERO;
    let mut periods = 0;
    let mut current: Option<(Duration, Duration)> = None;
    let mut close = |(cs, ce): (Duration, Duration)| {
        total += ce - cs;
        periods += u64::from(ce > cs);
    };
    for &(s, e) in spans.iter() {
        let (s, e) = (s.clamp(from, to), e.clamp(from, to));
        current = match current {
            Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
            Some(done) => {
                close(done);
                Some((s, e))
            }
            None => Some((s, e)),
        };
    }
    if let Some(done) = current {
        close(done);
    }
    (total, periods)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn overlapping_invocations_count_once_as_busy_time() {
        let mut spans = vec![(S, 3 * S), (2 * S, 4 * S), (6 * S, 7 * S)];
        assert_eq!(merged_length(&mut spans, Duration::ZERO, 10 * S), 4 * S);
    }

    #[test]
    fn busy_time_is_clipped_to_the_instance_lifetime() {
        let mut spans = vec![(S, 5 * S)];
        assert_eq!(merged_length(&mut spans, 2 * S, 3 * S), S);
    }

    #[test]
    fn a_reaped_instance_keeps_its_idle_time_and_memory_weight() {
        let mut l = Lifetimes::default();
        let f: Arc<str> = Arc::from("f");
        l.register("f", 512, 10 * S, 2);
        l.started(1, S, &f);
        l.worked(1, S, 3 * S);
        l.worked(1, 2 * S, 4 * S);
        l.reaped(1, 11 * S);
        let t = l.time(20 * S);
        // Alive 10 s, busy 3 s (1–4 s merged, one busy period), idle 7 s at 0.5 GB.
        assert_eq!(
            (t.instances, t.alive, t.idle, t.idle_gb, t.busy_periods),
            (1, 10.0, 7.0, 3.5, 1)
        );
        assert_eq!(l.live(), 0);
    }

    #[test]
    fn an_instance_still_alive_counts_up_to_the_time_asked() {
        let mut l = Lifetimes::default();
        let f: Arc<str> = Arc::from("f");
        l.started(7, Duration::ZERO, &f);
        l.worked(7, Duration::ZERO, S);
        let t = l.time(5 * S);
        assert_eq!((t.alive, t.idle), (5.0, 4.0));
        // Unregistered: the default memory (128 MB).
        assert_eq!(t.idle_gb, 4.0 / 8.0);
        l.abandoned(7);
        assert_eq!(l.time(5 * S), InstanceTime::default());
    }

    #[test]
    fn a_busy_instance_keeps_a_bounded_number_of_intervals_and_the_exact_busy_time() {
        let mut l = Lifetimes::default();
        let f: Arc<str> = Arc::from("f");
        l.register("f", 128, 2 * S, 2);
        l.started(1, Duration::ZERO, &f);
        // 100,000 invocations of 1 s, two at a time overlapping by half: busy from 0 to
        // 50,000.5 s without a gap.
        for i in 0..100_000u64 {
            let start = Duration::from_millis(i * 500);
            l.worked(1, start, start + S);
        }
        let spans = l.live.get(&1).map_or(0, |life| life.spans.len());
        assert!(spans <= COMPACT_AT, "{spans} intervals kept");
        let t = l.time(Duration::from_millis(50_000_500) + 10 * S);
        assert!((t.alive - 50_010.5).abs() < 1e-6, "{t:?}");
        assert_eq!(t.busy_periods, 1, "{t:?}");
        assert!((t.idle - 10.0).abs() < 1e-6, "{t:?}");
    }

    #[test]
    fn a_sequential_instance_settles_at_once_whatever_its_horizon() {
        // A function with a 900 s timeout, one invocation at a time: 100,000 calls of 10 ms,
        // back to back in pairs (touching: one busy period per pair) with 5 ms between pairs.
        // Without the sequential rule the instance would keep every interval of the last
        // 900 s (all of them here).
        let mut l = Lifetimes::default();
        let f: Arc<str> = Arc::from("f");
        l.register("f", 1024, 900 * S, 1);
        l.started(1, Duration::ZERO, &f);
        let mut t = Duration::ZERO;
        let ms = Duration::from_millis;
        for i in 0..100_000u64 {
            l.worked(1, t, t + ms(10));
            t += ms(10);
            if i % 2 == 1 {
                t += ms(5);
            }
        }
        let spans = l.live.get(&1).map_or(0, |life| life.spans.len());
        assert!(spans <= COMPACT_AT, "{spans} intervals kept");
        let time = l.time(t);
        assert_eq!(time.busy_periods, 50_000, "{time:?}");
        // Alive 1,250 s (100,000 × 10 ms + 50,000 × 5 ms), busy 1,000 s.
        assert!((time.alive - 1_250.0).abs() < 1e-6, "{time:?}");
        assert!((time.idle - 250.0).abs() < 1e-6, "{time:?}");
    }
}
