//! Outputs back to the host: `{"Outputs", "Logs", "ReturnValue"}` with a status, or the raw
//! HTTP response in proxying mode.
//!
//! | invocation | result | status to the host | document |
//! |---|---|---|---|
//! | HTTP (JSON mode) or invoke endpoint | any: core's [`http_response`](faasport_core::contract::http_response) | 200 | `Outputs.res = {statusCode, headers, body}` |
//! | HTTP (proxying mode) | any: core's `http_response` | the response's own | the response itself |
//! | any other trigger | acknowledged ([`Delivery::Ack`]) | 200 | `ReturnValue` = the output's JSON (`null` for `()`) |
//! | any other trigger | failed: core's [`Delivery::push_answer`] for Azure | 500 (retry, partial batch), 429 (throttled), 422 (no retry can help) | `Logs` = the error |
//!
//! A non-2xx answer fails the invocation, so the host applies the trigger's retry semantics:
//! a Storage queue message becomes visible again and goes to `<queue>-poison` after
//! `maxDequeueCount`, a Service Bus message is abandoned and dead-lettered after its entity's
//! max delivery count, a blob goes to `webjobs-blobtrigger-poison` after 5 attempts, and
//! Timer, Event Hubs and Cosmos DB triggers retry per the function's `retry` policy
//! (`wire-protocols.md` §3.8). Success is 200 with the output, not Google Cloud's 204, because
//! the host parses the body of every 2xx answer as the invocation result (the rule is core's). Event Hubs and Cosmos DB batches have
//! no partial failure on Azure: a batch with failed items fails whole.
//!
//! In JSON mode the host's `HttpOutputBindingResponse` has one string per header and a text
//! body: repeated headers (two `set-cookie`) are joined with `, `, and a body that is not
//! UTF-8 is sent as base64 text. Proxying mode (`enableProxyingHttpRequest`, which the
//! generated `host.json` turns on) has neither limit.

use axum::body::Body as AxumBody;
use faasport_core::contract::Delivery;
use faasport_core::{chain_message, Error, HttpResponse, Output, Provider};
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::names::HTTP_OUTPUT_BINDING;

/// The document the handler answers an invocation request with.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InvocationResponse {
    /// Output binding values by binding name.
    pub outputs: Map<String, Value>,
    /// Lines for the invocation log.
    pub logs: Vec<String>,
    /// The `$return` binding's value.
    pub return_value: Value,
}

/// A status and a document for the host.
#[derive(Debug, Clone, PartialEq)]
pub struct HostAnswer {
    /// The HTTP status of the answer (non-2xx fails the invocation).
    pub status: StatusCode,
    /// The body.
    pub document: InvocationResponse,
}

impl HostAnswer {
    /// The answer as an HTTP response.
    pub fn into_response(self) -> http::Response<AxumBody> {
        let body = serde_json::to_vec(&self.document).unwrap_or_default();
        json_response(self.status, body)
    }
}

/// The answer for an HTTP invocation in JSON mode: 200, the response in `Outputs.res`.
pub fn http_answer(response: &HttpResponse) -> HostAnswer {
    let mut outputs = Map::new();
    outputs.insert(HTTP_OUTPUT_BINDING.into(), http_output(response));
    HostAnswer {
        status: StatusCode::OK,
        document: InvocationResponse {
            outputs,
            ..InvocationResponse::default()
        },
    }
}

/// `{"statusCode": "201", "headers": {..}, "body": ".."}` as the host's
/// `HttpOutputBindingResponse` reads it.
pub fn http_output(response: &HttpResponse) -> Value {
    let mut headers = Map::new();
    for name in response.headers().keys() {
        let joined = response
            .headers()
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(", ");
        headers.insert(name.as_str().to_owned(), Value::from(joined));
    }
    let body = match response.body().as_str() {
        Some(text) => text.to_owned(),
        None => response.body().to_base64(),
    };
    serde_json::json!({
        "statusCode": response.status().as_u16().to_string(),
        "headers": headers,
        "body": body,
    })
}

/// The answer for an event invocation: 200 with the output as `ReturnValue` when delivered,
/// else the status of [`Delivery::push_answer`] with the error in `Logs`.
pub fn delivery_answer(result: &Result<Output, Error>, items: &[String]) -> HostAnswer {
    let (mut answer, returns_output) = answer_without_output(result, items);
    if let (true, Ok(output)) = (returns_output, result) {
        answer.document.return_value = output.to_json();
    }
    answer
}

/// [`delivery_answer`] taking the result by value, so a JSON output is moved into
/// `ReturnValue` instead of copied ([`Output::into_json`]): the same status and document.
pub(crate) fn delivery_answer_owned(result: Result<Output, Error>, items: &[String]) -> HostAnswer {
    let (mut answer, returns_output) = answer_without_output(&result, items);
    if let (true, Ok(output)) = (returns_output, result) {
        answer.document.return_value = output.into_json();
    }
    answer
}

