//! The dashboard's endpoints: the page, its assets byte for byte, the access checks, the event
//! stream's framing and its end at shutdown, "try it" with the invocation's log lines, and
//! bucket object downloads.

use std::time::Duration;

use faasport_adapter_local::axum::body::Body as AxumBody;
use faasport_adapter_local::gateway::{router, Gateway, GatewayConfig};
use faasport_adapter_local::LocalCloud;
use faasport_core::{
    http, App, Context, Error, Function, HttpRequest, HttpResponse, Message, TopicMessage,
};
use http_body_util::BodyExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tower::ServiceExt as _;

async fn create(req: HttpRequest, cx: Context) -> Result<HttpResponse, Error> {
    let name = req.path_param("name").unwrap_or("?").to_owned();
    tracing::info!(%name, "creating an order");
    cx.topic("orders")
        .publish(Message::new(name.clone()))
        .await?;
    Ok(HttpResponse::text(
        http::StatusCode::CREATED,
        format!("created {name}"),
    ))
}

async fn bill(msg: TopicMessage, cx: Context) -> Result<(), Error> {
    tracing::warn!(id = %msg.id, "billing");
    cx.bucket("receipts")
        .put(&format!("receipts/{}", msg.id), msg.body)
        .await?;
    Ok(())
}

fn app() -> App {
    App::new("shop")
        .topic("orders")
        .bucket("receipts")
        .function(
            Function::new("create", create)
                .http(http::Method::POST, "/orders/{name}")
                .publishes("orders"),
        )
        .function(
            Function::new("bill", bill)
                .subscribe("orders")
                .writes("receipts"),
        )
}

struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: bytes::Bytes,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON")
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// A plain `GET` of `path`, no headers, no body.
async fn get(sources: &LocalCloud, path: &str) -> Answer {
    call(sources, http::Method::GET, path, &[], "").await
}

async fn call(
    sources: &LocalCloud,
    method: http::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let router = router(sources.clone(), GatewayConfig::default()).expect("router");
    let mut request = http::Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(AxumBody::from(body.to_owned()))
        .expect("request");
    let response = router.oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Answer {
        status,
        headers,
        body,
    }
}

fn sources() -> LocalCloud {
    LocalCloud::builder(app()).build().expect("sources")
}

