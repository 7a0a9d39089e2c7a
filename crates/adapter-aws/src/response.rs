//! Neutral outputs back to the invoking source's response format.
//!
//! | source | [`Output::Http`] becomes | [`Output::Batch`] becomes |
//! |---|---|---|
//! | API Gateway v1 | `statusCode`, `headers` (first value), `multiValueHeaders` (all), `body`, `isBase64Encoded` | |
//! | API Gateway v2, Function URL | `statusCode`, `headers` (repeats joined with `, `), `cookies` (every `set-cookie`), `body`, `isBase64Encoded` | |
//! | ALB | `statusCode`, `statusDescription`, `multiValueHeaders` when the request had them, else `headers`, `body`, `isBase64Encoded` | |
//! | SQS, Kinesis | | `{"batchItemFailures": [{"itemIdentifier": id}]}` |
//! | DynamoDB Streams | | the same, each record id (`eventID`) replaced by its sequence number |
//!
//! A body goes out as text when it is UTF-8 and its media type is not a binary one (images,
//! audio, video, fonts, archives, PDF, octet streams); otherwise it is base64 with
//! `isBase64Encoded: true`. Other outputs are written as their JSON ([`Output::to_json`]). The
//! status of an HTTP source's response, errors included, is core's
//! ([`faasport_core::contract::http_response`]): the runtime turns every result of an HTTP
//! request into a response, never a function error. Errors of other sources become a
//! [`Diagnostic`] whose `errorType` is [`Error::error_type`].

use faasport_core::contract::output_response;
use faasport_core::http::header::{CONTENT_TYPE, SET_COOKIE};
use faasport_core::http::HeaderMap;
use faasport_core::{chain_message, BatchOutcome, Body, Error, HttpResponse, Output};
use lambda_runtime::Diagnostic;
use serde_json::{json, Map, Value};

use crate::event::Source;

/// The response document for one invocation: the output of its single event, or for SNS and
/// S3 payloads with several records, a JSON array of each record's output.
pub fn to_response(source: &Source, mut outputs: Vec<Output>) -> Value {
    if outputs.len() == 1 {
        if let Some(output) = outputs.pop() {
            return to_value(source, output);
        }
    }
    Value::Array(outputs.into_iter().map(|o| to_value(source, o)).collect())
}

/// One output in the source's format.
pub fn to_value(source: &Source, output: Output) -> Value {
    if source.is_http() {
        return http_response(source, &output_response(output));
    }
    match output {
        Output::Batch(outcome) => batch_item_failures(source, &outcome),
        Output::Empty if source.is_batch() => batch_item_failures(source, &BatchOutcome::success()),
        other => other.into_json(),
    }
}

/// `{"batchItemFailures": [...]}` naming the failed items as the source expects.
pub fn batch_item_failures(source: &Source, outcome: &BatchOutcome) -> Value {
    let failures: Vec<Value> = outcome
        .failed
        .iter()
        .map(|id| {
            let identifier = match source {
                Source::DynamoDb { sequences } => sequences.get(id).unwrap_or(id),
                _ => id,
            };
            json!({ "itemIdentifier": identifier })
        })
        .collect();
    json!({ "batchItemFailures": failures })
}

/// An HTTP response in the format of an HTTP source.
pub fn http_response(source: &Source, response: &HttpResponse) -> Value {
    let (body, is_base64) = encode_body(response.body(), response.headers());
    let status = response.status();
    let mut doc = Map::new();
    doc.insert("statusCode".into(), Value::from(status.as_u16()));
    match source {
        Source::ApiGatewayV1 => {
            doc.insert(
                "headers".into(),
                Value::Object(single_values(response.headers(), |v| v.first().cloned())),
            );
            doc.insert(
                "multiValueHeaders".into(),
                Value::Object(multi_values(response.headers())),
            );
        }
        Source::Alb { multi_value } => {
            let description = format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            );
            doc.insert(
                "statusDescription".into(),
                Value::from(description.trim_end()),
            );
            if *multi_value {
                doc.insert(
                    "multiValueHeaders".into(),
                    Value::Object(multi_values(response.headers())),
                );
            } else {
                doc.insert(
                    "headers".into(),
                    Value::Object(single_values(response.headers(), joined)),
                );
            }
        }
        _ => {
            let cookies: Vec<Value> = values(response.headers(), SET_COOKIE.as_str())
                .into_iter()
                .map(Value::from)
                .collect();
            let mut headers = single_values(response.headers(), joined);
            headers.remove(SET_COOKIE.as_str());
            doc.insert("headers".into(), Value::Object(headers));
            doc.insert("cookies".into(), Value::Array(cookies));
        }
    }
    doc.insert("body".into(), body);
    doc.insert("isBase64Encoded".into(), Value::Bool(is_base64));
    Value::Object(doc)
}

/// The error report for `/error`.
pub fn diagnostic(error: &Error) -> Diagnostic {
    Diagnostic {
        error_type: error.error_type().to_owned(),
        error_message: chain_message(error),
    }
}

fn joined(values: &[String]) -> Option<String> {
    // Repeated set-cookie cannot be joined; a single-valued format keeps the last one.
    Some(values.join(", "))
}

fn values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}

fn multi_values(headers: &HeaderMap) -> Map<String, Value> {
    headers
        .keys()
        .map(|name| {
            let all = values(headers, name.as_str())
                .into_iter()
                .map(Value::from)
                .collect();
            (name.as_str().to_owned(), Value::Array(all))
        })
        .collect()
}

fn single_values(
    headers: &HeaderMap,
    pick: impl Fn(&[String]) -> Option<String>,
) -> Map<String, Value> {
    headers
        .keys()
        .filter_map(|name| {
            let all = values(headers, name.as_str());
            let value = if name == SET_COOKIE {
                all.last().cloned()
            } else {
                pick(&all)
            };
            value.map(|v| (name.as_str().to_owned(), Value::from(v)))
        })
        .collect()
}

fn encode_body(body: &Body, headers: &HeaderMap) -> (Value, bool) {
    if body.is_empty() {
        return (Value::from(""), false);
    }
    let media_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    match body.as_str() {
        Some(text) if !is_binary_media_type(&media_type) => (Value::from(text), false),
        _ => (Value::from(body.to_base64()), true),
    }
}

fn is_binary_media_type(media_type: &str) -> bool {
    const PREFIXES: [&str; 9] = [
        "image/",
        "audio/",
        "video/",
        "font/",
        "application/octet-stream",
        "application/pdf",
        "application/zip",
        "application/gzip",
        "application/x-protobuf",
    ];
    PREFIXES.iter().any(|p| media_type.starts_with(p))
}
