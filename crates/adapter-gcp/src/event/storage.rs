//! Cloud Storage object events (`google.cloud.storage.object.v1.*`) into [`StorageEvent`]s.
//!
//! | CloudEvent type | neutral event |
//! |---|---|
//! | `…object.v1.finalized` | [`StorageEvent`], [`StorageEventKind::Created`] |
//! | `…object.v1.deleted` | [`StorageEvent`], [`StorageEventKind::Deleted`] |
//! | `…object.v1.archived`, `…object.v1.metadataUpdated` | the [`CloudEvent`] itself: core has no kind for them (as S3's restore and replication events on AWS) |
//!
//! `data` is `StorageObjectData` in proto3 JSON: the key is `name` (not escaped), the bucket
//! `bucket` (else the `bucket` extension), `size` an int64 **as a string** (a number is accepted
//! too), `etag`; the time is the event's `time`, else `updated`.

use chrono::{DateTime, Utc};
use faasport_core::{CloudEvent, Event, StorageEvent, StorageEventKind};
use serde::Deserialize;
use serde_json::Value;

use super::{EventError, SourceNames};

/// The type prefix of Cloud Storage object events.
pub const TYPE_PREFIX: &str = "google.cloud.storage.object.v1.";

const SHAPE: &str = "Cloud Storage";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ObjectData {
    #[serde(default)]
    bucket: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    size: Option<Value>,
    #[serde(default)]
    etag: Option<String>,
    #[serde(default)]
    updated: Option<String>,
}

/// The neutral event for a Cloud Storage CloudEvent (its type starts with [`TYPE_PREFIX`]).
///
/// # Errors
/// [`EventError::Malformed`] or [`EventError::InvalidField`] for data that is not
/// `StorageObjectData` (no object name, a size that is not a number).
pub fn from_cloud_event(event: CloudEvent, names: &SourceNames) -> Result<Event, EventError> {
    let kind = match event.ty.strip_prefix(TYPE_PREFIX) {
        Some("finalized") => StorageEventKind::Created,
        Some("deleted") => StorageEventKind::Deleted,
        _ => return Ok(Event::CloudEvent(event)),
    };
    let invalid = |field, detail: String| EventError::InvalidField {
        shape: SHAPE,
        field,
        detail,
    };
    let data = super::json_data(&event, SHAPE)?;
    let object: ObjectData =
        serde_json::from_value(data).map_err(|source| EventError::Malformed {
            shape: "Cloud Storage object data",
            source,
        })?;
    let key = object
        .name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| invalid("data.name", "missing".into()))?;
    let bucket = object
        .bucket
        .or_else(|| {
            event
                .extensions
                .get("bucket")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .ok_or_else(|| invalid("data.bucket", "missing".into()))?;
    let mut neutral = StorageEvent::new(names.resources.bucket_for(&bucket), key, kind);
    match object.size {
        None | Some(Value::Null) => {}
        Some(Value::String(text)) => {
            let size = text
                .parse::<u64>()
                .map_err(|_| invalid("data.size", format!("`{text}` is not a byte count")))?;
            neutral = neutral.with_size(size);
        }
        Some(Value::Number(n)) => {
            let size = n
                .as_u64()
                .ok_or_else(|| invalid("data.size", format!("`{n}` is not a byte count")))?;
            neutral = neutral.with_size(size);
        }
        Some(other) => {
            return Err(invalid(
                "data.size",
                format!("`{other}` is not a byte count"),
            ))
        }
    }
    if let Some(etag) = object.etag.filter(|e| !e.is_empty()) {
        neutral = neutral.with_etag(etag);
    }
    let updated = object
        .updated
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    if let Some(time) = event.time.or(updated) {
        neutral = neutral.with_time(time);
    }
    Ok(Event::Storage(neutral))
}
