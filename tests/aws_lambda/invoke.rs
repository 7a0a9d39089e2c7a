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

#[tokio::test]
async fn invoke_reaches_the_function_synchronously_and_asynchronously() {
    let Some(lambda) = Lambda::start("echo", "echo").await else {
        return;
    };
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .test_credentials()
        .endpoint_url(lambda.endpoint())
        .load()
        .await;
    // cargo-lambda names its one function `_`: that is the physical name of `echo` here.
    let names = ResourceNames::default().with(ResourceKind::Function, "echo", "_");
    let bindings = AwsBindings::new(names)
        .with_sdk_config(config)
        .into_bindings();
    let app = App::new("caller").function(Function::new("echo", noop));
    let cx = Context::new("r1", Arc::<str>::from("caller"))
        .with_resources(Resources::new(app.declared(), bindings));

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

    let tagged =
        json!({"kind": "queue", "event": {"queue": "q", "messages": [{"id": "1", "body": "x"}]}});
    let echoed = cx
        .function("echo")
        .invoke(tagged.clone())
        .await
        .expect("sync invoke");
    assert_eq!(echoed["event"]["messages"][0]["id"], "1");
}
