//! Who may use the admin endpoints: foreign `Host` and `Origin` headers, simple requests that
//! change state, and a missing admin token are each refused; the CLI's requests pass.

use faasport_adapter_local::axum::body::Body as AxumBody;
use faasport_adapter_local::gateway::{router, GatewayConfig};
use faasport_adapter_local::LocalCloud;
use faasport_core::{http, App, Context, Error, Function};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

async fn idle(_: faasport_core::Event, _cx: Context) -> Result<(), Error> {
    Ok(())
}

async fn send(
    config: GatewayConfig,
    method: http::Method,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let app = App::new("admin").function(Function::new("idle", idle));
    let sources = LocalCloud::builder(app).build().expect("sources");
    let router = router(sources, config).expect("router");
    let mut request = http::Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(AxumBody::empty()).expect("request");
    let response = router.oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, serde_json::from_slice(&bytes).expect("JSON"))
}

const LETTERS: &str = "/_faasport/dead-letters";
const CLI: (&str, &str) = ("x-faasport-admin", "1");

#[tokio::test]
async fn a_foreign_host_is_refused() {
    let (status, body) = send(
        GatewayConfig::default(),
        http::Method::GET,
        LETTERS,
        &[("host", "attacker.example:3000")],
    )
    .await;
    assert_eq!(status, 403);
    assert!(body["error"].as_str().expect("message").contains("Host"));
}

#[tokio::test]
async fn the_bound_address_and_localhost_are_accepted_as_host() {
    for host in ["127.0.0.1:3000", "localhost:3000", "localhost"] {
        let (status, _) = send(
            GatewayConfig::default(),
            http::Method::GET,
            LETTERS,
            &[("host", host)],
        )
        .await;
        assert_eq!(status, 200, "{host}");
    }
}

#[tokio::test]
async fn a_foreign_origin_is_refused_even_with_the_admin_header() {
    for origin in [
        "http://attacker.example",
        "null",
        "http://127.0.0.1.attacker.example",
    ] {
        let (status, body) = send(
            GatewayConfig::default(),
            http::Method::DELETE,
            LETTERS,
            &[("host", "127.0.0.1:3000"), ("origin", origin), CLI],
        )
        .await;
        assert_eq!(status, 403, "{origin}");
        assert!(body["error"].as_str().expect("message").contains("origin"));
    }
    let (status, _) = send(
        GatewayConfig::default(),
        http::Method::DELETE,
        LETTERS,
        &[("origin", "http://localhost:3000"), CLI],
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_simple_request_that_changes_state_is_refused() {
    for (method, path) in [
        (http::Method::DELETE, LETTERS.to_owned()),
        (http::Method::POST, format!("{LETTERS}/dl-1/redrive")),
    ] {
        let (status, body) = send(
            GatewayConfig::default(),
            method.clone(),
            &path,
            &[("content-type", "text/plain")],
        )
        .await;
        assert_eq!(status, 403, "{method} {path}");
        assert_eq!(
            body["error"],
            "admin requests that change state need `content-type: application/json` or an `x-faasport-admin: 1` header"
        );
    }
}

#[tokio::test]
async fn a_json_content_type_or_the_admin_header_makes_a_change_allowed() {
    for header in [("content-type", "application/json; charset=utf-8"), CLI] {
        let (status, body) = send(
            GatewayConfig::default(),
            http::Method::DELETE,
            LETTERS,
            &[header],
        )
        .await;
        assert_eq!((status, body), (200, serde_json::json!({"purged": 0})));
    }
}

#[tokio::test]
async fn with_an_admin_token_requests_without_it_are_refused_but_health_is_not() {
    let config = || GatewayConfig::default().admin_token("s3cret");
    for headers in [vec![], vec![("authorization", "Bearer wrong")]] {
        let (status, body) = send(config(), http::Method::GET, LETTERS, &headers).await;
        assert_eq!(status, 401);
        assert!(body["error"].as_str().expect("message").contains("Bearer"));
    }
    let (status, _) = send(
        config(),
        http::Method::GET,
        LETTERS,
        &[("authorization", "Bearer s3cret")],
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = send(config(), http::Method::GET, "/_faasport/health", &[]).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_bind_to_every_address_accepts_ip_literals_but_not_names_as_host() {
    let config = || GatewayConfig::default().addr(([0, 0, 0, 0], 3000).into());
    let (status, _) = send(
        config(),
        http::Method::GET,
        LETTERS,
        &[("host", "10.1.2.3:3000")],
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = send(
        config(),
        http::Method::GET,
        LETTERS,
        &[("host", "rebind.example")],
    )
    .await;
    assert_eq!(status, 403);
}