/// The answer for `result` with `ReturnValue` left null, and whether it should carry the
/// output (a delivered invocation whose output the host returns).
fn answer_without_output(result: &Result<Output, Error>, items: &[String]) -> (HostAnswer, bool) {
    let delivery = Delivery::of(result, items);
    let answer = delivery.push_answer(Provider::Azure);
    let status = answer.status;
    if status.is_success() {
        let host = HostAnswer {
            status,
            document: InvocationResponse::default(),
        };
        return (host, answer.returns_output && result.is_ok());
    }
    let log = match (result, &delivery) {
        (Err(error), _) => chain_message(error),
        (Ok(_), Delivery::RetryItems(failed)) => format!("failed items: {}", failed.join(", ")),
        (Ok(_), _) => "the batch outcome names items that are not in the batch".to_owned(),
    };
    let host = HostAnswer {
        status,
        document: InvocationResponse {
            logs: vec![log],
            ..InvocationResponse::default()
        },
    };
    (host, false)
}

/// The raw HTTP response for proxying mode.
pub fn proxied(response: HttpResponse) -> http::Response<AxumBody> {
    let (parts, body) = response.into_http().into_parts();
    http::Response::from_parts(parts, AxumBody::from(body.into_bytes()))
}

/// A JSON answer `{"error": message}` for requests that never reach a function: not JSON, not
/// an invocation, no such Azure function.
pub fn protocol_error(status: StatusCode, message: &str) -> http::Response<AxumBody> {
    let body = serde_json::to_vec(&serde_json::json!({ "error": message })).unwrap_or_default();
    json_response(status, body)
}

/// The answer to the host's readiness poll (`GET /`): 200, `ready`.
pub fn ready() -> http::Response<AxumBody> {
    http::Response::new(AxumBody::from("ready"))
}

fn json_response(status: StatusCode, body: Vec<u8>) -> http::Response<AxumBody> {
    let mut response = http::Response::new(AxumBody::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use faasport_core::BatchOutcome;
    use serde_json::json;

    use super::*;

    #[test]
    fn a_retryable_failure_is_a_500_with_the_error_logged() {
        let answer = delivery_answer(&Err(Error::transient("db down")), &[]);
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(answer.document.logs, ["TransientError: db down"]);
        assert_eq!(
            serde_json::to_value(&answer.document).ok(),
            Some(json!({"Outputs": {}, "Logs": ["TransientError: db down"], "ReturnValue": null}))
        );
    }

    #[test]
    fn a_permanent_failure_is_422_and_a_throttle_429() {
        let rejected = delivery_answer(&Err(Error::permanent("bad")), &[]);
        assert_eq!(rejected.status, StatusCode::UNPROCESSABLE_ENTITY);
        let throttled = Error::Throttled {
            reason: "max".into(),
            retry_after: None,
        };
        assert_eq!(
            delivery_answer(&Err(throttled), &[]).status,
            StatusCode::TOO_MANY_REQUESTS
        );
    }

    #[test]
    fn a_failed_item_of_a_single_message_fails_the_invocation() {
        let items = ["m1".to_owned()];
        let answer = delivery_answer(&Ok(Output::Batch(BatchOutcome::failed(["m1"]))), &items);
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(answer.document.logs, ["failed items: m1"]);
        let ok = delivery_answer(&Ok(Output::Batch(BatchOutcome::success())), &items);
        assert_eq!(ok.status, StatusCode::OK);
    }

    #[test]
    fn a_json_output_is_the_return_value() {
        let answer = delivery_answer(&Ok(Output::Json(json!({"qty": 4}))), &[]);
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.document.return_value, json!({"qty": 4}));
    }

    #[test]
    fn the_owned_answer_is_the_borrowed_one() {
        let items = ["m1".to_owned()];
        let results = [
            Ok(Output::Json(json!({"qty": 4}))),
            Ok(Output::Json(Value::Null)),
            Ok(Output::Empty),
            Ok(Output::Batch(BatchOutcome::failed(["m1"]))),
            Ok(Output::Batch(BatchOutcome::success())),
            Err(Error::transient("db down")),
            Err(Error::permanent("bad")),
        ];
        for result in results {
            let borrowed = delivery_answer(&result, &items);
            assert_eq!(delivery_answer_owned(result, &items), borrowed);
        }
    }

    #[test]
    fn repeated_headers_are_joined_and_binary_bodies_are_base64_in_json_mode() {
        let response = HttpResponse::new(StatusCode::CREATED)
            .with_body(vec![0u8, 255])
            .with_header("set-cookie", "a=1")
            .and_then(|r| r.with_header("set-cookie", "b=2"))
            .unwrap_or_else(|_| HttpResponse::ok());
        assert_eq!(
            http_output(&response),
            json!({"statusCode": "201", "headers": {"set-cookie": "a=1, b=2"}, "body": "AP8="})
        );
    }
}
