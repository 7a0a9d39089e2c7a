//! Requests in: tell what a request to the function carries, and map it to one neutral
//! [`Event`].
//!
//! The function's declaration decides how requests are read, as `FUNCTION_SIGNATURE_TYPE` does
//! for the Functions Framework ([`Signature`]): a function that takes [`HttpRequest`], or whose
//! triggers are all HTTP routes, gets every request as it came (the `http` signature);
//! any other function gets events, tried in this order:
//!
//! | request | detected by | neutral event |
//! |---|---|---|
//! | CloudEvents batch | `Content-Type: application/cloudevents-batch+json` | refused, 415 |
//! | structured CloudEvent | `Content-Type: application/cloudevents+json` | per `type`, below |
//! | binary CloudEvent (Eventarc) | a `ce-specversion` header | per `type`, below |
//! | Pub/Sub push envelope | a JSON body with `message` and `subscription` (or `message.messageId`), no `context` | [`TopicMessage`](faasport_core::TopicMessage) ([`pubsub`]) |
//! | legacy background event | a JSON body with `context`, or a top-level `eventType` | converted to a CloudEvent ([`legacy`]), then per `type` |
//! | Cloud Scheduler HTTP target | `X-CloudScheduler: true`, for a function with a schedule | [`ScheduleTick`] ([`scheduler`]) |
//! | anything else | | [`HttpRequest`] if the function has an HTTP route, else refused, 400 |
//!
//! | CloudEvent `type` | neutral event |
//! |---|---|
//! | `faasport.invoke` (a synchronous invoke from another function, [`crate::bindings`]) | its data read as core reads invoke payloads ([`Event::try_from_json`]), answered with the handler's output ([`Source::Invoke`]) |
//! | `google.cloud.pubsub.topic.v1.messagePublished` | `TopicMessage`, or a `ScheduleTick` when it is a schedule's (see [`scheduler`]) |
//! | `google.cloud.storage.object.v1.finalized` / `deleted` | [`StorageEvent`](faasport_core::StorageEvent) ([`storage`]) |
//! | `google.cloud.scheduler.job.v1.executed`, `dev.knative.sources.ping` | `ScheduleTick` |
//! | anything else (including Storage `archived` / `metadataUpdated`) | the [`CloudEvent`] itself |
//!
//! A Pub/Sub message with the attribute [`INVOKE_ATTRIBUTE`] is an asynchronous invoke: its
//! data is read as core reads invoke payloads, and it is acknowledged like any pushed event.
//!
//! A request that has an event's shape but cannot be read is an [`EventError`], answered with
//! 400 and its reason; the server keeps serving.

pub mod cloudevent;
pub mod legacy;
pub mod pubsub;
pub mod scheduler;
pub mod storage;

use bytes::Bytes;
use faasport_core::{Body, CloudEvent, Event, Function, HttpRequest, ScheduleTick, Trigger};
use serde_json::Value;

use crate::bindings::{INVOKE_ATTRIBUTE, INVOKE_EVENT_TYPE};
use crate::names::ResourceNames;

/// The CloudEvent type of a Pub/Sub message.
pub const MESSAGE_PUBLISHED: &str = "google.cloud.pubsub.topic.v1.messagePublished";

