//! The examples, tested with `faasport::testing` the way a user tests their own app.
#![cfg(feature = "local")]

#[path = "../examples/echo/app.rs"]
mod echo;
#[path = "../examples/partial-batch/app.rs"]
mod partial_batch;
#[path = "../examples/soak/app.rs"]
mod soak;

use faasport::prelude::*;
use faasport::testing::TestApp;
use serde_json::json;

#[tokio::test]
async fn echo_answers_an_http_request_with_the_request_it_received() {
    let app = TestApp::new(echo::app()).expect("a valid app");
    let response = app
        .http(
            faasport::http::Request::post("/orders/7?tag=a")
                .header("content-type", "application/json")
                .body(r#"{"qty":2}"#)
                .expect("a request"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let echoed: serde_json::Value = response.body().to_json().expect("JSON");
    assert_eq!(echoed["kind"], "http");
    assert_eq!(echoed["event"]["method"], "POST");
    assert_eq!(echoed["event"]["uri"], "/orders/7?tag=a");
    assert_eq!(
        echoed["event"]["path_params"],
        json!({ "path": "orders/7" })
    );
}

#[tokio::test]
async fn echo_returns_a_topic_message_as_it_was_published() {
    let app = TestApp::new(echo::app()).expect("a valid app");
    let output = app
        .invoke(
            "echo",
            TopicMessage::new("echo-topic", "m1", "hello").with_attribute("tenant", "acme"),
        )
        .await
        .expect("echoed");
    let echoed = output.to_json();
    assert_eq!(echoed["kind"], "topic");
    assert_eq!(echoed["event"]["attributes"]["tenant"], "acme");
}

#[tokio::test]
async fn a_poisoned_message_is_redelivered_alone_until_it_is_dead_lettered() {
    let app = TestApp::new(partial_batch::app()).expect("a valid app");
    for body in [r#"{"id":1}"#, r#"{"id":2,"poison":true}"#, r#"{"id":3}"#] {
        app.send("orders", Message::new(body))
            .await
            .expect("accepted");
    }
    app.settle().await.expect("every delivery done");
    let dead = app.dead_letters();
    assert_eq!(dead.len(), 1, "only the poisoned message: {dead:?}");
    let Event::Queue(batch) = &dead[0].event else {
        panic!(
            "a queue dead letter carries its message: {:?}",
            dead[0].event
        );
    };
    assert_eq!(batch.messages.len(), 1);
    assert_eq!(
        batch.messages[0].body.as_str(),
        Some(r#"{"id":2,"poison":true}"#)
    );
    // The first batch carried all three; each redelivery carried only the poisoned one, up to
    // the default max receive count of 5.
    let runs = app.invocations("process");
    assert_eq!(runs.len(), 5, "{runs:?}");
}

#[path = "../examples/aws-context/app.rs"]
mod aws_context;

#[tokio::test]
async fn the_context_reports_memory_provider_attempt_and_time_left_locally() {
    let app = TestApp::new(aws_context::app()).expect("a valid app");
    let seen = app
        .invoke("context", Event::from_json(json!({})))
        .await
        .expect("answered")
        .to_json();
    assert_eq!(seen["function_name"], "context");
    assert_eq!(seen["memory_mb"], 1024);
    assert_eq!(seen["provider"], "local");
    assert_eq!(seen["attempt"], 1);
    let left = seen["remaining_ms"].as_u64().expect("a deadline");
    assert!(left > 0 && left <= 7_000, "{left} ms");
}

#[tokio::test]
async fn a_warm_instance_counts_its_events_and_survives_a_panic() {
    let app = TestApp::new(aws_context::app()).expect("a valid app");
    let first = app
        .invoke("flaky", Event::from_json(json!({})))
        .await
        .expect("served");
    assert_eq!(first.to_json()["served"], 1);
    let panicked = app
        .invoke("flaky", Event::from_json(json!({ "panic": true })))
        .await
        .expect_err("the panic is contained to its invocation");
    assert!(matches!(panicked, Error::Panic(_)), "{panicked:?}");
    let next = app
        .invoke("flaky", Event::from_json(json!({})))
        .await
        .expect("served");
    assert!(next.to_json()["served"].as_u64() >= Some(2), "{next:?}");
}

#[tokio::test]
async fn a_failing_initialiser_fails_the_invocation_with_an_init_error() {
    let app = TestApp::new(aws_context::app()).expect("a valid app");
    let error = app
        .invoke("broken-init", Event::from_json(json!({})))
        .await
        .expect_err("the instance never starts");
    assert!(matches!(error, Error::Init { .. }), "{error:?}");
    assert!(
        error.to_string().contains("the database is unreachable"),
        "{error}"
    );
}

#[tokio::test(start_paused = true)]
async fn soak_answers_200_500_and_504_on_its_three_routes() {
    let app = TestApp::new(soak::app()).expect("a valid app");
    for (path, status) in [
        ("/ok", StatusCode::OK),
        ("/error", StatusCode::INTERNAL_SERVER_ERROR),
        ("/slow", StatusCode::GATEWAY_TIMEOUT),
    ] {
        let request = faasport::http::Request::get(path)
            .body("")
            .expect("a request");
        assert_eq!(app.http(request).await.status(), status, "{path}");
    }
}
