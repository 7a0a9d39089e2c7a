//! The handler's [`faasport::Context`] under cargo-lambda carries what the Runtime API sent with
//! the event: compared field by field with the headers a proxy saw on `…/invocation/next`.
//!
//! cargo-lambda 1.9.2 makes up a new `Lambda-Runtime-Trace-Id` for every event and does not
//! forward an `X-Amzn-Trace-Id` (or `Lambda-Runtime-Trace-Id`) sent with the invoke (checked by
//! hand against its Runtime API), so the trace id is checked against what the Runtime API sent,
//! not against one the test chose.

use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::Lambda;

/// `context`'s declared timeout in examples/aws-context.
const TIMEOUT_MS: u64 = 7_000;
/// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` as the harness sets it (the app declares 1024).
const MEMORY_MB: u64 = 256;

fn remaining_ms(context: &Value) -> u64 {
    context["remaining_ms"]
        .as_u64()
        .unwrap_or_else(|| panic!("no deadline in {context}"))
}

#[tokio::test]
async fn the_context_carries_the_runtime_apis_request_id_arn_trace_id_and_the_env_memory() {
    let Some((lambda, log)) = Lambda::start_proxied("aws-context", "context", None).await else {
        return;
    };
    let mut request_ids = Vec::new();
    for n in 0..2 {
        let (status, context) = lambda.invoke_json(b"{}").await;
        assert_eq!(status, 200, "{context}");
        let events = log.events();
        assert_eq!(events.len(), n + 1, "one event per invoke");
        let sent = &events[n];
        // What cargo-lambda sent with this event; each header must be there to compare with.
        let request_id = sent.header("lambda-runtime-aws-request-id");
        let trace_id = sent.header("lambda-runtime-trace-id");
        assert!(
            !request_id.is_empty() && trace_id.starts_with("Root=1-"),
            "{sent:?}"
        );
        assert_eq!(
            sent.header("lambda-runtime-invoked-function-arn"),
            "function-arn"
        );
        // cargo-lambda's deadline is a constant, 600000 ms after the epoch.
        assert_eq!(sent.header("lambda-runtime-deadline-ms"), "600000");
        let left = remaining_ms(&context);
        assert!(
            left <= TIMEOUT_MS && left > TIMEOUT_MS - 2_000,
            "a past deadline falls back to the function's timeout: {left} ms"
        );
        assert_eq!(
            context,
            json!({
                "request_id": request_id,
                "function_name": "context",
                "invoked_function_arn": "function-arn",
                "function_version": "1",
                "trace_id": trace_id,
                "memory_mb": MEMORY_MB,
                "provider": "aws",
                "attempt": 1,
                "remaining_ms": left,
            })
        );
        // The answer went back under the same request id.
        let answered = log.posts(&format!("/invocation/{request_id}/response"));
        assert_eq!(answered.len(), 1, "{:?}", log.all());
        assert_eq!(answered[0].read_json(), context);
        request_ids.push(request_id.to_owned());
    }
    assert_ne!(
        request_ids[0], request_ids[1],
        "each invocation has its own id"
    );
}

#[tokio::test]
async fn a_real_deadline_from_the_runtime_api_bounds_the_time_left() {
    // Real Lambda sends the deadline as epoch milliseconds; the proxy puts one 3 s away.
    let deadline_in = Duration::from_secs(3);
    let Some((lambda, log)) =
        Lambda::start_proxied("aws-context", "context", Some(deadline_in)).await
    else {
        return;
    };
    let (status, context) = lambda.invoke_json(b"{}").await;
    assert_eq!(status, 200, "{context}");
    let sent = log.events();
    let deadline: u64 = sent[0]
        .header("lambda-runtime-deadline-ms")
        .parse()
        .expect("deadline in ms");
    assert!(deadline > 1_700_000_000_000, "an epoch time: {deadline}");
    let left = remaining_ms(&context);
    assert!(
        left <= 3_000 && left > 1_000,
        "the deadline, not the 7 s timeout, bounds the time left: {left} ms"
    );
}
