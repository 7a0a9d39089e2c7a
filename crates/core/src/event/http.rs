//! HTTP requests and responses on the `http` crate's types.

use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};

use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{Body, Error};

/// The content types of [`HttpResponse::json`] and [`HttpResponse::text`], validated at compile
/// time rather than on every response.
const JSON: HeaderValue = HeaderValue::from_static("application/json");
const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

/// Path parameters captured by the route (`/orders/{id}` gives `id`), stored in the request's
/// extensions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathParams(pub BTreeMap<String, String>);

/// An HTTP request: an [`http::Request`] with a [`Body`], plus the route's path parameters.
///
/// It dereferences to [`http::Request<Body>`], so `method()`, `uri()`, `headers()` and `body()`
/// are the `http` crate's own; [`HttpRequest::into_http`] hands the request to tower or axum code.
#[derive(Debug, Default)]
pub struct HttpRequest {
    inner: http::Request<Body>,
}

impl HttpRequest {
    /// A request with the given method and URI (path and query) and an empty body.
    ///
    /// # Errors
    /// Fails if `uri` is not a valid URI.
    pub fn new(method: Method, uri: &str) -> Result<Self, Error> {
        let uri: http::Uri = uri.parse().map_err(|e: http::uri::InvalidUri| {
            Error::invalid_payload(format!("bad URI `{uri}`: {e}"))
        })?;
        let mut inner = http::Request::new(Body::empty());
        *inner.method_mut() = method;
        *inner.uri_mut() = uri;
        Ok(Self { inner })
    }

    /// Wraps an `http` request.
    pub fn from_http(inner: http::Request<Body>) -> Self {
        Self { inner }
    }

    /// Unwraps into the `http` request (path parameters stay in its extensions).
    pub fn into_http(self) -> http::Request<Body> {
        self.inner
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Body>) -> Self {
        *self.inner.body_mut() = body.into();
        self
    }

    /// Adds a header (repeated names keep every value).
    ///
    /// # Errors
    /// Fails if the name or value is not valid in HTTP.
    pub fn with_header(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let (name, value) = header_pair(name, value)?;
        self.inner.headers_mut().append(name, value);
        Ok(self)
    }

    /// Sets the path parameters captured by routing.
    pub fn with_path_params(mut self, params: BTreeMap<String, String>) -> Self {
        if params.is_empty() {
            // No entry is the same as an empty one (see `path_params`), and costs no allocation
            // in the extensions.
            self.inner.extensions_mut().remove::<PathParams>();
        } else {
            self.inner.extensions_mut().insert(PathParams(params));
        }
        self
    }

    /// The path of the URI.
    pub fn path(&self) -> &str {
        self.inner.uri().path()
    }

    /// One path parameter by name.
    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.path_params().get(name).map(String::as_str)
    }

    /// All path parameters.
    pub fn path_params(&self) -> &BTreeMap<String, String> {
        static EMPTY: BTreeMap<String, String> = BTreeMap::new();
        self.inner
            .extensions()
            .get::<PathParams>()
            .map_or(&EMPTY, |p| &p.0)
    }

    /// Every value of one query parameter, percent-decoded, in order.
    pub fn query_values(&self, name: &str) -> Vec<String> {
        self.query_pairs()
            .into_iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v)
            .collect()
    }

    /// The first value of one query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_values(name).into_iter().next()
    }

    /// All query pairs, percent-decoded, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let Some(query) = self.inner.uri().query() else {
            return Vec::new();
        };
        query
            .split('&')
            .filter(|part| !part.is_empty())
            .map(|part| {
                let (k, v) = part.split_once('=').unwrap_or((part, ""));
                (percent_decode(k, true), percent_decode(v, true))
            })
            .collect()
    }

    /// Parses the body as JSON.
    ///
    /// # Errors
    /// [`Error::BadRequest`] (`invalid JSON: ...` with the parser's message) if the body is not
    /// valid JSON for `T`: the caller sent it, so gateways answer 400 with the reason.
    pub fn read_json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        self.inner
            .body()
            .to_json()
            .map_err(|e| Error::bad_request(format!("invalid JSON: {e}")))
    }
}

