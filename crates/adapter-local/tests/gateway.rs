//! The HTTP gateway end to end: a real server on loopback and a real HTTP client.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use faasport_adapter_local::gateway::{Gateway, GatewayConfig, GatewayError};
use faasport_adapter_local::{FaultPlan, Faults, LocalCloud};
use faasport_core::{App, Context, Error, Function, HttpRequest, HttpResponse, Json};

mod common;
use common::{call, held, held_signals, Reply};

async fn order(req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    let body = serde_json::json!({"id": req.path_param("id"), "q": req.query_param("q")});
    HttpResponse::json(StatusCode::OK, &body)
}

async fn echo_bytes(req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    HttpResponse::new(StatusCode::OK)
        .with_body(req.body().clone())
        .with_header("content-type", "application/octet-stream")
}

#[derive(serde::Deserialize)]
struct NewOrder {
    qty: u32,
}

async fn create(req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    let order: NewOrder = req.read_json()?;
    HttpResponse::json(StatusCode::CREATED, &serde_json::json!({"qty": order.qty}))
}

#[derive(Debug, thiserror::Error)]
#[error("database password is hunter2")]
struct Secret;

async fn leaks(_: HttpRequest, _cx: Context) -> Result<HttpResponse, Secret> {
    Err(Secret)
}

/// Reads its settings from a bucket object that holds no valid JSON: a failure of ours, not the
/// caller's.
async fn settings(_: HttpRequest, cx: Context) -> Result<HttpResponse, Error> {
    cx.bucket("config")
        .put("settings.json", "{\"limit\": oops}")
        .await?;
    let object = cx
        .bucket("config")
        .get("settings.json")
        .await?
        .ok_or_else(|| Error::permanent("no settings"))?;
    let parsed: serde_json::Value = object.body.to_json()?;
    HttpResponse::json(StatusCode::OK, &parsed)
}

async fn slow(_: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    tokio::time::sleep(Duration::from_secs(60)).await;
    Ok(HttpResponse::ok())
}

async fn busy(_: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::ok())
}

async fn greeting(_: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::text(StatusCode::OK, "hello"))
}

async fn nothing(_: Json<serde_json::Value>, _cx: Context) -> Result<(), Error> {
    Ok(())
}

fn app() -> App {
    let api =
        axum::Router::new()
            .route(
                "/api/users/{id}",
                axum::routing::get(
                    |axum::extract::Path(id): axum::extract::Path<u32>| async move {
                        format!("user {id}")
                    },
                ),
            )
            .route(
                "/api/teapot",
                axum::routing::get(|| async { (StatusCode::IM_A_TEAPOT, "short and stout") }),
            );
    App::new("gw")
        .bucket("config")
        .function(Function::new("order", order).http(Method::GET, "/orders/{id}"))
        .function(Function::new("settings", settings).http(Method::GET, "/settings"))
        .function(Function::new("create", create).http(Method::POST, "/orders"))
        .function(Function::new("echo", echo_bytes).http(Method::PUT, "/blobs/{*key}"))
        .function(Function::new("leaks", leaks).http(Method::GET, "/leaks"))
        .function(
            Function::new("slow", slow)
                .http(Method::GET, "/slow")
                .timeout(Duration::from_millis(200)),
        )
        .function(Function::new("busy", busy).http(Method::GET, "/busy"))
        .function(
            Function::new("held", held)
                .http(Method::GET, "/held")
                .max_instances(1),
        )
        .function(Function::new("nothing", nothing).http(Method::POST, "/nothing"))
        .function(Function::new("greeting", greeting).http_any("/greeting"))
        .function(Function::service("api", api).http_any("/api/{*rest}"))
}

async fn start() -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let plan = FaultPlan::new(7).function("busy", Faults::new().throttle_rate(1.0));
    let sources = LocalCloud::builder(app())
        .faults(plan)
        .build()
        .expect("valid app");
    let config = GatewayConfig::default()
        .addr(SocketAddr::from(([127, 0, 0, 1], 0)))
        .body_limit(1024);
    let gateway = Gateway::bind(sources, config).await.expect("bind");
    let addr = gateway.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(gateway.serve(async move {
        let _ = rx.await;
    }));
    (addr, tx)
}