/// Why a request could not be turned into an event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// A CloudEvents batch; neither Eventarc nor the Functions Framework sends or accepts them.
    #[error("CloudEvents batch mode (application/cloudevents-batch+json) is not supported: send one event per request")]
    BatchMode,
    /// A required CloudEvent attribute is missing.
    #[error("the CloudEvent has no `{0}` attribute")]
    MissingAttribute(&'static str),
    /// A CloudEvent attribute has an unusable value.
    #[error("the CloudEvent attribute `{name}` is invalid: {detail}")]
    Attribute {
        /// The attribute.
        name: String,
        /// What is wrong with it.
        detail: String,
    },
    /// A body that must be JSON is not.
    #[error("{what} is not valid JSON")]
    NotJson {
        /// What was being read.
        what: &'static str,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// The payload looks like `shape` but its fields do not fit that shape.
    #[error("the event looks like {shape} but does not match its shape")]
    Malformed {
        /// The detected shape.
        shape: &'static str,
        /// What did not fit.
        #[source]
        source: serde_json::Error,
    },
    /// One field of a recognised event holds an unusable value.
    #[error("invalid {field} in the {shape} event: {detail}")]
    InvalidField {
        /// The detected shape.
        shape: &'static str,
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// An invoke payload in core's tagged form that does not parse as its kind.
    #[error("the invoke payload is not a valid event: {0}")]
    Invoke(String),
    /// A legacy background event that the conversion tables do not cover.
    #[error("cannot convert the background event: {0}")]
    Legacy(String),
    /// The function takes events and the request is none of the shapes it understands.
    #[error("the request is not a CloudEvent (binary or structured), a Pub/Sub push or a background event")]
    NotAnEvent,
}

impl From<EventError> for faasport_core::Error {
    fn from(error: EventError) -> Self {
        faasport_core::Error::bad_request(faasport_core::chain_message(&error))
    }
}

/// How the function reads requests (the Functions Framework's signature type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signature {
    /// Every request is passed through as an [`HttpRequest`].
    Http,
    /// Requests are read as events; `http_fallback` when a request that is no event goes to
    /// the function as an [`HttpRequest`] (it has an HTTP route too).
    Event {
        /// Whether the function also has an HTTP route.
        http_fallback: bool,
    },
}

impl Signature {
    /// The signature of `function`, from the event type it takes and its triggers.
    pub fn of(function: &Function) -> Self {
        let triggers = function.triggers();
        let is_http = |t: &Trigger| matches!(t, Trigger::Http { .. });
        let http_only = !triggers.is_empty() && triggers.iter().all(is_http);
        if function.accepts() == faasport_core::EventKind::Http || http_only {
            return Signature::Http;
        }
        Signature::Event {
            http_fallback: triggers.is_empty() || triggers.iter().any(is_http),
        }
    }
}

/// What the event mapping needs to know about the function being served.
#[derive(Debug, Clone)]
pub struct SourceNames {
    /// The app's resource identifiers.
    pub resources: ResourceNames,
    /// How requests are read.
    pub signature: Signature,
    /// The function's schedule expression, when it has exactly one.
    pub schedule: Option<String>,
    /// Whether the function has a schedule trigger at all.
    pub scheduled: bool,
    /// The topics the function subscribes to (faasport names).
    pub subscriptions: Vec<String>,
}

impl SourceNames {
    /// The names for serving `function`.
    pub fn for_function(function: &Function, resources: ResourceNames) -> Self {
        let schedules: Vec<&str> = function
            .triggers()
            .iter()
            .filter_map(|t| match t {
                Trigger::Schedule { expression } => Some(expression.as_str()),
                _ => None,
            })
            .collect();
        let subscriptions = function
            .triggers()
            .iter()
            .filter_map(|t| match t {
                Trigger::Topic { topic } => Some(topic.clone()),
                _ => None,
            })
            .collect();
        Self {
            resources,
            signature: Signature::of(function),
            schedule: match schedules.as_slice() {
                [only] => Some((*only).to_owned()),
                _ => None,
            },
            scheduled: !schedules.is_empty(),
            subscriptions,
        }
    }
}

/// How the request's result is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// An HTTP request: the result is an HTTP response.
    Http,
    /// An event pushed by Pub/Sub, Eventarc, Cloud Scheduler or Knative: the status says
    /// whether it was delivered.
    Push,
    /// A synchronous invoke from another function: answered like an HTTP request, with the
    /// handler's output as the body.
    Invoke,
}

/// The neutral event of one request, with what the context needs to know about it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Invocation {
    /// How to answer.
    pub source: Source,
    /// The event.
    pub event: Event,
    /// The delivery attempt, when the platform counts them (Pub/Sub `deliveryAttempt`).
    pub attempt: Option<u32>,
    /// Provider details for the context (`subscription`, `event_id`, `event_type`).
    pub metadata: Vec<(&'static str, String)>,
}

impl Invocation {
    fn push(event: Event) -> Self {
        Self {
            source: Source::Push,
            event,
            attempt: None,
            metadata: Vec::new(),
        }
    }

    fn http(request: http::Request<Bytes>) -> Self {
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, Body::from(body));
        Self {
            source: Source::Http,
            event: Event::Http(HttpRequest::from_http(request)),
            attempt: None,
            metadata: Vec::new(),
        }
    }
}

/// Maps one request to the function's event.
///
/// # Errors
/// An [`EventError`] when the request has an event's shape but cannot be read, or is no event
/// at all for a function without HTTP routes.
pub fn from_request(
    request: http::Request<Bytes>,
    names: &SourceNames,
) -> Result<Invocation, EventError> {
    let http_fallback = match names.signature {
        Signature::Http => return Ok(Invocation::http(request)),
        Signature::Event { http_fallback } => http_fallback,
    };
    let headers = request.headers();
    let media = cloudevent::media_type(headers);
    if media == cloudevent::BATCH {
        return Err(EventError::BatchMode);
    }
    if media == cloudevent::STRUCTURED {
        let event = cloudevent::from_structured(request.body())?;
        return from_cloud_event(event, names);
    }
    if headers.contains_key(cloudevent::SPEC_VERSION_HEADER) {
        let event = cloudevent::from_binary(headers, request.body())?;
        return from_cloud_event(event, names);
    }
    if let Some(body) = json_object(request.body()) {
        if is_push_envelope(&body) {
            let topic = pubsub::topic_in_path(request.uri().path()).map(str::to_owned);
            let envelope = pubsub::PushEnvelope::from_value(Value::Object(body))?;
            return from_pubsub(envelope, topic.as_deref(), names);
        }
        if legacy::looks_legacy(&body) {
            return from_cloud_event(legacy::to_cloud_event(&body)?, names);
        }
    }
    if names.scheduled && scheduler::is_scheduler_request(headers) {
        let tick = scheduler::from_headers(headers, names.schedule.as_deref());
        return Ok(Invocation::push(Event::Schedule(tick)));
    }
    if http_fallback {
        return Ok(Invocation::http(request));
    }
    Err(EventError::NotAnEvent)
}

