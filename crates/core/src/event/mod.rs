//! Events: one typed struct per trigger kind, and [`Event`], the enum of them all.
//!
//! A handler names the event type it takes; [`FromEvent`] turns the neutral [`Event`] an adapter
//! produced into that type, or fails with [`Error::EventMismatch`]. A handler that takes
//! [`Event`] itself accepts everything.

mod change;
mod cloud;
mod http;
mod kind;
mod queue;
mod schedule;
mod storage;
mod topic;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use self::change::{ChangeBatch, ChangeOperation, ChangeRecord};
pub use self::cloud::CloudEvent;
pub use self::http::{percent_decode, percent_encode, HttpRequest, HttpResponse, PathParams};
pub use self::kind::EventKind;
pub use self::queue::{QueueBatch, QueueMessage};
pub use self::schedule::ScheduleTick;
pub use self::storage::{StorageEvent, StorageEventKind};
pub use self::topic::TopicMessage;
use crate::Error;

/// Any event a function can receive.
///
/// In JSON it is `{"kind": "...", "event": {...}}` with kinds `http`, `queue`, `topic`,
/// `schedule`, `storage`, `change` and `cloud_event`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// An HTTP request.
    Http(HttpRequest),
    /// A batch of queue messages.
    Queue(QueueBatch),
    /// A topic message.
    Topic(TopicMessage),
    /// A schedule tick.
    Schedule(ScheduleTick),
    /// An object storage event.
    Storage(StorageEvent),
    /// A batch of database changes.
    Change(ChangeBatch),
    /// Any other event, as a CloudEvent.
    CloudEvent(CloudEvent),
}

impl Event {
    /// The event's kind, as used in JSON and in error messages.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Http(_) => EventKind::Http,
            Event::Queue(_) => EventKind::Queue,
            Event::Topic(_) => EventKind::Topic,
            Event::Schedule(_) => EventKind::Schedule,
            Event::Storage(_) => EventKind::Storage,
            Event::Change(_) => EventKind::Change,
            Event::CloudEvent(_) => EventKind::CloudEvent,
        }
    }

    /// Reads an event given as JSON: either the tagged form of [`Event`], or any other JSON
    /// value, which becomes a CloudEvent of type `faasport.invoke` carrying it as data (this is
    /// what a direct invocation with a custom payload looks like on every backend). A value that
    /// looks tagged but does not parse is wrapped too; use [`Event::try_from_json`] to refuse it.
    pub fn from_json(value: serde_json::Value) -> Self {
        // Only a tagged value needs a copy to fall back on; plain payloads are wrapped as they are.
        if tagged_kind(&value).is_some() {
            if let Ok(event) = serde_json::from_value::<Event>(value.clone()) {
                return event;
            }
        }
        Self::wrap(value)
    }

    /// Like [`Event::from_json`], but a value in the tagged form (an object with exactly `kind`
    /// and `event`, and a known kind) must parse as that event.
    ///
    /// # Errors
    /// [`Error::InvalidPayload`] naming the kind and what is wrong with the event.
    pub fn try_from_json(value: serde_json::Value) -> Result<Self, Error> {
        match tagged_kind(&value).map(str::to_owned) {
            Some(kind) => serde_json::from_value::<Event>(value)
                .map_err(|e| Error::invalid_payload(format!("not a valid `{kind}` event: {e}"))),
            None => Ok(Self::wrap(value)),
        }
    }

    /// Whether `value` is in the tagged form (an object with exactly `kind` and `event`, and a
    /// known kind): the values [`Event::try_from_json`] parses as events, where any other value
    /// is a custom payload, wrapped.
    pub fn is_tagged(value: &serde_json::Value) -> bool {
        tagged_kind(value).is_some()
    }

    fn wrap(value: serde_json::Value) -> Self {
        Event::CloudEvent(
            CloudEvent::new(next_invoke_id(), "faasport", INVOKE_EVENT_TYPE).with_data(value),
        )
    }
}

/// The kind of a value in the tagged form: an object with exactly `kind` (a known one) and
/// `event`.
fn tagged_kind(value: &serde_json::Value) -> Option<&str> {
    let map = value.as_object()?;
    let kind = map.get("kind")?.as_str()?;
    (map.len() == 2 && map.contains_key("event") && KINDS.contains(&kind)).then_some(kind)
}

/// The kinds of [`Event`] in its tagged JSON form.
const KINDS: [&str; 7] = [
    "http",
    "queue",
    "topic",
    "schedule",
    "storage",
    "change",
    "cloud_event",
];

/// The CloudEvent type given to direct invocations with a custom JSON payload.
pub const INVOKE_EVENT_TYPE: &str = "faasport.invoke";

fn next_invoke_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("invoke-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Converts the neutral [`Event`] into the type a handler takes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event type a faasport handler can take",
    label = "not an event type",
    note = "a handler's first argument must be one of: HttpRequest, QueueBatch, TopicMessage, ScheduleTick, StorageEvent, ChangeBatch, CloudEvent, Event, or Json<T>"
)]
pub trait FromEvent: Sized + Send + 'static {
    /// The kind of event it takes, used to check triggers and in mismatch errors.
    const KIND: EventKind;

    /// Extracts `Self` from the event.
    ///
    /// # Errors
    /// [`Error::EventMismatch`] if the event is of another kind, or a payload error.
    fn from_event(event: Event) -> Result<Self, Error>;
}

