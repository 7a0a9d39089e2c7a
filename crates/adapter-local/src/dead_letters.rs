//! Dead letters you can see: every event that exhausted its retries, per function or queue.
//!
//! The store is the local runtime's last word on an event: an asynchronous delivery (topic,
//! schedule, storage event, `invoke_async`) that ran out of retries or of age, and a queue message
//! past its max receive count, each land here with the reason and the number of attempts. The
//! event is also forwarded to the function's or queue's own dead-letter target, else to the app's
//! default ([`App::dead_letter`](faasport_core::App::dead_letter); for a queue, only when that is
//! another queue), as the manifests route it on the cloud; the store keeps its copy so nothing
//! depends on someone consuming that target.
//!
//! Entries can be listed, inspected, purged, and redriven (see
//! [`LocalCloud::redrive`](crate::LocalCloud::redrive)).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use faasport_core::Event;

/// Where a dead-lettered event came from, and where a redrive sends it back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum DeadLetterSource {
    /// An asynchronous invocation of a function.
    Function(String),
    /// A queue (its message went past the max receive count).
    Queue(String),
}

impl fmt::Display for DeadLetterSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeadLetterSource::Function(name) => write!(f, "function `{name}`"),
            DeadLetterSource::Queue(name) => write!(f, "queue `{name}`"),
        }
    }
}

/// One dead-lettered event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeadLetterEntry {
    /// The entry's id in the store (`dl-N`).
    pub id: String,
    /// Where it came from.
    pub source: DeadLetterSource,
    /// The id of the event or message (topic message id, queue message id, ...).
    pub event_id: String,
    /// The event as it would be delivered again (for a queue, a one-message batch).
    pub event: Event,
    /// Why it was dead-lettered: the last error, or the limit that was reached.
    pub reason: String,
    /// How many times it was delivered.
    pub attempts: u32,
    /// When it was dead-lettered.
    pub at: DateTime<Utc>,
}

/// The dead-letter store of one local runtime.
#[derive(Debug, Default)]
pub struct DeadLetters {
    inner: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next: u64,
    entries: BTreeMap<u64, DeadLetterEntry>,
}

impl DeadLetters {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an entry and returns its id; logs it, so a dead letter never passes silently.
    pub fn push(
        &self,
        source: DeadLetterSource,
        event_id: impl Into<String>,
        event: Event,
        reason: impl Into<String>,
        attempts: u32,
    ) -> String {
        let mut state = self.lock();
        state.next += 1;
        let id = format!("dl-{}", state.next);
        let entry = DeadLetterEntry {
            id: id.clone(),
            source,
            event_id: event_id.into(),
            event,
            reason: reason.into(),
            attempts,
            at: Utc::now(),
        };
        tracing::warn!(id = %entry.id, source = %entry.source, event_id = %entry.event_id,
            attempts, reason = %entry.reason, "event dead-lettered");
        let key = state.next;
        state.entries.insert(key, entry);
        id
    }

    /// Every entry, oldest first; only those from `source` when given.
    pub fn list(&self, source: Option<&DeadLetterSource>) -> Vec<DeadLetterEntry> {
        self.lock()
            .entries
            .values()
            .filter(|e| source.is_none_or(|s| &e.source == s))
            .cloned()
            .collect()
    }

    /// The `n` most recent entries, oldest first. O(n).
    pub fn latest(&self, n: usize) -> Vec<DeadLetterEntry> {
        let state = self.lock();
        let mut latest: Vec<DeadLetterEntry> =
            state.entries.values().rev().take(n).cloned().collect();
        latest.reverse();
        latest
    }

    /// How many entries each source has, without copying them.
    pub fn counts(&self) -> BTreeMap<DeadLetterSource, usize> {
        let mut counts = BTreeMap::new();
        for entry in self.lock().entries.values() {
            *counts.entry(entry.source.clone()).or_default() += 1;
        }
        counts
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One entry by id.
    pub fn get(&self, id: &str) -> Option<DeadLetterEntry> {
        let key = parse_id(id)?;
        self.lock().entries.get(&key).cloned()
    }

    /// Removes one entry by id, returning it.
    pub fn take(&self, id: &str) -> Option<DeadLetterEntry> {
        let key = parse_id(id)?;
        self.lock().entries.remove(&key)
    }

    /// Removes every entry (from `source` when given) and returns how many were removed.
    pub fn purge(&self, source: Option<&DeadLetterSource>) -> usize {
        let mut state = self.lock();
        let before = state.entries.len();
        state
            .entries
            .retain(|_, e| source.is_some_and(|s| &e.source != s));
        before - state.entries.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn parse_id(id: &str) -> Option<u64> {
    id.strip_prefix("dl-")?.parse().ok()
}
