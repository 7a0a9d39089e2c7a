//! The invoke binding against cargo-lambda's Invoke API, with the echo app as the callee.

use std::sync::Arc;

use faasport::aws::bindings::aws_config::{self, BehaviorVersion, Region};
use faasport::aws::bindings::AwsBindings;
use faasport::aws::names::ResourceNames;
use faasport::core::{ResourceKind, Resources};
use faasport::{App, Context, Error, Event, Function};
use serde_json::json;

use crate::harness::Lambda;

async fn noop(_: Event, _: Context) -> Result<(), Error> {
    Ok(())
}

/// A caller whose function `callee` is cargo-lambda's one function, `_`.
async fn caller(lambda: &Lambda, callee: &str) -> Context {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .test_credentials()
        .endpoint_url(lambda.endpoint())
        .load()
        .await;
    let names = ResourceNames::default().with(ResourceKind::Function, callee, "_");
    let bindings = AwsBindings::new(names)
        .with_sdk_config(config)
        .into_bindings();
    let app = App::new("caller").function(Function::new(callee, noop));
    Context::new("r1", Arc::<str>::from("caller"))
        .with_resources(Resources::new(app.declared(), bindings))
}

#[tokio::test]
async fn invoke_reaches_the_function_synchronously_and_asynchronously() {
    let Some((lambda, log)) = Lambda::start_proxied("echo", "echo", None).await else {
        return;
    };
    let cx = caller(&lambda, "echo").await;

    let echoed = cx
        .function("echo")
        .invoke(json!({"order": 7}))
        .await
        .expect("sync invoke");
    assert_eq!(echoed["kind"], "cloud_event");
    assert_eq!(echoed["event"]["type"], "faasport.invoke");
    assert_eq!(echoed["event"]["data"], json!({"order": 7}));

    cx.function("echo")
        .invoke_async(json!({"order": 8}))
        .await
        .expect("async invoke accepted");
    // cargo-lambda runs an `Event` invocation synchronously, so it has been delivered by now.
    let events = log.events();
    assert_eq!(events.len(), 2, "{events:?}");
    let delivered: serde_json::Value =
        serde_json::from_slice(&events[1].response_body).expect("event JSON");
    assert_eq!(delivered, json!({"order": 8}));
    let answered = events[1].header("lambda-runtime-aws-request-id");
    assert_eq!(
        log.posts(&format!("/invocation/{answered}/response")).len(),
        1
    );

    let tagged =
        json!({"kind": "queue", "event": {"queue": "q", "messages": [{"id": "1", "body": "x"}]}});
    let echoed = cx
        .function("echo")
        .invoke(tagged.clone())
        .await
        .expect("sync invoke");
    assert_eq!(echoed["event"]["messages"][0]["id"], "1");
}

#[tokio::test]
async fn a_callees_error_comes_back_typed_and_is_not_retried() {
    let Some(lambda) = Lambda::start("aws-context", "flaky").await else {
        return;
    };
    let cx = caller(&lambda, "flaky").await;
    let err = cx
        .function("flaky")
        .invoke(json!({"panic": true}))
        .await
        .expect_err("the callee panicked");
    assert_eq!(
        faasport::core::chain_message(&err),
        "function `flaky` binding failed: Panic: the handler panicked: flaky was asked to panic"
    );
    assert!(err.is_retryable());
    // One attempt only: the next event is the instance's second, not its fourth.
    let served = cx.function("flaky").invoke(json!({})).await.expect("sync");
    assert_eq!(served["served"], 2, "{served}");
}
