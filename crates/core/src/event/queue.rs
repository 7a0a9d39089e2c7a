//! Queue batches: messages delivered at least once, in batches, with partial batch failure.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Body;

/// A batch of messages from one queue (or one shard of a stream).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueueBatch {
    /// The queue (or stream) the messages came from.
    pub queue: String,
    /// The messages, in delivery order.
    pub messages: Vec<QueueMessage>,
}

impl QueueBatch {
    /// A batch from `queue`.
    pub fn new(queue: impl Into<String>, messages: Vec<QueueMessage>) -> Self {
        Self {
            queue: queue.into(),
            messages,
        }
    }
}

/// One message of a [`QueueBatch`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueueMessage {
    /// The message id; a [`BatchOutcome`](crate::BatchOutcome) names failed messages by it.
    pub id: String,
    /// The payload.
    pub body: Body,
    /// String attributes (SQS message attributes, Service Bus application properties, ...).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// How many times this message has been delivered, counting this one (1 on first delivery).
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    /// When the message was sent, if known.
    #[serde(default)]
    pub sent_at: Option<DateTime<Utc>>,
}

fn first_attempt() -> u32 {
    1
}

impl QueueMessage {
    /// A message on its first delivery.
    pub fn new(id: impl Into<String>, body: impl Into<Body>) -> Self {
        Self {
            id: id.into(),
            body: body.into(),
            attributes: BTreeMap::new(),
            attempt: 1,
            sent_at: None,
        }
    }

    /// Adds an attribute.
    pub fn with_attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(name.into(), value.into());
        self
    }

    /// Sets the delivery attempt (1 on first delivery).
    pub fn with_attempt(mut self, attempt: u32) -> Self {
        self.attempt = attempt;
        self
    }

    /// Sets when the message was sent.
    pub fn with_sent_at(mut self, sent_at: DateTime<Utc>) -> Self {
        self.sent_at = Some(sent_at);
        self
    }
}
