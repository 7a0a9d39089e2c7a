//! Results back as HTTP responses: the request's own answer for HTTP functions, a push status
//! for events.
//!
//! | request | result | response |
//! |---|---|---|
//! | HTTP ([`Source::Http`]), a synchronous invoke ([`Source::Invoke`]) | any | [`http_response`]: the handler's response, or 400/429/504/503/500 per error kind |
//! | event ([`Source::Push`]) | any | core's [`Delivery::push_answer`] for Google Cloud: 204 acknowledges; 500 asks for redelivery; 429 throttles (with `Retry-After`); 422 rejects (Eventarc does not retry it) |
//! | an event that cannot be read | [`EventError`] | 400 with the reason (415 for a CloudEvents batch); nothing is invoked |
//! | `/robots.txt`, `/favicon.ico` | | 404; nothing is invoked (the Functions Framework contract) |
//!
//! Every response carries `x-request-id`. An event's output is not sent back: Pub/Sub and
//! Eventarc ignore the body, and Knative Eventing would take a body for a reply event. A failed
//! event's error is logged under the request id, never sent.

use faasport_core::contract::{error_response, http_response, Delivery, REQUEST_ID_HEADER};
use faasport_core::http::header::RETRY_AFTER;
use faasport_core::http::{HeaderValue, StatusCode};
use faasport_core::{chain_message, Error, HttpResponse, Output, Provider};

use crate::event::{EventError, Source};

/// Paths the Functions Framework answers with 404 without invoking the function.
pub const NOT_INVOKED: [&str; 2] = ["/robots.txt", "/favicon.ico"];

/// The response for one invocation's result.
pub fn to_response(
    source: Source,
    function: &str,
    request_id: &str,
    result: Result<Output, Error>,
) -> HttpResponse {
    match source {
        Source::Http | Source::Invoke => http_response(function, request_id, result),
        Source::Push => push_response(function, request_id, &result),
    }
}

/// The response to a pushed event: its [`Delivery`]'s status, the request id, and for a failure
/// a JSON body that names the delivery outcome (not the error).
pub fn push_response(
    function: &str,
    request_id: &str,
    result: &Result<Output, Error>,
) -> HttpResponse {
    let delivery = Delivery::of(result, &[]);
    let answer = delivery.push_answer(Provider::Gcp);
    let status = answer.status;
    if let Err(error) = result {
        tracing::error!(function, request_id, ?delivery, error = %chain_message(error), "event failed");
    }
    match &delivery {
        Delivery::Ack => {
            let mut ack = HttpResponse::new(status);
            if let Ok(id) = HeaderValue::from_str(request_id) {
                ack.headers_mut().insert(REQUEST_ID_HEADER, id);
            }
            ack
        }
        Delivery::Throttled(_) => {
            let mut response = error_response(status, "too many requests", Some(request_id));
            if let Some(seconds) = answer.retry_after {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
        Delivery::Reject => error_response(
            status,
            "the event failed and a retry cannot help",
            Some(request_id),
        ),
        _ => error_response(
            status,
            "the event failed; deliver it again",
            Some(request_id),
        ),
    }
}

/// The response to a request that is not a readable event: 400 with the reason, or 415 for a
/// CloudEvents batch.
pub fn unreadable(error: &EventError, request_id: &str) -> HttpResponse {
    let status = match error {
        EventError::BatchMode => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        _ => StatusCode::BAD_REQUEST,
    };
    tracing::warn!(request_id, error = %chain_message(error), "unreadable event");
    error_response(status, &chain_message(error), Some(request_id))
}

/// The 404 for paths that never reach the function.
pub fn not_invoked(request_id: &str) -> HttpResponse {
    error_response(StatusCode::NOT_FOUND, "not found", Some(request_id))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_throttled_event_is_429_with_retry_after_in_whole_seconds() {
        let throttled = Err(Error::Throttled {
            reason: "max instances".into(),
            retry_after: Some(Duration::from_millis(1500)),
        });
        let response = push_response("f", "r1", &throttled);
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[RETRY_AFTER], "2");
        assert_eq!(response.headers()[REQUEST_ID_HEADER], "r1");
    }

    #[test]
    fn an_acknowledged_event_is_204_without_a_body_even_when_the_handler_returned_json() {
        let response = push_response("f", "r2", &Ok(Output::Json(serde_json::json!({"a": 1}))));
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert!(response.body().is_empty());
        assert_eq!(response.headers()[REQUEST_ID_HEADER], "r2");
    }
}
