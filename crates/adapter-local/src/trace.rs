//! The scaling trace: every instance start, reuse, reap, queueing and throttle, with a timestamp.
//!
//! Tests assert on it and the report summarises it. Timestamps are durations since the runtime
//! was built, on tokio's clock, so they are exact under the virtual clock.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

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

/// The scaling events of a runtime, in the order they happened. Shared by every pool.
#[derive(Debug, Default)]
pub struct ScalingTrace {
    events: Mutex<Vec<ScalingEvent>>,
}

impl ScalingTrace {
    /// An empty trace.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an event.
    pub fn push(&self, event: ScalingEvent) {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event);
    }

    /// A copy of every event so far.
    pub fn events(&self) -> Vec<ScalingEvent> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
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
        let mut s = Self {
            function: function.to_owned(),
            ..Self::default()
        };
        let mut causes = std::collections::HashMap::new();
        for e in events.iter().filter(|e| &*e.function == function) {
            match e.kind {
                ScalingEventKind::Started { cause } => {
                    if let Some(id) = e.instance {
                        causes.insert(id, cause);
                    }
                    *s.starts(cause) += 1;
                }
                ScalingEventKind::Reused => s.reuses += 1,
                ScalingEventKind::Reaped {
                    cause: ReapCause::Abandoned,
                } => {
                    if let Some(cause) = e.instance.and_then(|id| causes.get(&id)) {
                        let count = s.starts(*cause);
                        *count = count.saturating_sub(1);
                    }
                    s.abandoned_starts += 1;
                }
                ScalingEventKind::Reaped { .. } => s.reaps += 1,
                ScalingEventKind::Queued => s.queued += 1,
                ScalingEventKind::Throttled => s.throttled += 1,
            }
        }
        s
    }

    fn starts(&mut self, cause: StartCause) -> &mut u64 {
        match cause {
            StartCause::Demand => &mut self.cold_starts,
            StartCause::MinInstances => &mut self.min_instance_starts,
            StartCause::Prewarm => &mut self.prewarms,
        }
    }
}
