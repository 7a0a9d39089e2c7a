//! How an invocation's result becomes an HTTP response, on every backend.
//!
//! | result | status | body |
//! |---|---|---|
//! | `Ok(Output::Http)` | the handler's | the handler's |
//! | `Ok(Output::Json)`, `Ok(Output::Batch)` | 200 | the JSON, `application/json` |
//! | `Ok(Output::Empty)` | 204 | empty |
//! | [`Error::BadRequest`] (also returned by a handler, e.g. from `req.read_json()?`), [`Error::EventMismatch`] | 400 | `{"error": reason, "request_id"}` |
//! | [`Error::Throttled`], also relayed by a handler (a publish past a topic's depth) | 429 with `Retry-After` (whole seconds, at least 1) | `{"error": "too many requests", ..}` |
//! | [`Error::Timeout`] | 504 | `{"error": "the function timed out", ..}` |
//! | [`Error::ShuttingDown`], also relayed by a handler (a publish refused mid-shutdown) | 503 with `Retry-After: 5` | `{"error": "shutting down", ..}` |
//! | [`Error::PayloadTooLarge`] | 413 | `{"error": "...", ..}` with the size and the limit |
//! | anything else: handler errors, panics, init failures | 500 | `{"error": "internal server error", ..}`, no internals |
//!
//! Only errors about the request are 400. A handler that fails to decode some other JSON (an
//! object it read from a bucket, say) gets a 500 like any other failure: a 500 never carries
//! the error's text, which is logged under the request id instead, so internals do not leak.
//! Every response, success or error, carries the request id in [`REQUEST_ID_HEADER`].
//!
//! A throttle or a shutdown is about the platform, not the handler: a handler that relays one
//! from a call it made (its type name kept in [`HandlerError::error_type`](crate::HandlerError))
//! did not fail on its own, so its caller gets the same 429 or 503, and may retry, instead of
//! a 500. A relayed throttle has lost its own delay and says 1 s. A shutdown says
//! [`SHUTDOWN_RETRY_AFTER`]: long enough for a restarted server, or another instance behind a
//! load balancer, to take the retry.

use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderName, HeaderValue, StatusCode};

use crate::{Error, HttpResponse, Output};

/// The header that carries the invocation's request id on every response from a function.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// [`REQUEST_ID_HEADER`] as a header name, parsed at compile time: inserting the `&str` parses
/// it again on every response.
const REQUEST_ID: HeaderName = HeaderName::from_static(REQUEST_ID_HEADER);

/// `application/json`, validated at compile time.
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// The `error_type` of a handler error that means the request was wrong ([`Error::BadRequest`]).
const BAD_REQUEST: &str = "BadRequest";
/// The `error_type` of a relayed [`Error::Throttled`].
const THROTTLED: &str = "Throttled";
/// The `error_type` of a relayed [`Error::ShuttingDown`].
const SHUTTING_DOWN: &str = "ShuttingDown";

/// The `Retry-After` of a 503 answered because the runtime is shutting down.
pub const SHUTDOWN_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// The HTTP response for one invocation's result, with the request id in
/// [`REQUEST_ID_HEADER`]. A failure answered with 500 is logged (`tracing`, level error) with
/// its full text under `function` and the request id.
///
/// # Examples
/// ```
/// use faasport_core::contract::{http_response, REQUEST_ID_HEADER};
/// use faasport_core::{http::StatusCode, Error};
///
/// let response = http_response("create-order", "req-1", Err(Error::bad_request("no `sku`")));
/// assert_eq!(response.status(), StatusCode::BAD_REQUEST);
/// assert_eq!(response.headers()[REQUEST_ID_HEADER], "req-1");
/// assert_eq!(
///     response.body().as_str(),
///     Some(r#"{"error":"bad request: no `sku`","request_id":"req-1"}"#)
/// );
///
/// let hidden = http_response("create-order", "req-2", Err(Error::Panic("secret".into())));
/// assert_eq!(hidden.status(), StatusCode::INTERNAL_SERVER_ERROR);
/// assert!(!hidden.body().as_str().unwrap_or("").contains("secret"));
/// ```
pub fn http_response(
    function: &str,
    request_id: &str,
    result: Result<Output, Error>,
) -> HttpResponse {
    let mut response = response_for(function, request_id, result);
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// A JSON error response `{"error": message, "request_id": ...}` with `status`, for answers
/// that never reach a function (no route, a body too large) as well as failed invocations.
pub fn error_response(status: StatusCode, message: &str, request_id: Option<&str>) -> HttpResponse {
    let body = serde_json::json!({ "error": message, "request_id": request_id });
    let mut response = HttpResponse::new(status).with_body(body.to_string());
    response.headers_mut().insert(CONTENT_TYPE, JSON);
    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(id).ok()) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// The HTTP response for a successful output: an [`Output::Http`] as given, 204 for
/// [`Output::Empty`], 200 with the JSON for anything else.
pub fn output_response(output: Output) -> HttpResponse {
    match output {
        Output::Http(response) => response,
        Output::Empty => HttpResponse::new(StatusCode::NO_CONTENT),
        other => {
            let mut response =
                HttpResponse::new(StatusCode::OK).with_body(other.to_json().to_string());
            response.headers_mut().insert(CONTENT_TYPE, JSON);
            response
        }
    }
}

fn response_for(function: &str, request_id: &str, result: Result<Output, Error>) -> HttpResponse {
    let id = Some(request_id);
    match result {
        Ok(output) => output_response(output),
        Err(Error::Throttled { retry_after, .. }) => retry_later(
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests",
            retry_after,
            id,
        ),
        Err(Error::Handler(h)) if h.error_type == THROTTLED => {
            retry_later(StatusCode::TOO_MANY_REQUESTS, "too many requests", None, id)
        }
        Err(Error::Timeout(_)) => {
            error_response(StatusCode::GATEWAY_TIMEOUT, "the function timed out", id)
        }
        Err(
            e @ (Error::BadRequest { .. }
            | Error::EventMismatch { .. }
            | Error::InvalidPayload { .. }),
        ) => error_response(StatusCode::BAD_REQUEST, &crate::chain_message(&e), id),
        Err(Error::Handler(h)) if h.error_type == BAD_REQUEST => {
            error_response(StatusCode::BAD_REQUEST, &h.message, id)
        }
        Err(Error::ShuttingDown) => shutting_down(id),
        Err(Error::Handler(h)) if h.error_type == SHUTTING_DOWN => shutting_down(id),
        Err(e @ Error::PayloadTooLarge { .. }) => {
            error_response(StatusCode::PAYLOAD_TOO_LARGE, &e.to_string(), id)
        }
        Err(e) => {
            tracing::error!(function, request_id, error = %crate::chain_message(&e), "function failed");
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal server error",
                id,
            )
        }
    }
}

