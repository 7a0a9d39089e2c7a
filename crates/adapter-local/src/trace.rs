//! The scaling trace: every instance start, reuse, reap, queueing and throttle, with a timestamp.
//!
//! Tests assert on it and the report summarises it. Timestamps are durations since the runtime
//! was built, on tokio's clock, so they are exact under the virtual clock.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::lifetimes::{InstanceTime, Lifetimes};
use crate::meter::{RecordRetention, Retained};
use crate::name_hash::NameMap;

/// Why an instance was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartCause {
    /// An invocation found no free instance (a cold start).
    Demand,
    /// Kept ready ahead of traffic (min instances, provisioned concurrency).
    MinInstances,
    /// Loaded ahead of the next expected call by the keep-alive policy (hybrid pre-warm).
    Prewarm,
}

/// Why an instance went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReapCause {
    /// Its keep-alive window ran out.
    KeepAlive,
    /// Unloaded at once because the keep-alive policy will pre-warm a fresh one later.
    Unloaded,
    /// Recycled after a timeout, as the platforms do.
    Recycled,
    /// Its initialiser failed.
    InitFailed,
    /// Its start was abandoned before it was ready: the invocation that started it went away
    /// (cancelled while waiting, or during the initialiser). Its scale-out token is given back
    /// and it is not counted as a cold start.
    Abandoned,
    /// Released because its function's provisioned concurrency (min instances) was lowered
    /// while the runtime ran ([`LocalRuntime::set_provisioned_concurrency`]): at once if idle,
    /// when its invocations finish otherwise.
    ///
    /// [`LocalRuntime::set_provisioned_concurrency`]: crate::LocalRuntime::set_provisioned_concurrency
    Deprovisioned,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScalingEventKind {
    /// An instance started (its initialiser began running).
    Started {
        /// Why.
        cause: StartCause,
    },
    /// A warm instance took an invocation.
    Reused,
    /// An instance was removed.
    Reaped {
        /// Why.
        cause: ReapCause,
    },
    /// An invocation waited for capacity (queue or block backpressure).
    Queued,
    /// An invocation was refused.
    Throttled,
}

/// One entry of the scaling trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ScalingEvent {
    /// When, since the runtime was built.
    #[serde(rename = "at_ms", with = "crate::record::millis")]
    pub at: Duration,
    /// The function.
    #[serde(serialize_with = "ser_name", deserialize_with = "de_name")]
    pub function: Arc<str>,
    /// The instance concerned (none for queued or throttled invocations).
    pub instance: Option<u64>,
    /// What happened.
    #[serde(flatten)]
    pub kind: ScalingEventKind,
}

fn ser_name<S: serde::Serializer>(name: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(name)
}

fn de_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
    String::deserialize(d).map(Arc::from)
}

/// The scaling events of a runtime, in the order they happened, and counts per function.
/// Shared by every pool.
///
/// The counts ([`ScalingSummary`]) and the instances started for min instances are kept for
/// the whole run; the events themselves are kept under a [`RecordRetention`] (the most recent
/// ones by default).
#[derive(Debug, Default)]
pub struct ScalingTrace {
    state: Mutex<TraceState>,
}

#[derive(Debug, Default)]
struct TraceState {
    events: Retained<ScalingEvent>,
    /// Each function's counts, in the order of its first event; `index` finds them by name.
    functions: Vec<(Arc<str>, FunctionScaling)>,
    index: NameMap<Arc<str>, usize>,
    /// The function of the latest event and its place in `functions`: the next event of the
    /// same function (the usual case, a run of warm reuses) skips the hash lookup.
    last: Option<(Arc<str>, usize)>,
    lifetimes: Lifetimes,
}

impl TraceState {
    /// Where `function`'s counts are in `functions`, added if it had no event yet.
    fn place(&mut self, function: &Arc<str>) -> usize {
        if let Some((name, at)) = &self.last {
            if Arc::ptr_eq(name, function) || **name == **function {
                return *at;
            }
        }
        // Known functions are looked up by name, without touching the name's reference count.
        let at = match self.index.get(&**function) {
            Some(&at) => at,
            None => {
                let at = self.functions.len();
                self.functions
                    .push((Arc::clone(function), FunctionScaling::default()));
                self.index.insert(Arc::clone(function), at);
                at
            }
        };
        self.last = Some((Arc::clone(function), at));
        at
    }

    /// `function`'s counts, if it had an event.
    fn function(&self, function: &str) -> Option<&FunctionScaling> {
        let at = *self.index.get(function)?;
        self.functions.get(at).map(|(_, f)| f)
    }
}

/// The running counts of one function.
#[derive(Debug, Default)]
struct FunctionScaling {
    summary: ScalingSummary,
    /// Why each live instance was started (an abandoned start is taken back from its cause).
    causes: HashMap<u64, StartCause>,
    /// Instances started to keep the minimum.
    min_instances: BTreeSet<u64>,
    /// Instances alive or starting now, the most there were, and the most since the last
    /// [`ScalingTrace::take_instance_peaks`].
    live: u64,
    peak: u64,
    window_peak: u64,
}

