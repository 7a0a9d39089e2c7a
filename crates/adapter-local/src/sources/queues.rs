//! [`LocalQueue`]: one queue with at-least-once delivery, a visibility timeout and a receive
//! count, like an SQS standard queue.
//!
//! A received message stays in the queue, invisible, until it is deleted (the handler
//! succeeded) or its visibility timeout passes and it can be received again. Receiving a message
//! that was already received `max_receive_count` times takes it out as expired instead, for the
//! caller to dead-letter.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio::time::Instant;

use faasport_core::{Error, Message, QueueMessage};

use super::journal::Journal;
use super::undelivered::Undelivered;

/// The state of one queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueueStats {
    /// Messages accepted.
    pub sent: u64,
    /// Receives (deliveries to a consumer), redeliveries included.
    pub received: u64,
    /// Messages deleted after successful processing.
    pub deleted: u64,
    /// Messages taken out past the max receive count.
    pub expired: u64,
    /// Messages waiting to be received.
    pub visible: u64,
    /// Messages received and not yet deleted or visible again.
    pub in_flight: u64,
}

impl QueueStats {
    /// Whether the queue holds no message.
    pub fn is_empty(&self) -> bool {
        self.visible == 0 && self.in_flight == 0
    }
}

/// A message taken out past its max receive count.
#[derive(Debug, Clone)]
pub(crate) struct Expired {
    pub message: QueueMessage,
    pub last_error: Option<String>,
}

#[derive(Debug)]
struct Stored {
    message: Message,
    sent_at: DateTime<Utc>,
    receives: u32,
    /// Which `delayed` entry is current; older ones are stale.
    seq: u64,
    last_error: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    messages: HashMap<String, Stored>,
    ready: VecDeque<String>,
    delayed: BTreeMap<(Instant, u64), String>,
    seq: u64,
    stats: QueueStats,
}

/// One local queue.
#[derive(Debug)]
pub(crate) struct LocalQueue {
    name: String,
    visibility_timeout: Duration,
    max_receive_count: u32,
    max_depth: usize,
    state: Mutex<State>,
    changed: Notify,
    /// With the durable option: where each message is kept until it is deleted or expires.
    journal: Option<Arc<Journal>>,
}

impl LocalQueue {
    pub(crate) fn new(
        name: &str,
        visibility_timeout: Duration,
        max_receive_count: u32,
        max_depth: usize,
    ) -> Self {
        Self {
            name: name.to_owned(),
            visibility_timeout,
            max_receive_count,
            max_depth,
            state: Mutex::new(State::default()),
            changed: Notify::new(),
            journal: None,
        }
    }

    /// Journals the queue's messages (the durable option).
    pub(crate) fn with_journal(mut self, journal: Option<Arc<Journal>>) -> Self {
        self.journal = journal;
        self
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The most messages a send leaves in the queue.
    pub(crate) fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// The messages held, visible or in flight.
    pub(crate) fn held(&self) -> usize {
        self.lock().messages.len()
    }

    ///
    /// # Errors
    /// [`Error::Io`] if the durable option cannot journal it (it is then not sent).
    pub(crate) fn send(
        &self,
        id: String,
        message: Message,
        sent_at: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.send_with_receives(id, message, sent_at, 0)
    }

    /// Puts a message back with its receive count (a redrive resets it to zero).
    pub(crate) fn send_with_receives(
        &self,
        id: String,
        message: Message,
        sent_at: DateTime<Utc>,
        receives: u32,
    ) -> Result<(), Error> {
        if let Some(journal) = &self.journal {
            let mut kept =
                QueueMessage::new(id.clone(), message.body.clone()).with_sent_at(sent_at);
            kept.attributes = message.attributes.clone();
            let item = Undelivered::Queue {
                queue: self.name.clone(),
                message: kept,
            };
            journal.write(&Journal::queue_key(&self.name, &id), &item)?;
        }
        let mut state = self.lock();
        state.stats.sent += 1;
        let stored = Stored {
            message,
            sent_at,
            receives,
            seq: 0,
            last_error: None,
        };
        state.messages.insert(id.clone(), stored);
        state.ready.push_back(id);
        drop(state);
        self.changed.notify_waiters();
        Ok(())
    }

    /// Waits until a message is visible (or `window` more are, up to `max`), then receives up to
    /// `max` of them. Returns the delivered messages and the expired ones.
    pub(crate) async fn receive(
        &self,
        max: usize,
        window: Duration,
    ) -> (Vec<QueueMessage>, Vec<Expired>) {
        self.wait_visible(1, None).await;
        if !window.is_zero() {
            self.wait_visible(max, Some(Instant::now() + window)).await;
        }
        self.take(max)
    }

    async fn wait_visible(&self, count: usize, until: Option<Instant>) {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let next = {
                let mut state = self.lock();
                promote(&mut state, Instant::now());
                if state.ready.len() >= count {
                    return;
                }
                state.delayed.keys().next().map(|(at, _)| *at)
            };
            let wake = match (next, until) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            match wake {
                Some(at) => {
                    tokio::select! {
                        () = &mut notified => {}
                        () = tokio::time::sleep_until(at) => {}
                    }
                }
                None => notified.await,
            }
            if until.is_some_and(|u| Instant::now() >= u) {
                return;
            }
        }
    }

