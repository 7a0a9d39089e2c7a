//! The server answers with core's statuses, refuses bad input with 400 and keeps serving.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use faasport_adapter_gcp::FunctionServer;
use faasport_core::contract::REQUEST_ID_HEADER;
use faasport_core::http::StatusCode;
use faasport_core::{App, Context, Error, Event, Function, HttpRequest, HttpResponse, Output};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

use common::{fixture, request};

/// (A throttle is the runtime's error: a handler returning one is a handler failure, 500.)
/// Fails as the request's `x-outcome` header (HTTP) or the message's `outcome` attribute says.
async fn outcome(event: Event, cx: Context) -> Result<Output, Error> {
    let wanted = match &event {
        Event::Http(req) => req
            .headers()
            .get("x-outcome")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("ok")
            .to_owned(),
        Event::Topic(msg) => msg.attributes.get("outcome").cloned().unwrap_or_default(),
        _ => String::new(),
    };
    match wanted.as_str() {
        "bad-request" => Err(Error::bad_request("no `sku`")),
        "transient" => Err(Error::transient("database down")),
        "permanent" => Err(Error::permanent("poison")),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(Output::Empty)
        }
        "panic" => panic!("boom"),
        "context" => Ok(Output::Json(json!({
            "provider": cx.provider().as_str(),
            "attempt": cx.attempt(),
            "k_service": cx.metadata("k_service"),
            "k_revision": cx.metadata("k_revision"),
            "subscription": cx.metadata("subscription"),
            "trace_id": cx.trace_id(),
            "request_id": cx.request_id(),
        }))),
        _ => Ok(Output::Json(serde_json::to_value(&event)?)),
    }
}

async fn web(req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::text(StatusCode::OK, req.uri().to_string()))
}

fn app() -> App {
    App::new("t")
        .topic("orders")
        .function(
            Function::new("mixed", outcome)
                .http_any("/")
                .subscribe("orders")
                .timeout(Duration::from_millis(200)),
        )
        .function(Function::new("web", web).http_any("/{*path}"))
}

fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

async fn server(vars: &[(&str, &str)]) -> FunctionServer {
    FunctionServer::start(&app(), env(vars))
        .await
        .expect("starts")
}

fn push_with(outcome: &str) -> Bytes {
    let body = json!({"message": {"data": "aGk=", "messageId": "m1", "attributes": {"outcome": outcome}},
                      "subscription": "projects/p/subscriptions/orders-sub", "deliveryAttempt": 3});
    Bytes::from(body.to_string())
}

fn json_of(response: &HttpResponse) -> Value {
    serde_json::from_slice(response.body().as_bytes()).expect("a JSON body")
}

#[tokio::test]
async fn function_target_wins_over_faasport_function_and_an_unknown_one_lists_the_names() {
    let server = server(&[("FUNCTION_TARGET", "web"), ("FAASPORT_FUNCTION", "mixed")]).await;
    assert_eq!(server.function().name(), "web");
    let server = self::server(&[("FAASPORT_FUNCTION", "mixed")]).await;
    assert_eq!(server.function().name(), "mixed");
    let err = FunctionServer::start(&app(), env(&[("FUNCTION_TARGET", "nope")]))
        .await
        .err()
        .expect("unknown");
    assert_eq!(
        err.to_string(),
        "no function named `nope` (available: mixed, web)"
    );
    let one = App::new("one").function(Function::new("only", web));
    let server = FunctionServer::start(&one, env(&[])).await.expect("starts");
    assert_eq!(server.function().name(), "only");
}

#[tokio::test]
async fn an_app_google_cloud_would_refuse_does_not_start() {
    let too_big = App::new("t").function(Function::new("f", web).memory_mb(64 * 1024));
    let err = FunctionServer::start(&too_big, env(&[]))
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("memory"), "{err}");
}

#[tokio::test]
async fn robots_and_favicon_are_404_without_invoking_the_function() {
    let server = server(&[("FUNCTION_TARGET", "web")]).await;
    for path in ["/robots.txt", "/favicon.ico"] {
        let response = server.handle(request("GET", path, &[], b"")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(json_of(&response)["error"], "not found");
    }
    let response = server
        .handle(request("GET", "/robots.txt.bak", &[], b""))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body().as_str(), Some("/robots.txt.bak"));
}