/// Maps a CloudEvent to the function's event, per its `type`.
///
/// # Errors
/// An [`EventError`] when a Pub/Sub or Storage event's data does not fit its type.
pub fn from_cloud_event(event: CloudEvent, names: &SourceNames) -> Result<Invocation, EventError> {
    let mut metadata = vec![
        ("event_id", event.id.clone()),
        ("event_type", event.ty.clone()),
    ];
    if event.ty == INVOKE_EVENT_TYPE {
        let payload = event.data.clone().unwrap_or(Value::Null);
        let mut invocation = Invocation::push(invoke_event(payload)?);
        invocation.source = Source::Invoke;
        invocation.metadata = metadata;
        return Ok(invocation);
    }
    if event.ty == MESSAGE_PUBLISHED {
        let topic = event
            .source
            .strip_prefix("//pubsub.googleapis.com/")
            .map(str::to_owned);
        let data = json_data(&event, "Pub/Sub")?;
        let envelope = pubsub::PushEnvelope::from_value(data)?;
        let mut invocation = from_pubsub(envelope, topic.as_deref(), names)?;
        metadata.append(&mut invocation.metadata);
        invocation.metadata = metadata;
        return Ok(invocation);
    }
    let neutral = if event.ty.starts_with(storage::TYPE_PREFIX) {
        storage::from_cloud_event(event, names)?
    } else if event.ty == scheduler::EXECUTED || event.ty == scheduler::KNATIVE_PING {
        let at = event.time.unwrap_or_else(chrono::Utc::now);
        let name = names
            .schedule
            .clone()
            .unwrap_or_else(|| pubsub::last_segment(&event.source).to_owned());
        Event::Schedule(ScheduleTick::new(name, at))
    } else {
        Event::CloudEvent(event)
    };
    let mut invocation = Invocation::push(neutral);
    invocation.metadata = metadata;
    Ok(invocation)
}

/// A Pub/Sub delivery: a topic message, or a schedule tick when the function has a schedule
/// and does not subscribe to the topic (a Cloud Scheduler Pub/Sub target).
fn from_pubsub(
    envelope: pubsub::PushEnvelope,
    topic_resource: Option<&str>,
    names: &SourceNames,
) -> Result<Invocation, EventError> {
    let topic = match topic_resource {
        Some(resource) => names.resources.topic_for(resource),
        None => match names.subscriptions.as_slice() {
            [only] => only.clone(),
            _ => envelope
                .subscription
                .as_deref()
                .map(|s| pubsub::last_segment(s).to_owned())
                .unwrap_or_default(),
        },
    };
    let delivered = envelope.into_delivered(topic)?;
    if delivered.message.attributes.contains_key(INVOKE_ATTRIBUTE) {
        let payload = delivered
            .message
            .body
            .to_json::<Value>()
            .map_err(|source| EventError::Malformed {
                shape: "asynchronous invoke",
                source,
            })?;
        let mut invocation = Invocation::push(invoke_event(payload)?);
        invocation.attempt = delivered.attempt;
        if let Some(subscription) = delivered.subscription {
            invocation.metadata.push(("subscription", subscription));
        }
        return Ok(invocation);
    }
    let is_tick = names.scheduled && !names.subscriptions.contains(&delivered.message.topic);
    let event = if is_tick {
        let at = delivered
            .message
            .published_at
            .unwrap_or_else(chrono::Utc::now);
        let name = names
            .schedule
            .clone()
            .unwrap_or_else(|| delivered.message.topic.clone());
        Event::Schedule(ScheduleTick::new(name, at))
    } else {
        Event::Topic(delivered.message)
    };
    let mut invocation = Invocation::push(event);
    invocation.attempt = delivered.attempt;
    if let Some(subscription) = delivered.subscription {
        invocation.metadata.push(("subscription", subscription));
    }
    Ok(invocation)
}

/// An invoke payload as core reads it on every backend.
fn invoke_event(payload: Value) -> Result<Event, EventError> {
    Event::try_from_json(payload).map_err(|e| EventError::Invoke(e.to_string()))
}

fn is_push_envelope(body: &serde_json::Map<String, Value>) -> bool {
    let Some(message) = body.get("message").and_then(Value::as_object) else {
        return false;
    };
    !body.contains_key("context")
        && (body.contains_key("subscription")
            || message.contains_key("messageId")
            || message.contains_key("message_id"))
}

/// The body as a JSON object, when it is one (other bodies are never events' JSON).
fn json_object(body: &[u8]) -> Option<serde_json::Map<String, Value>> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// A CloudEvent's data as JSON: `data`, or `data_base64` parsed.
pub(crate) fn json_data(event: &CloudEvent, shape: &'static str) -> Result<Value, EventError> {
    match (&event.data, &event.data_base64) {
        (Some(data), _) => Ok(data.clone()),
        (None, Some(bytes)) => bytes
            .to_json()
            .map_err(|source| EventError::Malformed { shape, source }),
        (None, None) => Err(EventError::InvalidField {
            shape,
            field: "data",
            detail: "missing".into(),
        }),
    }
}
