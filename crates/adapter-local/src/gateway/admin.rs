//! The gateway's own endpoints under [`ADMIN_PREFIX`]: health, and metrics in the Prometheus
//! text exposition format (version 0.0.4).
//!
//! - `GET /_faasport/health`: 200 `{"status":"ok"}`, or 503 `{"status":"draining"}` during
//!   shutdown (so a load balancer stops sending).
//! - `GET /_faasport/metrics`: counters of HTTP responses by status, invocations by function and
//!   outcome with their summed duration, asynchronous deliveries, dead letters and queue depths.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::body::Body as AxumBody;
use axum::response::Response;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};

use super::GatewayState;

/// The reserved path prefix; no function route may start with it.
pub const ADMIN_PREFIX: &str = "/_faasport/";

pub(crate) fn handle(state: &GatewayState, path: &str) -> Option<Response> {
    match path.strip_prefix(ADMIN_PREFIX)? {
        "health" => Some(health(state)),
        "metrics" => Some(metrics(state)),
        _ => None,
    }
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
    let mut invocations: BTreeMap<(String, String), (u64, f64)> = BTreeMap::new();
    for r in state.sources.runtime().records() {
        let outcome = serde_json::to_value(r.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let entry = invocations
            .entry((r.function.clone(), outcome))
            .or_default();
        entry.0 += 1;
        entry.1 += r.duration.as_secs_f64();
    }
    header(
        &mut out,
        "faasport_invocations_total",
        "counter",
        "Invocations by function and outcome.",
    );
    for ((function, outcome), (count, _)) in &invocations {
        let _ = writeln!(
            out,
            "faasport_invocations_total{{function=\"{}\",outcome=\"{outcome}\"}} {count}",
            escape(function)
        );
    }
    header(
        &mut out,
        "faasport_invocation_duration_seconds_total",
        "counter",
        "Handler time by function and outcome.",
    );
    for ((function, outcome), (_, seconds)) in &invocations {
        let _ = writeln!(out, "faasport_invocation_duration_seconds_total{{function=\"{}\",outcome=\"{outcome}\"}} {seconds}", escape(function));
    }
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

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
