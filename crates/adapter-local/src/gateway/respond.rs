//! How invocation results become HTTP responses.
//!
//! | result | status |
//! |---|---|
//! | `Ok(Output::Http)` | the handler's response |
//! | `Ok(Output::Json)` / `Ok(Output::Batch)` | 200 with the JSON |
//! | `Ok(Output::Empty)` | 204 |
//! | [`Error::Throttled`] | 429 with `Retry-After` (whole seconds, at least 1) |
//! | [`Error::Timeout`] | 504 |
//! | [`Error::BadRequest`], also when a handler returned it (`req.json()?`) | 400 with the reason |
//! | the request does not fit the handler ([`Error::EventMismatch`], or a [`Json<T>`](faasport_core::Json) body that does not parse, which is a [`Error::BadRequest`]) | 400 with the reason |
//! | [`Error::ShuttingDown`] | 503 |
//! | anything else (handler errors, panics, init failures) | 500, with the request id only |
//!
//! Only errors about the request are 400. A handler that fails to decode some other JSON (an
//! object it read from a bucket, say) gets a 500 like any other failure of ours: a 500 never
//! carries the error's text, which stays in the log under the request id the response gives, so
//! internals do not leak to callers. A handler error counts as a bad request when its type is
//! `BadRequest` (a faasport [`Error::BadRequest`], kept through [`HandlerError`](faasport_core::HandlerError)).
//!
//! Every response from a function, success or error, carries the invocation's request id in
//! [`REQUEST_ID_HEADER`], so a caller can quote it and find the log lines.

use axum::body::Body as AxumBody;
use axum::response::Response;
use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderValue, StatusCode};

use faasport_core::{Error, Output};

/// The header that carries the invocation's request id on every response from a function.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The `error_type` of a handler error that means the request was wrong ([`Error::BadRequest`]).
const BAD_REQUEST: &str = "BadRequest";

/// A JSON error response: `{"error": message, "request_id": ...}`.
pub(crate) fn error(status: StatusCode, message: &str, request_id: Option<&str>) -> Response {
    let body = serde_json::json!({ "error": message, "request_id": request_id });
    let mut response = Response::new(AxumBody::from(body.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The response for one invocation's result, with the request id in [`REQUEST_ID_HEADER`].
pub(crate) fn respond(function: &str, request_id: &str, result: Result<Output, Error>) -> Response {
    let mut response = response_for(function, request_id, result);
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

fn response_for(function: &str, request_id: &str, result: Result<Output, Error>) -> Response {
    match result {
        Ok(Output::Http(response)) => response.into_http().map(|b| AxumBody::from(b.into_bytes())),
        Ok(Output::Empty) => {
            let mut response = Response::new(AxumBody::empty());
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
        Ok(other) => {
            let mut response = Response::new(AxumBody::from(other.to_json().to_string()));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(Error::Throttled { retry_after, .. }) => {
            let seconds = retry_after.map_or(1, |d| d.as_secs_f64().ceil().max(1.0) as u64);
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests",
                Some(request_id),
            );
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
        Err(Error::Timeout(_)) => error(
            StatusCode::GATEWAY_TIMEOUT,
            "the function timed out",
            Some(request_id),
        ),
        Err(e @ (Error::BadRequest { .. } | Error::EventMismatch { .. })) => error(
            StatusCode::BAD_REQUEST,
            &faasport_core::chain_message(&e),
            Some(request_id),
        ),
        Err(Error::Handler(h)) if h.error_type == BAD_REQUEST => {
            error(StatusCode::BAD_REQUEST, &h.message, Some(request_id))
        }
        Err(Error::ShuttingDown) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting down",
            Some(request_id),
        ),
        Err(e) => {
            tracing::error!(function, request_id, error = %faasport_core::chain_message(&e), "function failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal server error",
                Some(request_id),
            )
        }
    }
}

/// A response with a fixed JSON body.
pub(crate) fn status_json(status: StatusCode, json: &'static str) -> Response {
    let mut response = Response::new(AxumBody::from(json));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
