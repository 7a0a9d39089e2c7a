//! Asynchronous invoke against a real Azurite: a caller's `invoke_async` puts the payload on
//! the callee's invoke queue, the message is read back from Azurite, and then handed to the
//! custom handler as the Functions host hands it to the generated `<callee>-async` queue
//! trigger. Only a caller that declares the callee may send.
//!
//! Azurite comes from `.ci/azure-peers.sh`; see `tests/azurite.rs` for when this skips.
#![cfg(all(feature = "queue", feature = "invoke"))]

#[path = "common/azurite.rs"]
mod peer;

use axum::body::Body;
use azure_core::http::Url;
use azure_storage_queue::models::QueueClientReceiveMessagesOptions;
use azure_storage_queue::QueueServiceClient;
use base64::Engine;
use faasport_adapter_azure::bindings::storage::StorageSettings;
use faasport_adapter_azure::bindings::AzureBindings;
use faasport_adapter_azure::manifest::HttpMode;
use faasport_adapter_azure::names::{azure_functions, Entry, ResourceNames};
use faasport_core::http::StatusCode;
use faasport_core::{
    App, Context, Error, Function, Json, Operation, QueueBatch, Resources, RetryPolicy,
};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use peer::{account_sas, azurite, unique};

async fn bill(_: QueueBatch, _: Context) -> Result<(), Error> {
    Ok(())
}

/// Packs an order; `{"fail": true}` fails with an error a retry may fix.
async fn pack(Json(order): Json<Value>, cx: Context) -> Result<Json<Value>, Error> {
    if order["fail"] == json!(true) {
        return Err(Error::transient("the packing line is down"));
    }
    Ok(Json(json!({
        "packed": order["order"],
        "attempt": cx.attempt(),
        "azure_function": cx.metadata("azure_function"),
    })))
}

fn app() -> App {
    App::new("shop")
        .queue("orders")
        .function(Function::new("bill", bill).queue("orders").invokes("pack"))
        .function(Function::new("audit", bill).queue("orders").sends("orders"))
        .function(
            Function::new("pack", pack)
                .retry(RetryPolicy::default().with_max_retries(2))
                .sends("orders"),
        )
}

/// The context of `function` whose invoke queue for `pack` is `queue` on Azurite.
fn context(function: &str, queue_url: &str, queue: &str) -> Context {
    let names = ResourceNames::default().with_invoke_queue("pack", queue);
    let storage = StorageSettings::default().with_queue_url(queue_url);
    let bindings = AzureBindings::new(names, storage).into_bindings();
    Context::new("req-1", function).with_resources(Resources::new(app().declared(), bindings))
}

/// One message received from `queue`: its id, dequeue count and decoded text.
async fn receive(client: &azure_storage_queue::QueueClient) -> Vec<(String, i64, String)> {
    let options = QueueClientReceiveMessagesOptions {
        number_of_messages: Some(32),
        visibility_timeout: Some(1),
        ..Default::default()
    };
    let items = client
        .receive_messages(Some(options))
        .await
        .expect("receive")
        .into_model()
        .expect("messages")
        .items
        .unwrap_or_default();
    items
        .into_iter()
        .map(|m| {
            let text = base64::engine::general_purpose::STANDARD
                .decode(m.message_text.unwrap_or_default())
                .expect("the message text is base64");
            (
                m.message_id.unwrap_or_default(),
                m.dequeue_count.unwrap_or_default(),
                String::from_utf8(text).expect("utf-8"),
            )
        })
        .collect()
}

/// The invocation request the host sends the queue trigger for one message, and the answer.
async fn deliver(
    router: &axum::Router,
    azure_function: &str,
    (id, dequeue_count, text): &(String, i64, String),
) -> (StatusCode, Value) {
    // The host hands a queue message that is JSON to a custom handler as a JSON string.
    let body = json!({
        "Data": { "trigger": serde_json::to_string(text).expect("json") },
        "Metadata": { "DequeueCount": dequeue_count.to_string(), "Id": id,
            "sys": { "MethodName": azure_function } },
    });
    let request = http::Request::post(format!("/{azure_function}"))
        .header("content-type", "application/json")
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
async fn an_async_invoke_is_queued_on_azurite_and_runs_the_callee_through_its_queue_trigger() {
    let Some((_, queue)) = azurite() else {
        return;
    };
    let queue_url = format!("{queue}?{}", account_sas());
    let name = unique("faasport-invoke-pack");
    let service = QueueServiceClient::new(Url::parse(&queue_url).expect("url"), None, None)
        .expect("queue service");
    let client = service.queue_client(&name).expect("queue client");
    client.create(None).await.expect("create the queue");

    let caller = context("bill", &queue_url, &name);
    caller
        .function("pack")
        .invoke_async(json!({"order": 7}))
        .await
        .expect("accepted");
    caller
        .function("pack")
        .invoke_async(json!({"fail": true}))
        .await
        .expect("accepted");

    // Only a caller that declares `pack` may send to it; nothing else reaches the queue.
    let undeclared = context("audit", &queue_url, &name)
        .function("pack")
        .invoke_async(json!({"order": 8}))
        .await;
    assert!(
        matches!(
            undeclared,
            Err(Error::Undeclared { ref name, operation: Operation::Invoke, .. }) if name == "pack"
        ),
        "{undeclared:?}"
    );

    let mut messages = receive(&client).await;
    messages.sort_by(|a, b| a.2.cmp(&b.2));
    let texts: Vec<&str> = messages.iter().map(|m| m.2.as_str()).collect();
    assert_eq!(texts, [r#"{"fail":true}"#, r#"{"order":7}"#]);
    assert!(messages.iter().all(|m| m.1 == 1));

    let async_entry = azure_functions(&app())
        .into_iter()
        .find(|a| a.function == "pack" && a.entry == Entry::InvokeQueue)
        .expect("pack has an invoke queue trigger");
    assert_eq!(async_entry.name, "pack-async");
    let router = faasport_adapter_azure::router(app(), HttpMode::Proxying).expect("router");

    let (status, answer) = deliver(&router, "pack-async", &messages[1]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer["ReturnValue"],
        json!({"packed": 7, "attempt": 1, "azure_function": "pack-async"})
    );

    // A failure is a non-2xx, so the host delivers it again (with its dequeue count as the
    // attempt) until maxDequeueCount, then moves it to `<queue>-poison`.
    let (status, _) = deliver(&router, "pack-async", &messages[0]).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let again = (messages[1].0.clone(), 3, messages[1].2.clone());
    let (status, answer) = deliver(&router, "pack-async", &again).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["ReturnValue"]["attempt"], 3);

    // A message that is not an invoke payload is a malformed invocation, not a run.
    let junk = (messages[1].0.clone(), 1, "not json".to_owned());
    let (status, answer) = deliver(&router, "pack-async", &junk).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("the payload is not JSON")),
        "{answer}"
    );
    client.delete(None).await.expect("delete the queue");
}
