//! [`EventKind`]: the kinds of [`Event`](crate::Event), and what a handler takes.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The kind of an event, or of the events a handler takes ([`EventKind::Any`] and
/// [`EventKind::Json`] describe handlers only).
///
/// Its text form (`http`, `queue`, ..., `cloud_event`) is the `kind` of an event's tagged JSON
/// form and appears in error messages.
///
/// # Examples
/// ```
/// use faasport_core::EventKind;
///
/// assert_eq!(EventKind::CloudEvent.to_string(), "cloud_event");
/// assert!(EventKind::Json.takes(EventKind::Http));
/// assert!(!EventKind::Queue.takes(EventKind::Topic));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// An HTTP request.
    Http,
    /// A queue batch.
    Queue,
    /// A topic message.
    Topic,
    /// A schedule tick.
    Schedule,
    /// An object storage event.
    Storage,
    /// A batch of database changes.
    Change,
    /// A CloudEvent.
    CloudEvent,
    /// A handler taking [`Event`](crate::Event): every kind.
    Any,
    /// A handler taking [`Json<T>`](crate::Json): a JSON payload carried by an HTTP body, a
    /// topic message or a CloudEvent's data.
    Json,
}

impl EventKind {
    /// The text form.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Http => "http",
            EventKind::Queue => "queue",
            EventKind::Topic => "topic",
            EventKind::Schedule => "schedule",
            EventKind::Storage => "storage",
            EventKind::Change => "change",
            EventKind::CloudEvent => "cloud_event",
            EventKind::Any => "any",
            EventKind::Json => "json",
        }
    }

    /// Whether a handler taking `self` takes events of kind `delivered`.
    pub fn takes(self, delivered: EventKind) -> bool {
        match self {
            EventKind::Any => true,
            EventKind::Json => matches!(
                delivered,
                EventKind::Http | EventKind::Topic | EventKind::CloudEvent
            ),
            own => own == delivered,
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
