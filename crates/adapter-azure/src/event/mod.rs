//! Invocation requests in: the host's `{"Data": .., "Metadata": ..}` document, decoded into a
//! neutral [`Event`] by the trigger the Azure function was generated for
//! ([`AzureFunction`](crate::names::AzureFunction)).
//!
//! | faasport trigger | Azure trigger | `Data.trigger` | `Metadata` read | neutral event |
//! |---|---|---|---|---|
//! | HTTP | `httpTrigger` | the request object (`Url`, `Method`, `Query`, `Headers`, `Params`, `Body`) | | [`HttpRequest`](faasport_core::HttpRequest) |
//! | queue | `queueTrigger` | the message text | `Id`, `DequeueCount` (the attempt), `InsertionTime` | [`QueueBatch`](faasport_core::QueueBatch) of one |
//! | queue | `serviceBusTrigger` (queue) | the message body | `MessageId`, `DeliveryCount`, `EnqueuedTimeUtc`, `UserProperties`/`ApplicationProperties` | `QueueBatch` of one |
//! | topic | `serviceBusTrigger` (topic + subscription) | the message body | as above | [`TopicMessage`](faasport_core::TopicMessage) |
//! | schedule | `timerTrigger` | `{Schedule, ScheduleStatus, IsPastDue}` | `sys.UtcNow` (the tick time) | [`ScheduleTick`](faasport_core::ScheduleTick) |
//! | storage | `blobTrigger` | the content, base64 | `name` (from the `{name}` in the path), `Uri`, `Properties.Length`/`ETag`/`LastModified` | [`StorageEvent`](faasport_core::StorageEvent) (created) |
//! | stream | `eventHubTrigger`, `cardinality: many` (or one) | the event bodies | `SequenceNumberArray`, `EnqueuedTimeUtcArray`, `PropertiesArray` (or the singular keys) | `QueueBatch`, ids are sequence numbers |
//! | change | `cosmosDBTrigger` | the changed documents | | [`ChangeBatch`](faasport_core::ChangeBatch) |
//! | CloudEvent | `eventGridTrigger` | a CloudEvent or an Event Grid schema event | | [`CloudEvent`](faasport_core::CloudEvent) |
//! | (invoke endpoint) | `httpTrigger` on `/faasport-invoke/<name>` | the request; its body is the payload | | [`Event::try_from_json`] of the body |
//! | (invoke queue) | `queueTrigger` on `faasport-invoke-<name>` | the message text, the payload | `Id`, `DequeueCount` (the attempt) | [`Event::try_from_json`] of the text |
//!
//! The host writes every value that is not an object with `JsonConvert.SerializeObject`, so a
//! string may arrive JSON-encoded twice, numbers as strings and lists as JSON text
//! (`wire-protocols.md` §3.3); [`encoding`] undoes each once. The host drops the trigger's own
//! metadata key (`QueueTrigger`, `BlobTrigger`: every key ending in `trigger`), so a blob's name
//! comes from the `{name}` binding expression, else from `Uri`.
//!
//! A request that is not JSON, or whose fields do not fit the trigger, is an [`EventError`]:
//! the runtime answers it with 400 (the host fails that invocation) and keeps serving.

mod blob;
pub mod encoding;
mod grid;
mod http;
mod objects;
mod queue;
mod schedule;
mod table;

use bytes::Bytes;
use faasport_core::{Event, Trigger};
use serde_json::{Map, Value};

use self::objects::Objects;
use crate::names::{Entry, TRIGGER_BINDING};

pub use self::http::http_request;

/// The host's invocation request: its `Data` (the input bindings' values, by binding name) and
/// `Metadata` (the trigger's) objects, each value parsed when first read ([`Self::meta`],
/// [`Self::trigger_value`]).
#[derive(Debug, Clone, Default)]
pub struct InvocationRequest {
    /// The request body, which `objects` point into.
    text: Bytes,
    objects: Objects,
}

impl PartialEq for InvocationRequest {
    fn eq(&self, other: &Self) -> bool {
        self.data() == other.data() && self.metadata() == other.metadata()
    }
}

/// Why an invocation request could not be turned into an event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The body is not JSON.
    #[error("the invocation request is not valid JSON")]
    NotJson(#[source] serde_json::Error),
    /// The body is JSON but not an object with `Data` (and optionally `Metadata`) objects.
    #[error("the invocation request has no `Data` object")]
    NoData,
    /// The trigger's value is missing from `Data`.
    #[error("`Data` has no `{binding}` value for the {trigger} trigger")]
    NoTriggerValue {
        /// The binding name looked for.
        binding: &'static str,
        /// The trigger kind.
        trigger: &'static str,
    },
    /// A field is missing or has the wrong type.
    #[error("invalid {field} in the {trigger} invocation: {detail}")]
    Field {
        /// The trigger kind.
        trigger: &'static str,
        /// The field.
        field: &'static str,
        /// What is wrong.
        detail: String,
    },
}

