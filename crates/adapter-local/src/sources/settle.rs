//! Waiting for the sources to go quiet: [`LocalCloud::settle`](super::LocalCloud::settle) and its
//! bounded form, whose [`NotSettled`] error says what is still pending.

use std::fmt;
use std::time::Duration;

use super::ledger::PendingDelivery;
use super::shutdown::QueueLeftover;
use super::Hub;

/// The sources were still busy when the limit given to
/// [`LocalCloud::settle_within`](super::LocalCloud::settle_within) passed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct NotSettled {
    /// The limit, on the runtime's clock.
    pub limit: Duration,
    /// Asynchronous deliveries not ended yet, oldest first.
    pub pending: Vec<PendingDelivery>,
    /// Consumed queues that still hold messages.
    pub queues: Vec<QueueLeftover>,
}

impl fmt::Display for NotSettled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not settled after {:?}:", self.limit)?;
        let mut parts: Vec<String> = self
            .pending
            .iter()
            .map(|p| {
                format!(
                    " delivery of `{}` to `{}` (attempt {})",
                    p.event_id, p.function, p.attempt
                )
            })
            .collect();
        parts.extend(self.queues.iter().map(|q| {
            format!(
                " queue `{}` holds {} message(s) ({})",
                q.queue,
                q.message_ids.len(),
                q.message_ids.join(", ")
            )
        }));
        f.write_str(&parts.join(";"))
    }
}

/// Polls until nothing is pending. Under a paused clock each sleep lets virtual time advance
/// to the next retry, visibility timeout or schedule.
pub(super) async fn settle(hub: &Hub) {
    while !hub.is_settled() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// As [`settle`], giving up after `limit` with what is still pending.
pub(super) async fn settle_within(hub: &Hub, limit: Duration) -> Result<(), NotSettled> {
    if tokio::time::timeout(limit, settle(hub)).await.is_ok() {
        return Ok(());
    }
    let mut queues: Vec<QueueLeftover> = hub
        .queues
        .iter()
        .filter(|(name, _)| hub.has_consumer(name))
        .map(|(name, q)| QueueLeftover {
            queue: name.clone(),
            message_ids: q.message_ids(),
        })
        .filter(|left| !left.message_ids.is_empty())
        .collect();
    queues.extend(hub.stream_leftovers());
    queues.sort_by(|a, b| a.queue.cmp(&b.queue));
    Err(NotSettled {
        limit,
        pending: hub.ledger.pending(),
        queues,
    })
}
