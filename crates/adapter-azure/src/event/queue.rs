//! Messages: Storage queue and Service Bus (one message per invocation), Event Hubs (one or a
//! batch).
//!
//! A Storage queue message carries `Id`, `DequeueCount`, `InsertionTime`, `ExpirationTime`,
//! `NextVisibleTime` and `PopReceipt` in `Metadata`; the host has already decoded the queue's
//! base64 message text (`messageEncoding: base64`, the default). A Service Bus message carries
//! `MessageId`, `DeliveryCount`, `EnqueuedTimeUtc` and its application properties
//! (`UserProperties`, or `ApplicationProperties` in extension 5.x), which become attributes. A
//! queue trigger whose metadata has `MessageId` or `DeliveryCount` is read as Service Bus.
//!
//! Event Hubs with `cardinality: many` sends a list of bodies and parallel arrays
//! (`SequenceNumberArray`, `EnqueuedTimeUtcArray`, `PropertiesArray`); with `one`, a body and
//! the singular keys. Each event becomes a message whose id is its sequence number.

use faasport_core::{Event, QueueBatch, QueueMessage, TopicMessage};
use serde_json::Value;

use super::encoding::{attributes, body_text, list, number, text, time};
use super::{field_error, Decoded, EventError, InvocationRequest};

fn is_service_bus(request: &InvocationRequest) -> bool {
    request.meta("MessageId").is_some() || request.meta("DeliveryCount").is_some()
}

fn attempt(value: Option<&Value>) -> Option<u32> {
    value.and_then(number).and_then(|n| u32::try_from(n).ok())
}

/// A queue trigger's message: Storage queue, or Service Bus when the metadata says so.
pub(super) fn queue_message(
    request: &InvocationRequest,
    queue: &str,
    value: &Value,
) -> Result<Decoded, EventError> {
    if is_service_bus(request) {
        let (message, attempt_no) = service_bus_message(request, "queue", value)?;
        let batch = QueueBatch::new(queue, vec![message.with_attempt(attempt_no)]);
        return Ok(Decoded::new(Event::Queue(batch)).with_attempt(Some(attempt_no)));
    }
    let id = request
        .meta("Id")
        .and_then(text)
        .ok_or_else(|| field_error("queue", "Metadata.Id", "missing"))?;
    let dequeue_count = attempt(request.meta("DequeueCount")).unwrap_or(1);
    let mut message = QueueMessage::new(id, body_text(value)).with_attempt(dequeue_count);
    if let Some(at) = request.meta("InsertionTime").and_then(time) {
        message = message.with_sent_at(at);
    }
    let batch = QueueBatch::new(queue, vec![message]);
    Ok(Decoded::new(Event::Queue(batch)).with_attempt(Some(dequeue_count)))
}

/// A Service Bus message from a topic subscription.
pub(super) fn topic_message(
    request: &InvocationRequest,
    topic: &str,
    value: &Value,
) -> Result<Decoded, EventError> {
    let (message, attempt_no) = service_bus_message(request, "topic", value)?;
    let mut out = TopicMessage::new(topic, message.id, message.body);
    out.attributes = message.attributes;
    if let Some(at) = message.sent_at {
        out = out.with_published_at(at);
    }
    Ok(Decoded::new(Event::Topic(out)).with_attempt(Some(attempt_no)))
}

fn service_bus_message(
    request: &InvocationRequest,
    trigger: &'static str,
    value: &Value,
) -> Result<(QueueMessage, u32), EventError> {
    let id = request
        .meta("MessageId")
        .and_then(text)
        .ok_or_else(|| field_error(trigger, "Metadata.MessageId", "missing"))?;
    let delivery_count = attempt(request.meta("DeliveryCount")).unwrap_or(1);
    let mut message = QueueMessage::new(id, body_text(value)).with_attempt(delivery_count);
    if let Some(at) = request.meta("EnqueuedTimeUtc").and_then(time) {
        message = message.with_sent_at(at);
    }
    let properties = request
        .meta("ApplicationProperties")
        .or_else(|| request.meta("UserProperties"));
    for (name, value) in properties.map(attributes).unwrap_or_default() {
        message = message.with_attribute(name, value);
    }
    Ok((message, delivery_count))
}

/// Event Hubs events, one or a batch.
pub(super) fn event_hub_batch(
    request: &InvocationRequest,
    stream: &str,
    value: &Value,
) -> Result<Decoded, EventError> {
    if let Some(sequences) = request.meta("SequenceNumberArray") {
        let sequences = list(sequences)
            .ok_or_else(|| field_error("stream", "SequenceNumberArray", "not a list"))?;
        let bodies = list(value).ok_or_else(|| field_error("stream", "events", "not a list"))?;
        if bodies.len() != sequences.len() {
            return Err(field_error(
                "stream",
                "SequenceNumberArray",
                format!("{} numbers for {} events", sequences.len(), bodies.len()),
            ));
        }
        let times = request.meta("EnqueuedTimeUtcArray").and_then(list);
        let properties = request.meta("PropertiesArray").and_then(list);
        let messages = bodies
            .iter()
            .zip(&sequences)
            .enumerate()
            .map(|(i, (body, sequence))| {
                let time = times.as_ref().and_then(|t| t.get(i));
                let props = properties.as_ref().and_then(|p| p.get(i));
                event_hub_message(body, sequence, time, props)
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Decoded::new(Event::Queue(QueueBatch::new(
            stream, messages,
        ))));
    }
    let sequence = request
        .meta("SequenceNumber")
        .ok_or_else(|| field_error("stream", "Metadata.SequenceNumber", "missing"))?;
    let message = event_hub_message(
        value,
        sequence,
        request.meta("EnqueuedTimeUtc"),
        request.meta("Properties"),
    )?;
    Ok(Decoded::new(Event::Queue(QueueBatch::new(
        stream,
        vec![message],
    ))))
}

fn event_hub_message(
    body: &Value,
    sequence: &Value,
    enqueued: Option<&Value>,
    properties: Option<&Value>,
) -> Result<QueueMessage, EventError> {
    let sequence =
        number(sequence).ok_or_else(|| field_error("stream", "SequenceNumber", "not a number"))?;
    let mut message = QueueMessage::new(sequence.to_string(), body_text(body));
    if let Some(at) = enqueued.and_then(time) {
        message = message.with_sent_at(at);
    }
    for (name, value) in properties.map(attributes).unwrap_or_default() {
        message = message.with_attribute(name, value);
    }
    Ok(message)
}