impl From<EventError> for faasport_core::Error {
    fn from(error: EventError) -> Self {
        faasport_core::Error::invalid_payload(faasport_core::chain_message(&error))
    }
}

/// A decoded invocation: the event, its delivery attempt (1 when the host says nothing), and
/// values for the [`Context`](faasport_core::Context)'s metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The neutral event.
    pub event: Event,
    /// The delivery attempt, first is 1.
    pub attempt: u32,
    /// Extra context metadata (`is_past_due` for timers).
    pub metadata: Vec<(&'static str, String)>,
    /// The message as received, for a queue or invoke queue message the handler may
    /// dead-letter itself ([`crate::dead_letter`]).
    pub body: Option<faasport_core::Body>,
}

impl Decoded {
    fn new(event: Event) -> Self {
        Self {
            event,
            attempt: 1,
            metadata: Vec::new(),
            body: None,
        }
    }

    fn with_attempt(mut self, attempt: Option<u32>) -> Self {
        if let Some(attempt) = attempt.filter(|a| *a > 0) {
            self.attempt = attempt;
        }
        self
    }
}

impl InvocationRequest {
    /// Parses the request body.
    ///
    /// # Errors
    /// [`EventError::NotJson`] or [`EventError::NoData`].
    pub fn from_slice(body: &[u8]) -> Result<Self, EventError> {
        Self::from_bytes(Bytes::copy_from_slice(body))
    }

    /// [`Self::from_slice`] keeping `body` instead of a copy.
    pub(crate) fn from_bytes(body: Bytes) -> Result<Self, EventError> {
        let Some(objects) = objects::scan(&body) else {
            return Self::parsed(&body);
        };
        Ok(Self {
            objects: objects?,
            text: body,
        })
    }

    /// The request parsed into `Value`s at once: for what [`objects::scan`] does not take, so
    /// it is answered (and refused) as it always was.
    fn parsed(body: &[u8]) -> Result<Self, EventError> {
        let value: Value = serde_json::from_slice(body).map_err(EventError::NotJson)?;
        let Value::Object(mut doc) = value else {
            return Err(EventError::NoData);
        };
        let data = match take_ci(&mut doc, "Data") {
            Some(Value::Object(data)) => data,
            _ => return Err(EventError::NoData),
        };
        let metadata = match take_ci(&mut doc, "Metadata") {
            Some(Value::Object(metadata)) => metadata,
            _ => Map::new(),
        };
        Ok(Self {
            text: Bytes::new(),
            objects: Objects::parsed(data, metadata),
        })
    }

    /// The input bindings' values, by binding name (every value parsed).
    pub fn data(&self) -> Map<String, Value> {
        self.objects.data(&self.text).to_map()
    }

    /// The trigger's metadata (every value parsed).
    pub fn metadata(&self) -> Map<String, Value> {
        self.objects.metadata(&self.text).to_map()
    }

    /// The trigger's value: `Data.trigger`, or the only value of `Data` (a hand-written
    /// `function.json` with another binding name).
    pub fn trigger_value(&self) -> Option<&Value> {
        let data = self.objects.data(&self.text);
        data.get(TRIGGER_BINDING).or_else(|| data.only())
    }

    /// A metadata value, its key matched case-insensitively as the host's serializer does.
    pub fn meta(&self, key: &str) -> Option<&Value> {
        self.objects.metadata(&self.text).get_ci(key)
    }

    /// The retry count the host reports for triggers with a retry policy
    /// (`Metadata.RetryContext.RetryCount`), as an attempt number.
    fn retry_attempt(&self) -> Option<u32> {
        let context = encoding::object(self.meta("RetryContext")?)?;
        let retries = encoding::number(encoding::get_ci(&context, "RetryCount")?)?;
        u32::try_from(retries).ok().map(|r| r.saturating_add(1))
    }

