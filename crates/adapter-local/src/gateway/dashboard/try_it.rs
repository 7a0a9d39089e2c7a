//! "Try it": a test event fired at one function from the page, answered with the invocation's
//! result and its log lines.
//!
//! `POST /_faasport/dashboard/try` takes a [`TestEvent`] as JSON:
//!
//! | `kind` | the event | fields (each defaults to the function's own trigger) |
//! |---|---|---|
//! | `http` | an HTTP request, routed like the gateway routes it (path parameters included) | `method`, `path`, `body` |
//! | `topic` | one topic message | `name` (the topic), `body` |
//! | `queue` | a batch of one queue message | `name` (the queue), `body` |
//! | `schedule` | one tick, now | `name` (the schedule expression) |
//! | `bucket` | an object-created event (the object itself is not written) | `name` (the bucket), `key`, `body` (its size is the event's) |
//! | `json` | `body` parsed as JSON, as `invoke --data` does ([`Event::from_json`]) | `body` |
//!
//! The function runs through the runtime as any invocation does (it is counted, metered and
//! scaled). The answer has the outcome, cold start, durations, the output (for `http`, the
//! response the gateway would send, by core's contract), the error's message (the dashboard is
//! the developer's own tool, so it shows what a 500 hides from callers) and the log lines of
//! the invocation (`capture.rs`).
//!
//! An unknown function is a 404; a path that routes to another function, a bad method, a body
//! that is not JSON for `json`, or a trigger name the function cannot default is a 400.

use chrono::Utc;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use tracing::instrument::WithSubscriber as _;

use faasport_core::contract::{RouteMatch, RouteTable};
use faasport_core::{
    Body, Event, HttpRequest, QueueBatch, QueueMessage, ScheduleTick, StorageEvent,
    StorageEventKind, TopicMessage, Trigger,
};

use super::capture::{Captured, LogCapture};
use super::readings::preview;
use crate::{InvocationSource, InvokeOptions, LocalCloud};

/// The kinds of test event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TestKind {
    Http,
    Topic,
    Queue,
    Schedule,
    Bucket,
    Json,
}

/// A test event, as the form sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TestEvent {
    function: String,
    kind: TestKind,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    body: String,
}

