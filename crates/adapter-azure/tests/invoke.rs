//! Invoking a function through the bindings: an HTTP call to its invoke endpoint, answered by
//! the custom handler itself (in proxying mode, on a loopback port) behind a layer that checks
//! `x-functions-key` as the Functions host does for `authLevel: function`.
#![cfg(feature = "invoke")]

use std::net::SocketAddr;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use faasport_adapter_azure::bindings::storage::StorageSettings;
use faasport_adapter_azure::bindings::AzureBindings;
use faasport_adapter_azure::manifest::HttpMode;
use faasport_adapter_azure::names::ResourceNames;
use faasport_core::resource::{FunctionInvoker, InvokeMode};
use faasport_core::{App, Context, Error, Function, Json, ResourceKind};
use serde_json::{json, Value};

const KEY: &str = "host-key-1";

async fn double(Json(v): Json<Value>, _: Context) -> Result<Json<Value>, Error> {
    let n = v["n"]
        .as_i64()
        .ok_or_else(|| Error::bad_request("no `n`"))?;
    Ok(Json(json!({ "doubled": n * 2 })))
}

async fn quiet(_: Json<Value>, _: Context) -> Result<(), Error> {
    Ok(())
}

async fn broken(_: Json<Value>, _: Context) -> Result<(), Error> {
    Err(Error::transient("database down"))
}

/// The host's key check: 401 without the right `x-functions-key`.
async fn host_key(request: Request, next: Next) -> Response {
    if request
        .headers()
        .get("x-functions-key")
        .map(|v| v.as_bytes())
        == Some(KEY.as_bytes())
    {
        return next.run(request).await;
    }
    let mut refused = Response::new(axum::body::Body::empty());
    *refused.status_mut() = http::StatusCode::UNAUTHORIZED;
    refused
}

/// Serves the app on a free loopback port and returns its base URL.
async fn function_app() -> String {
    let app = App::new("calc")
        .function(Function::new("double", double))
        .function(Function::new("quiet", quiet))
        .function(Function::new("broken", broken));
    let router = faasport_adapter_azure::router(app, HttpMode::Proxying)
        .expect("router")
        .layer(axum::middleware::from_fn(host_key));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

fn bindings(app_url: &str, key: &str) -> AzureBindings {
    let names = ResourceNames::default().with_app_url(app_url);
    AzureBindings::new(names, StorageSettings::default()).with_function_key(key)
}

fn function_error(result: Result<Option<Value>, Error>) -> (bool, String) {
    match result {
        Err(
            ref e @ Error::Binding {
                kind: ResourceKind::Function,
                retryable,
                ref source,
                ..
            },
        ) => {
            assert!(e.to_string().ends_with("binding failed"), "{e}");
            (retryable, source.to_string())
        }
        other => panic!("expected a binding error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_sync_invoke_returns_the_callee_json_through_its_invoke_endpoint() {
    let url = function_app().await;
    let invoker = bindings(&url, KEY);
    let result = invoker
        .invoke("double", json!({"n": 21}), InvokeMode::Sync)
        .await
        .expect("invoke");
    assert_eq!(result, Some(json!({"doubled": 42})));
    let empty = invoker.invoke("quiet", json!({}), InvokeMode::Sync).await;
    assert_eq!(empty.expect("invoke"), Some(Value::Null));
}

#[tokio::test]
async fn a_callee_failure_is_a_binding_error_retryable_as_its_status_says() {
    let url = function_app().await;
    let invoker = bindings(&url, KEY);
    let bad = invoker.invoke("double", json!({}), InvokeMode::Sync).await;
    assert_eq!(
        function_error(bad),
        (
            false,
            "the function answered 400: bad request: no `n`".into()
        )
    );
    let down = invoker.invoke("broken", json!({}), InvokeMode::Sync).await;
    assert_eq!(
        function_error(down),
        (
            true,
            "the function answered 500: internal server error".into()
        )
    );
}

#[tokio::test]
async fn a_wrong_key_is_refused_by_the_host_and_not_retried() {
    let url = function_app().await;
    let refused = bindings(&url, "wrong")
        .invoke("double", json!({"n": 1}), InvokeMode::Sync)
        .await;
    assert_eq!(
        function_error(refused),
        (false, "the function answered 401: ".into())
    );
}

#[tokio::test]
async fn an_async_invoke_without_storage_and_an_unknown_app_url_say_which_setting_is_missing() {
    let url = function_app().await;
    let queued = bindings(&url, KEY)
        .invoke("double", json!({"n": 1}), InvokeMode::Async)
        .await;
    assert_eq!(
        function_error(queued),
        (
            false,
            "none of FAASPORT_AZURE_QUEUE_URL, AzureWebJobsStorage__queueServiceUri or AzureWebJobsStorage__accountName is set".into()
        )
    );

    let nowhere = AzureBindings::new(ResourceNames::default(), StorageSettings::default())
        .invoke("double", json!({}), InvokeMode::Sync)
        .await;
    assert_eq!(
        function_error(nowhere),
        (
            false,
            "none of FAASPORT_FUNCTION_DOUBLE_URL, FAASPORT_AZURE_FUNCTION_APP_URL or WEBSITE_HOSTNAME is set".into()
        )
    );
}

#[tokio::test]
async fn a_function_with_a_queue_trigger_is_invoked_on_its_own_endpoint_with_a_tagged_event() {
    async fn count(batch: faasport_core::QueueBatch, cx: Context) -> Result<Json<Value>, Error> {
        Ok(Json(json!({
            "queue": batch.queue,
            "ids": batch.messages.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
            "azure_function": cx.metadata("azure_function"),
        })))
    }
    let app = App::new("calc")
        .queue("jobs")
        .function(Function::new("count", count).queue("jobs"));
    let router = faasport_adapter_azure::router(app, HttpMode::Proxying).expect("router");
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    let invoker = bindings(&url, KEY);
    let batch = json!({"kind": "queue", "event": {"queue": "jobs", "messages": [
        {"id": "m1", "body": "aGk="}, {"id": "m2", "body": ""}]}});
    let answer = invoker
        .invoke("count", batch, InvokeMode::Sync)
        .await
        .expect("invoke");
    assert_eq!(
        answer,
        Some(json!({"queue": "jobs", "ids": ["m1", "m2"], "azure_function": "count-invoke"}))
    );
    // A payload in the tagged form that does not parse is refused, as core refuses it locally.
    let bad = invoker
        .invoke(
            "count",
            json!({"kind": "queue", "event": {"queue": 3}}),
            InvokeMode::Sync,
        )
        .await;
    let (retryable, reason) = function_error(bad);
    assert!(!retryable, "{reason}");
    assert!(
        reason.starts_with("the function answered 400: invalid payload: not a valid `queue` event"),
        "{reason}"
    );
}
