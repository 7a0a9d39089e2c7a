//! Change-stream batches: row-level changes from a database (DynamoDB Streams, Cosmos DB change
//! feed, Firestore).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeOperation {
    /// A new item.
    Insert,
    /// An existing item changed.
    Modify,
    /// An item was removed.
    Remove,
}

/// A batch of changes from one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChangeBatch {
    /// The table (or collection) that changed.
    pub table: String,
    /// The changes, in stream order.
    pub records: Vec<ChangeRecord>,
}

impl ChangeBatch {
    /// A batch from `table`.
    pub fn new(table: impl Into<String>, records: Vec<ChangeRecord>) -> Self {
        Self {
            table: table.into(),
            records,
        }
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChangeRecord {
    /// The record id; a [`BatchOutcome`](crate::BatchOutcome) names failed records by it.
    pub id: String,
    /// What happened.
    pub operation: ChangeOperation,
    /// The item's key attributes, as plain JSON.
    pub keys: Value,
    /// The item before the change, when the stream carries it.
    #[serde(default)]
    pub old_image: Option<Value>,
    /// The item after the change, when the stream carries it.
    #[serde(default)]
    pub new_image: Option<Value>,
    /// The position in the stream, when the stream has one.
    #[serde(default)]
    pub sequence: Option<String>,
    /// When the change happened, if known.
    #[serde(default)]
    pub time: Option<DateTime<Utc>>,
}

impl ChangeRecord {
    /// A change with the given id, operation and keys.
    pub fn new(id: impl Into<String>, operation: ChangeOperation, keys: Value) -> Self {
        Self {
            id: id.into(),
            operation,
            keys,
            old_image: None,
            new_image: None,
            sequence: None,
            time: None,
        }
    }

    /// Sets the image before the change.
    pub fn with_old_image(mut self, image: Value) -> Self {
        self.old_image = Some(image);
        self
    }

    /// Sets the image after the change.
    pub fn with_new_image(mut self, image: Value) -> Self {
        self.new_image = Some(image);
        self
    }

    /// Sets the stream position.
    pub fn with_sequence(mut self, sequence: impl Into<String>) -> Self {
        self.sequence = Some(sequence.into());
        self
    }

    /// Sets the time.
    pub fn with_time(mut self, time: DateTime<Utc>) -> Self {
        self.time = Some(time);
        self
    }
}