fn json(reply: &Reply) -> serde_json::Value {
    serde_json::from_slice(&reply.body).expect("JSON body")
}

#[tokio::test]
async fn path_parameters_and_query_reach_the_handler() {
    let (addr, _stop) = start().await;
    let reply = call(addr, Method::GET, "/orders/a%20b?q=x+y", Bytes::new()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(json(&reply), serde_json::json!({"id": "a b", "q": "x y"}));
}

#[tokio::test]
async fn binary_bodies_round_trip_byte_for_byte() {
    let (addr, _stop) = start().await;
    let payload: Vec<u8> = (0..=255u8).rev().collect();
    let reply = call(addr, Method::PUT, "/blobs/a/b.bin", payload.clone()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body.as_ref(), payload.as_slice());
}

#[tokio::test]
async fn an_axum_router_is_mounted_as_a_function() {
    let (addr, _stop) = start().await;
    let user = call(addr, Method::GET, "/api/users/42", Bytes::new()).await;
    assert_eq!(
        (user.status, user.body.as_ref()),
        (StatusCode::OK, b"user 42".as_ref())
    );
    let teapot = call(addr, Method::GET, "/api/teapot", Bytes::new()).await;
    assert_eq!(teapot.status, StatusCode::IM_A_TEAPOT);
    let missing = call(addr, Method::GET, "/api/none", Bytes::new()).await;
    assert_eq!(
        missing.status,
        StatusCode::NOT_FOUND,
        "the router's own 404"
    );
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405() {
    let (addr, _stop) = start().await;
    let reply = call(addr, Method::GET, "/nowhere", Bytes::new()).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(json(&reply)["error"], "no route for GET /nowhere");
    let reply = call(addr, Method::DELETE, "/orders", Bytes::new()).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.headers["allow"], "POST");
}

#[tokio::test]
async fn handler_errors_are_500_without_leaking_internals() {
    let (addr, _stop) = start().await;
    let reply = call(addr, Method::GET, "/leaks", Bytes::new()).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    assert!(!text.contains("hunter2"), "{text}");
    assert_eq!(json(&reply)["error"], "internal server error");
    assert!(json(&reply)["request_id"]
        .as_str()
        .is_some_and(|id| id.starts_with("req-")));
}

#[tokio::test]
async fn json_a_handler_fails_to_decode_that_the_caller_did_not_send_is_500_without_the_message() {
    let (addr, _stop) = start().await;
    let reply = call(addr, Method::GET, "/settings", Bytes::new()).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let body = json(&reply);
    assert_eq!(body["error"], "internal server error");
    assert_eq!(body.as_object().map(|o| o.len()), Some(2), "{body}");
    assert!(body["request_id"]
        .as_str()
        .is_some_and(|id| id.starts_with("req-")));
}

#[tokio::test]
async fn a_timed_out_function_is_504() {
    let (addr, _stop) = start().await;
    let reply = call(addr, Method::GET, "/slow", Bytes::new()).await;
    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
}

#[tokio::test]
async fn a_throttled_invocation_is_429_with_retry_after() {
    let (addr, _stop) = start().await;
    let reply = call(addr, Method::GET, "/busy", Bytes::new()).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.headers["retry-after"], "1");
}

