//! The gcp adapter against the reference: Google's `functions-framework` (Python, with the
//! `cloudevents` SDK) and the echo example under the gcp adapter get the same requests (plain
//! HTTP, binary and structured CloudEvents, Pub/Sub push, Storage, Scheduler, legacy events,
//! malformed ones) and must agree on the status class and on the decoded fields.
//!
//! The Python event function logs what the framework decoded (`peer.py`); echo answers events
//! with 204 and no body (core's push rule), so its decoded fields are read through the adapter's
//! own mapping of the same request, the code the echo process runs.
//!
//! The peer comes from `.ci/run` (`FAASPORT_FUNCTIONS_FRAMEWORK`, installed by
//! `.ci/gcp-peers.sh`); without it the tests print why they skipped, and with
//! `FAASPORT_REQUIRE_PEERS=1` they fail instead. Run with `cargo test -p faasport --features gcp`
//! so the examples are built with the gcp backend.
#![cfg(all(feature = "gcp", unix))]

mod harness;

use faasport::core::chrono::{self, DateTime};
use faasport::gcp::event::{from_request, SourceNames};
use faasport::gcp::names::ResourceNames;
use faasport::{Event, StorageEventKind};
use serde_json::{json, Value};

use crate::harness::{fixture, peer, Request, Served};

#[path = "../../examples/echo/app.rs"]
#[allow(dead_code)]
mod echo_app;

fn class(status: u16) -> u16 {
    status / 100
}

/// The neutral event the echo process makes of `request`.
fn decoded_by_faasport(request: &Request) -> Event {
    let app = echo_app::app();
    let function = app.select("echo").expect("echo");
    let names = SourceNames::for_function(function, ResourceNames::default());
    from_request(request.to_http(), &names).expect("maps").event
}

fn same_time(python: &Value, rust: Option<DateTime<chrono::Utc>>) {
    let text = python.as_str().expect("a time string");
    let parsed = DateTime::parse_from_rfc3339(text).expect("RFC 3339");
    assert_eq!(Some(parsed.with_timezone(&chrono::Utc)), rust, "{text}");
}

#[tokio::test]
async fn http_requests_reach_both_with_the_same_method_path_headers_and_body() {
    let Some(ff) = peer("FAASPORT_FUNCTIONS_FRAMEWORK") else {
        return;
    };
    let python = Served::functions_framework(&ff, "http_peer", "http").await;
    let echo = Served::echo().await;
    let requests = [
        Request {
            headers: vec![("x-test".into(), "one two".into())],
            ..Request::get("/hello?x=1&y=two")
        },
        Request::post(
            "/orders/7",
            &[("content-type", "application/json"), ("x-test", "2")],
            br#"{"sku":"a"}"#.to_vec(),
        ),
        Request::post(
            "/",
            &[("x-cloudscheduler", "false"), ("x-test", "3")],
            b"plain".to_vec(),
        ),
    ];
    for request in requests {
        let (py_status, py_body) = python.send(request.clone()).await.expect("python answers");
        let (rs_status, rs_body) = echo.send(request.clone()).await.expect("echo answers");
        assert_eq!((class(py_status), class(rs_status)), (2, 2), "{request:?}");
        let py: Value = serde_json::from_slice(&py_body).expect("python json");
        let rs: Value = serde_json::from_slice(&rs_body).expect("echo json");
        assert_eq!(rs["kind"], "http");
        let event = &rs["event"];
        assert_eq!(event["method"], py["method"], "{request:?}");
        let query = py["query"].as_str().unwrap_or("");
        let uri = if query.is_empty() {
            py["path"].as_str().unwrap_or("").to_owned()
        } else {
            format!("{}?{query}", py["path"].as_str().unwrap_or(""))
        };
        assert_eq!(event["uri"], json!(uri));
        assert_eq!(event["body"], py["body"]);
        let header = event["headers"]
            .as_array()
            .and_then(|h| h.iter().find(|pair| pair[0] == "x-test"))
            .map(|pair| pair[1].clone());
        assert_eq!(header, Some(py["headers"]["x-test"].clone()));
    }
}

