//! Bad input fails one invocation with a typed error, and the process keeps serving; an unknown
//! function is an init error naming the available ones.

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
    let (_, error) = lambda.invoke_json(b"{}").await;
    assert_eq!(
        error,
        json!({"errorType": "UnknownFunction", "errorMessage": "no function named `nope` (available: echo)"})
    );
    assert!(!lambda.wait_for_exit().success());
}