    /// Decodes the request for an Azure function reached through `entry`.
    ///
    /// # Errors
    /// [`EventError`] when the request does not fit the entry.
    pub fn decode(&self, entry: &Entry) -> Result<Decoded, EventError> {
        let value = |trigger: &'static str| {
            self.trigger_value().ok_or(EventError::NoTriggerValue {
                binding: TRIGGER_BINDING,
                trigger,
            })
        };
        let trigger = match entry {
            Entry::Trigger(trigger) => trigger,
            Entry::Invoke => {
                let request = http_request(value("invoke")?)?;
                let event = invoke_event(request.body())
                    .map_err(|e| field_error("invoke", "Body", faasport_core::chain_message(&e)))?;
                return Ok(Decoded::new(event));
            }
            Entry::InvokeQueue => {
                let decoded = queue::queue_message(self, "invoke", value("invoke queue")?)?;
                let Event::Queue(batch) = &decoded.event else {
                    return Err(field_error("invoke queue", "Data", "not a queue message"));
                };
                let body = batch.messages.first().map(|m| m.body.clone());
                let event = invoke_event(body.as_ref().unwrap_or(&faasport_core::Body::empty()))
                    .map_err(|e| {
                        field_error("invoke queue", "Data", faasport_core::chain_message(&e))
                    })?;
                return Ok(Decoded {
                    event,
                    body,
                    ..decoded
                });
            }
        };
        let decoded = match trigger {
            Trigger::Http { .. } => Decoded::new(Event::Http(http_request(value("http")?)?)),
            Trigger::Queue { queue, .. } => {
                let mut decoded = queue::queue_message(self, queue, value("queue")?)?;
                if let Event::Queue(batch) = &decoded.event {
                    decoded.body = batch.messages.first().map(|m| m.body.clone());
                }
                decoded
            }
            Trigger::Topic { topic, .. } => {
                let mut decoded = queue::topic_message(self, topic, value("topic")?)?;
                if let Event::Topic(message) = &decoded.event {
                    decoded.body = Some(message.body.clone());
                }
                decoded
            }
            Trigger::Stream { stream, .. } => {
                queue::event_hub_batch(self, stream, value("stream")?)?
            }
            Trigger::Schedule { expression } => schedule::tick(self, expression, value("timer")?)?,
            Trigger::Storage { bucket, .. } => blob::blob_event(self, bucket, value("blob")?)?,
            Trigger::Change { table, .. } => table::change_batch(table, value("cosmos")?)?,
            Trigger::CloudEvent { .. } => grid::cloud_event(value("eventgrid")?)?,
            _ => Decoded::new(Event::CloudEvent(self.raw())),
        };
        let attempt = self.retry_attempt();
        Ok(match attempt {
            Some(_) if decoded.attempt == 1 => decoded.with_attempt(attempt),
            _ => decoded,
        })
    }

    /// The whole request as a raw CloudEvent (`type` is `com.microsoft.azure.functions.invocation`),
    /// for triggers this adapter has no mapping for.
    pub fn raw(&self) -> faasport_core::CloudEvent {
        let method = self
            .meta("sys")
            .and_then(encoding::object)
            .and_then(|sys| encoding::get_ci(&sys, "MethodName").and_then(encoding::text))
            .unwrap_or_default();
        let id = self
            .meta("sys")
            .and_then(encoding::object)
            .and_then(|sys| encoding::get_ci(&sys, "RandGuid").and_then(encoding::text))
            .unwrap_or_default();
        faasport_core::CloudEvent::new(
            id,
            format!("/functions/{method}"),
            "com.microsoft.azure.functions.invocation",
        )
        .with_data(serde_json::json!({ "Data": self.data(), "Metadata": self.metadata() }))
    }
}

/// An invoke payload as core reads it on every backend ([`Event::try_from_json`]); an empty
/// body is `null`.
///
/// # Errors
/// [`faasport_core::Error::InvalidPayload`] for a body that is not JSON, or a tagged event
/// that does not parse.
pub(crate) fn invoke_event(body: &faasport_core::Body) -> Result<Event, faasport_core::Error> {
    let payload = if body.is_empty() {
        Value::Null
    } else {
        body.to_json().map_err(|e| {
            faasport_core::Error::invalid_payload(format!("the payload is not JSON: {e}"))
        })?
    };
    Event::try_from_json(payload)
}

fn take_ci(doc: &mut Map<String, Value>, key: &str) -> Option<Value> {
    let found = doc.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned()?;
    doc.remove(&found)
}

/// A [`EventError::Field`] for `trigger`.
pub(crate) fn field_error(
    trigger: &'static str,
    field: &'static str,
    detail: impl Into<String>,
) -> EventError {
    EventError::Field {
        trigger,
        field,
        detail: detail.into(),
    }
}
