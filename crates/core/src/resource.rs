//! Outbound resources: the traits each backend implements (publish, send, objects, invoke) and
//! the values they carry.
//!
//! Handlers reach these through [`Context`](crate::Context), which checks that the resource was
//! declared by the [`App`](crate::App) before calling the backend.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::{Body, Error};

/// A message to publish to a topic or send to a queue.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// The payload.
    pub body: Body,
    /// String attributes.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// The ordering key: messages with the same key are delivered in the order they were
    /// published. Google Cloud publishes it as the Pub/Sub ordering key (the subscription must
    /// enable message ordering for the order to hold); the local runtime keeps it on the
    /// delivered [`TopicMessage`](crate::TopicMessage); AWS does not send it (SNS orders only
    /// FIFO topics, which the SAM template does not create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordering_key: Option<String>,
}

impl Message {
    /// A message with the given body.
    pub fn new(body: impl Into<Body>) -> Self {
        Self {
            body: body.into(),
            attributes: BTreeMap::new(),
            ordering_key: None,
        }
    }

    /// Sets the ordering key (see [`Message::ordering_key`]).
    pub fn with_ordering_key(mut self, key: impl Into<String>) -> Self {
        self.ordering_key = Some(key.into());
        self
    }

    /// A message whose body is the JSON encoding of `value`.
    ///
    /// # Errors
    /// [`Error::Json`] if `value` cannot be serialised.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, Error> {
        Ok(Self::new(Body::json(value)?).with_attribute("content-type", "application/json"))
    }

    /// Adds an attribute.
    pub fn with_attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(name.into(), value.into());
        self
    }
}

/// An object read from a bucket.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Object {
    /// The content.
    pub body: Body,
    /// The media type, if it was given when the object was written.
    pub content_type: Option<String>,
}

impl Object {
    /// An object with the given content.
    pub fn new(body: impl Into<Body>) -> Self {
        Self {
            body: body.into(),
            content_type: None,
        }
    }

    /// Sets the media type.
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }
}

/// What a listing says about one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ObjectInfo {
    /// The key.
    pub key: String,
    /// The size in bytes.
    pub size: u64,
    /// The entity tag, if the store gives one.
    pub etag: Option<String>,
    /// When it was last written, if known.
    pub last_modified: Option<DateTime<Utc>>,
}

impl ObjectInfo {
    /// Information about `key` of `size` bytes.
    pub fn new(key: impl Into<String>, size: u64) -> Self {
        Self {
            key: key.into(),
            size,
            etag: None,
            last_modified: None,
        }
    }

    /// Sets the entity tag.
    pub fn with_etag(mut self, etag: impl Into<String>) -> Self {
        self.etag = Some(etag.into());
        self
    }

    /// Sets the modification time.
    pub fn with_last_modified(mut self, at: DateTime<Utc>) -> Self {
        self.last_modified = Some(at);
        self
    }
}

/// How to invoke another function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvokeMode {
    /// Wait for the result (Lambda `RequestResponse`).
    Sync,
    /// Queue the event and return at once (Lambda `Event`); failures follow the target's retry
    /// policy and dead-letter target.
    Async,
}

/// Publishes messages to topics.
pub trait TopicPublisher: Send + Sync + 'static {
    /// Publishes `message` to `topic`, returning the message id.
    fn publish<'a>(
        &'a self,
        topic: &'a str,
        message: Message,
    ) -> BoxFuture<'a, Result<String, Error>>;
}

/// Sends messages to queues.
pub trait QueueSender: Send + Sync + 'static {
    /// Sends `message` to `queue`, returning the message id.
    fn send<'a>(&'a self, queue: &'a str, message: Message)
        -> BoxFuture<'a, Result<String, Error>>;
}

/// Reads and writes objects in buckets.
pub trait ObjectStore: Send + Sync + 'static {
    /// Reads an object; `None` if there is no such key.
    fn get<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Object>, Error>>;
    /// Writes (creates or replaces) an object.
    fn put<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        object: Object,
    ) -> BoxFuture<'a, Result<ObjectInfo, Error>>;
    /// Deletes an object; deleting a missing key succeeds.
    fn delete<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, Result<(), Error>>;
    /// Lists the objects whose keys start with `prefix`, in key order.
    fn list<'a>(
        &'a self,
        bucket: &'a str,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ObjectInfo>, Error>>;
}

/// Invokes other functions.
pub trait FunctionInvoker: Send + Sync + 'static {
    /// Invokes `function` with a JSON `payload`; returns its JSON result for [`InvokeMode::Sync`]
    /// and `None` for [`InvokeMode::Async`].
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: serde_json::Value,
        mode: InvokeMode,
    ) -> BoxFuture<'a, Result<Option<serde_json::Value>, Error>>;
}
