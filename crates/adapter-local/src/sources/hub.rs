//! [`Hub`]: the state the sources share (runtime, queues, buckets, ledger, clocks, shutdown).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use faasport_core::{DeadLetter as Target, Error, Event, Message, Operation, Scope};

use super::buckets::Buckets;
use super::depth::{DepthGauge, DepthLimit};
use super::history::TopicHistory;
use super::journal::Journal;
use super::ledger::DeliveryLedger;
use super::policy::DeliveryPolicy;
use super::queues::LocalQueue;
use super::streams::LocalStream;
use crate::dead_letters::{DeadLetterSource, DeadLetters};
use crate::faults::FaultPlan;
use crate::LocalRuntime;

/// Shared state of one [`LocalCloud`](super::LocalCloud).
#[derive(Debug)]
pub(crate) struct Hub {
    pub(super) runtime: LocalRuntime,
    pub(super) policy: DeliveryPolicy,
    pub(super) faults: Option<FaultPlan>,
    pub(super) queues: HashMap<String, Arc<LocalQueue>>,
    /// Consumed data streams, by name.
    pub(super) streams: HashMap<String, LocalStream>,
    pub(super) buckets: Buckets,
    pub(super) max_message_bytes: usize,
    /// The depth limit (a queue's own is on the queue).
    pub(super) depth: DepthLimit,
    /// Pending messages per topic.
    pub(super) topic_depths: HashMap<String, Arc<DepthGauge>>,
    /// Where shutdown keeps undelivered messages, and resume finds them.
    pub(super) state_dir: Option<PathBuf>,
    /// Whether starting delivers the undelivered file again.
    pub(super) resume_on_start: bool,
    /// The journal of unacknowledged messages, with the durable option.
    pub(super) journal: Option<Arc<Journal>>,
    /// The journal's messages from an earlier run, until `start` delivers them.
    pub(super) recovered: std::sync::Mutex<Vec<super::Undelivered>>,
    pub(super) dead_letters: DeadLetters,
    pub(super) history: TopicHistory,
    pub(super) ledger: DeliveryLedger,
    pub(super) tracker: TaskTracker,
    /// Cancelled when shutdown begins: no new work is accepted or polled. Cancel it only
    /// through [`Hub::begin_closing`], which sets `closed` too.
    pub(super) closing: CancellationToken,
    /// Set when shutdown begins, as `closing` is cancelled: what [`Hub::is_closing`] reads on
    /// every request. `CancellationToken::is_cancelled` takes the token's mutex, which every
    /// connection would share.
    pub(super) closed: AtomicBool,
    /// Cancelled when the grace period ends: in-flight work is abandoned.
    pub(super) stopped: CancellationToken,
    pub(super) started: AtomicBool,
    /// HTTP invocations running now (they are tracked by `tracker` too).
    pub(super) requests_in_flight: AtomicU64,
    pub(super) ids: AtomicU64,
    pub(super) clock_start: DateTime<Utc>,
    pub(super) instant_start: Instant,
}

impl Hub {
    pub(crate) fn runtime(&self) -> &LocalRuntime {
        &self.runtime
    }

    pub(crate) fn dead_letters(&self) -> &DeadLetters {
        &self.dead_letters
    }

    pub(crate) fn ledger(&self) -> &DeliveryLedger {
        &self.ledger
    }

    pub(crate) fn queue(&self, name: &str) -> Option<&Arc<LocalQueue>> {
        self.queues.get(name)
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Shutdown begins: no new work is accepted ([`Hub::is_closing`]) and whatever waits on
    /// `closing` stops.
    pub(super) fn begin_closing(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.closing.cancel();
    }

    /// The runtime's wall clock: the configured start plus the (possibly virtual) time elapsed.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.at(Instant::now())
    }

