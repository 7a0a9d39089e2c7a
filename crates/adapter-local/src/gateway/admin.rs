//! The gateway's own endpoints under [`ADMIN_PREFIX`]: health, and metrics in the Prometheus
//! text exposition format (version 0.0.4).
//!
//! - `GET /_faasport/`: the live dashboard, a web page kept up to date over server-sent events
//!   (`gateway/dashboard/` documents its endpoints, under `/_faasport/dashboard/`).
//! - `GET /_faasport/health`: 200 `{"status":"ok"}`, or 503 `{"status":"draining"}` during
//!   shutdown (so a load balancer stops sending).
//! - `GET /_faasport/metrics`: counters of HTTP responses by status, invocations by function and
//!   outcome with their summed duration, cold starts, a handler-duration histogram
//!   (`_bucket`/`_sum`/`_count`, the Prometheus default buckets) and instance gauges (live,
//!   starting, busy, idle) per function, asynchronous deliveries, dead letters and queue depths.
//!   The function series come from the runtime's running counters
//!   ([`LocalRuntime::metrics`](crate::LocalRuntime::metrics)), so a scrape costs O(functions).
//! - `GET /_faasport/dead-letters`: every dead letter as JSON; `GET /_faasport/dead-letters/{id}`
//!   one of them; `POST /_faasport/dead-letters/{id}/redrive` delivers it again;
//!   `DELETE /_faasport/dead-letters` purges them all (`{"purged": N}`). Listing and purging take
//!   one filter, `?function=NAME` or `?queue=NAME`, to keep to the dead letters of one function
//!   or one queue; any other query, or both at once, is a 400, so a typo never purges everything.
//!   This is how the app binary and people reach the dead letters of a running `serve`.
//! - `GET /_faasport/buckets/{bucket}`: the bucket's objects (`key`, `size`, `etag`), sorted by
//!   key; `?prefix=P` keeps the keys that start with `P`.
//! - `GET /_faasport/buckets/{bucket}/objects/{key}`: one object's bytes (the key
//!   percent-decoded, `/` allowed), as a download (`content-disposition: attachment`,
//!   `content-security-policy: sandbox`, `x-content-type-options: nosniff`, so an object
//!   holding HTML never runs as a page of the admin origin); 404 for a missing object.
//! - `GET /_faasport/queues/{queue}`: the messages the queue holds now, visible ones first
//!   ([`LocalCloud::queue_messages`](crate::LocalCloud::queue_messages)).
//! - `GET /_faasport/topics/{topic}`: the most recent messages published to the topic, oldest
//!   first ([`LocalCloud::published`](crate::LocalCloud::published); bounded per topic).
//!
//!   An undeclared bucket, queue or topic is a 404 naming it.
//!
//! Every admin request first passes the access checks of `access.rs`: a `Host` and `Origin`
//! naming the bound address or `localhost` (403 otherwise), the admin token when one is set
//! (401), and, for `POST` and `DELETE`, `content-type: application/json` or the
//! [`ADMIN_HEADER`] header (403 otherwise), so that no web page can reach them.

use std::fmt::Write as _;

use axum::body::Body as AxumBody;
use axum::response::Response;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method, StatusCode};

use faasport_core::event::percent_decode;
use faasport_core::ResourceKind;

use super::GatewayState;
use crate::dead_letters::DeadLetterSource;
use crate::meter::{FunctionMetrics, DURATION_BUCKETS};

/// The reserved path prefix; no function route may start with it.
pub const ADMIN_PREFIX: &str = "/_faasport/";

/// The header that marks an admin request as not a CORS simple request; a `POST` or `DELETE`
/// needs it (any value) or `content-type: application/json`.
pub const ADMIN_HEADER: &str = "x-faasport-admin";