/// Why a test event was not fired: the status and message of the answer.
#[derive(Debug)]
pub(crate) struct Refused {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Refused {
    Refused {
        status,
        message: message.into(),
    }
}

/// The answer.
#[derive(Debug, Serialize)]
pub(crate) struct TryResult {
    function: String,
    request_id: String,
    outcome: &'static str,
    cold: bool,
    duration_ms: f64,
    init_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    http: Option<HttpAnswer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    logs: Captured,
}

/// The response the gateway would have sent.
#[derive(Debug, Serialize)]
struct HttpAnswer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// Builds the event, runs it and captures its log lines.
pub(crate) async fn fire(
    sources: &LocalCloud,
    routes: &RouteTable,
    test: TestEvent,
) -> Result<TryResult, Refused> {
    if sources.is_closing() {
        return Err(refuse(StatusCode::SERVICE_UNAVAILABLE, "shutting down"));
    }
    let function = sources
        .app()
        .functions()
        .iter()
        .find(|f| f.name() == test.function)
        .ok_or_else(|| {
            refuse(
                StatusCode::NOT_FOUND,
                format!("no function `{}`", test.function),
            )
        })?;
    let triggers = function.triggers();
    let (event, source) = build(&test, triggers, routes)?;
    let (capture, captured) = LogCapture::new();
    let invocation = sources
        .runtime()
        .invoke_with(
            &test.function,
            event,
            InvokeOptions::default().source(source),
        )
        .with_subscriber(capture)
        .await;
    // The capture made every callsite ask each time while it lived; let them cache again.
    tracing::callsite::rebuild_interest_cache();
    let invocation =
        invocation.map_err(|e| refuse(StatusCode::NOT_FOUND, faasport_core::chain_message(&e)))?;
    let record = invocation.record;
    let error = invocation
        .result
        .as_ref()
        .err()
        .map(|e| faasport_core::chain_message(e));
    let (http, output) = if test.kind == TestKind::Http {
        let response = faasport_core::contract::http_response(
            &test.function,
            &record.request_id,
            invocation.result,
        )
        .into_http();
        let answer = HttpAnswer {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: preview(response.body().as_bytes()),
        };
        (Some(answer), None)
    } else {
        (None, invocation.result.ok().map(|o| o.to_json()))
    };
    let logs = captured
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    Ok(TryResult {
        function: test.function,
        request_id: record.request_id.to_string(),
        outcome: record.outcome.as_str(),
        cold: record.cold,
        duration_ms: record.duration.as_secs_f64() * 1e3,
        init_ms: record.init.as_secs_f64() * 1e3,
        http,
        output,
        error,
        logs,
    })
}

/// The event for `test`, and the source it comes from.
fn build(
    test: &TestEvent,
    triggers: &[Trigger],
    routes: &RouteTable,
) -> Result<(Event, InvocationSource), Refused> {
    let id = format!("try-{}", Utc::now().timestamp_micros());
    let body = Body::from(test.body.clone());
    let named = |kind: &str, default: Option<String>| {
        test.name
            .clone()
            .filter(|n| !n.is_empty())
            .or(default)
            .ok_or_else(|| {
                refuse(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "`{}` has no {kind} trigger: give the {kind}'s `name`",
                        test.function
                    ),
                )
            })
    };
    let event = match test.kind {
        TestKind::Http => return http_event(test, triggers, routes),
        TestKind::Topic => {
            let default = triggers.iter().find_map(|t| match t {
                Trigger::Topic { topic } => Some(topic.clone()),
                _ => None,
            });
            let topic = named("topic", default)?;
            Event::Topic(TopicMessage::new(topic, id, body).with_published_at(Utc::now()))
        }
        TestKind::Queue => {
            let default = triggers.iter().find_map(|t| match t {
                Trigger::Queue { queue, .. } => Some(queue.clone()),
                _ => None,
            });
            let queue = named("queue", default)?;
            let message = QueueMessage::new(id, body).with_sent_at(Utc::now());
            Event::Queue(QueueBatch::new(queue, vec![message]))
        }
        TestKind::Schedule => {
            let default = triggers.iter().find_map(|t| match t {
                Trigger::Schedule { expression } => Some(expression.clone()),
                _ => None,
            });
            let schedule = named("schedule", default)?;
            Event::Schedule(ScheduleTick::new(schedule, Utc::now()))
        }
        TestKind::Bucket => {
            let default = triggers.iter().find_map(|t| match t {
                Trigger::Storage { bucket, .. } => Some(bucket.clone()),
                _ => None,
            });
            let bucket = named("bucket", default)?;
            let key =
                test.key.clone().filter(|k| !k.is_empty()).ok_or_else(|| {
                    refuse(StatusCode::BAD_REQUEST, "a bucket event needs a `key`")
                })?;
            Event::Storage(
                StorageEvent::new(bucket, key, StorageEventKind::Created)
                    .with_size(body.len() as u64)
                    .with_time(Utc::now()),
            )
        }
        TestKind::Json => {
            let value: serde_json::Value = if test.body.trim().is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::from_str(&test.body).map_err(|e| {
                    refuse(
                        StatusCode::BAD_REQUEST,
                        format!("the body is not JSON: {e}"),
                    )
                })?
            };
            return Ok((Event::from_json(value), InvocationSource::Direct));
        }
    };
    Ok((event, InvocationSource::Event))
}

fn http_event(
    test: &TestEvent,
    triggers: &[Trigger],
    routes: &RouteTable,
) -> Result<(Event, InvocationSource), Refused> {
    let route = triggers.iter().find_map(|t| match t {
        Trigger::Http { method, path } => Some((method.clone(), path.clone())),
        _ => None,
    });
    let method = match test.method.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => http::Method::from_bytes(m.to_ascii_uppercase().as_bytes())
            .map_err(|_| refuse(StatusCode::BAD_REQUEST, format!("bad method `{m}`")))?,
        None => route
            .as_ref()
            .and_then(|(m, _)| m.clone())
            .unwrap_or(http::Method::POST),
    };
    let path = test
        .path
        .clone()
        .filter(|p| !p.is_empty())
        .or_else(|| route.as_ref().map(|(_, p)| p.clone()))
        .unwrap_or_else(|| "/".to_owned());
    if !path.starts_with('/') {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            format!("the path `{path}` must start with `/`"),
        ));
    }
    let params = if route.is_some() {
        match routes.find(&method, path.split('?').next().unwrap_or("/")) {
            RouteMatch::Found { function, params } if function == test.function => params,
            RouteMatch::Found { function, .. } => {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "{method} {path} routes to `{function}`, not `{}`",
                        test.function
                    ),
                ))
            }
            _ => {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    format!("{method} {path} routes to no function"),
                ))
            }
        }
    } else {
        Default::default()
    };
    let json = serde_json::from_str::<serde_json::Value>(&test.body).is_ok();
    let request = http::Request::builder()
        .method(method)
        .uri(&path)
        .header(
            http::header::CONTENT_TYPE,
            if json {
                "application/json"
            } else {
                "text/plain; charset=utf-8"
            },
        )
        .body(Body::from(test.body.clone()))
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, format!("bad request: {e}")))?;
    let request = HttpRequest::from_http(request).with_path_params(params);
    Ok((Event::Http(request), InvocationSource::Http))
}
