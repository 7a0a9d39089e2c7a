//! Helpers shared by the tests that talk to a real gateway on loopback.
#![allow(dead_code)]

use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use faasport_core::{Context, Error, HttpRequest, HttpResponse};

/// What the gateway answered.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (`null` if it is not JSON).
    pub fn read_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Sends one request to the gateway at `addr` with a real HTTP client.
pub async fn call(addr: SocketAddr, method: Method, path: &str, body: impl Into<Bytes>) -> Reply {
    call_with(addr, method, path, &[], body).await
}

/// Sends one request with these extra headers.
pub async fn call_with(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Reply {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(body.into())).expect("request");
    let response = client.request(request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Reply {
        status,
        headers,
        body,
    }
}

/// Signals for [`held`]: it says when it has started, then waits to be released.
pub fn held_signals() -> &'static (tokio::sync::Notify, tokio::sync::Notify) {
    static SIGNALS: std::sync::OnceLock<(tokio::sync::Notify, tokio::sync::Notify)> =
        std::sync::OnceLock::new();
    SIGNALS.get_or_init(|| (tokio::sync::Notify::new(), tokio::sync::Notify::new()))
}

/// An HTTP handler that holds its instance until the test releases it.
pub async fn held(_: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    let (entered, release) = held_signals();
    entered.notify_one();
    release.notified().await;
    Ok(HttpResponse::ok())
}