    pub(crate) fn at(&self, instant: Instant) -> DateTime<Utc> {
        let elapsed = instant.saturating_duration_since(self.instant_start);
        chrono::Duration::from_std(elapsed)
            .ok()
            .and_then(|d| self.clock_start.checked_add_signed(d))
            .unwrap_or(self.clock_start)
    }

    /// The instant at which the runtime's clock reads `at` (now, if that is in the past).
    pub(crate) fn instant_of(&self, at: DateTime<Utc>) -> Instant {
        let offset = (at - self.clock_start).to_std().unwrap_or_default();
        (self.instant_start + offset).max(Instant::now())
    }

    pub(crate) fn next_id(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.ids.fetch_add(1, Ordering::Relaxed) + 1)
    }

    pub(crate) fn accepting(&self) -> Result<(), Error> {
        if self.is_closing() {
            Err(Error::ShuttingDown)
        } else {
            Ok(())
        }
    }

    pub(crate) fn check_size(&self, what: &str, len: usize) -> Result<(), Error> {
        if len > self.max_message_bytes {
            return Err(Error::invalid_payload(format!(
                "{what} of {len} bytes exceeds the limit of {} bytes",
                self.max_message_bytes
            )));
        }
        Ok(())
    }

    /// A direct use (from a test or the admin API, not a function) of a resource the app does
    /// not declare.
    pub(crate) fn undeclared(operation: Operation, name: &str) -> Error {
        Error::Undeclared {
            function: None,
            operation,
            name: name.to_owned(),
            scope: Scope::App,
        }
    }

    /// Stores a dead letter and forwards it to the declared target, if any.
    pub(crate) fn dead_letter(
        self: &Arc<Self>,
        source: DeadLetterSource,
        event_id: &str,
        event: Event,
        reason: String,
        attempts: u32,
        target: Option<Target>,
    ) {
        let forward = target.map(|t| (t, forward_message(&source, &event, &reason)));
        self.dead_letters
            .push(source, event_id, event, reason, attempts);
        match forward {
            Some((Target::Queue(queue), Ok(message))) => {
                if let Some(q) = self.queues.get(&queue) {
                    if let Err(e) = q.send(self.next_id("msg"), message, self.now()) {
                        tracing::error!(queue, error = %e, "could not forward a dead letter");
                    }
                }
            }
            Some((Target::Topic(topic), Ok(message))) => {
                if let Err(e) = self.fan_out(&topic, message, None) {
                    tracing::warn!(topic, error = %e, "could not forward a dead letter");
                }
            }
            Some((_, Err(e))) => tracing::warn!(error = %e, "could not encode a dead letter"),
            _ => {}
        }
    }

    /// Whether nothing is pending: no async delivery open and no consumed queue holding messages.
    pub(crate) fn is_settled(&self) -> bool {
        self.ledger.counts().pending == 0
            && self
                .queues
                .iter()
                .filter(|(name, _)| self.has_consumer(name))
                .all(|(_, q)| q.stats().is_empty())
            && self.streams_settled()
    }

    pub(crate) fn has_consumer(&self, queue: &str) -> bool {
        self.runtime().app().functions().iter().any(|f| {
            f.triggers()
                .iter()
                .any(|t| matches!(t, faasport_core::Trigger::Queue { queue: q, .. } if q == queue))
        })
    }

    pub(crate) fn start(self: &Arc<Self>) {
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        self.recover();
        if let (true, Some(dir)) = (self.resume_on_start, &self.state_dir) {
            if let Err(e) = self.resume(dir) {
                tracing::error!(error = %faasport_core::chain_message(&e), "could not resume undelivered messages");
            }
        }
        super::consumer::start_all(self);
        super::streams::start_all(self);
        super::schedules::start_all(self);
    }
}

fn forward_message(
    source: &DeadLetterSource,
    event: &Event,
    reason: &str,
) -> Result<Message, Error> {
    Ok(Message::json(event)?
        .with_attribute("faasport-dead-letter-source", source.to_string())
        .with_attribute("faasport-dead-letter-reason", reason))
}