#[tokio::test]
async fn a_request_beyond_the_reserved_concurrency_is_429_from_the_pool() {
    let (addr, _stop) = start().await;
    let (entered, release) = held_signals();
    let first = tokio::spawn(call(addr, Method::GET, "/held", Bytes::new()));
    entered.notified().await;
    // The only instance is busy and Lambda rejects synchronous calls at the limit.
    let second = call(addr, Method::GET, "/held", Bytes::new()).await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(second.headers.contains_key("retry-after"));
    release.notify_one();
    assert_eq!(first.await.expect("first call").status, StatusCode::OK);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let (addr, _stop) = start().await;
    let reply = call(addr, Method::PUT, "/blobs/big", vec![7u8; 1025]).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    let at_limit = call(addr, Method::PUT, "/blobs/ok", vec![7u8; 1024]).await;
    assert_eq!(at_limit.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_json_is_400_and_valid_json_is_created() {
    let (addr, _stop) = start().await;
    let bad = call(addr, Method::POST, "/orders", "{\"qty\": ").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        json(&bad)["error"],
        "bad request: invalid JSON: EOF while parsing a value at line 1 column 8"
    );
    let wrong_shape = call(addr, Method::POST, "/nothing", "not json").await;
    assert_eq!(wrong_shape.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        json(&wrong_shape)["error"],
        "bad request: invalid JSON: expected ident at line 1 column 2"
    );
    let good = call(addr, Method::POST, "/orders", "{\"qty\": 3}").await;
    assert_eq!(
        (good.status, json(&good)),
        (StatusCode::CREATED, serde_json::json!({"qty": 3}))
    );
    let empty = call(addr, Method::POST, "/nothing", "{}").await;
    assert_eq!(empty.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_malformed_http_request_is_400() {
    let (addr, _stop) = start().await;
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /orders/1 HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        .await
        .expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
}

/// Sends `head` (a whole request) on a new connection and reads until the server closes it.
async fn raw(addr: SocketAddr, head: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_head_request_gets_the_length_of_the_body_without_the_body() {
    let (addr, _stop) = start().await;
    let request =
        |method| format!("{method} /greeting HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let get = raw(addr, &request("GET")).await;
    let head = raw(addr, &request("HEAD")).await;
    for answer in [&get, &head] {
        let lower = answer.to_ascii_lowercase();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(lower.contains("content-length: 5\r\n"), "{answer}");
        assert!(lower.contains("x-request-id: "), "{answer}");
    }
    assert!(get.ends_with("\r\n\r\nhello"), "{get}");
    assert!(head.ends_with("\r\n\r\n"), "no body after the head: {head}");
}

#[tokio::test]
async fn health_and_prometheus_metrics_live_under_the_reserved_prefix() {
    let (addr, _stop) = start().await;
    let health = call(addr, Method::GET, "/_faasport/health", Bytes::new()).await;
    assert_eq!(
        (health.status, json(&health)),
        (StatusCode::OK, serde_json::json!({"status": "ok"}))
    );
    call(addr, Method::GET, "/orders/1", Bytes::new()).await;
    let metrics = call(addr, Method::GET, "/_faasport/metrics", Bytes::new()).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(metrics.headers["content-type"]
        .to_str()
        .is_ok_and(|v| v.starts_with("text/plain; version=0.0.4")));
    let text = String::from_utf8_lossy(&metrics.body).into_owned();
    assert!(
        text.contains("# TYPE faasport_invocations_total counter\n"),
        "{text}"
    );
    assert!(
        text.contains("faasport_invocations_total{function=\"order\",outcome=\"ok\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("faasport_http_responses_total{status=\"200\"} 2\n"),
        "{text}"
    );
}

#[tokio::test]
async fn a_route_under_the_reserved_prefix_is_refused() {
    let app = App::new("gw")
        .function(Function::new("sneaky", busy).http(Method::GET, "/_faasport/health"));
    let sources = LocalCloud::builder(app).build().expect("valid app");
    let err = Gateway::bind(sources, GatewayConfig::default())
        .await
        .expect_err("reserved");
    assert!(
        matches!(err, GatewayError::ReservedRoute { ref route } if route == "GET /_faasport/health"),
        "{err}"
    );
}

#[tokio::test]
async fn every_response_from_a_function_carries_its_request_id() {
    let (addr, _stop) = start().await;
    let ok = call(addr, Method::GET, "/orders/1", Bytes::new()).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.headers["x-request-id"], "req-00000001");
    let failed = call(addr, Method::GET, "/leaks", Bytes::new()).await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(failed.headers["x-request-id"], "req-00000002");
    assert_eq!(json(&failed)["request_id"], "req-00000002");
    let bad = call(addr, Method::POST, "/orders", "{").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.headers["x-request-id"], "req-00000003");
    let unrouted = call(addr, Method::GET, "/nowhere", Bytes::new()).await;
    assert!(
        !unrouted.headers.contains_key("x-request-id"),
        "no function ran"
    );
}