const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test]
async fn the_page_is_html_naming_every_function_under_a_strict_policy() {
    let sources = sources();
    for path in ["/_faasport/", "/_faasport/dashboard"] {
        let page = get(&sources, path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
        assert!(page
            .header("content-security-policy")
            .contains("script-src 'self'"));
        assert_eq!(page.header("x-frame-options"), "DENY");
        let html = std::str::from_utf8(&page.body).expect("utf-8");
        assert!(html.contains("<tr data-function=\"create\">"));
        assert!(html.contains("<tr data-function=\"bill\">"));
        assert!(html.contains("<option value=\"bill\">bill</option>"));
        assert!(html.contains("data-bucket=\"receipts\""));
        assert!(html.contains(r#""path":"/orders/{name}""#));
        assert!(!html.contains("{{"), "every placeholder is filled");
    }
}

#[tokio::test]
async fn the_assets_are_served_from_the_binary_byte_for_byte() {
    let sources = sources();
    let assets: [(&str, &str, &[u8]); 5] = [
        (
            "uPlot.iife.min.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../assets/dashboard/uPlot.iife.min.js"),
        ),
        (
            "uPlot.min.css",
            "text/css; charset=utf-8",
            include_bytes!("../assets/dashboard/uPlot.min.css"),
        ),
        (
            "uPlot.LICENSE",
            "text/plain; charset=utf-8",
            include_bytes!("../assets/dashboard/uPlot.LICENSE"),
        ),
        (
            "dashboard.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../assets/dashboard/dashboard.js"),
        ),
        (
            "dashboard.css",
            "text/css; charset=utf-8",
            include_bytes!("../assets/dashboard/dashboard.css"),
        ),
    ];
    for (name, media, bytes) in assets {
        let path = format!("/_faasport/dashboard/assets/{name}");
        let answer = get(&sources, &path).await;
        assert_eq!(answer.status, 200, "{name}");
        assert_eq!(answer.header("content-type"), media, "{name}");
        assert_eq!(answer.header("x-content-type-options"), "nosniff");
        assert_eq!(&answer.body[..], bytes, "{name}");
    }
    let missing = get(&sources, "/_faasport/dashboard/assets/../../Cargo.toml").await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn a_foreign_host_or_origin_gets_neither_the_page_nor_the_stream_nor_try_it() {
    let sources = sources();
    for path in [
        "/_faasport/",
        "/_faasport/dashboard/events",
        "/_faasport/dashboard/snapshot",
        "/_faasport/dashboard/assets/dashboard.js",
    ] {
        let host = call(
            &sources,
            http::Method::GET,
            path,
            &[("host", "attacker.example:3000")],
            "",
        )
        .await;
        assert_eq!(host.status, 403, "{path}");
        let origin = call(
            &sources,
            http::Method::GET,
            path,
            &[
                ("host", "127.0.0.1:3000"),
                ("origin", "http://attacker.example"),
            ],
            "",
        )
        .await;
        assert_eq!(origin.status, 403, "{path}");
    }
    let test = r#"{"function":"create","kind":"http","path":"/orders/x"}"#;
    let simple = call(
        &sources,
        http::Method::POST,
        "/_faasport/dashboard/try",
        &[("content-type", "text/plain")],
        test,
    )
    .await;
    assert_eq!(simple.status, 403, "a form post cannot fire events");
    let foreign = call(
        &sources,
        http::Method::POST,
        "/_faasport/dashboard/try",
        &[JSON, ("origin", "http://attacker.example")],
        test,
    )
    .await;
    assert_eq!(foreign.status, 403);
    assert_eq!(sources.runtime().meter().len(), 0, "nothing ran");
}

#[tokio::test]
async fn try_it_fires_an_http_event_through_the_route_and_returns_its_log_lines() {
    let sources = sources();
    let answer = call(
        &sources,
        http::Method::POST,
        "/_faasport/dashboard/try",
        &[JSON],
        r#"{"function":"create","kind":"http","method":"POST","path":"/orders/ada","body":""}"#,
    )
    .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let result = answer.json();
    assert_eq!(result["outcome"], "ok");
    assert_eq!(result["cold"], true);
    assert_eq!(result["http"]["status"], 201);
    assert_eq!(result["http"]["body"], "created ada");
    let lines = result["logs"]["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["level"], "INFO");
    assert_eq!(lines[0]["message"], "creating an order name=ada");
    sources.settle().await;
    assert_eq!(sources.published("orders").len(), 1);
}

#[tokio::test]
async fn try_it_fires_a_topic_message_at_a_subscriber() {
    let sources = sources();
    let answer = call(
        &sources,
        http::Method::POST,
        "/_faasport/dashboard/try",
        &[JSON],
        r#"{"function":"bill","kind":"topic","body":"{\"n\":1}"}"#,
    )
    .await;
    assert_eq!(answer.status, 200);
    let result = answer.json();
    assert_eq!(result["outcome"], "ok");
    assert_eq!(result["output"], serde_json::Value::Null);
    assert_eq!(result["logs"]["lines"][0]["level"], "WARN");
    let objects = sources
        .list_objects("receipts", "receipts/")
        .await
        .expect("list");
    assert_eq!(objects.len(), 1);
}

#[tokio::test]
async fn try_it_refuses_bad_test_events_with_a_reason() {
    let sources = sources();
    for (test, status, says) in [
        (
            r#"{"function":"nope","kind":"http"}"#,
            404,
            "no function `nope`",
        ),
        (
            r#"{"function":"bill","kind":"carrier-pigeon"}"#,
            400,
            "not a test event",
        ),
        (
            r#"{"function":"bill","kind":"queue"}"#,
            400,
            "has no queue trigger",
        ),
        (
            r#"{"function":"bill","kind":"bucket","name":"receipts"}"#,
            400,
            "needs a `key`",
        ),
        (
            r#"{"function":"bill","kind":"json","body":"{"}"#,
            400,
            "not JSON",
        ),
        (
            r#"{"function":"create","kind":"http","path":"/elsewhere"}"#,
            400,
            "routes to no function",
        ),
        ("not json", 400, "not a test event"),
    ] {
        let answer = call(
            &sources,
            http::Method::POST,
            "/_faasport/dashboard/try",
            &[JSON],
            test,
        )
        .await;
        assert_eq!(answer.status, status, "{test}");
        let error = answer.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(error.contains(says), "{test}: {error}");
    }
}

#[tokio::test]
async fn a_bucket_object_downloads_as_an_attachment_that_cannot_run_as_a_page() {
    let sources = sources();
    sources
        .put_object(
            "receipts",
            "receipts/a b.html",
            faasport_core::Object::new("<script>alert(1)</script>"),
        )
        .await
        .expect("put");
    let answer = get(
        &sources,
        "/_faasport/buckets/receipts/objects/receipts/a%20b.html",
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(&answer.body[..], b"<script>alert(1)</script>");
    assert_eq!(
        answer.header("content-disposition"),
        "attachment; filename=\"a_b.html\""
    );
    assert_eq!(answer.header("content-security-policy"), "sandbox");
    assert_eq!(answer.header("x-content-type-options"), "nosniff");
    let missing = get(
        &sources,
        "/_faasport/buckets/receipts/objects/receipts/none",
    )
    .await;
    assert_eq!(missing.status, 404);
    let undeclared = get(&sources, "/_faasport/buckets/other/objects/x").await;
    assert_eq!(undeclared.status, 404);
    assert!(undeclared.json()["error"]
        .as_str()
        .is_some_and(|e| e.contains("not declared")));
}

#[tokio::test]
async fn the_snapshot_counts_invocations_and_prices_the_run_with_a_month_projection() {
    let sources = sources();
    for name in ["a", "b"] {
        let path = format!("/orders/{name}");
        let answer = call(&sources, http::Method::POST, &path, &[], "").await;
        assert_eq!(answer.status, 201);
    }
    sources.settle().await;
    let snapshot = get(&sources, "/_faasport/dashboard/snapshot").await.json();
    let create = snapshot["functions"]
        .as_array()
        .expect("functions")
        .iter()
        .find(|f| f["name"] == "create")
        .expect("create")
        .clone();
    assert_eq!(create["invocations"], 2);
    assert_eq!(create["ok"], 2);
    assert_eq!(create["cold_starts"], 1);
    assert_eq!(snapshot["series"], serde_json::json!(["bill", "create"]));
    let costs = snapshot["costs"].as_array().expect("costs");
    assert!(costs.len() >= 3);
    assert!(costs
        .iter()
        .all(|c| c["so_far"].as_f64().is_some_and(|x| x > 0.0)));
    assert!(costs.iter().all(|c| c["month"].as_f64().is_some()));
    assert_eq!(
        snapshot["topics"][0]["recent"].as_array().map(Vec::len),
        Some(2)
    );
}

/// Reads from `stream` until `needle` has arrived (or the stream ends).
async fn read_until(stream: &mut tokio::net::TcpStream, seen: &mut String, needle: &str) -> bool {
    let mut buf = [0u8; 4096];
    while !seen.contains(needle) {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
    }
    true
}

#[tokio::test]
async fn the_event_stream_sends_framed_snapshots_and_ends_at_shutdown() {
    let sources = sources();
    let config = GatewayConfig::default().addr(([127, 0, 0, 1], 0).into());
    let gateway = Gateway::bind(sources.clone(), config).await.expect("bind");
    let addr = gateway.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gateway.serve(async move {
        let _ = stopped.await;
    }));
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "GET /_faasport/dashboard/events HTTP/1.1\r\nhost: {addr}\r\naccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut seen = String::new();
    let limit = Duration::from_secs(20);
    let first = tokio::time::timeout(limit, read_until(&mut stream, &mut seen, "\n\n"))
        .await
        .expect("a first event in time");
    assert!(first);
    let (head, events) = seen.split_once("\r\n\r\n").expect("head");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head
        .to_ascii_lowercase()
        .contains("content-type: text/event-stream"));
    assert!(
        events.contains("event: snapshot\ndata: {\"seq\":"),
        "{events}"
    );
    // A second snapshot follows on the next tick: the stream is live.
    let second = tokio::time::timeout(limit, async {
        let mut more = String::new();
        read_until(&mut stream, &mut more, "event: snapshot").await
    })
    .await
    .expect("a second event in time");
    assert!(second);
    stop.send(()).expect("stop");
    let ended = tokio::time::timeout(limit, async {
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest).await;
    })
    .await;
    assert!(ended.is_ok(), "the stream ends at shutdown");
    let served = tokio::time::timeout(limit, server)
        .await
        .expect("serve returns with a page open");
    assert!(matches!(served, Ok(Ok(()))));
}

mod every_kind {
    use super::*;
    use faasport_core::{Json, QueueBatch, ScheduleTick, StorageEvent, StorageEventKind};

    async fn consume(batch: QueueBatch, _cx: Context) -> Result<Json<serde_json::Value>, Error> {
        let bodies: Vec<String> = batch
            .messages
            .iter()
            .map(|m| m.body.as_str().unwrap_or_default().to_owned())
            .collect();
        Ok(Json(
            serde_json::json!({ "queue": batch.queue, "bodies": bodies }),
        ))
    }

    async fn tick(tick: ScheduleTick, _cx: Context) -> Result<Json<serde_json::Value>, Error> {
        Ok(Json(serde_json::json!({ "schedule": tick.schedule })))
    }

    async fn stored(event: StorageEvent, _cx: Context) -> Result<Json<serde_json::Value>, Error> {
        Ok(Json(serde_json::json!({
            "bucket": event.bucket, "key": event.key, "size": event.size
        })))
    }

    async fn raw(Json(n): Json<i64>, _cx: Context) -> Result<Json<i64>, Error> {
        Ok(Json(n * 2))
    }

    fn sources() -> LocalCloud {
        let app = App::new("kinds")
            .queue("jobs")
            .bucket("uploads")
            .function(Function::new("consume", consume).queue("jobs"))
            .function(Function::new("tick", tick).schedule("rate(5 minutes)"))
            .function(
                Function::new("stored", stored).storage("uploads", &[StorageEventKind::Created]),
            )
            .function(Function::new("raw", raw));
        LocalCloud::builder(app).build().expect("sources")
    }

    async fn fire(sources: &LocalCloud, test: &str) -> serde_json::Value {
        let answer = call(
            sources,
            http::Method::POST,
            "/_faasport/dashboard/try",
            &[JSON],
            test,
        )
        .await;
        assert_eq!(answer.status, 200, "{test}: {:?}", answer.body);
        let result = answer.json();
        assert_eq!(result["outcome"], "ok", "{test}: {result}");
        result["output"].clone()
    }

    #[tokio::test]
    async fn try_it_builds_queue_schedule_bucket_and_json_events_from_the_triggers() {
        let sources = sources();
        assert_eq!(
            fire(
                &sources,
                r#"{"function":"consume","kind":"queue","body":"job 1"}"#
            )
            .await,
            serde_json::json!({ "queue": "jobs", "bodies": ["job 1"] })
        );
        assert_eq!(
            fire(&sources, r#"{"function":"tick","kind":"schedule"}"#).await,
            serde_json::json!({ "schedule": "rate(5 minutes)" })
        );
        assert_eq!(
            fire(
                &sources,
                r#"{"function":"stored","kind":"bucket","key":"a/b.txt","body":"12345"}"#
            )
            .await,
            serde_json::json!({ "bucket": "uploads", "key": "a/b.txt", "size": 5 })
        );
        assert_eq!(
            fire(&sources, r#"{"function":"raw","kind":"json","body":"21"}"#).await,
            serde_json::json!(42)
        );
        let counted: u64 = sources
            .runtime()
            .metrics()
            .iter()
            .map(|m| m.count(faasport_adapter_local::Outcome::Ok))
            .sum();
        assert_eq!(
            counted, 4,
            "each test event is an invocation like any other"
        );
    }
}
