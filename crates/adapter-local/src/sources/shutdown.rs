//! Graceful shutdown: stop accepting, let in-flight work (deliveries, queue batches and HTTP
//! invocations) finish within a grace period, then stop and report.
//!
//! Whatever is left undelivered is logged in one summary line at `warn` (counts, not one line
//! per message), and, with a state folder, written with its bodies to the
//! [undelivered file](super::undelivered) for `serve --resume` (with the durable option they
//! stay in the [journal](super::journal) instead, for the next start). Stopping is bounded: every
//! delivery task waits on the same cancellation, so 100,000 pending deliveries stop together.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ledger::{DeliveryCounts, PendingDelivery};
use super::Hub;

/// Messages a queue still held at shutdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueueLeftover {
    /// The queue.
    pub queue: String,
    /// The ids of its messages, visible or in flight.
    pub message_ids: Vec<String>,
}

/// What shutdown found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Whether all in-flight work finished within the grace period.
    pub drained: bool,
    /// Asynchronous delivery counts at the end.
    pub deliveries: DeliveryCounts,
    /// Asynchronous deliveries that were still pending (waiting to retry, or running when the
    /// grace period ended).
    pub undelivered: Vec<PendingDelivery>,
    /// Queues that still held messages.
    pub queues: Vec<QueueLeftover>,
    /// HTTP invocations still running when the grace period ended; they were cancelled and
    /// their callers got 503.
    #[serde(default)]
    pub requests_abandoned: u64,
    /// Entries in the dead-letter store.
    pub dead_letters: usize,
    /// The file the undelivered messages were written to, bodies included (with a state
    /// folder, when something was left); with the durable option, the journal folder that
    /// holds them.
    #[serde(default)]
    pub undelivered_file: Option<PathBuf>,
}

impl ShutdownReport {
    /// Whether nothing was left undelivered and no HTTP invocation was abandoned.
    pub fn is_clean(&self) -> bool {
        self.undelivered.is_empty() && self.queues.is_empty() && self.requests_abandoned == 0
    }
}

pub(super) async fn shutdown(hub: &Hub, grace: Duration) -> ShutdownReport {
    tracing::info!(?grace, "shutting down: no new work accepted");
    hub.begin_closing();
    hub.tracker.close();
    let drained = tokio::time::timeout(grace, hub.tracker.wait())
        .await
        .is_ok();
    let mut requests_abandoned = 0;
    if !drained {
        requests_abandoned = hub.requests_in_flight.load(Ordering::SeqCst);
        tracing::warn!(
            ?grace,
            requests_abandoned,
            "grace period over: stopping in-flight work"
        );
        hub.stopped.cancel();
        hub.tracker.wait().await;
    }
    let undelivered = hub.ledger.pending();
    let mut queues: Vec<QueueLeftover> = hub
        .queues
        .values()
        .map(|q| QueueLeftover {
            queue: q.name().to_owned(),
            message_ids: q.message_ids(),
        })
        .filter(|left| !left.message_ids.is_empty())
        .collect();
    queues.extend(hub.stream_leftovers());
    queues.sort_by(|a, b| a.queue.cmp(&b.queue));
    let undelivered_file = keep_undelivered(hub);
    if !undelivered.is_empty() || !queues.is_empty() {
        let queued: usize = queues.iter().map(|q| q.message_ids.len()).sum();
        tracing::warn!(
            deliveries = undelivered.len(),
            queued_messages = queued,
            queues = queues.len(),
            kept_in = ?undelivered_file,
            "left undelivered at shutdown"
        );
    }
    let report = ShutdownReport {
        drained,
        deliveries: hub.ledger.counts(),
        undelivered,
        queues,
        requests_abandoned,
        dead_letters: hub.dead_letters.len(),
        undelivered_file,
    };
    tracing::info!(
        drained,
        undelivered = report.undelivered.len(),
        queues_with_messages = report.queues.len(),
        dead_letters = report.dead_letters,
        "shutdown complete"
    );
    report
}

/// Writes what is left to the state folder's undelivered file; the file, when it holds some.
/// With the durable option everything left is in the journal already, which the next start
/// delivers: nothing is written, and the journal folder is named when something is left.
fn keep_undelivered(hub: &Hub) -> Option<PathBuf> {
    let dir = hub.state_dir.as_deref()?;
    if hub.journal.is_some() {
        let left = hub.ledger.counts().pending > 0 || hub.queues.values().any(|q| q.held() > 0);
        return left.then(|| dir.join(super::JOURNAL_DIR));
    }
    let items = hub.undelivered();
    match super::undelivered::write(dir, &items) {
        Ok(0) => None,
        Ok(_) => Some(super::undelivered::undelivered_path(dir)),
        Err(e) => {
            tracing::error!(error = %e, messages = items.len(), folder = %dir.display(),
                "could not keep the undelivered messages");
            None
        }
    }
}