impl FunctionScaling {
    fn apply(&mut self, event: &ScalingEvent) {
        let s = &mut self.summary;
        match event.kind {
            ScalingEventKind::Started { cause } => {
                if let Some(id) = event.instance {
                    self.causes.insert(id, cause);
                    if cause == StartCause::MinInstances {
                        self.min_instances.insert(id);
                    }
                }
                *s.starts(cause) += 1;
                self.live += 1;
                self.peak = self.peak.max(self.live);
                self.window_peak = self.window_peak.max(self.live);
            }
            ScalingEventKind::Reused => s.reuses += 1,
            ScalingEventKind::Reaped {
                cause: ReapCause::Abandoned,
            } => {
                if let Some(cause) = event.instance.and_then(|id| self.causes.remove(&id)) {
                    let count = s.starts(cause);
                    *count = count.saturating_sub(1);
                }
                s.abandoned_starts += 1;
                self.live = self.live.saturating_sub(1);
            }
            ScalingEventKind::Reaped { .. } => {
                if let Some(id) = event.instance {
                    self.causes.remove(&id);
                }
                s.reaps += 1;
                self.live = self.live.saturating_sub(1);
            }
            ScalingEventKind::Queued => s.queued += 1,
            ScalingEventKind::Throttled => s.throttled += 1,
        }
    }
}

impl ScalingTrace {
    /// An empty trace keeping the default ring of events.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty trace keeping events under `retention`.
    pub fn with_retention(retention: RecordRetention) -> Self {
        Self {
            state: Mutex::new(TraceState {
                events: Retained::new(retention),
                functions: Vec::new(),
                index: NameMap::default(),
                last: None,
                lifetimes: Lifetimes::default(),
            }),
        }
    }

    /// Appends an event.
    pub fn push(&self, event: ScalingEvent) {
        let mut state = self.lock();
        let at = state.place(&event.function);
        if let Some((_, function)) = state.functions.get_mut(at) {
            function.apply(&event);
        }
        if let Some(id) = event.instance {
            match event.kind {
                ScalingEventKind::Started { .. } => {
                    state.lifetimes.started(id, event.at, &event.function);
                }
                ScalingEventKind::Reaped {
                    cause: ReapCause::Abandoned,
                } => state.lifetimes.abandoned(id),
                ScalingEventKind::Reaped { .. } => state.lifetimes.reaped(id, event.at),
                _ => {}
            }
        }
        state.events.push(event);
    }

    /// Tells the instance-time aggregates a function's memory, horizon (its timeout plus the
    /// longest initialiser: no invocation on it lasts longer) and concurrency per instance.
    pub fn register(&self, function: &str, memory_mb: u32, horizon: Duration, concurrency: u32) {
        self.lock()
            .lifetimes
            .register(function, memory_mb, horizon, concurrency);
    }

    /// Counts an invocation's busy interval on its instance (from `arrived_at + queued`, for
    /// `init + duration`); an invocation without an instance (throttled) counts nothing.
    pub fn worked(&self, record: &crate::record::InvocationRecord) {
        if let Some(id) = record.instance {
            let start = record.arrived_at.saturating_add(record.queued);
            let end = start
                .saturating_add(record.init)
                .saturating_add(record.duration);
            self.lock().lifetimes.worked(id, start, end);
        }
    }

    /// Counts busy intervals `(instance, start, end)` (since the runtime was built) on their
    /// instances, under one lock.
    pub(crate) fn worked_spans(&self, spans: impl Iterator<Item = (u64, Duration, Duration)>) {
        self.lock().lifetimes.worked_spans(spans);
    }

    /// Instance time so far: every instance's alive and idle time, instances still alive
    /// counted up to `end` (since the runtime was built). Computed from running aggregates,
    /// whatever the event retention.
    pub fn instance_time(&self, end: Duration) -> InstanceTime {
        self.lock().lifetimes.time(end)
    }

    /// A copy of every event kept.
    pub fn events(&self) -> Vec<ScalingEvent> {
        self.lock().events.to_vec()
    }

    /// How many events are kept now.
    pub fn retained(&self) -> usize {
        self.lock().events.len()
    }

    /// The counts of `function` over the whole run.
    pub fn summary(&self, function: &str) -> ScalingSummary {
        let state = self.lock();
        let mut summary = state
            .function(function)
            .map(|f| f.summary.clone())
            .unwrap_or_default();
        function.clone_into(&mut summary.function);
        summary
    }

    /// The instances of `function` started to keep its minimum, over the whole run.
    pub fn min_instance_ids(&self, function: &str) -> BTreeSet<u64> {
        self.lock()
            .function(function)
            .map(|f| f.min_instances.clone())
            .unwrap_or_default()
    }