pub(crate) async fn handle(
    state: &GatewayState,
    method: &Method,
    path: &str,
    query: Option<&str>,
) -> Option<Response> {
    let rest = path.strip_prefix(ADMIN_PREFIX)?;
    let segments: Vec<&str> = rest.split('/').collect();
    Some(match (method, segments.as_slice()) {
        (&Method::GET, ["health"]) => health(state),
        (&Method::GET, ["metrics"]) => metrics(state),
        (&Method::GET, ["dead-letters"]) => match dead_letter_filter(query) {
            Ok(source) => json(&state.sources.dead_letters().list(source.as_ref())),
            Err(message) => super::respond::error(StatusCode::BAD_REQUEST, &message, None),
        },
        (&Method::DELETE, ["dead-letters"]) => match dead_letter_filter(query) {
            Ok(source) => json(&serde_json::json!({
                "purged": state.sources.dead_letters().purge(source.as_ref())
            })),
            Err(message) => super::respond::error(StatusCode::BAD_REQUEST, &message, None),
        },
        (&Method::GET, ["dead-letters", id]) => match state.sources.dead_letters().get(id) {
            Some(entry) => json(&entry),
            None => not_found(id),
        },
        (&Method::POST, ["dead-letters", id, "redrive"]) => match state.sources.redrive(id) {
            Ok(entry) => json(&entry),
            Err(faasport_core::Error::ShuttingDown) => {
                super::respond::error(StatusCode::SERVICE_UNAVAILABLE, "shutting down", None)
            }
            Err(_) => not_found(id),
        },
        (&Method::GET, ["buckets", bucket]) => objects(state, bucket, query).await,
        (&Method::GET, ["buckets", bucket, "objects", key @ ..])
            if key.iter().any(|k| !k.is_empty()) =>
        {
            download(state, bucket, &percent_decode(&key.join("/"), false)).await
        }
        (&Method::GET, ["queues", queue]) => match state.sources.queue_messages(queue) {
            Some(messages) => json(&messages),
            None => undeclared(ResourceKind::Queue, queue),
        },
        (&Method::GET, ["topics", topic]) => {
            if state.sources.app().topics().iter().any(|t| t == topic) {
                json(&state.sources.published(topic))
            } else {
                undeclared(ResourceKind::Topic, topic)
            }
        }
        _ => super::respond::error(StatusCode::NOT_FOUND, "no such admin endpoint", None),
    })
}

async fn objects(state: &GatewayState, bucket: &str, query: Option<&str>) -> Response {
    let mut prefix = String::new();
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        match pair.split_once('=') {
            Some(("prefix", value)) => prefix = percent_decode(value, true),
            _ => {
                let message = format!("unknown parameter `{pair}`: use `prefix=P`");
                return super::respond::error(StatusCode::BAD_REQUEST, &message, None);
            }
        }
    }
    match state.sources.list_objects(bucket, &prefix).await {
        Ok(objects) => json(&objects),
        Err(faasport_core::Error::Undeclared { .. }) => undeclared(ResourceKind::Bucket, bucket),
        Err(e) => {
            tracing::error!(bucket, error = %faasport_core::chain_message(&e), "cannot list a bucket");
            super::respond::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot list the bucket",
                None,
            )
        }
    }
}

async fn download(state: &GatewayState, bucket: &str, key: &str) -> Response {
    match state.sources.get_object(bucket, key).await {
        Ok(Some(object)) => {
            let mut response = Response::new(AxumBody::from(object.body.into_bytes()));
            let headers = response.headers_mut();
            let media = object
                .content_type
                .and_then(|t| HeaderValue::from_str(&t).ok())
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            headers.insert(CONTENT_TYPE, media);
            let name: String = key
                .rsplit('/')
                .next()
                .unwrap_or(key)
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "._-".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                headers.insert(http::header::CONTENT_DISPOSITION, value);
            }
            headers.insert(
                http::header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox"),
            );
            headers.insert(
                http::header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            response
        }
        Ok(None) => super::respond::error(
            StatusCode::NOT_FOUND,
            &format!("no object `{key}` in bucket `{bucket}`"),
            None,
        ),
        Err(faasport_core::Error::Undeclared { .. }) => undeclared(ResourceKind::Bucket, bucket),
        Err(e) => {
            tracing::error!(bucket, key, error = %faasport_core::chain_message(&e), "cannot read an object");
            super::respond::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot read the object",
                None,
            )
        }
    }
}

fn undeclared(kind: ResourceKind, name: &str) -> Response {
    let message = format!("{kind} `{name}` is not declared by the app");
    super::respond::error(StatusCode::NOT_FOUND, &message, None)
}

/// The source named by `?function=NAME` or `?queue=NAME`; no query means every source.
/// The error is the 400's message.
fn dead_letter_filter(query: Option<&str>) -> Result<Option<DeadLetterSource>, String> {
    let mut found = None;
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value, true);
        if value.is_empty() {
            return Err(format!("`{key}` needs a name"));
        }
        let source = match percent_decode(key, true).as_str() {
            "function" => DeadLetterSource::Function(value),
            "queue" => DeadLetterSource::Queue(value),
            other => {
                return Err(format!(
                    "unknown filter `{other}`: use `function=NAME` or `queue=NAME`"
                ))
            }
        };
        if found.replace(source).is_some() {
            return Err("give one filter: `function=NAME` or `queue=NAME`".to_owned());
        }
    }
    Ok(found)
}

fn json<T: serde::Serialize>(value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(text) => {
            let mut response = Response::new(AxumBody::from(text));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(_) => super::respond::error(StatusCode::INTERNAL_SERVER_ERROR, "cannot encode", None),
    }
}

fn not_found(id: &str) -> Response {
    super::respond::error(
        StatusCode::NOT_FOUND,
        &format!("no dead letter `{id}`"),
        None,
    )
}

