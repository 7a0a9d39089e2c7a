//! Core's HTTP contract ([`faasport_core::contract::http_response`]) as axum responses.
//!
//! The status per result, the error bodies and the request id header are decided in core, so
//! a client sees the same answer from the gateway as from API Gateway, Cloud Run or Azure.

use axum::body::Body as AxumBody;
use axum::response::Response;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};

use faasport_core::contract;
use faasport_core::{Error, HttpResponse, Output};

pub use faasport_core::contract::REQUEST_ID_HEADER;

/// A JSON error response: `{"error": message, "request_id": ...}`.
pub(crate) fn error(status: StatusCode, message: &str, request_id: Option<&str>) -> Response {
    to_axum(contract::error_response(status, message, request_id))
}

/// The response for one invocation's result, with the request id in [`REQUEST_ID_HEADER`].
pub(crate) fn respond(function: &str, request_id: &str, result: Result<Output, Error>) -> Response {
    to_axum(contract::http_response(function, request_id, result))
}

fn to_axum(response: HttpResponse) -> Response {
    response
        .into_http()
        .map(|body| AxumBody::from(body.into_bytes()))
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