    /// Each function's live instances (alive or starting) by the trace, the most it had over
    /// the run, and the most since the previous call (a window its reader samples, such as the
    /// dashboard's chart, so a spike between two samples still shows); then starts a new
    /// window at the live count. Sorted by function; O(functions). Functions that never
    /// started an instance are not listed.
    pub fn take_instance_peaks(&self) -> Vec<InstancePeaks> {
        let mut state = self.lock();
        let mut peaks: Vec<InstancePeaks> = state
            .functions
            .iter_mut()
            .map(|(name, f)| {
                let window_peak = f.window_peak.max(f.live);
                f.window_peak = f.live;
                InstancePeaks {
                    function: name.to_string(),
                    live: f.live,
                    peak: f.peak,
                    window_peak,
                }
            })
            .collect();
        peaks.sort_unstable_by(|a, b| a.function.cmp(&b.function));
        peaks
    }

    fn lock(&self) -> MutexGuard<'_, TraceState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One function's instance counts by the scaling trace ([`ScalingTrace::take_instance_peaks`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InstancePeaks {
    /// The function.
    pub function: String,
    /// Instances alive or starting now.
    pub live: u64,
    /// The most alive or starting at once over the run.
    pub peak: u64,
    /// The most alive or starting at once since the previous
    /// [`ScalingTrace::take_instance_peaks`].
    pub window_peak: u64,
}

/// Counts of scaling events for one function, as shown in the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ScalingSummary {
    /// The function.
    pub function: String,
    /// Instances started on demand (cold starts), not counting abandoned starts.
    pub cold_starts: u64,
    /// Instances started for min instances.
    pub min_instance_starts: u64,
    /// Instances pre-warmed by the keep-alive policy.
    pub prewarms: u64,
    /// Starts abandoned before the instance was ready (not counted above).
    pub abandoned_starts: u64,
    /// Invocations served by a warm instance.
    pub reuses: u64,
    /// Instances removed (any cause but an abandoned start).
    pub reaps: u64,
    /// Invocations that waited for capacity.
    pub queued: u64,
    /// Invocations refused.
    pub throttled: u64,
}

impl ScalingSummary {
    /// Counts the events of `function` in `events`.
    pub fn of(function: &str, events: &[ScalingEvent]) -> Self {
        let mut counts = FunctionScaling::default();
        for e in events.iter().filter(|e| &*e.function == function) {
            counts.apply(e);
        }
        Self {
            function: function.to_owned(),
            ..counts.summary
        }
    }

    fn starts(&mut self, cause: StartCause) -> &mut u64 {
        match cause {
            StartCause::Demand => &mut self.cold_starts,
            StartCause::MinInstances => &mut self.min_instance_starts,
            StartCause::Prewarm => &mut self.prewarms,
        }
    }
}

/// How many instances of `function` (every function with `None`) were alive or starting at
/// `at` (since the runtime started), from scaling events in time order: those started at or
/// before `at` and not reaped by then. Counted from the events given, so a trace that kept only
/// its most recent events (a ring) answers for the window it kept.
pub fn instances_at(events: &[ScalingEvent], function: Option<&str>, at: Duration) -> u64 {
    let mut live: u64 = 0;
    for e in events
        .iter()
        .filter(|e| e.at <= at && function.is_none_or(|f| *e.function == *f))
    {
        match e.kind {
            ScalingEventKind::Started { .. } => live += 1,
            ScalingEventKind::Reaped { .. } => live = live.saturating_sub(1),
            _ => {}
        }
    }
    live
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(at_ms: u64, instance: u64, kind: ScalingEventKind) -> ScalingEvent {
        ScalingEvent {
            at: Duration::from_millis(at_ms),
            function: Arc::from("f"),
            instance: Some(instance),
            kind,
        }
    }

    #[test]
    fn a_spike_between_two_samples_shows_in_the_window_peak_and_the_next_window_starts_at_the_live_count(
    ) {
        let trace = ScalingTrace::new();
        let started = ScalingEventKind::Started {
            cause: StartCause::Demand,
        };
        let reaped = ScalingEventKind::Reaped {
            cause: ReapCause::KeepAlive,
        };
        for id in 1..=3 {
            trace.push(event(id, id, started));
        }
        trace.push(event(10, 2, reaped));
        trace.push(event(11, 3, reaped));
        let first = trace.take_instance_peaks();
        assert_eq!(
            (first[0].live, first[0].peak, first[0].window_peak),
            (1, 3, 3)
        );
        let second = trace.take_instance_peaks();
        assert_eq!(
            (second[0].live, second[0].peak, second[0].window_peak),
            (1, 3, 1)
        );
        trace.push(event(20, 4, started));
        trace.push(event(
            21,
            4,
            ScalingEventKind::Reaped {
                cause: ReapCause::Abandoned,
            },
        ));
        let third = trace.take_instance_peaks();
        assert_eq!((third[0].live, third[0].window_peak), (1, 2));
    }
}
