//! Values as the host's serializer wrote them.
//!
//! The host passes objects as JSON objects but every other value through
//! `JsonConvert.SerializeObject`, and metadata dictionaries through the same path, so:
//!
//! - a string may arrive encoded twice (`"\"hello\""`): [`text`] decodes it once more when the
//!   content is itself a JSON string;
//! - numbers may be strings (`"3"`): [`number`] takes both;
//! - lists and dictionaries may be JSON text (`"[1,2]"`, `"{\"a\":1}"`): [`list`] and [`object`]
//!   parse them;
//! - dates are ISO 8601 strings, with up to 7 fractional digits (`.NET`'s ticks): [`time`].
//!
//! Each helper undoes one layer and no more, so a message whose text happens to be `"[1]"`
//! stays that text where text is expected.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// The value of `key` in `map`, the key matched case-insensitively.
pub fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// A string value, decoded once more if it is itself a JSON string; numbers and booleans as
/// their JSON text; `None` for null, objects and arrays.
pub fn text(value: &Value) -> Option<String> {
    match value {
        // Only a text whose first character past JSON whitespace is a quote can be a JSON
        // string; any other is kept without trying to parse it.
        Value::String(s)
            if s.trim_start_matches([' ', '\n', '\t', '\r'])
                .starts_with('"') =>
        {
            Some(serde_json::from_str::<String>(s).unwrap_or_else(|_| s.clone()))
        }
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A message body as text: [`text`] for scalars, the JSON text of objects and arrays.
pub fn body_text(value: &Value) -> String {
    match value {
        Value::Object(_) | Value::Array(_) => value.to_string(),
        Value::Null => String::new(),
        other => text(other).unwrap_or_default(),
    }
}

/// A non-negative integer given as a number or a string.
pub fn number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        other => text(other)?.trim().parse().ok(),
    }
}

/// An object given as an object or as JSON text.
pub fn object(value: &Value) -> Option<Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map.clone()),
        Value::String(_) => match serde_json::from_str::<Value>(&text(value)?) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        },
        _ => None,
    }
}

/// A list given as an array or as JSON text.
pub fn list(value: &Value) -> Option<Vec<Value>> {
    match value {
        Value::Array(items) => Some(items.clone()),
        Value::String(_) => match serde_json::from_str::<Value>(&text(value)?) {
            Ok(Value::Array(items)) => Some(items),
            _ => None,
        },
        _ => None,
    }
}

/// A date-time string (RFC 3339, or without an offset, taken as UTC).
pub fn time(value: &Value) -> Option<DateTime<Utc>> {
    let text = text(value)?;
    if let Ok(at) = DateTime::parse_from_rfc3339(text.trim()) {
        return Some(at.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}

/// Every entry of a properties dictionary as text (strings decoded by [`text`], other values as
/// their JSON).
pub fn attributes(value: &Value) -> Vec<(String, String)> {
    object(value)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let text = match &v {
                Value::Object(_) | Value::Array(_) | Value::Null => v.to_string(),
                other => text(other).unwrap_or_default(),
            };
            (k, text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_string_encoded_twice_is_decoded_once_more_and_no_further() {
        assert_eq!(text(&json!("\"hello\"")), Some("hello".into()));
        assert_eq!(text(&json!("hello")), Some("hello".into()));
        assert_eq!(text(&json!("\"\\\"x\\\"\"")), Some("\"x\"".into()));
        assert_eq!(text(&json!("[1]")), Some("[1]".into()));
        assert_eq!(text(&json!(null)), None);
    }

    #[test]
    fn numbers_lists_and_objects_are_read_from_their_text_forms() {
        assert_eq!(number(&json!("3")), Some(3));
        assert_eq!(number(&json!(4)), Some(4));
        assert_eq!(number(&json!("x")), None);
        assert_eq!(list(&json!("[1,\"a\"]")), Some(vec![json!(1), json!("a")]));
        assert_eq!(
            object(&json!("{\"a\":1}")).map(Value::Object),
            Some(json!({"a": 1}))
        );
        assert_eq!(object(&json!("[1]")), None);
    }

    #[test]
    fn dotnet_dates_with_seven_fraction_digits_and_no_offset_are_utc() {
        let at = time(&json!("2019-10-09T17:58:32.2205399Z")).map(|t| t.to_rfc3339());
        assert_eq!(at.as_deref(), Some("2019-10-09T17:58:32.220539900+00:00"));
        let naive = time(&json!("2019-10-09T17:58:32")).map(|t| t.to_rfc3339());
        assert_eq!(naive.as_deref(), Some("2019-10-09T17:58:32+00:00"));
        let offset = time(&json!("2022-10-11T10:52:00.003967+02:00")).map(|t| t.to_rfc3339());
        assert_eq!(offset.as_deref(), Some("2022-10-11T08:52:00.003967+00:00"));
    }
}
