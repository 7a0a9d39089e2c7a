//! CloudEvents 1.0 over HTTP: binary mode (`ce-*` headers, the body is the data) and structured
//! mode (`application/cloudevents+json`, the body is the JSON event), read into core's
//! [`CloudEvent`].
//!
//! The `cloudevents-sdk` crate (0.9) is not used: its HTTP binding does not percent-decode
//! header values as the HTTP binding requires (§3.1.3.2), it brings `url`, `uuid`, `snafu`,
//! `delegate-attr`, `bitflags` and `hostname` along, and its `Event` would have to be converted
//! into core's [`CloudEvent`] anyway, which already reads the JSON format with serde.
//!
//! Binary-mode data follows the Python SDK that the Functions Framework uses: a JSON media type
//! (`application/json`, `*+json`) whose body parses is JSON data; a body that does not parse, or
//! any other media type, is kept as bytes (`data_base64`), text media types as a JSON string.

use http::header::CONTENT_TYPE;
use http::HeaderMap;
use serde_json::Value;

use faasport_core::{Body, CloudEvent};

use super::EventError;

/// The media type of a structured-mode event.
pub const STRUCTURED: &str = "application/cloudevents+json";
/// The media type of a batch of events, which the Functions Framework does not accept either.
pub const BATCH: &str = "application/cloudevents-batch+json";
/// The header that marks a binary-mode event.
pub const SPEC_VERSION_HEADER: &str = "ce-specversion";

/// The request's media type, lower-cased, without parameters.
pub fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Reads a binary-mode event.
///
/// # Errors
/// [`EventError::Attribute`] for a missing required attribute or a value that is not valid
/// (bad percent-encoding, not UTF-8, an unparsable `time`, a `specversion` other than `1.0`).
pub fn from_binary(headers: &HeaderMap, body: &[u8]) -> Result<CloudEvent, EventError> {
    let mut attributes = std::collections::BTreeMap::new();
    for (name, value) in headers {
        let Some(attribute) = name.as_str().strip_prefix("ce-") else {
            continue;
        };
        let decoded = decode_header(value.as_bytes()).map_err(|detail| EventError::Attribute {
            name: attribute.to_owned(),
            detail,
        })?;
        attributes.insert(attribute.to_owned(), decoded);
    }
    let mut take = |name: &'static str| attributes.remove(name);
    let spec = take("specversion").unwrap_or_default();
    let id = required(take("id"), "id")?;
    let source = required(take("source"), "source")?;
    let ty = required(take("type"), "type")?;
    let subject = take("subject");
    let time = take("time");
    let dataschema = take("dataschema");
    // The content type is the header; a `ce-datacontenttype` header is not part of the binding.
    let _ = take("datacontenttype");
    check_spec_version(&spec)?;
    let mut event = CloudEvent::new(id, source, ty);
    if let Some(subject) = subject {
        event = event.with_subject(subject);
    }
    if let Some(time) = time {
        event = event.with_time(parse_time(&time)?);
    }
    event.dataschema = dataschema;
    for (name, value) in attributes {
        event = event.with_extension(name, Value::from(value));
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    set_data(event, content_type, body)
}

/// Reads a structured-mode event.
///
/// # Errors
/// [`EventError::NotJson`] for a body that is not a JSON event; [`EventError::Attribute`] as in
/// [`from_binary`], or for an event carrying both `data` and `data_base64`.
pub fn from_structured(body: &[u8]) -> Result<CloudEvent, EventError> {
    let value: Value = serde_json::from_slice(body).map_err(|source| EventError::NotJson {
        what: "the structured CloudEvent",
        source,
    })?;
    let Some(map) = value.as_object() else {
        return Err(EventError::Attribute {
            name: "specversion".into(),
            detail: "the structured CloudEvent is not a JSON object".into(),
        });
    };
    for name in ["specversion", "id", "source", "type"] {
        match map.get(name) {
            Some(Value::String(s)) if !s.is_empty() => {}
            Some(_) => {
                return Err(EventError::Attribute {
                    name: name.into(),
                    detail: "must be a non-empty string".into(),
                })
            }
            None => return Err(EventError::MissingAttribute(name)),
        }
    }
    if map.contains_key("data") && map.contains_key("data_base64") {
        return Err(EventError::Attribute {
            name: "data_base64".into(),
            detail: "an event carries `data` or `data_base64`, not both".into(),
        });
    }
    check_spec_version(map.get("specversion").and_then(Value::as_str).unwrap_or(""))?;
    serde_json::from_value(value).map_err(|source| EventError::Malformed {
        shape: "a structured CloudEvent",
        source,
    })
}

fn required(value: Option<String>, name: &'static str) -> Result<String, EventError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or(EventError::MissingAttribute(name))
}

fn check_spec_version(spec: &str) -> Result<(), EventError> {
    match spec {
        "1.0" => Ok(()),
        "" => Err(EventError::MissingAttribute("specversion")),
        other => Err(EventError::Attribute {
            name: "specversion".into(),
            detail: format!("`{other}` is not supported (only 1.0)"),
        }),
    }
}

fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, EventError> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| EventError::Attribute {
            name: "time".into(),
            detail: format!("`{text}` is not an RFC 3339 timestamp: {e}"),
        })
}