impl FromEvent for Event {
    const KIND: EventKind = EventKind::Any;
    fn from_event(event: Event) -> Result<Self, Error> {
        Ok(event)
    }
}

macro_rules! from_event_variant {
    ($ty:ty, $variant:ident) => {
        impl FromEvent for $ty {
            const KIND: EventKind = EventKind::$variant;
            fn from_event(event: Event) -> Result<Self, Error> {
                match event {
                    Event::$variant(inner) => Ok(inner),
                    other => Err(Error::EventMismatch {
                        expected: EventKind::$variant,
                        actual: other.kind(),
                    }),
                }
            }
        }

        impl From<$ty> for Event {
            fn from(inner: $ty) -> Self {
                Event::$variant(inner)
            }
        }
    };
}

from_event_variant!(HttpRequest, Http);
from_event_variant!(QueueBatch, Queue);
from_event_variant!(TopicMessage, Topic);
from_event_variant!(ScheduleTick, Schedule);
from_event_variant!(StorageEvent, Storage);
from_event_variant!(ChangeBatch, Change);
from_event_variant!(CloudEvent, CloudEvent);

/// A JSON payload of type `T`, read from whatever carried it: a CloudEvent's data, an HTTP
/// request's body, or a topic message's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + Send + 'static> FromEvent for Json<T> {
    const KIND: EventKind = EventKind::Json;
    fn from_event(event: Event) -> Result<Self, Error> {
        let value = match event {
            Event::CloudEvent(ce) => match (ce.data, ce.data_base64) {
                (Some(data), _) => serde_json::from_value(data)?,
                (None, Some(bytes)) => bytes.to_json()?,
                (None, None) => serde_json::from_value(serde_json::Value::Null)?,
            },
            // The caller sent the body: a bad one is the caller's error (400), not ours.
            Event::Http(req) => req.read_json()?,
            Event::Topic(msg) => msg.body.to_json()?,
            other => {
                return Err(Error::EventMismatch {
                    expected: EventKind::Json,
                    actual: other.kind(),
                })
            }
        };
        Ok(Json(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn events_round_trip_through_their_tagged_json_form() {
        let at = chrono::Utc
            .with_ymd_and_hms(2026, 1, 31, 2, 0, 0)
            .single()
            .expect("time");
        let events = vec![
            Event::Queue(QueueBatch::new(
                "q",
                vec![QueueMessage::new("m1", "hi").with_attribute("a", "b")],
            )),
            Event::Topic(TopicMessage::new("orders", "1", vec![1u8, 2, 255])),
            Event::Schedule(ScheduleTick::new("rate(5 minutes)", at)),
            Event::Storage(StorageEvent::new("b", "a b+c", StorageEventKind::Created).with_size(3)),
            Event::Change(ChangeBatch::new(
                "t",
                vec![ChangeRecord::new(
                    "r1",
                    ChangeOperation::Modify,
                    serde_json::json!({"id": 1}),
                )],
            )),
            Event::CloudEvent(
                CloudEvent::new("1", "/s", "t").with_data(serde_json::json!({"x": 1})),
            ),
        ];
        for event in events {
            let json = serde_json::to_value(&event).expect("serialise");
            assert_eq!(json["kind"], event.kind().as_str());
            assert_eq!(Event::from_json(json), event);
        }
    }

    #[test]
    fn untagged_json_becomes_an_invoke_cloudevent_readable_as_json() {
        let event = Event::from_json(serde_json::json!({"order": 7}));
        assert_eq!(event.kind(), EventKind::CloudEvent);
        let Json(v): Json<serde_json::Value> = Json::from_event(event).expect("json");
        assert_eq!(v["order"], 7);
    }

    #[test]
    fn a_malformed_tagged_event_is_refused_by_try_from_json_and_wrapped_by_from_json() {
        let bad = serde_json::json!({"kind": "http", "event": {"method": "GET"}});
        let err = Event::try_from_json(bad.clone()).expect_err("missing uri");
        assert!(
            err.to_string()
                .starts_with("invalid payload: not a valid `http` event"),
            "{err}"
        );
        assert_eq!(Event::from_json(bad).kind(), EventKind::CloudEvent);
        let custom = serde_json::json!({"kind": "order", "event": 1});
        assert_eq!(
            Event::try_from_json(custom).map(|e| e.kind()).ok(),
            Some(EventKind::CloudEvent)
        );
    }

    #[test]
    fn only_an_object_of_kind_and_event_with_a_known_kind_is_tagged() {
        use serde_json::json;
        assert!(Event::is_tagged(&json!({"kind": "topic", "event": {}})));
        assert!(!Event::is_tagged(&json!({"kind": "order", "event": {}})));
        assert!(!Event::is_tagged(
            &json!({"kind": "topic", "event": {}, "more": 1})
        ));
        assert!(!Event::is_tagged(&json!({"kind": "topic"})));
        assert!(!Event::is_tagged(&json!(["topic"])));
    }

    #[test]
    fn a_mismatched_event_names_both_kinds() {
        let err = QueueBatch::from_event(Event::Topic(TopicMessage::new("t", "1", "x")))
            .expect_err("mismatch");
        assert_eq!(
            err.to_string(),
            "the handler expects queue events but received a topic event"
        );
    }
}
