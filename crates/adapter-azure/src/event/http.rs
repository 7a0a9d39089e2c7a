//! The HTTP request object inside `Data` (non-proxying mode, `wire-protocols.md` §3.5).
//!
//! `{"Url", "Method", "Query", "Headers": {name: [values]}, "Params", "Identities", "Body"}`.
//! The path and query come from `Url` (the host has already decoded `Query`, joining repeated
//! keys with commas, so the URL's own query is the faithful one). `Body` is text, except for
//! `application/octet-stream` and `multipart/*` content, which the host sends as base64.
//! `Params` are the route parameters the host matched. `Identities` is not mapped.

use faasport_core::{Body, HttpRequest};
use http::Method;
use serde_json::Value;

use super::encoding::{get_ci, object, text};
use super::{field_error, EventError};

const TRIGGER: &str = "http";

/// The neutral request for the host's HTTP request object.
///
/// # Errors
/// [`EventError::Field`] for a missing or invalid `Url` or `Method`, a header that is not
/// valid HTTP, or a base64 body that does not decode.
pub fn http_request(value: &Value) -> Result<HttpRequest, EventError> {
    let request = object(value).ok_or_else(|| field_error(TRIGGER, "request", "not an object"))?;
    let url = get_ci(&request, "Url")
        .and_then(text)
        .ok_or_else(|| field_error(TRIGGER, "Url", "missing"))?;
    let method = get_ci(&request, "Method")
        .and_then(text)
        .unwrap_or_else(|| "GET".into());
    let method: Method = method
        .to_ascii_uppercase()
        .parse()
        .map_err(|_| field_error(TRIGGER, "Method", format!("`{method}` is not a method")))?;
    let mut out = HttpRequest::new(method, path_and_query(&url))
        .map_err(|e| field_error(TRIGGER, "Url", e.to_string()))?;
    if let Some(headers) = get_ci(&request, "Headers").and_then(object) {
        for (name, values) in headers {
            let values = match values {
                Value::Array(items) => items.iter().filter_map(text).collect(),
                other => text(&other).into_iter().collect::<Vec<_>>(),
            };
            for value in values {
                out = out
                    .with_header(&name, &value)
                    .map_err(|e| field_error(TRIGGER, "Headers", e.to_string()))?;
            }
        }
    }
    if let Some(params) = get_ci(&request, "Params").and_then(object) {
        let params = params
            .iter()
            .filter_map(|(k, v)| text(v).map(|v| (k.clone(), v)))
            .collect();
        out = out.with_path_params(params);
    }
    let body = match get_ci(&request, "Body") {
        None | Some(Value::Null) => Body::empty(),
        Some(Value::String(s)) if is_base64_media_type(&out) => {
            Body::from_base64(s).map_err(|e| field_error(TRIGGER, "Body", e.to_string()))?
        }
        Some(Value::String(s)) => Body::from(s.clone()),
        Some(other) => Body::from(other.to_string()),
    };
    Ok(out.with_body(body))
}

/// `/api/order?x=1` from `http://localhost:7071/api/order?x=1` (a bare path stays as it is).
fn path_and_query(url: &str) -> &str {
    let Some((_, rest)) = url.split_once("://") else {
        return url;
    };
    rest.find('/').map_or("/", |i| &rest[i..])
}

fn is_base64_media_type(request: &HttpRequest) -> bool {
    let media_type = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    media_type.starts_with("application/octet-stream") || media_type.starts_with("multipart/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_and_query_come_from_the_url() {
        assert_eq!(
            path_and_query("http://localhost:7071/api/order?x=1"),
            "/api/order?x=1"
        );
        assert_eq!(path_and_query("https://host"), "/");
        assert_eq!(path_and_query("/items/1"), "/items/1");
    }
}
