//! The bindings as a handler reaches them: the custom handler built from the app settings
//! (`FAASPORT_AZURE_*_URL`, `FAASPORT_QUEUE_*`, `FAASPORT_BUCKET_*`), an invocation request
//! sent as the Functions host sends a queue trigger's, and what the handler wrote read back
//! from Azurite. One test in this binary: it sets process environment variables.
//!
//! Azurite comes from `.ci/azure-peers.sh`; see `tests/azurite.rs` for when this skips.
#![cfg(all(feature = "queue", feature = "blob"))]

#[path = "common/azurite.rs"]
mod peer;

use axum::body::Body;
use azure_core::http::Url;
use azure_storage_blob::BlobServiceClient;
use azure_storage_queue::QueueServiceClient;
use base64::Engine;
use faasport_adapter_azure::manifest::HttpMode;
use faasport_core::http::StatusCode;
use faasport_core::{App, Context, Error, Function, Message, QueueBatch};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use peer::{account_sas, azurite, unique};

/// Stores each order in `files` and queues a job for it.
async fn ingest(batch: QueueBatch, cx: Context) -> Result<(), Error> {
    for message in batch.messages {
        let key = format!("orders/{}.json", message.id);
        cx.bucket("files").put(&key, message.body.clone()).await?;
        let stored = cx.bucket("files").get(&key).await?;
        let size = stored.map_or(0, |o| o.body.len());
        let job = json!({ "key": key, "size": size });
        cx.queue("jobs").send(Message::json(&job)?).await?;
    }
    Ok(())
}

/// Declares only `writes("files")`, then sends to `jobs`.
async fn sneaky(_: QueueBatch, cx: Context) -> Result<(), Error> {
    cx.queue("jobs").send(Message::new("not allowed")).await?;
    Ok(())
}

async fn invoke(
    router: &axum::Router,
    function: &str,
    id: &str,
    text: &str,
) -> (StatusCode, Value) {
    let body = json!({
        "Data": { "trigger": serde_json::to_string(text).expect("json") },
        "Metadata": { "DequeueCount": "1", "Id": id, "sys": { "MethodName": function } },
    });
    let request = http::Request::post(format!("/{function}"))
        .header("content-type", "application/json")
        .header("x-azure-functions-invocationid", format!("inv-{id}"))
        .body(Body::from(body.to_string()))
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).expect("a JSON answer"),
    )
}

#[tokio::test]
async fn a_handler_writes_blobs_and_queue_messages_that_are_read_back_from_azurite() {
    let Some((blob, queue)) = azurite() else {
        return;
    };
    let sas = account_sas();
    let (queue_name, container) = (unique("jobs"), unique("files"));
    std::env::set_var("FAASPORT_AZURE_QUEUE_URL", format!("{queue}?{sas}"));
    std::env::set_var("FAASPORT_AZURE_BLOB_URL", format!("{blob}?{sas}"));
    std::env::set_var("FAASPORT_QUEUE_JOBS", &queue_name);
    std::env::set_var("FAASPORT_BUCKET_FILES", &container);

    let queues = QueueServiceClient::new(
        Url::parse(&format!("{queue}?{sas}")).expect("url"),
        None,
        None,
    )
    .expect("queue client");
    let blobs = BlobServiceClient::new(
        Url::parse(&format!("{blob}?{sas}")).expect("url"),
        None,
        None,
    )
    .expect("blob client");
    let jobs = queues.queue_client(&queue_name).expect("queue client");
    jobs.create(None).await.expect("create the queue");
    let files = blobs.blob_container_client(&container);
    files.create(None).await.expect("create the container");

    let app = App::new("shop")
        .queue("orders")
        .queue("jobs")
        .bucket("files")
        .function(
            Function::new("ingest", ingest)
                .queue("orders")
                .reads("files")
                .writes("files")
                .sends("jobs"),
        )
        .function(
            Function::new("sneaky", sneaky)
                .queue("orders")
                .writes("files"),
        );
    let router = faasport_adapter_azure::router(app, HttpMode::Proxying).expect("router");

    let (status, answer) = invoke(&router, "ingest", "m-1", "{\"sku\":\"A-1\"}").await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    let stored = files
        .blob_client("orders/m-1.json")
        .download(None)
        .await
        .expect("the blob the handler put")
        .body
        .collect()
        .await
        .expect("body");
    assert_eq!(&stored[..], b"{\"sku\":\"A-1\"}");

    let (status, answer) = invoke(&router, "sneaky", "m-2", "x").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(
        answer["Logs"][0].as_str().map(|l| l.contains("jobs")),
        Some(true),
        "{answer}"
    );

    let received = jobs
        .receive_messages(None)
        .await
        .expect("receive")
        .into_model()
        .expect("messages")
        .items
        .unwrap_or_default();
    let texts: Vec<Value> = received
        .iter()
        .map(|m| {
            let text = m.message_text.as_deref().unwrap_or_default();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .expect("base64 message text");
            serde_json::from_slice(&bytes).expect("a JSON job")
        })
        .collect();
    assert_eq!(texts, [json!({"key": "orders/m-1.json", "size": 13})]);

    jobs.delete(None).await.expect("delete the queue");
    files
        .blob_client("orders/m-1.json")
        .delete(None)
        .await
        .expect("delete the blob");
    files.delete(None).await.expect("delete the container");
}
