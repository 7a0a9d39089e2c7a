//! Bad input and handler panics fail one invocation with a typed error, and the process keeps
//! serving; an unknown function or a failing initialiser is an init error reported through the
//! Runtime API, and the process exits with status 1.

use serde_json::json;

use crate::harness::{fixture, Lambda};

#[tokio::test]
async fn a_malformed_payload_gets_an_error_and_the_next_invocation_succeeds() {
    let Some(lambda) = Lambda::start("echo", "echo").await else {
        return;
    };
    // cargo-lambda answers a reported function error with HTTP 500 and the error document.
    let (status, error) = lambda.invoke_json(&fixture("malformed.json")).await;
    assert_eq!(status, 500);
    assert_eq!(error["errorType"], "InvalidPayload");
    assert!(
        error["errorMessage"]
            .as_str()
            .is_some_and(|m| m.starts_with("invalid payload: the event is not valid JSON")),
        "{error}"
    );
    let (status, error) = lambda
        .invoke_json(&fixture("malformed-shape-sqs.json"))
        .await;
    assert_eq!(status, 500);
    assert_eq!(error["errorType"], "InvalidPayload");
    assert!(
        error["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("looks like an SQS batch")),
        "{error}"
    );
    let (status, echoed) = lambda.invoke_json(&fixture("sns.json")).await;
    assert_eq!((status, echoed["kind"].as_str()), (200, Some("topic")));
}

#[tokio::test]
async fn an_unknown_function_name_is_an_init_error_listing_the_available_ones() {
    let Some(mut lambda) = Lambda::start("echo", "nope").await else {
        return;
    };
    // cargo-lambda holds the init error until an invocation arrives, then answers it with it.
    let (status, error) = lambda.invoke_json(b"{}").await;
    assert_eq!(
        status, 200,
        "cargo-lambda answers with the init error as a 200"
    );
    assert_eq!(
        error,
        json!({"errorType": "UnknownFunction", "errorMessage": "no function named `nope` (available: echo)"})
    );
    assert_eq!(lambda.wait_for_exit().await.code(), Some(1));
}

#[tokio::test]
async fn a_failing_initialiser_is_reported_as_an_init_error_and_the_process_exits() {
    let Some((mut lambda, log)) = Lambda::start_proxied("aws-context", "broken-init", None).await
    else {
        return;
    };
    let expected = json!({
        "errorType": "InitError",
        "errorMessage": "initialisation of function `broken-init` failed: the database is unreachable"
    });
    // cargo-lambda holds `/init/error` until an invocation is queued, then answers that
    // invocation with the init error (HTTP 200, where real Lambda reports a function error).
    let (status, error) = lambda.invoke_json(b"{}").await;
    assert_eq!((status, &error), (200, &expected));
    assert_eq!(lambda.wait_for_exit().await.code(), Some(1));
    // Exactly one Runtime API call: the init error, never a poll for events.
    let calls = log.all();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let reported = &calls[0];
    assert_eq!(
        (&reported.method, reported.path.as_str()),
        (
            &faasport::http::Method::POST,
            "/.rt/2018-06-01/runtime/init/error"
        )
    );
    assert_eq!(
        reported.request_headers["lambda-runtime-function-error-type"],
        "InitError"
    );
    assert_eq!(reported.read_json(), expected);
    assert!((200..300).contains(&reported.status), "{}", reported.status);
}

#[tokio::test]
async fn a_handler_panic_fails_only_its_invocation_and_the_warm_instance_serves_the_next() {
    let Some((mut lambda, log)) = Lambda::start_proxied("aws-context", "flaky", None).await else {
        return;
    };
    let pid = lambda.function_pid();
    let (status, first) = lambda.invoke_json(b"{}").await;
    assert_eq!((status, first), (200, json!({"pid": pid, "served": 1})));

    let (status, error) = lambda.invoke_json(br#"{"panic": true}"#).await;
    assert_eq!(
        status, 500,
        "cargo-lambda answers a reported error with 500"
    );
    assert_eq!(
        error,
        json!({"errorType": "Panic", "errorMessage": "the handler panicked: flaky was asked to panic"})
    );
    // Reported through `/invocation/{id}/error` for that event.
    let events = log.events();
    let panicked = events[1].header("lambda-runtime-aws-request-id");
    let reported = log.posts(&format!("/invocation/{panicked}/error"));
    assert_eq!(reported.len(), 1, "{:?}", log.all());
    assert_eq!(reported[0].read_json(), error);

    // Same process, same instance state: warm, not restarted.
    let (status, next) = lambda.invoke_json(b"{}").await;
    assert_eq!((status, next), (200, json!({"pid": pid, "served": 3})));
    assert!(lambda.function_running());
    assert_eq!(log.posts("/init/error").len(), 0);
}
