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
}