fn shutting_down(id: Option<&str>) -> HttpResponse {
    let after = Some(SHUTDOWN_RETRY_AFTER);
    retry_later(StatusCode::SERVICE_UNAVAILABLE, "shutting down", after, id)
}

/// Whether an HTTP status from a cloud service or another function says a retry may help: 408
/// (request timeout), 429 (throttled) and every 5xx. Every adapter's bindings classify the
/// statuses they get back with it, so a failed call is retried (or not) alike on every backend.
///
/// # Examples
/// ```
/// use faasport_core::contract::retryable_status;
///
/// assert!(retryable_status(503) && retryable_status(429) && retryable_status(408));
/// assert!(!retryable_status(404) && !retryable_status(400) && !retryable_status(200));
/// ```
pub fn retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..600).contains(&status)
}

/// An error response with `Retry-After` in whole seconds, at least 1.
fn retry_later(
    status: StatusCode,
    message: &str,
    after: Option<std::time::Duration>,
    id: Option<&str>,
) -> HttpResponse {
    let seconds = super::delivery::retry_after_seconds(after);
    let mut response = error_response(status, message, id);
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds));
    response
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::HandlerError;

    fn status(result: Result<Output, Error>) -> StatusCode {
        http_response("f", "r", result).status()
    }

    #[test]
    fn each_error_kind_has_its_status() {
        assert_eq!(status(Ok(Output::Empty)), StatusCode::NO_CONTENT);
        assert_eq!(
            status(Ok(Output::Json(serde_json::json!(1)))),
            StatusCode::OK
        );
        assert_eq!(
            status(Err(Error::Timeout(Duration::from_secs(1)))),
            StatusCode::GATEWAY_TIMEOUT
        );
        assert_eq!(
            status(Err(Error::ShuttingDown)),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            status(Err(Error::EventMismatch {
                expected: crate::EventKind::Http,
                actual: crate::EventKind::Topic
            })),
            StatusCode::BAD_REQUEST
        );
        // The caller's request could not be decoded (a bad URI or header, say): the caller's
        // fault, as on Azure's invoke endpoint, not a 500.
        assert_eq!(
            status(Err(Error::invalid_payload("bad URI `%`"))),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status(Err(Error::permanent("x"))),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            status(Err(Error::transient("x"))),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn a_bad_request_kept_through_a_handler_error_is_still_400() {
        let wrapped = Error::Handler(HandlerError::from_error(Error::bad_request("no body")));
        let response = http_response("f", "r", Err(wrapped));
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.body().as_str().unwrap_or("").contains("no body"));
    }

    #[test]
    fn a_throttle_says_when_to_retry_in_whole_seconds() {
        let throttled = |after| Error::Throttled {
            reason: "max".into(),
            retry_after: after,
        };
        let response = http_response("f", "r", Err(throttled(Some(Duration::from_millis(1500)))));
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[RETRY_AFTER], "2");
        let response = http_response("f", "r", Err(throttled(None)));
        assert_eq!(response.headers()[RETRY_AFTER], "1");
    }

    #[test]
    fn a_shutdown_is_503_with_retry_after_even_when_a_handler_relays_it() {
        let relayed = Error::from_handler(Error::ShuttingDown);
        let wrapped = Error::Handler(HandlerError::from_error(Error::ShuttingDown));
        for error in [Error::ShuttingDown, relayed, wrapped] {
            let response = http_response("f", "r", Err(error));
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers()[RETRY_AFTER], "5");
        }
    }

    #[test]
    fn a_throttle_relayed_by_a_handler_is_429_not_500() {
        let relayed = Error::from_handler(Error::Throttled {
            reason: "topic `orders` is full".into(),
            retry_after: Some(Duration::from_secs(3)),
        });
        assert!(matches!(relayed, Error::Handler(_)));
        let response = http_response("f", "r", Err(relayed));
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[RETRY_AFTER], "1");
    }

    #[test]
    fn the_request_id_is_on_successes_too() {
        let response = http_response("f", "abc", Ok(Output::Http(HttpResponse::ok())));
        assert_eq!(response.headers()[REQUEST_ID_HEADER], "abc");
    }
}
