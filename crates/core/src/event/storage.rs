//! Storage events: an object was written or deleted.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What happened to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StorageEventKind {
    /// The object was created or overwritten.
    Created,
    /// The object was deleted.
    Deleted,
}

/// An object storage event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StorageEvent {
    /// The bucket.
    pub bucket: String,
    /// The object key, decoded (no URL escapes).
    pub key: String,
    /// What happened.
    pub kind: StorageEventKind,
    /// The object's size in bytes, when it exists.
    #[serde(default)]
    pub size: Option<u64>,
    /// The object's entity tag, when known.
    #[serde(default)]
    pub etag: Option<String>,
    /// When it happened, if known.
    #[serde(default)]
    pub time: Option<DateTime<Utc>>,
}

impl StorageEvent {
    /// An event for `key` in `bucket`.
    pub fn new(bucket: impl Into<String>, key: impl Into<String>, kind: StorageEventKind) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
            kind,
            size: None,
            etag: None,
            time: None,
        }
    }

    /// Sets the size.
    pub fn with_size(mut self, size: u64) -> Self {
        self.size = Some(size);
        self
    }

    /// Sets the entity tag.
    pub fn with_etag(mut self, etag: impl Into<String>) -> Self {
        self.etag = Some(etag.into());
        self
    }

    /// Sets the time.
    pub fn with_time(mut self, time: DateTime<Utc>) -> Self {
        self.time = Some(time);
        self
    }
}
