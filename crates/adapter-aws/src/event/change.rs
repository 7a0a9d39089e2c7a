//! DynamoDB Streams batches to [`ChangeBatch`].
//!
//! Items arrive in DynamoDB's typed JSON (`{"S": "x"}`, `{"N": "1.5"}`); the neutral record
//! holds plain JSON: `S` → string, `N` → number (kept as a string if it does not fit a JSON
//! number), `BOOL` → bool, `NULL` → null, `L`/`M` → array/object, `SS`/`NS` → arrays,
//! `B`/`BS` → base64 strings.

use std::collections::BTreeMap;

use aws_lambda_events::event::dynamodb;
use faasport_core::{ChangeBatch, ChangeOperation, ChangeRecord};
use serde_json::{Map, Value};

use super::EventError;
use crate::names::stream_name;

/// The batch, and each record's `eventID` → `SequenceNumber` (what `batchItemFailures` names).
pub(super) fn from_dynamodb(
    event: dynamodb::Event,
) -> Result<(ChangeBatch, BTreeMap<String, String>), EventError> {
    let table = event
        .records
        .first()
        .and_then(|r| {
            r.table_name.clone().or_else(|| {
                r.event_source_arn
                    .as_deref()
                    .map(|a| stream_name(a).to_owned())
            })
        })
        .unwrap_or_default();
    let mut sequences = BTreeMap::new();
    let mut records = Vec::with_capacity(event.records.len());
    for record in event.records {
        let operation = match record.event_name.as_str() {
            "INSERT" => ChangeOperation::Insert,
            "MODIFY" => ChangeOperation::Modify,
            "REMOVE" => ChangeOperation::Remove,
            other => {
                return Err(EventError::InvalidField {
                    shape: "DynamoDB Streams",
                    field: "eventName",
                    detail: format!("unknown operation `{other}`"),
                })
            }
        };
        let change = record.change;
        let mut out = ChangeRecord::new(record.event_id.clone(), operation, plain(&change.keys))
            .with_time(change.approximate_creation_date_time);
        if !change.old_image.is_empty() {
            out = out.with_old_image(plain(&change.old_image));
        }
        if !change.new_image.is_empty() {
            out = out.with_new_image(plain(&change.new_image));
        }
        if let Some(sequence) = change.sequence_number {
            sequences.insert(record.event_id, sequence.clone());
            out = out.with_sequence(sequence);
        }
        records.push(out);
    }
    Ok((ChangeBatch::new(table, records), sequences))
}

fn plain(item: &impl serde::Serialize) -> Value {
    match serde_json::to_value(item) {
        Ok(Value::Object(map)) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), attribute(v))).collect())
        }
        Ok(other) => other,
        Err(_) => Value::Null,
    }
}

/// One typed attribute value (`{"S": "x"}`) as plain JSON.
fn attribute(value: &Value) -> Value {
    let Some((tag, inner)) = value.as_object().and_then(|m| m.iter().next()) else {
        return value.clone();
    };
    match (tag.as_str(), inner) {
        ("S" | "B" | "BOOL", v) => v.clone(),
        ("N", Value::String(n)) => number(n),
        ("NULL", _) => Value::Null,
        ("L", Value::Array(items)) => Value::Array(items.iter().map(attribute).collect()),
        ("M", Value::Object(map)) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), attribute(v)))
                .collect::<Map<_, _>>(),
        ),
        ("NS", Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|n| n.as_str().map_or(Value::Null, number))
                .collect(),
        ),
        ("SS" | "BS", v) => v.clone(),
        _ => value.clone(),
    }
}

fn number(text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return Value::from(i);
    }
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or_else(|| Value::String(text.to_owned()), Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_attributes_become_plain_json() {
        let typed = serde_json::json!({
            "M": {"n": {"N": "10.5"}, "i": {"N": "3"}, "l": {"L": [{"S": "a"}, {"NULL": true}]},
                  "ns": {"NS": ["1", "2"]}, "ss": {"SS": ["x"]}, "b": {"BOOL": true}}
        });
        assert_eq!(
            attribute(&typed),
            serde_json::json!({"n": 10.5, "i": 3, "l": ["a", null], "ns": [1, 2], "ss": ["x"], "b": true})
        );
    }
}