/// A Pub/Sub fixture moved to `echo-topic`, which echo subscribes to (on another topic, a
/// message to a function with a schedule is a Cloud Scheduler tick).
fn on_echo_topic(name: &str) -> Vec<u8> {
    String::from_utf8(fixture(name))
        .expect("UTF-8")
        .replace("topics/gcf-test", "topics/echo-topic")
        .into_bytes()
}

/// Binary-mode Pub/Sub headers.
fn pubsub_headers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("ce-specversion", "1.0"),
        ("ce-id", "aaaaaa-1111"),
        (
            "ce-source",
            "//pubsub.googleapis.com/projects/sample-project/topics/echo-topic",
        ),
        ("ce-type", "google.cloud.pubsub.topic.v1.messagePublished"),
        ("ce-time", "2021-02-26T19:13:55.749Z"),
        ("content-type", "application/json"),
    ]
}

fn storage_headers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("ce-specversion", "1.0"),
        ("ce-type", "google.cloud.storage.object.v1.finalized"),
        (
            "ce-source",
            "//storage.googleapis.com/projects/_/buckets/some-bucket",
        ),
        ("ce-subject", "objects/folder/Test.cs"),
        ("ce-id", "aaaaaa-1111-bbbb-2222-cccccccccccc"),
        ("ce-time", "2020-09-29T11:32:00.123Z"),
        ("ce-bucket", "some-bucket"),
        ("content-type", "application/json"),
    ]
}

