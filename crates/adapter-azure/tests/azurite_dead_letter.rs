//! Dead letters the custom handler forwards itself, read back from a real Azurite: a queue
//! message that fails on its queue's max receive count goes to the dead-letter queue two
//! queues share; an asynchronous invoke that no retry can help goes to its callee's
//! dead-letter queue at once; a topic message goes to its function's target after its retries. The handler acknowledges both (200), so the host does not poison
//! them too. One test in this binary: it sets process environment variables.
//!
//! Azurite comes from `.ci/azure-peers.sh`; see `tests/azurite.rs` for when this skips.
#![cfg(all(feature = "queue", feature = "invoke"))]

#[path = "common/azurite.rs"]
mod peer;

use axum::body::Body;
use azure_core::http::Url;
use azure_storage_queue::{QueueClient, QueueServiceClient};
use base64::Engine;
use faasport_adapter_azure::manifest::HttpMode;
use faasport_core::http::StatusCode;
use faasport_core::{
    App, Context, DeadLetter, Error, Function, Json, QueueBatch, QueueSpec, RetryPolicy,
};
use serde_json::{json, Value};
use tower::ServiceExt;

use peer::{account_sas, azurite, unique};

async fn always_fails(_: QueueBatch, _: Context) -> Result<(), Error> {
    Err(Error::transient("the ledger is down"))
}

async fn refuses(_: Json<Value>, _: Context) -> Result<(), Error> {
    Err(Error::permanent("no such order"))
}

async fn pages(_: faasport_core::TopicMessage, _: Context) -> Result<(), Error> {
    Err(Error::transient("the pager is down"))
}

/// An invocation request, and the status of the handler's answer.
async fn send(router: &axum::Router, azure_function: &str, body: &Value) -> StatusCode {
    let request = http::Request::post(format!("/{azure_function}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    router
        .clone()
        .oneshot(request)
        .await
        .expect("infallible")
        .status()
}

/// The host's invocation request for one Storage queue message, and the handler's answer.
async fn deliver(
    router: &axum::Router,
    azure_function: &str,
    dequeue_count: u32,
    text: &str,
) -> StatusCode {
    let body = json!({
        "Data": { "trigger": serde_json::to_string(text).expect("json") },
        "Metadata": { "DequeueCount": dequeue_count.to_string(), "Id": "m-1",
            "sys": { "MethodName": azure_function } },
    });
    let request = http::Request::post(format!("/{azure_function}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("infallible");
    response.status()
}

async fn texts(client: &QueueClient) -> Vec<String> {
    let options = azure_storage_queue::models::QueueClientPeekMessagesOptions {
        number_of_messages: Some(32),
        ..Default::default()
    };
    let items = client
        .peek_messages(Some(options))
        .await
        .expect("peek")
        .into_model()
        .expect("messages")
        .items
        .unwrap_or_default();
    items
        .into_iter()
        .map(|m| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(m.message_text.unwrap_or_default())
                .expect("base64");
            String::from_utf8(bytes).expect("utf-8")
        })
        .collect()
}

#[tokio::test]
async fn failed_messages_are_forwarded_to_the_declared_dead_letter_queues_and_acknowledged() {
    let Some((_, queue)) = azurite() else {
        return;
    };
    let sas = account_sas();
    let (failed, refused) = (unique("failed"), unique("refused"));
    std::env::set_var("FAASPORT_AZURE_QUEUE_URL", format!("{queue}?{sas}"));
    std::env::set_var("FAASPORT_QUEUE_FAILED", &failed);
    std::env::set_var("FAASPORT_QUEUE_REFUSED", &refused);
    let service = QueueServiceClient::new(
        Url::parse(&format!("{queue}?{sas}")).expect("url"),
        None,
        None,
    )
    .expect("queue service");
    let failed_queue = service.queue_client(&failed).expect("client");
    let refused_queue = service.queue_client(&refused).expect("client");
    failed_queue.create(None).await.expect("create");
    refused_queue.create(None).await.expect("create");

    // `failed` is the app's dead-letter queue, shared by `orders` and `returns`, so it is not
    // either one's `-poison` queue: only the handler can route to it.
    let app = App::new("shop")
        .queue_spec(QueueSpec::new("orders").max_receive_count(3))
        .queue("returns")
        .queue("failed")
        .queue("refused")
        .dead_letter(DeadLetter::Queue("failed".into()))
        .function(
            Function::new("bill", always_fails)
                .queue("orders")
                .invokes("pack"),
        )
        .function(
            Function::new("restock", always_fails)
                .queue("returns")
                .sends("failed"),
        )
        .function(
            Function::new("pack", refuses)
                .dead_letter(DeadLetter::Queue("refused".into()))
                .sends("failed"),
        )
        .topic("alerts")
        .function(
            Function::new("page", pages)
                .subscribe("alerts")
                .retry(RetryPolicy::default().with_max_retries(1))
                .dead_letter(DeadLetter::Queue("refused".into()))
                .sends("failed"),
        );
    let router = faasport_adapter_azure::router(app, HttpMode::Proxying).expect("router");

    // Before the max receive count, the host retries; on it, the handler forwards.
    assert_eq!(
        deliver(&router, "bill", 2, "order 7").await,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(texts(&failed_queue).await, Vec::<String>::new());
    assert_eq!(deliver(&router, "bill", 3, "order 7").await, StatusCode::OK);
    assert_eq!(texts(&failed_queue).await, ["order 7"]);

    // A permanent error in an asynchronous invoke: dead-lettered at once, to pack's own target.
    assert_eq!(
        deliver(&router, "pack-async", 1, r#"{"order":8}"#).await,
        StatusCode::OK
    );
    assert_eq!(texts(&refused_queue).await, [r#"{"order":8}"#]);
    assert_eq!(texts(&failed_queue).await, ["order 7"]);

    // A Service Bus topic message on its function's last delivery (retries plus one).
    let alert = |delivery_count: u32| {
        json!({
            "Data": { "trigger": "\"disk full\"" },
            "Metadata": { "MessageId": "sb-1", "DeliveryCount": delivery_count.to_string(),
                "sys": { "MethodName": "page" } },
        })
    };
    assert_eq!(
        send(&router, "page", &alert(1)).await,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(send(&router, "page", &alert(2)).await, StatusCode::OK);
    assert_eq!(texts(&refused_queue).await, [r#"{"order":8}"#, "disk full"]);

    // When the forward fails (the target is gone), the invocation fails as before, so the host
    // keeps the message and poisons it itself.
    refused_queue.delete(None).await.expect("delete");
    assert_eq!(
        deliver(&router, "pack-async", 1, r#"{"order":9}"#).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    failed_queue.delete(None).await.expect("delete");
}
