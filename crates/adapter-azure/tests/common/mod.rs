//! The test app and a client for the router: every trigger kind, each function echoing what it
//! received.
#![allow(dead_code)]

use std::time::Duration;

use axum::body::Body;
use axum::Router;
use faasport_adapter_azure::manifest::HttpMode;
use faasport_core::http::{Method, StatusCode};
use faasport_core::{
    App, Context, Error, Event, Function, HttpRequest, HttpResponse, Json, StorageEventKind,
};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

/// What every event function answers: the event in its tagged JSON form and the context.
async fn echo(event: Event, cx: Context) -> Result<Json<Value>, Error> {
    Ok(Json(json!({
        "event": serde_json::to_value(&event)?,
        "attempt": cx.attempt(),
        "function": cx.function_name(),
        "provider": cx.provider().as_str(),
        "memory_mb": cx.memory_mb(),
        "request_id": cx.request_id(),
        "azure_function": cx.metadata("azure_function"),
        "is_past_due": cx.metadata("is_past_due"),
    })))
}

async fn http_echo(req: HttpRequest, cx: Context) -> Result<HttpResponse, Error> {
    let headers: Vec<&str> = req
        .headers()
        .get_all("x-test")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    HttpResponse::json(
        StatusCode::CREATED,
        &json!({
            "method": req.method().as_str(),
            "path": req.path(),
            "id": req.path_param("id"),
            "q": req.query_values("q"),
            "x_test": headers,
            "body": req.body().to_base64(),
            "request_id": cx.request_id(),
            "attempt": cx.attempt(),
        }),
    )?
    .with_header("set-cookie", "a=1")?
    .with_header("set-cookie", "b=2")
}

async fn fails(event: Event, _cx: Context) -> Result<(), Error> {
    match event {
        Event::Topic(m) if m.body.as_str() == Some("permanent") => Err(Error::permanent("no")),
        _ => Err(Error::transient("the database is down")),
    }
}

async fn slow(_req: HttpRequest, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_secs(30)).await;
    Ok(())
}

async fn double(Json(v): Json<Value>, _cx: Context) -> Result<Json<Value>, Error> {
    Ok(Json(json!({ "qty": v["qty"].as_u64().unwrap_or(0) * 2 })))
}

async fn publishes(_req: HttpRequest, cx: Context) -> Result<(), Error> {
    cx.queue("jobs")
        .send(faasport_core::Message::new("x"))
        .await
        .map(drop)
}

/// A Cosmos DB change function: outside the shared app, because core's Azure limits cap
/// change batches at 32 and `change_stream` asks for 100 (reported to the lead).
pub fn cosmos() -> Function {
    Function::new("cosmos", echo).change_stream("orders-table")
}

/// One function per trigger kind but change feeds ([`cosmos`]).
pub fn app() -> App {
    App::new("shop")
        .queue("jobs")
        .topic("orders")
        .bucket("uploads")
        .function(
            Function::new("http-echo", http_echo)
                .http_any("/echo/{id}")
                .memory_mb(512),
        )
        .function(Function::new("queue", echo).queue("jobs"))
        .function(Function::new("topic", echo).subscribe("orders"))
        .function(Function::new("timer", echo).schedule("0 */5 * * * *"))
        .function(Function::new("blob", echo).storage("uploads", &[StorageEventKind::Created]))
        .function(Function::new("hub", echo).stream("clicks"))
        .function(Function::new("grid", echo).cloud_event("com.example.thing"))
        .function(Function::new("invoke", double))
        .function(
            Function::new("multi", echo)
                .queue("jobs")
                .http(Method::POST, "/multi"),
        )
        .function(Function::new("fails", fails).subscribe("orders"))
        .function(
            Function::new("slow", slow)
                .http(Method::GET, "/slow")
                .timeout(Duration::from_millis(50)),
        )
        .function(Function::new("publishes", publishes).http(Method::POST, "/publish"))
}

/// The router for [`app`] in JSON mode: every trigger, HTTP included, as invocation requests
/// (proxied paths are served too).
pub fn router() -> Router {
    faasport_adapter_azure::router(app(), HttpMode::Json).expect("the test app is valid")
}

/// The router for [`app`] with proxying on, as the generated `host.json` sets it.
pub fn proxying_router() -> Router {
    faasport_adapter_azure::router(app(), HttpMode::Proxying).expect("the test app is valid")
}

/// A fixture's text.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A response's status, headers and body bytes.
pub struct Answer {
    pub status: StatusCode,
    pub headers: faasport_core::http::HeaderMap,
    pub body: bytes::Bytes,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Sends one request to `router`.
pub async fn send(router: &Router, request: http::Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// `POST /{function}` with `body`, as the host sends an invocation request.
pub async fn invoke(router: &Router, function: &str, body: &str) -> Answer {
    let request = http::Request::post(format!("/{function}"))
        .header("content-type", "application/json")
        .header("x-azure-functions-invocationid", "inv-1")
        .body(Body::from(body.to_owned()))
        .expect("request");
    send(router, request).await
}

/// The event an echo function received, from its `ReturnValue`.
pub fn echoed(answer: &Answer) -> (Event, Value) {
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let doc = answer.json();
    let value = doc["ReturnValue"].clone();
    let event = Event::try_from_json(value["event"].clone()).expect("a tagged event");
    (event, value)
}