impl Deref for HttpRequest {
    type Target = http::Request<Body>;
    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl DerefMut for HttpRequest {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

impl From<http::Request<Body>> for HttpRequest {
    fn from(inner: http::Request<Body>) -> Self {
        Self { inner }
    }
}

impl Clone for HttpRequest {
    fn clone(&self) -> Self {
        let mut inner = http::Request::new(self.inner.body().clone());
        *inner.method_mut() = self.inner.method().clone();
        *inner.uri_mut() = self.inner.uri().clone();
        *inner.version_mut() = self.inner.version();
        *inner.headers_mut() = self.inner.headers().clone();
        if let Some(params) = self.inner.extensions().get::<PathParams>() {
            inner.extensions_mut().insert(params.clone());
        }
        Self { inner }
    }
}

impl PartialEq for HttpRequest {
    fn eq(&self, other: &Self) -> bool {
        self.method() == other.method()
            && self.uri() == other.uri()
            && self.headers() == other.headers()
            && self.body() == other.body()
            && self.path_params() == other.path_params()
    }
}

/// An HTTP response: an [`http::Response`] with a [`Body`].
#[derive(Debug, Default)]
pub struct HttpResponse {
    inner: http::Response<Body>,
}

impl HttpResponse {
    /// A response with the given status and an empty body.
    pub fn new(status: StatusCode) -> Self {
        let mut inner = http::Response::new(Body::empty());
        *inner.status_mut() = status;
        Self { inner }
    }

    /// `200 OK` with an empty body.
    pub fn ok() -> Self {
        Self::new(StatusCode::OK)
    }

    /// A JSON response with `content-type: application/json`.
    ///
    /// # Errors
    /// [`Error::Json`] if `value` cannot be serialised.
    pub fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Result<Self, Error> {
        let body = Body::json(value)?;
        Ok(Self::new(status)
            .with_body(body)
            .with_static_header(CONTENT_TYPE, JSON))
    }

    /// A plain-text response with `content-type: text/plain; charset=utf-8`.
    pub fn text(status: StatusCode, text: impl Into<String>) -> Self {
        Self::new(status)
            .with_body(text.into())
            .with_static_header(CONTENT_TYPE, TEXT)
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Body>) -> Self {
        *self.inner.body_mut() = body.into();
        self
    }

    /// Adds a header (repeated names keep every value).
    ///
    /// # Errors
    /// Fails if the name or value is not valid in HTTP.
    pub fn with_header(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let (name, value) = header_pair(name, value)?;
        self.inner.headers_mut().append(name, value);
        Ok(self)
    }

    fn with_static_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.inner.headers_mut().insert(name, value);
        self
    }

    /// Wraps an `http` response.
    pub fn from_http(inner: http::Response<Body>) -> Self {
        Self { inner }
    }

    /// Unwraps into the `http` response.
    pub fn into_http(self) -> http::Response<Body> {
        self.inner
    }
}

impl Deref for HttpResponse {
    type Target = http::Response<Body>;
    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl DerefMut for HttpResponse {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

impl<B: Into<Body>> From<http::Response<B>> for HttpResponse {
    fn from(response: http::Response<B>) -> Self {
        Self {
            inner: response.map(Into::into),
        }
    }
}

impl Clone for HttpResponse {
    fn clone(&self) -> Self {
        let mut inner = http::Response::new(self.inner.body().clone());
        *inner.status_mut() = self.inner.status();
        *inner.headers_mut() = self.inner.headers().clone();
        Self { inner }
    }
}

impl PartialEq for HttpResponse {
    fn eq(&self, other: &Self) -> bool {
        self.status() == other.status()
            && self.headers() == other.headers()
            && self.body() == other.body()
    }
}

fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), Error> {
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| Error::invalid_payload(format!("invalid header name `{name}`")))?;
    let value = HeaderValue::from_str(value)
        .map_err(|_| Error::invalid_payload(format!("invalid value for header `{name}`")))?;
    Ok((name, value))
}

/// Percent-encodes every byte of `text` but RFC 3986's unreserved characters (`A-Z a-z 0-9 - _
/// . ~`), as `%XX` in upper-case hex: a path segment or query value any server reads back with
/// [`percent_decode`].
///
/// # Examples
/// ```
/// use faasport_core::event::{percent_decode, percent_encode};
///
/// assert_eq!(percent_encode("a b/é~"), "a%20b%2F%C3%A9~");
/// assert_eq!(percent_decode(&percent_encode("a b/é~"), false), "a b/é~");
/// ```
pub fn percent_encode(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`); invalid escapes stay as they are.
pub fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The serialised form of a request: what `echo` returns and what `invoke --data` accepts.
#[derive(Serialize, Deserialize)]
struct RequestRecord {
    method: String,
    uri: String,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    path_params: BTreeMap<String, String>,
    #[serde(default)]
    body: Body,
}

impl Serialize for HttpRequest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RequestRecord {
            method: self.method().to_string(),
            uri: self.uri().to_string(),
            headers: header_list(self.headers()),
            path_params: self.path_params().clone(),
            body: self.body().clone(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for HttpRequest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let record = RequestRecord::deserialize(deserializer)?;
        let method = Method::from_bytes(record.method.as_bytes()).map_err(D::Error::custom)?;
        let mut request = HttpRequest::new(method, &record.uri)
            .map_err(D::Error::custom)?
            .with_body(record.body)
            .with_path_params(record.path_params);
        for (name, value) in &record.headers {
            request = request.with_header(name, value).map_err(D::Error::custom)?;
        }
        Ok(request)
    }
}

#[derive(Serialize, Deserialize)]
struct ResponseRecord {
    status: u16,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    body: Body,
}

impl Serialize for HttpResponse {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ResponseRecord {
            status: self.status().as_u16(),
            headers: header_list(self.headers()),
            body: self.body().clone(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for HttpResponse {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let record = ResponseRecord::deserialize(deserializer)?;
        let status = StatusCode::from_u16(record.status).map_err(D::Error::custom)?;
        let mut response = HttpResponse::new(status).with_body(record.body);
        for (name, value) in &record.headers {
            response = response
                .with_header(name, value)
                .map_err(D::Error::custom)?;
        }
        Ok(response)
    }
}

fn header_list(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_decoded_and_keep_repeats() {
        let req = HttpRequest::new(Method::GET, "/s?q=a+b%21&tag=x&tag=y").expect("uri");
        assert_eq!(req.query_param("q").as_deref(), Some("a b!"));
        assert_eq!(req.query_values("tag"), vec!["x", "y"]);
        assert_eq!(req.query_param("none"), None);
    }

    #[test]
    fn requests_round_trip_through_json_with_repeated_headers() {
        let req = HttpRequest::new(Method::POST, "/orders/7?x=1")
            .and_then(|r| r.with_header("cookie", "a=1"))
            .and_then(|r| r.with_header("cookie", "b=2"))
            .expect("request")
            .with_body(vec![0u8, 159, 146, 150])
            .with_path_params([("id".to_owned(), "7".to_owned())].into());
        let json = serde_json::to_value(&req).expect("serialise");
        let back: HttpRequest = serde_json::from_value(json).expect("deserialise");
        assert_eq!(back, req);
        assert_eq!(back.path_param("id"), Some("7"));
    }

    #[test]
    fn percent_decoding_leaves_broken_escapes_alone() {
        assert_eq!(percent_decode("a%2Fb%zz%", false), "a/b%zz%");
        assert_eq!(percent_decode("a+b", false), "a+b");
    }
}
