//! API Gateway v1/v2, Function URL and ALB requests to [`HttpRequest`].

use std::collections::HashMap;

use aws_lambda_events::event::{alb, apigw};
use aws_lambda_events::http::HeaderMap;
use aws_lambda_events::query_map::QueryMap;
use faasport_core::http::{header::COOKIE, HeaderValue, Method};
use faasport_core::{Body, HttpRequest};

use super::EventError;

pub(super) fn from_v1(req: apigw::ApiGatewayProxyRequest) -> Result<HttpRequest, EventError> {
    const SHAPE: &str = "API Gateway v1";
    let query = if req.multi_value_query_string_parameters.is_empty() {
        &req.query_string_parameters
    } else {
        &req.multi_value_query_string_parameters
    };
    let headers = if req.multi_value_headers.is_empty() {
        req.headers
    } else {
        req.multi_value_headers
    };
    let path = req.path.as_deref().unwrap_or("/");
    let body = decode_body(SHAPE, req.body, req.is_base64_encoded)?;
    build(
        SHAPE,
        req.http_method,
        path,
        &encode_query(query),
        headers,
        body,
    )
    .map(|r| r.with_path_params(req.path_parameters.into_iter().collect()))
}

/// Payload format 2.0: API Gateway HTTP APIs and Function URLs.
pub(super) fn from_v2(req: apigw::ApiGatewayV2httpRequest) -> Result<HttpRequest, EventError> {
    const SHAPE: &str = "payload format 2.0";
    let mut headers = req.headers;
    if let Some(cookies) = req.cookies.filter(|c| !c.is_empty()) {
        // v2 moves cookies out of the headers; put them back where HTTP code looks for them.
        let joined = cookies.join("; ");
        let value = HeaderValue::from_str(&joined).map_err(|e| invalid(SHAPE, "cookies", e))?;
        headers.insert(COOKIE, value);
    }
    let path = req
        .raw_path
        .as_deref()
        .or(req.request_context.http.path.as_deref())
        .unwrap_or("/");
    let query = req.raw_query_string.unwrap_or_default();
    let body = decode_body(SHAPE, req.body, req.is_base64_encoded)?;
    build(
        SHAPE,
        req.request_context.http.method,
        path,
        &query,
        headers,
        body,
    )
    .map(|r| r.with_path_params(params(req.path_parameters)))
}

pub(super) fn from_alb(req: alb::AlbTargetGroupRequest) -> Result<HttpRequest, EventError> {
    const SHAPE: &str = "ALB";
    // ALB passes query values still URL-encoded, so they go into the URI as they are.
    let query = if req.multi_value_query_string_parameters.is_empty() {
        &req.query_string_parameters
    } else {
        &req.multi_value_query_string_parameters
    };
    let query = sorted_pairs(query)
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let headers = if req.multi_value_headers.is_empty() {
        req.headers
    } else {
        req.multi_value_headers
    };
    let path = req.path.as_deref().unwrap_or("/");
    let body = decode_body(SHAPE, req.body, req.is_base64_encoded)?;
    build(SHAPE, req.http_method, path, &query, headers, body)
}

fn params(map: HashMap<String, String>) -> std::collections::BTreeMap<String, String> {
    map.into_iter().collect()
}

fn build(
    shape: &'static str,
    method: Method,
    path: &str,
    query: &str,
    headers: HeaderMap,
    body: Body,
) -> Result<HttpRequest, EventError> {
    let mut uri = escape_uri(if path.is_empty() { "/" } else { path });
    if !query.is_empty() {
        uri.push('?');
        uri.push_str(&escape_uri(query));
    }
    let mut request = HttpRequest::new(method, &uri).map_err(|e| invalid(shape, "path", e))?;
    *request.headers_mut() = headers;
    Ok(request.with_body(body))
}

fn decode_body(
    shape: &'static str,
    body: Option<String>,
    base64: bool,
) -> Result<Body, EventError> {
    match body {
        None => Ok(Body::empty()),
        Some(text) if base64 => Body::from_base64(&text).map_err(|e| invalid(shape, "body", e)),
        Some(text) => Ok(Body::from(text)),
    }
}

/// Query pairs sorted by name (values keep their order): `QueryMap` does not keep the order of
/// the original query string.
fn sorted_pairs(query: &QueryMap) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    pairs
}

/// API Gateway v1 gives decoded query values; encode them again for the URI.
fn encode_query(query: &QueryMap) -> String {
    sorted_pairs(query)
        .into_iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                faasport_core::event::percent_encode(&k),
                faasport_core::event::percent_encode(&v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes the bytes a URI may not hold (spaces, non-ASCII, `"<>\^`{|}`), leaving
/// existing escapes and reserved characters alone.
fn escape_uri(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_graphic()
            && !matches!(
                b,
                b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
            )
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn invalid(shape: &'static str, field: &'static str, e: impl std::fmt::Display) -> EventError {
    EventError::InvalidField {
        shape,
        field,
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_components_are_percent_encoded() {
        assert_eq!(
            faasport_core::event::percent_encode("hello world&x=ü"),
            "hello%20world%26x%3D%C3%BC"
        );
        assert_eq!(escape_uri("/a b/ü?x=%20"), "/a%20b/%C3%BC?x=%20");
    }
}
