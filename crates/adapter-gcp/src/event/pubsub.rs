//! Pub/Sub: the push envelope and the `messagePublished` CloudEvent, both
//! `{message: PubsubMessage, subscription, deliveryAttempt}`, into a [`TopicMessage`].
//!
//! | field | becomes |
//! |---|---|
//! | `message.data` (base64, may be absent) | [`TopicMessage::body`] (decoded; empty when absent) |
//! | `message.attributes` (may be absent) | [`TopicMessage::attributes`] |
//! | `message.messageId` / `message_id` | [`TopicMessage::id`] (required) |
//! | `message.publishTime` / `publish_time` | [`TopicMessage::published_at`] |
//! | `message.orderingKey` (only when set) | [`TopicMessage::ordering_key`] |
//! | `subscription` | the context metadata `subscription` |
//! | `deliveryAttempt` (only with a dead-letter policy, from 1) | the context's attempt |
//!
//! Current deliveries carry both the camelCase and the snake_case copy of `messageId` and
//! `publishTime`, so the two spellings are separate fields here (a serde alias would refuse
//! the duplicate); camelCase wins.
//!
//! The topic is the CloudEvent's `source` (`//pubsub.googleapis.com/projects/p/topics/t`). A
//! push envelope does not name it: it is taken from the request path when the push endpoint
//! ends in `projects/P/topics/T` (as the Functions Framework does), else it is the function's
//! one subscribed topic, else the subscription's id.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use faasport_core::{Body, TopicMessage};
use serde::Deserialize;

use super::EventError;

/// `MessagePublishedData`, which is also the push envelope.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushEnvelope {
    /// The message.
    pub message: PubsubMessage,
    /// `projects/P/subscriptions/S`.
    #[serde(default)]
    pub subscription: Option<String>,
    /// The delivery attempt, present with a dead-letter policy.
    #[serde(default)]
    pub delivery_attempt: Option<u32>,
}

/// A Pub/Sub message as pushed (proto3 JSON names, plus the snake_case duplicates).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PubsubMessage {
    /// Base64 payload.
    #[serde(default)]
    pub data: Option<String>,
    /// String attributes.
    #[serde(default)]
    pub attributes: Option<BTreeMap<String, String>>,
    /// The id (camelCase).
    #[serde(default)]
    pub message_id: Option<String>,
    /// The id (snake_case copy).
    #[serde(default, rename = "message_id")]
    pub message_id_snake: Option<String>,
    /// The publish time (camelCase).
    #[serde(default)]
    pub publish_time: Option<String>,
    /// The publish time (snake_case copy).
    #[serde(default, rename = "publish_time")]
    pub publish_time_snake: Option<String>,
    /// The ordering key, when set.
    #[serde(default)]
    pub ordering_key: Option<String>,
}

/// A decoded Pub/Sub delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivered {
    /// The message.
    pub message: TopicMessage,
    /// The subscription that delivered it.
    pub subscription: Option<String>,
    /// The delivery attempt, when Pub/Sub counts them.
    pub attempt: Option<u32>,
}

const SHAPE: &str = "Pub/Sub";

impl PushEnvelope {
    /// Reads the envelope from JSON.
    ///
    /// # Errors
    /// [`EventError::Malformed`] when fields have the wrong types.
    pub fn from_value(value: serde_json::Value) -> Result<Self, EventError> {
        serde_json::from_value(value).map_err(|source| EventError::Malformed {
            shape: "a Pub/Sub message",
            source,
        })
    }

    /// The neutral message on `topic`.
    ///
    /// # Errors
    /// [`EventError::InvalidField`] for a missing id, bad base64 or an unparsable publish time.
    pub fn into_delivered(self, topic: String) -> Result<Delivered, EventError> {
        let message = self.message;
        let invalid = |field, detail: String| EventError::InvalidField {
            shape: SHAPE,
            field,
            detail,
        };
        let id = message
            .message_id
            .or(message.message_id_snake)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| invalid("message.messageId", "missing".into()))?;
        let body = match message.data.as_deref() {
            None | Some("") => Body::empty(),
            Some(text) => Body::from_base64(text)
                .map_err(|e| invalid("message.data", format!("not base64: {e}")))?,
        };
        let mut neutral = TopicMessage::new(topic, id, body);
        for (name, value) in message.attributes.unwrap_or_default() {
            neutral = neutral.with_attribute(name, value);
        }
        if let Some(text) = message
            .publish_time
            .or(message.publish_time_snake)
            .filter(|t| !t.is_empty())
        {
            let at = DateTime::parse_from_rfc3339(&text).map_err(|e| {
                invalid(
                    "message.publishTime",
                    format!("`{text}` is not RFC 3339: {e}"),
                )
            })?;
            neutral = neutral.with_published_at(at.with_timezone(&Utc));
        }
        if let Some(key) = message.ordering_key.filter(|k| !k.is_empty()) {
            neutral = neutral.with_ordering_key(key);
        }
        Ok(Delivered {
            message: neutral,
            subscription: self.subscription,
            attempt: self.delivery_attempt,
        })
    }
}

/// The `projects/P/topics/T` part of a push endpoint's path, if it has one.
pub fn topic_in_path(path: &str) -> Option<&str> {
    let start = path.find("projects/")?;
    let rest = &path[start..];
    let mut parts = rest.splitn(5, '/');
    let (projects, project, topics, topic) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let ok = projects == "projects" && !project.is_empty() && topics == "topics";
    let topic = topic.split('?').next().unwrap_or("");
    (ok && !topic.is_empty())
        .then(|| &rest[..projects.len() + project.len() + topics.len() + topic.len() + 3])
}

/// The last `/` segment of a resource name.
pub fn last_segment(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_endpoint_path_names_its_topic() {
        assert_eq!(
            topic_in_path("/projects/p1/topics/orders?x=1"),
            Some("projects/p1/topics/orders")
        );
        assert_eq!(
            topic_in_path("/push/projects/p1/topics/orders/extra"),
            Some("projects/p1/topics/orders")
        );
        assert_eq!(topic_in_path("/"), None);
        assert_eq!(topic_in_path("/projects/p1/buckets/b"), None);
        assert_eq!(topic_in_path("/projects//topics/t"), None);
    }
}