    fn take(&self, max: usize) -> (Vec<QueueMessage>, Vec<Expired>) {
        let now = Instant::now();
        let mut state = self.lock();
        promote(&mut state, now);
        let (mut delivered, mut expired) = (Vec::new(), Vec::new());
        while delivered.len() < max {
            let Some(id) = state.ready.pop_front() else {
                break;
            };
            state.seq += 1;
            let seq = state.seq;
            let Some(stored) = state.messages.get_mut(&id) else {
                continue;
            };
            if stored.receives >= self.max_receive_count {
                let message = to_queue_message(&id, stored);
                let last_error = stored.last_error.clone();
                state.messages.remove(&id);
                state.stats.expired += 1;
                expired.push(Expired {
                    message,
                    last_error,
                });
                continue;
            }
            stored.receives += 1;
            stored.seq = seq;
            delivered.push(to_queue_message(&id, stored));
            state.stats.received += 1;
            state
                .delayed
                .insert((now + self.visibility_timeout, seq), id);
        }
        drop(state);
        for e in &expired {
            self.forget(&e.message.id);
        }
        (delivered, expired)
    }

    /// Deletes processed messages; returns how many were still there.
    pub(crate) fn delete(&self, ids: &[String]) -> usize {
        let mut state = self.lock();
        let removed = ids
            .iter()
            .filter(|id| state.messages.remove(id.as_str()).is_some())
            .count();
        state.stats.deleted += removed as u64;
        drop(state);
        for id in ids {
            self.forget(id);
        }
        removed
    }

    /// Removes a deleted or expired message from the journal.
    fn forget(&self, id: &str) {
        if let Some(journal) = &self.journal {
            journal.remove(&Journal::queue_key(&self.name, id));
        }
    }

    /// Notes why a delivery failed; the message reappears after its visibility timeout.
    pub(crate) fn fail(&self, ids: &[String], error: &str) {
        let mut state = self.lock();
        for id in ids {
            if let Some(stored) = state.messages.get_mut(id) {
                stored.last_error = Some(error.to_owned());
            }
        }
    }

    /// Makes received messages visible again at once (a duplicate delivery).
    pub(crate) fn release(&self, ids: &[String]) {
        let mut state = self.lock();
        for id in ids {
            state.seq += 1;
            let seq = state.seq;
            if let Some(stored) = state.messages.get_mut(id) {
                stored.seq = seq;
                state.ready.push_back(id.clone());
            }
        }
        drop(state);
        self.changed.notify_waiters();
    }

    /// Puts received messages back at the head of the queue, in the given order, visible at
    /// once (a stream consumer retries its failed records before the ones after them).
    pub(crate) fn requeue_front(&self, ids: &[String]) {
        let mut state = self.lock();
        for id in ids.iter().rev() {
            state.seq += 1;
            let seq = state.seq;
            if let Some(stored) = state.messages.get_mut(id) {
                stored.seq = seq;
                state.ready.push_front(id.clone());
            }
        }
        drop(state);
        self.changed.notify_waiters();
    }

    pub(crate) fn stats(&self) -> QueueStats {
        let mut state = self.lock();
        promote(&mut state, Instant::now());
        let mut stats = state.stats;
        let visible = state
            .ready
            .iter()
            .filter(|id| state.messages.contains_key(id.as_str()))
            .count();
        stats.visible = visible as u64;
        stats.in_flight = state.messages.len().saturating_sub(visible) as u64;
        stats
    }

    /// The messages in the queue: the visible ones in delivery order, then those in flight by
    /// send time.
    pub(crate) fn messages(&self) -> Vec<QueueMessage> {
        let mut state = self.lock();
        promote(&mut state, Instant::now());
        let mut seen = std::collections::HashSet::new();
        let mut listed: Vec<QueueMessage> = state
            .ready
            .iter()
            .filter(|id| seen.insert(id.as_str()))
            .filter_map(|id| state.messages.get(id).map(|m| to_queue_message(id, m)))
            .collect();
        let mut in_flight: Vec<QueueMessage> = state
            .messages
            .iter()
            .filter(|(id, _)| !seen.contains(id.as_str()))
            .map(|(id, m)| to_queue_message(id, m))
            .collect();
        in_flight.sort_by(|a, b| (a.sent_at, &a.id).cmp(&(b.sent_at, &b.id)));
        listed.extend(in_flight);
        listed
    }

    /// The ids of the messages still in the queue.
    pub(crate) fn message_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.lock().messages.keys().cloned().collect();
        ids.sort();
        ids
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Moves messages whose visibility timeout has passed back to the ready list.
fn promote(state: &mut State, now: Instant) {
    while let Some(entry) = state.delayed.first_entry() {
        if entry.key().0 > now {
            break;
        }
        let ((_, seq), id) = entry.remove_entry();
        if state.messages.get(&id).is_some_and(|m| m.seq == seq) {
            state.ready.push_back(id);
        }
    }
}

fn to_queue_message(id: &str, stored: &Stored) -> QueueMessage {
    let mut message = QueueMessage::new(id, stored.message.body.clone())
        .with_attempt(stored.receives)
        .with_sent_at(stored.sent_at);
    message.attributes = stored.message.attributes.clone();
    message
}