#[tokio::test]
async fn http_results_get_cores_status_per_error_kind_with_the_request_id() {
    let server = server(&[("FUNCTION_TARGET", "mixed")]).await;
    let cases = [
        ("ok", StatusCode::OK),
        ("bad-request", StatusCode::BAD_REQUEST),
        ("transient", StatusCode::INTERNAL_SERVER_ERROR),
        ("slow", StatusCode::GATEWAY_TIMEOUT),
        ("panic", StatusCode::INTERNAL_SERVER_ERROR),
    ];
    for (outcome, status) in cases {
        let response = server
            .handle(request("GET", "/", &[("x-outcome", outcome)], b""))
            .await;
        assert_eq!(response.status(), status, "{outcome}");
        assert!(
            response.headers().contains_key(REQUEST_ID_HEADER),
            "{outcome}"
        );
    }
    let hidden = server
        .handle(request("GET", "/", &[("x-outcome", "transient")], b""))
        .await;
    assert_eq!(json_of(&hidden)["error"], "internal server error");
}

#[tokio::test]
async fn pushed_events_are_acknowledged_retried_throttled_or_rejected_per_core() {
    let server = server(&[("FUNCTION_TARGET", "mixed")]).await;
    let cases = [
        ("", StatusCode::NO_CONTENT),
        ("transient", StatusCode::INTERNAL_SERVER_ERROR),
        ("permanent", StatusCode::UNPROCESSABLE_ENTITY),
        ("slow", StatusCode::INTERNAL_SERVER_ERROR),
        ("panic", StatusCode::INTERNAL_SERVER_ERROR),
    ];
    for (outcome, status) in cases {
        let req = request(
            "POST",
            "/",
            &[("content-type", "application/json")],
            &push_with(outcome),
        );
        let response = server.handle(req).await;
        assert_eq!(response.status(), status, "{outcome}");
        assert!(
            response.headers().contains_key(REQUEST_ID_HEADER),
            "{outcome}"
        );
        if status == StatusCode::NO_CONTENT {
            assert!(response.body().is_empty());
        } else {
            assert!(!response
                .body()
                .as_str()
                .unwrap_or("")
                .contains("database down"));
        }
    }
}

#[tokio::test]
async fn the_context_carries_the_provider_service_revision_attempt_subscription_and_trace() {
    let server = server(&[
        ("FUNCTION_TARGET", "mixed"),
        ("K_SERVICE", "shop"),
        ("K_REVISION", "shop-00002-abc"),
    ])
    .await;
    let response = server
        .handle(request(
            "GET",
            "/",
            &[
                ("x-outcome", "context"),
                (
                    "x-cloud-trace-context",
                    "105445aa7843bc8bf206b12000100000/1;o=1",
                ),
            ],
            b"",
        ))
        .await;
    let cx = json_of(&response);
    assert_eq!(cx["provider"], "gcp");
    assert_eq!(cx["attempt"], 1);
    assert_eq!(cx["k_service"], "shop");
    assert_eq!(cx["k_revision"], "shop-00002-abc");
    assert_eq!(cx["trace_id"], "105445aa7843bc8bf206b12000100000");
    assert_eq!(
        cx["request_id"].as_str(),
        response.headers()[REQUEST_ID_HEADER].to_str().ok()
    );
}

/// Headers, body, expected status, expected reason.
type MalformedCase = (
    Vec<(&'static str, &'static str)>,
    Vec<u8>,
    StatusCode,
    &'static str,
);

