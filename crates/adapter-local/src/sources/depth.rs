//! [`DepthLimit`]: how many messages a topic or a queue holds before sending pushes back.
//!
//! A topic's depth counts its messages whose deliveries have not all ended (processed or
//! dead-lettered); a queue's counts the messages it holds, visible or in flight. Past the
//! limit, a publish or a send fails with [`Error::Throttled`] (429 with `Retry-After` through
//! the gateway, also when a handler relays it), or waits for room, as the profile says:
//!
//! | profile | depth per topic and per queue | past it | basis |
//! |---|---|---|---|
//! | `aws` | 10,000 | reject: `Throttled`, retry after 1 s | SNS `Publish` and SQS `SendMessage` answer a throttle (`ThrottledException`, `RequestThrottled`) rather than wait |
//! | `gcp` | 10,000 | wait up to 60 s, then reject | the Pub/Sub client libraries' publisher flow control holds a publish until outstanding messages drop |
//! | `azure` | 10,000 | reject | Storage answers a throttle with `503 Server Busy` (we answer 429, like the others) |
//! | `custom` | 10,000 | reject | as `aws` |
//!
//! No provider documents a depth that fits: Lambda's internal queue for asynchronous events
//! and an SQS standard queue's backlog are effectively unbounded (SQS caps only in-flight
//! messages, at 120,000). The local runtime is one process, so it needs a bound: 10,000 is our
//! choice: at the measured 6.5 KB a pending delivery (BENCHMARKS.md), about 65 MB per full
//! topic. Set
//! [`LocalConfig::max_depth`](crate::LocalConfig::max_depth) to change it for every topic and
//! queue, and [`QueueSpec::max_depth`](faasport_core::QueueSpec) for one queue.
//!
//! Only a publish or send (from a handler, the admin API or a test) is refused. Dead letters
//! forwarded to a topic or queue, redrives and resumed messages are always accepted: they were
//! accepted once already, and refusing them would lose them. Resumed and recovered messages
//! still count, so new publishes are refused until they drain.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use faasport_core::Error;

use crate::{Backpressure, Profile, ProfileKind};

/// Messages a topic or queue holds unless configured.
pub const DEFAULT_MAX_DEPTH: usize = 10_000;

/// When a caller refused for depth may try again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// How often a waiting publish looks for room again.
pub(crate) const RECHECK: Duration = Duration::from_millis(20);

/// The most messages a topic or queue holds, and what a publish past it does.
///
/// A topic's depth counts its messages whose deliveries have not all ended (processed or
/// dead-lettered); a queue's counts the messages it holds, visible or in flight. Past the
/// limit, a publish or a send fails with [`Error::Throttled`] (429 with `Retry-After` through
/// the gateway, also when a handler relays it), or waits for room, as the profile says:
///
/// | profile | depth per topic and per queue | past it | basis |
/// |---|---|---|---|
/// | `aws` | 10,000 | reject: `Throttled`, retry after 1 s | SNS `Publish` and SQS `SendMessage` answer a throttle (`ThrottledException`, `RequestThrottled`) rather than wait |
/// | `gcp` | 10,000 | wait up to 60 s, then reject | the Pub/Sub client libraries' publisher flow control holds a publish until outstanding messages drop |
/// | `azure` | 10,000 | reject | Storage answers a throttle with `503 Server Busy` (we answer 429, like the others) |
/// | `custom` | 10,000 | reject | as `aws` |
///
/// No provider documents a depth that fits: Lambda's internal queue for asynchronous events
/// and an SQS standard queue's backlog are effectively unbounded (SQS caps only in-flight
/// messages, at 120,000). The local runtime is one process, so it needs a bound: 10,000 is our
/// choice: at the measured 6.5 KB a pending delivery (BENCHMARKS.md), about 65 MB per full
/// topic. Set
/// [`LocalConfig::max_depth`](crate::LocalConfig::max_depth) to change it for every topic and
/// queue, and [`QueueSpec::max_depth`](faasport_core::QueueSpec) for one queue.
///
/// Only a publish or send (from a handler, the admin API or a test) is refused. Dead letters
/// forwarded to a topic or queue, redrives and resumed messages are always accepted: they were
/// accepted once already, and refusing them would lose them. Resumed and recovered messages
/// still count, so new publishes are refused until they drain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DepthLimit {
    /// Pending messages per topic, held messages per queue.
    pub max: usize,
    /// [`Backpressure::Reject`] fails at once; [`Backpressure::Queue`] waits up to its
    /// deadline, then fails; [`Backpressure::Block`] waits for as long as it takes. Only calls
    /// from handlers wait; direct calls from the admin API or a test are refused at once.
    pub when_full: Backpressure,
}

impl DepthLimit {
    /// A limit of `max` messages, refused past it.
    pub fn new(max: usize) -> Self {
        Self {
            max,
            when_full: Backpressure::Reject,
        }
    }

    /// Sets what a publish past the limit does.
    pub fn when_full(mut self, backpressure: Backpressure) -> Self {
        self.when_full = backpressure;
        self
    }

    /// The limit of a profile (see the table on [`DepthLimit`]).
    pub fn for_profile(profile: &Profile) -> Self {
        let limit = Self::new(DEFAULT_MAX_DEPTH);
        match profile.kind {
            ProfileKind::Gcp => limit.when_full(Backpressure::Queue {
                deadline: Duration::from_secs(60),
            }),
            _ => limit,
        }
    }

    pub(crate) fn refusal(what: &str, name: &str, max: usize) -> Error {
        Error::Throttled {
            reason: format!("{what} `{name}` holds its maximum of {max} pending messages"),
            retry_after: Some(RETRY_AFTER),
        }
    }
}

/// The live depth of one topic.
#[derive(Debug, Default)]
pub(crate) struct DepthGauge {
    pending: AtomicUsize,
}

impl DepthGauge {
    /// Takes one place, unless `max` are taken.
    pub(crate) fn try_take(self: &Arc<Self>, max: usize) -> Option<DepthPermit> {
        self.pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| DepthPermit(self.clone()))
    }
}

impl DepthGauge {
    /// Takes one place even past the limit: for messages accepted once already (resumed from
    /// the undelivered file or recovered from the journal).
    pub(crate) fn take(self: &Arc<Self>) -> DepthPermit {
        self.pending.fetch_add(1, Ordering::AcqRel);
        DepthPermit(self.clone())
    }
}

/// One place in a topic, given back when the last delivery of its message ends.
#[derive(Debug)]
pub(crate) struct DepthPermit(Arc<DepthGauge>);

impl Drop for DepthPermit {
    fn drop(&mut self) {
        self.0.pending.fetch_sub(1, Ordering::AcqRel);
    }
}
