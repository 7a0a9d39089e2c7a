//! Topic messages: one publish, fanned out to every subscriber.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Body;

/// A message published to a topic, delivered to one subscriber.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TopicMessage {
    /// The topic it was published to.
    pub topic: String,
    /// The message id assigned at publish time.
    pub id: String,
    /// The payload.
    pub body: Body,
    /// String attributes.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// When it was published, if known.
    #[serde(default)]
    pub published_at: Option<DateTime<Utc>>,
    /// The key that orders this message among others with the same key (a Pub/Sub ordering
    /// key), when the publisher set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordering_key: Option<String>,
}

impl TopicMessage {
    /// A message on `topic`.
    pub fn new(topic: impl Into<String>, id: impl Into<String>, body: impl Into<Body>) -> Self {
        Self {
            topic: topic.into(),
            id: id.into(),
            body: body.into(),
            attributes: BTreeMap::new(),
            published_at: None,
            ordering_key: None,
        }
    }

    /// Adds an attribute.
    pub fn with_attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(name.into(), value.into());
        self
    }

    /// Sets the publish time.
    pub fn with_published_at(mut self, at: DateTime<Utc>) -> Self {
        self.published_at = Some(at);
        self
    }

    /// Sets the ordering key.
    pub fn with_ordering_key(mut self, key: impl Into<String>) -> Self {
        self.ordering_key = Some(key.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ordering_key_is_written_only_when_set_and_read_back() {
        let plain = serde_json::to_value(TopicMessage::new("t", "1", "x")).expect("json");
        assert_eq!(plain.get("ordering_key"), None);
        let keyed = TopicMessage::new("t", "1", "x").with_ordering_key("k");
        let json = serde_json::to_value(&keyed).expect("json");
        assert_eq!(json["ordering_key"], "k");
        let back: TopicMessage = serde_json::from_value(json).expect("parse");
        assert_eq!(back, keyed);
    }
}