#[tokio::test]
async fn every_event_shape_decodes_to_the_same_fields_under_both() {
    let Some(ff) = peer("FAASPORT_FUNCTIONS_FRAMEWORK") else {
        return;
    };
    let python = Served::functions_framework(&ff, "event_peer", "cloudevent").await;
    let echo = Served::echo().await;
    let json_ct = [("content-type", "application/json")];
    let structured = [("content-type", "application/cloudevents+json")];
    let requests = [
        (
            "binary Pub/Sub",
            Request::post(
                "/",
                &pubsub_headers(),
                fixture("pubsub-message-published-data.json"),
            ),
        ),
        (
            "structured Pub/Sub",
            Request::post("/", &structured, on_echo_topic("pubsub-structured.json")),
        ),
        (
            "Pub/Sub push",
            Request::post(
                "/projects/myproject/topics/echo-topic",
                &json_ct,
                fixture("pubsub-push.json"),
            ),
        ),
        (
            "legacy Pub/Sub",
            Request::post("/", &json_ct, on_echo_topic("legacy-pubsub.json")),
        ),
        (
            "binary Storage",
            Request::post("/", &storage_headers(), fixture("storage-object-data.json")),
        ),
        (
            "legacy Storage",
            Request::post("/", &json_ct, fixture("legacy-storage.json")),
        ),
        (
            "structured custom",
            Request::post("/", &structured, fixture("custom-structured.json")),
        ),
    ];
    for (name, request) in requests {
        let (py_status, _) = python.send(request.clone()).await.expect("python answers");
        let (rs_status, rs_body) = echo.send(request.clone()).await.expect("echo answers");
        assert_eq!((class(py_status), rs_status), (2, 204), "{name}");
        assert!(rs_body.is_empty(), "{name}");
        let py = python.last_event();
        match decoded_by_faasport(&request) {
            Event::Topic(message) => {
                let pubsub = &py["pubsub"];
                assert_eq!(json!(message.id), pubsub["id"], "{name}");
                assert_eq!(json!(message.body.as_str()), pubsub["body"], "{name}");
                assert_eq!(json!(message.attributes), pubsub["attributes"], "{name}");
                same_time(&pubsub["publishTime"], message.published_at);
            }
            Event::Storage(object) => {
                assert_eq!(
                    py["type"], "google.cloud.storage.object.v1.finalized",
                    "{name}"
                );
                assert_eq!(object.kind, StorageEventKind::Created);
                assert_eq!(
                    json!(format!("objects/{}", object.key)),
                    py["subject"],
                    "{name}"
                );
                assert_eq!(json!(object.bucket), py["data"]["bucket"], "{name}");
                assert_eq!(
                    json!(object.size.map(|s| s.to_string())),
                    py["data"]["size"],
                    "{name}"
                );
                assert_eq!(json!(object.etag), py["data"]["etag"], "{name}");
                same_time(&py["time"], object.time);
            }
            Event::CloudEvent(event) => {
                for (attribute, value) in [
                    ("id", json!(event.id)),
                    ("type", json!(event.ty)),
                    ("source", json!(event.source)),
                    ("subject", json!(event.subject)),
                    ("datacontenttype", json!(event.datacontenttype)),
                ] {
                    assert_eq!(value, py[attribute], "{name}: {attribute}");
                }
                assert_eq!(event.data.as_ref(), Some(&py["data"]), "{name}");
                for (extension, value) in &event.extensions {
                    assert_eq!(value, &py[extension.as_str()], "{name}: {extension}");
                }
                same_time(&py["time"], event.time);
            }
            other => panic!("{name}: unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn malformed_events_are_client_errors_under_both() {
    let Some(ff) = peer("FAASPORT_FUNCTIONS_FRAMEWORK") else {
        return;
    };
    let python = Served::functions_framework(&ff, "event_peer", "cloudevent").await;
    let echo = Served::echo().await;
    let requests = [
        (
            "binary without ce-id",
            Request::post(
                "/",
                &[
                    ("ce-specversion", "1.0"),
                    ("ce-source", "/s"),
                    ("ce-type", "t"),
                ],
                b"{}".to_vec(),
            ),
        ),
        (
            "structured, not JSON",
            Request::post(
                "/",
                &[("content-type", "application/cloudevents+json")],
                b"{oops".to_vec(),
            ),
        ),
        (
            "batch mode",
            Request::post(
                "/",
                &[("content-type", "application/cloudevents-batch+json")],
                b"[]".to_vec(),
            ),
        ),
        (
            "legacy event of an unknown type",
            Request::post(
                "/",
                &[("content-type", "application/json")],
                br#"{"eventType": "com.example.unknown", "resource": "x", "data": {}}"#.to_vec(),
            ),
        ),
    ];
    for (name, request) in requests {
        let (py_status, _) = python.send(request.clone()).await.expect("python answers");
        let (rs_status, rs_body) = echo.send(request.clone()).await.expect("echo answers");
        assert_eq!(
            (class(py_status), class(rs_status)),
            (4, 4),
            "{name}: {py_status} vs {rs_status}"
        );
        let error: Value = serde_json::from_slice(&rs_body).expect("a JSON error");
        assert!(
            error["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{name}"
        );
        // Both keep serving.
        let ok = Request::post(
            "/",
            &structured_custom_headers(),
            fixture("custom-structured.json"),
        );
        assert_eq!(
            class(python.send(ok.clone()).await.expect("python").0),
            2,
            "after {name}"
        );
        assert_eq!(echo.send(ok).await.expect("echo").0, 204, "after {name}");
    }
}

fn structured_custom_headers() -> Vec<(&'static str, &'static str)> {
    vec![("content-type", "application/cloudevents+json")]
}

#[tokio::test]
async fn a_cloud_scheduler_http_target_is_acknowledged_by_both_and_is_a_tick_for_echo() {
    let Some(ff) = peer("FAASPORT_FUNCTIONS_FRAMEWORK") else {
        return;
    };
    let python = Served::functions_framework(&ff, "http_peer", "http").await;
    let echo = Served::echo().await;
    let request = Request::post(
        "/",
        &[
            ("x-cloudscheduler", "true"),
            ("x-cloudscheduler-scheduletime", "2026-01-31T02:00:00Z"),
            ("content-type", "application/octet-stream"),
        ],
        b"tick".to_vec(),
    );
    let (py_status, py_body) = python.send(request.clone()).await.expect("python answers");
    let (rs_status, _) = echo.send(request.clone()).await.expect("echo answers");
    assert_eq!((class(py_status), rs_status), (2, 204));
    let py: Value = serde_json::from_slice(&py_body).expect("json");
    assert_eq!(py["headers"]["x-cloudscheduler"], "true");
    let Event::Schedule(tick) = decoded_by_faasport(&request) else {
        panic!("not a tick")
    };
    assert_eq!(tick.schedule, "rate(1 hour)");
    assert_eq!(tick.scheduled_at.to_rfc3339(), "2026-01-31T02:00:00+00:00");
}