fn health(state: &GatewayState) -> Response {
    if state.sources.is_closing() {
        super::respond::status_json(StatusCode::SERVICE_UNAVAILABLE, r#"{"status":"draining"}"#)
    } else {
        super::respond::status_json(StatusCode::OK, r#"{"status":"ok"}"#)
    }
}

fn metrics(state: &GatewayState) -> Response {
    let mut out = String::new();
    header(
        &mut out,
        "faasport_http_responses_total",
        "counter",
        "HTTP responses sent by the gateway, by status.",
    );
    for (status, count) in state.statuses() {
        let _ = writeln!(
            out,
            "faasport_http_responses_total{{status=\"{status}\"}} {count}"
        );
    }
    function_metrics(&mut out, &state.sources.runtime().metrics());
    let d = state.sources.deliveries();
    header(
        &mut out,
        "faasport_async_deliveries_total",
        "counter",
        "Asynchronous deliveries by state.",
    );
    for (label, value) in [
        ("processed", d.processed),
        ("dead_lettered", d.dead_lettered),
        ("duplicate", d.duplicates),
    ] {
        let _ = writeln!(
            out,
            "faasport_async_deliveries_total{{state=\"{label}\"}} {value}"
        );
    }
    header(
        &mut out,
        "faasport_async_deliveries_pending",
        "gauge",
        "Asynchronous deliveries not finished.",
    );
    let _ = writeln!(out, "faasport_async_deliveries_pending {}", d.pending);
    header(
        &mut out,
        "faasport_dead_letters",
        "gauge",
        "Entries in the dead-letter store.",
    );
    let _ = writeln!(
        out,
        "faasport_dead_letters {}",
        state.sources.dead_letters().len()
    );
    header(
        &mut out,
        "faasport_queue_messages",
        "gauge",
        "Messages in each queue, visible or in flight.",
    );
    for spec in state.sources.app().queues() {
        if let Some(s) = state.sources.queue_stats(&spec.name) {
            let q = escape(&spec.name);
            let _ = writeln!(
                out,
                "faasport_queue_messages{{queue=\"{q}\",state=\"visible\"}} {}",
                s.visible
            );
            let _ = writeln!(
                out,
                "faasport_queue_messages{{queue=\"{q}\",state=\"in_flight\"}} {}",
                s.in_flight
            );
        }
    }
    let mut response = Response::new(AxumBody::from(out));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Invocation counters, handler-duration histograms and instance gauges per function, from the
/// runtime's running counters: O(functions) per scrape, whatever the number of invocations.
fn function_metrics(out: &mut String, metrics: &[FunctionMetrics]) {
    let labelled: Vec<(String, &FunctionMetrics)> = metrics
        .iter()
        .map(|m| (format!("function=\"{}\"", escape(&m.function)), m))
        .collect();
    header(
        out,
        "faasport_invocations_total",
        "counter",
        "Invocations by function and outcome.",
    );
    for (function, m) in &labelled {
        for (outcome, count) in &m.invocations {
            let outcome = outcome.as_str();
            let _ = writeln!(
                out,
                "faasport_invocations_total{{{function},outcome=\"{outcome}\"}} {count}"
            );
        }
    }
    header(
        out,
        "faasport_invocation_duration_seconds_total",
        "counter",
        "Handler time by function and outcome.",
    );
    for (function, m) in &labelled {
        for (outcome, seconds) in &m.handler_seconds {
            let outcome = outcome.as_str();
            let _ = writeln!(
                out,
                "faasport_invocation_duration_seconds_total{{{function},outcome=\"{outcome}\"}} {seconds}"
            );
        }
    }
    header(
        out,
        "faasport_cold_starts_total",
        "counter",
        "Invocations that started an instance, by function.",
    );
    for (function, m) in &labelled {
        let _ = writeln!(
            out,
            "faasport_cold_starts_total{{{function}}} {}",
            m.cold_starts
        );
    }
    header(
        out,
        "faasport_invocation_duration_seconds",
        "histogram",
        "Handler duration of the invocations that ran, by function.",
    );
    for (function, m) in &labelled {
        let h = &m.duration;
        let bounds = DURATION_BUCKETS.iter().map(f64::to_string);
        for (le, count) in bounds.chain(["+Inf".to_owned()]).zip(&h.cumulative) {
            let _ = writeln!(
                out,
                "faasport_invocation_duration_seconds_bucket{{{function},le=\"{le}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "faasport_invocation_duration_seconds_sum{{{function}}} {}",
            h.sum_seconds
        );
        let _ = writeln!(
            out,
            "faasport_invocation_duration_seconds_count{{{function}}} {}",
            h.count
        );
    }
    header(
        out,
        "faasport_instances",
        "gauge",
        "Instances by function and state (starting, busy, idle; live is their sum).",
    );
    for (function, m) in &labelled {
        let i = &m.instances;
        for (state, value) in [
            ("live", i.live),
            ("starting", i.starting),
            ("busy", i.busy),
            ("idle", i.idle),
        ] {
            let _ = writeln!(
                out,
                "faasport_instances{{{function},state=\"{state}\"}} {value}"
            );
        }
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
