//! The Cosmos DB trigger (change feed, latest-version mode): a list of changed documents.
//!
//! Each document becomes a [`ChangeRecord`] with the document as its new image, its `id` as the
//! key and the record id, `_lsn` as the sequence and `_ts` (Unix seconds) as the time. The
//! latest-version change feed says neither whether a document is new nor that one was deleted,
//! so every record is a [`Modify`](ChangeOperation::Modify).

use chrono::DateTime;
use faasport_core::{ChangeBatch, ChangeOperation, ChangeRecord, Event};
use serde_json::{json, Value};

use super::encoding::{get_ci, list, number, object, text};
use super::{field_error, Decoded, EventError};

pub(super) fn change_batch(table: &str, value: &Value) -> Result<Decoded, EventError> {
    let documents = list(value).ok_or_else(|| field_error("cosmos", "documents", "not a list"))?;
    let records = documents
        .into_iter()
        .map(|doc| {
            let fields =
                object(&doc).ok_or_else(|| field_error("cosmos", "document", "not an object"))?;
            let id = get_ci(&fields, "id")
                .and_then(text)
                .ok_or_else(|| field_error("cosmos", "id", "missing"))?;
            let mut record =
                ChangeRecord::new(id.clone(), ChangeOperation::Modify, json!({ "id": id }));
            if let Some(lsn) = fields.get("_lsn").and_then(number) {
                record = record.with_sequence(lsn.to_string());
            }
            if let Some(at) = fields
                .get("_ts")
                .and_then(number)
                .and_then(|s| i64::try_from(s).ok())
                .and_then(|s| DateTime::from_timestamp(s, 0))
            {
                record = record.with_time(at);
            }
            Ok(record.with_new_image(Value::Object(fields)))
        })
        .collect::<Result<Vec<_>, EventError>>()?;
    Ok(Decoded::new(Event::Change(ChangeBatch::new(
        table, records,
    ))))
}