#[tokio::test]
async fn malformed_events_are_400_with_the_reason_and_the_server_keeps_serving() {
    let server = server(&[("FUNCTION_TARGET", "mixed")]).await;
    let ce = [
        ("ce-specversion", "1.0"),
        ("ce-source", "/s"),
        ("ce-type", "t"),
    ];
    let cases: Vec<MalformedCase> = vec![
        (ce.to_vec(), b"{}".to_vec(), StatusCode::BAD_REQUEST, "the CloudEvent has no `id` attribute"),
        (
            vec![("ce-specversion", "0.3"), ("ce-id", "1"), ("ce-source", "/s"), ("ce-type", "t")],
            b"".to_vec(),
            StatusCode::BAD_REQUEST,
            "the CloudEvent attribute `specversion` is invalid: `0.3` is not supported (only 1.0)",
        ),
        (
            vec![("ce-specversion", "1.0"), ("ce-id", "%FF"), ("ce-source", "/s"), ("ce-type", "t")],
            b"".to_vec(),
            StatusCode::BAD_REQUEST,
            "the CloudEvent attribute `id` is invalid: not UTF-8 once percent-decoded",
        ),
        (
            vec![("ce-specversion", "1.0"), ("ce-id", "1"), ("ce-source", "/s"), ("ce-type", "t"), ("ce-time", "yesterday")],
            b"".to_vec(),
            StatusCode::BAD_REQUEST,
            "the CloudEvent attribute `time` is invalid: `yesterday` is not an RFC 3339 timestamp: premature end of input",
        ),
        (
            vec![("content-type", "application/cloudevents+json")],
            b"{not json".to_vec(),
            StatusCode::BAD_REQUEST,
            "the structured CloudEvent is not valid JSON: key must be a string at line 1 column 2",
        ),
        (
            vec![("content-type", "application/cloudevents+json")],
            br#"{"specversion":"1.0","id":"1","source":"/s"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "the CloudEvent has no `type` attribute",
        ),
        (
            vec![("content-type", "application/cloudevents-batch+json")],
            b"[]".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "CloudEvents batch mode (application/cloudevents-batch+json) is not supported: send one event per request",
        ),
        (
            vec![("content-type", "application/json")],
            fixture("malformed-push-bad-base64.json"),
            StatusCode::BAD_REQUEST,
            "invalid message.data in the Pub/Sub event: not base64: Invalid symbol 32, offset 3.",
        ),
        (
            vec![("content-type", "application/json")],
            br#"{"message": {"messageId": 7}, "subscription": "s"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "the event looks like a Pub/Sub message but does not match its shape: invalid type: integer `7`, expected a string",
        ),
        (
            vec![("content-type", "application/json")],
            br#"{"eventType": "com.example.unknown", "data": {}}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "cannot convert the background event: unknown eventType `com.example.unknown`",
        ),
    ];
    for (headers, body, status, reason) in cases {
        let response = server.handle(request("POST", "/", &headers, &body)).await;
        assert_eq!(response.status(), status, "{reason}");
        let error = json_of(&response)["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            error.starts_with(&format!("bad request: {reason}")) || error == reason,
            "{error}"
        );
        let next = server
            .handle(request("POST", "/", &[], &push_with("")))
            .await;
        assert_eq!(next.status(), StatusCode::NO_CONTENT, "after: {reason}");
    }
}

#[tokio::test]
async fn arbitrary_bytes_in_headers_and_bodies_never_panic() {
    let server = server(&[("FUNCTION_TARGET", "mixed")]).await;
    let bodies: [&[u8]; 6] = [
        b"",
        b"{",
        b"\xff\xfe{}",
        b"{\"message\": null}",
        b"{\"context\": 1, \"data\": 2}",
        b"[1,2]",
    ];
    let header_values: [&[u8]; 5] = [b"", b"%", b"%%41", b"\"unterminated", b"\xc3\x28"];
    let mut answered = 0;
    for body in bodies {
        for value in header_values {
            for name in [
                "ce-id",
                "ce-specversion",
                "ce-time",
                "content-type",
                "x-cloudscheduler",
            ] {
                let mut req = request("POST", "/projects/p/topics/orders", &[], body);
                let value =
                    http::HeaderValue::from_bytes(value).expect("opaque bytes are a header value");
                req.headers_mut().insert(name, value);
                let response = server.handle(req).await;
                assert!(
                    response.status().as_u16() < 500,
                    "{name}: {:?}",
                    response.status()
                );
                answered += 1;
            }
        }
    }
    assert_eq!(answered, 6 * 5 * 5);
}

#[tokio::test]
async fn over_tcp_a_malformed_event_gets_400_and_the_next_request_is_served() {
    let server = Arc::new(server(&[("FUNCTION_TARGET", "mixed")]).await);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let serving = tokio::spawn(async move { axum::serve(listener, server.router()).await });
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let send = |content_type: &'static str, body: &'static str| {
        let req = http::Request::post(format!("http://{address}/"))
            .header("content-type", content_type)
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .expect("request");
        client.request(req)
    };
    let bad = send("application/cloudevents+json", "{oops")
        .await
        .expect("answered");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let good = send("text/plain", "hello").await.expect("answered");
    assert_eq!(good.status(), StatusCode::OK);
    let body = good.into_body().collect().await.expect("body").to_bytes();
    let echoed: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(echoed["kind"], "http");
    assert_eq!(echoed["event"]["body"], "hello");
    serving.abort();
}
