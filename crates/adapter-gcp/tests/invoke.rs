//! Synchronous invoke between two functions, each under the adapter's real HTTP server on
//! loopback: the caller's binding posts a `faasport.invoke` CloudEvent to the callee's URL.

use std::sync::Arc;

use faasport_adapter_gcp::bindings::{Endpoint, GcpBindings};
use faasport_adapter_gcp::names::ResourceNames;
use faasport_adapter_gcp::FunctionServer;
use faasport_core::resource::{FunctionInvoker, InvokeMode};
use faasport_core::{
    App, Context, Error, Event, Function, HttpRequest, HttpResponse, ResourceKind,
};
use serde_json::{json, Value};

async fn price(event: Event, _: Context) -> Result<Value, Error> {
    let Event::CloudEvent(event) = event else {
        return Err(Error::bad_request("not an invoke"));
    };
    let data = event.data.unwrap_or(Value::Null);
    match data["sku"].as_str() {
        Some("fail") => Err(Error::transient("the price service is down")),
        Some(sku) => Ok(json!({"sku": sku, "cents": 1250, "type": event.ty})),
        None => Err(Error::bad_request("no `sku`")),
    }
}

async fn page(request: HttpRequest, _: Context) -> Result<HttpResponse, Error> {
    let body: Value = request.read_json()?;
    HttpResponse::json(faasport_core::http::StatusCode::OK, &json!({"echo": body}))
}

/// Serves `target` of the app on a loopback port; returns its URL.
async fn serve(target: &str) -> String {
    let app = App::new("shop")
        .function(Function::new("price", price))
        .function(Function::new("page", page).http_any("/"));
    let server = FunctionServer::start(&app, |name| {
        (name == "FUNCTION_TARGET").then(|| target.to_owned())
    })
    .await
    .expect("starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, Arc::new(server).router()).await;
    });
    url
}

fn caller(urls: &[(&str, &str)]) -> GcpBindings {
    let names = urls
        .iter()
        .fold(ResourceNames::default(), |names, (f, url)| {
            names.with(ResourceKind::Function, f, *url)
        });
    GcpBindings::with_endpoints(
        names,
        Endpoint::from_vars(None, None),
        Endpoint::from_vars(None, None),
    )
}

fn binding(error: Error) -> (bool, String) {
    match error {
        Error::Binding {
            kind: ResourceKind::Function,
            retryable,
            source,
            ..
        } => (retryable, source.to_string()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_invoke_returns_the_callees_json_and_its_errors_by_status() {
    let url = serve("price").await;
    let caller = caller(&[("price", &url)]);
    let result = caller
        .invoke("price", json!({"sku": "A-1"}), InvokeMode::Sync)
        .await
        .expect("invoked");
    assert_eq!(
        result,
        Some(json!({"sku": "A-1", "cents": 1250, "type": "faasport.invoke"}))
    );

    let (retryable, text) = binding(
        caller
            .invoke("price", json!({}), InvokeMode::Sync)
            .await
            .expect_err("bad request"),
    );
    assert!(!retryable);
    assert_eq!(text, "the function answered 400: bad request: no `sku`");

    let (retryable, text) = binding(
        caller
            .invoke("price", json!({"sku": "fail"}), InvokeMode::Sync)
            .await
            .expect_err("failed"),
    );
    assert!(
        retryable,
        "a failed function may be called again, as on Lambda"
    );
    assert_eq!(text, "the function answered 500: internal server error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoked_http_function_gets_the_request_and_its_body_comes_back() {
    let url = serve("page").await;
    let caller = caller(&[("page", &url)]);
    let result = caller
        .invoke("page", json!({"n": 1}), InvokeMode::Sync)
        .await
        .expect("invoked");
    assert_eq!(result, Some(json!({"echo": {"n": 1}})));
}

#[tokio::test]
async fn without_its_variables_an_invoke_names_the_one_to_set() {
    let caller = caller(&[]);
    let (retryable, text) = binding(
        caller
            .invoke("price", json!({}), InvokeMode::Sync)
            .await
            .expect_err("no URL"),
    );
    assert!(!retryable);
    assert!(
        text.starts_with("FAASPORT_FUNCTION_PRICE_URL is not set"),
        "{text}"
    );
    let (_, text) = binding(
        caller
            .invoke("price", json!({}), InvokeMode::Async)
            .await
            .expect_err("no topic"),
    );
    assert!(
        text.starts_with("FAASPORT_FUNCTION_PRICE_TOPIC is not set"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callee_that_is_not_listening_is_a_retryable_failure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a port");
    let caller = caller(&[("price", &format!("http://127.0.0.1:{port}"))]);
    let (retryable, _) = binding(
        caller
            .invoke("price", json!({"sku": "A-1"}), InvokeMode::Sync)
            .await
            .expect_err("refused"),
    );
    assert!(retryable);
}