fn set_data(
    mut event: CloudEvent,
    content_type: Option<String>,
    body: &[u8],
) -> Result<CloudEvent, EventError> {
    if body.is_empty() {
        event.datacontenttype = content_type;
        return Ok(event);
    }
    let media = content_type
        .as_deref()
        .and_then(|c| c.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let is_json = media == "application/json" || media.ends_with("+json");
    if is_json {
        if let Ok(data) = serde_json::from_slice::<Value>(body) {
            event.data = Some(data);
            event.datacontenttype = content_type;
            return Ok(event);
        }
    }
    if media.starts_with("text/") {
        if let Ok(text) = std::str::from_utf8(body) {
            event.data = Some(Value::from(text));
            event.datacontenttype = content_type;
            return Ok(event);
        }
    }
    let bytes = Body::from(body.to_vec());
    Ok(event.with_binary_data(
        bytes,
        content_type.unwrap_or_else(|| "application/octet-stream".into()),
    ))
}

/// Decodes a `ce-*` header value: a quoted string is unquoted (`\"` and `\\` unescaped), then
/// `%XX` escapes are decoded once, and the result must be UTF-8.
pub fn decode_header(raw: &[u8]) -> Result<String, String> {
    let unquoted: Vec<u8> = match raw {
        [b'"', inner @ .., b'"'] => {
            let mut out = Vec::with_capacity(inner.len());
            let mut escaped = false;
            for &b in inner {
                if b == b'\\' && !escaped {
                    escaped = true;
                    continue;
                }
                escaped = false;
                out.push(b);
            }
            out
        }
        other => other.to_vec(),
    };
    let mut out = Vec::with_capacity(unquoted.len());
    let mut i = 0;
    while i < unquoted.len() {
        if unquoted[i] == b'%' {
            let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
            match (hex(unquoted.get(i + 1)), hex(unquoted.get(i + 2))) {
                (Some(h), Some(l)) => {
                    out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                    i += 3;
                    continue;
                }
                _ => return Err(format!("invalid percent escape at byte {i}")),
            }
        }
        out.push(unquoted[i]);
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "not UTF-8 once percent-decoded".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_unquoted_and_percent_decoded_once() {
        assert_eq!(decode_header(b"caf%C3%A9%2520").as_deref(), Ok("café%20"));
        assert_eq!(
            decode_header(br#""a \"b\" c""#).as_deref(),
            Ok(r#"a "b" c"#)
        );
        assert_eq!(decode_header(b"plain").as_deref(), Ok("plain"));
    }

    #[test]
    fn bad_escapes_and_invalid_utf8_are_refused() {
        assert!(decode_header(b"100%").is_err());
        assert!(decode_header(b"%zz").is_err());
        assert!(decode_header(b"%FF%FE").is_err());
    }
}
