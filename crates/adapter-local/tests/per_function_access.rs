//! Per-function access, locally: a function that declares what it uses may use only that, and
//! the refusal names the function and the resource.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use faasport_adapter_local::LocalCloud;
use faasport_core::{
    App, Context, Error, Event, Function, Json, Message, Operation, Scope, TopicMessage,
};

type Log = Arc<Mutex<Vec<String>>>;

/// Publishes the order to `orders`, then to `audit` when asked.
async fn bill(Json(order): Json<serde_json::Value>, cx: Context) -> Result<(), Error> {
    cx.topic("orders").publish(Message::json(&order)?).await?;
    if order["audit"] == true {
        cx.topic("audit").publish(Message::json(&order)?).await?;
    }
    Ok(())
}

/// Reads back the receipt it wrote.
async fn archive(_: Json<serde_json::Value>, cx: Context) -> Result<(), Error> {
    cx.bucket("receipts").put("r/1", "paid").await?;
    cx.bucket("receipts").get("r/1").await.map(drop)
}

fn app(log: Log) -> App {
    let ship = move |m: TopicMessage, _cx: Context| {
        let log = log.clone();
        async move {
            log.lock()
                .map_err(|_| Error::permanent("poisoned"))?
                .push(format!("{}:{}", m.topic, m.body.as_str().unwrap_or("")));
            Ok::<(), Error>(())
        }
    };
    App::new("shop")
        .topic("orders")
        .topic("audit")
        .bucket("receipts")
        .function(Function::new("bill", bill).publishes("orders"))
        .function(Function::new("archive", archive).writes("receipts"))
        .function(Function::new("ship", ship).subscribe("orders"))
}

async fn invoke(
    sources: &LocalCloud,
    function: &str,
    payload: serde_json::Value,
) -> Result<(), Error> {
    let inv = sources
        .runtime()
        .invoke(function, Event::from_json(payload))
        .await
        .expect("known function");
    inv.result.map(drop)
}

#[tokio::test(start_paused = true)]
async fn a_declared_publish_reaches_the_subscribers() {
    let log = Log::default();
    let sources = LocalCloud::builder(app(log.clone()))
        .build()
        .expect("valid app");
    sources.start();
    invoke(&sources, "bill", serde_json::json!({"id": 7}))
        .await
        .expect("bill declares publishing to orders");
    sources
        .settle_within(Duration::from_secs(3600))
        .await
        .expect("settled");
    assert_eq!(*log.lock().expect("lock"), ["orders:{\"id\":7}"]);
}

#[tokio::test(start_paused = true)]
async fn an_undeclared_publish_fails_naming_the_function_and_the_topic() {
    let log = Log::default();
    let sources = LocalCloud::builder(app(log.clone()))
        .build()
        .expect("valid app");
    sources.start();
    let err = invoke(
        &sources,
        "bill",
        serde_json::json!({"id": 8, "audit": true}),
    )
    .await
    .expect_err("bill does not declare publishing to audit");
    assert_eq!(
        err.to_string(),
        "function `bill` does not declare publishing to topic `audit`"
    );
    assert!(!err.is_retryable());
    sources
        .settle_within(Duration::from_secs(3600))
        .await
        .expect("settled");
    // The declared publish before the refused one went through.
    assert_eq!(
        *log.lock().expect("lock"),
        ["orders:{\"audit\":true,\"id\":8}"]
    );
}

#[tokio::test(start_paused = true)]
async fn writing_a_bucket_does_not_allow_reading_it() {
    let sources = LocalCloud::builder(app(Log::default()))
        .build()
        .expect("valid app");
    let err = invoke(&sources, "archive", serde_json::json!({}))
        .await
        .expect_err("archive only writes");
    assert_eq!(
        err.to_string(),
        "function `archive` does not declare reading from bucket `receipts`"
    );
    let stored = sources
        .get_object("receipts", "r/1")
        .await
        .expect("declared bucket");
    assert_eq!(stored.map(|o| o.body), Some("paid".into()));
}

#[tokio::test(start_paused = true)]
async fn the_refusal_is_typed_with_the_function_operation_and_resource() {
    let sources = LocalCloud::builder(app(Log::default()))
        .build()
        .expect("valid app");
    let declared = sources.runtime().app().declared();
    let err = declared
        .check("bill", Operation::Publish, "audit")
        .expect_err("undeclared");
    assert!(matches!(
        err,
        Error::Undeclared {
            function: Some(ref function),
            operation: Operation::Publish,
            ref name,
            scope: Scope::Function,
        } if function == "bill" && name == "audit"
    ));
}
