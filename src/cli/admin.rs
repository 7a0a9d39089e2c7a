//! The HTTP client the app binary uses to reach the admin endpoints (`/_faasport/...`) of a
//! running `serve`: one request, its JSON answer printed.

use std::io::Write;

use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use faasport_adapter_local::gateway::ADMIN_HEADER;
use faasport_core::http::header::AUTHORIZATION;
use faasport_core::http::{Method, Request, StatusCode};
use faasport_core::Error;

/// The environment variable the admin token is read from, sent as `Authorization: Bearer`.
pub(crate) const ADMIN_TOKEN_VAR: &str = "FAASPORT_ADMIN_TOKEN";

/// Sends `method path` to the server at `base_url` (e.g. `http://127.0.0.1:8080`) and prints
/// the JSON it answers, pretty, or `ok` for an empty answer.
///
/// The request carries the `x-faasport-admin` header the gateway requires of requests that
/// change state, and the token of [`ADMIN_TOKEN_VAR`] when it is set.
///
/// # Errors
/// [`Error::Io`] if the server cannot be reached, and [`Error::InvalidPayload`] with the
/// server's answer for a non-2xx status (an unknown id or name, say).
pub(crate) async fn call(
    base_url: &str,
    method: Method,
    path: &str,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let uri = format!("{}{path}", base_url.trim_end_matches('/'));
    let mut request = Request::builder()
        .method(method)
        .uri(&uri)
        .header(ADMIN_HEADER, "1");
    if let Some(token) = std::env::var(ADMIN_TOKEN_VAR)
        .ok()
        .filter(|t| !t.is_empty())
    {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request
        .body(Full::new(bytes::Bytes::new()))
        .map_err(|e| Error::invalid_payload(format!("bad server address `{base_url}`: {e}")))?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
    let response = client
        .request(request)
        .await
        .map_err(|e| unreachable_server(&uri, e))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| unreachable_server(&uri, e))?
        .to_bytes();
    let text = String::from_utf8_lossy(&body);
    if !status.is_success() {
        return Err(Error::invalid_payload(format!(
            "{uri} answered {status}: {text}"
        )));
    }
    if status == StatusCode::NO_CONTENT || body.is_empty() {
        writeln!(out, "ok")?;
    } else {
        match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(json) => writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?,
            Err(_) => writeln!(out, "{text}")?,
        }
    }
    Ok(())
}

/// The admin token of [`ADMIN_TOKEN_VAR`], when it is set and not empty: `serve` requires it
/// and the admin commands send it.
pub(crate) fn admin_token() -> Option<String> {
    std::env::var(ADMIN_TOKEN_VAR)
        .ok()
        .filter(|t| !t.is_empty())
}

/// A path segment or query value, percent-encoded.
pub(crate) fn encode(segment: &str) -> String {
    faasport_core::event::percent_encode(segment)
}

fn unreachable_server(uri: &str, e: impl std::fmt::Display) -> Error {
    Error::Io(std::io::Error::other(format!(
        "cannot reach {uri} ({e}); is `serve` running there?"
    )))
}
