//! Serve mode on loopback: the gateway answers, dead letters are reachable over the admin
//! endpoints, and a shutdown signal ends the run with a report.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};

use faasport_adapter_local::serve::{serve_until_signal, spawn, ServeOptions};
use faasport_adapter_local::DeliveryPolicy;
use faasport_core::{App, Context, Error, Function, HttpRequest, HttpResponse, Message};

mod common;

async fn order(_req: HttpRequest, cx: Context) -> Result<HttpResponse, Error> {
    cx.topic("orders").publish(Message::new("o-1")).await?;
    Ok(HttpResponse::new(StatusCode::ACCEPTED))
}

async fn bill(_m: faasport_core::TopicMessage, _cx: Context) -> Result<(), Error> {
    Err(Error::transient("billing is down"))
}

/// An admin call as the CLI makes it: with the header that makes it a non-simple request.
async fn call(addr: SocketAddr, method: Method, path: &str) -> (StatusCode, serde_json::Value) {
    let headers = [("x-faasport-admin", "1")];
    let reply = common::call_with(addr, method, path, &headers, Bytes::new()).await;
    (reply.status, reply.read_json())
}

#[tokio::test]
async fn serve_runs_until_the_signal_and_exposes_dead_letters_over_http() {
    let app = App::new("shop")
        .topic("orders")
        .function(Function::new("order", order).http(Method::POST, "/orders"))
        .function(Function::new("bill", bill).subscribe("orders"));
    let options = ServeOptions::default()
        .addr(SocketAddr::from(([127, 0, 0, 1], 0)))
        .grace(Duration::from_secs(2))
        .policy(DeliveryPolicy::aws().with_async_retries(0));
    let server = spawn(app, options).await.expect("serving");
    let addr = server.addr();

    assert_eq!(
        call(addr, Method::POST, "/orders").await.0,
        StatusCode::ACCEPTED
    );
    let mut letters = serde_json::Value::Null;
    for _ in 0..200 {
        letters = call(addr, Method::GET, "/_faasport/dead-letters").await.1;
        if letters.as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        tokio::task::yield_now().await;
    }
    let id = letters[0]["id"].as_str().expect("a dead letter").to_owned();
    assert_eq!(
        letters[0]["source"],
        serde_json::json!({"kind": "function", "name": "bill"})
    );
    assert_eq!(
        letters[0]["reason"],
        "TransientError: billing is down (after 1 attempts)"
    );
    let (status, one) = call(addr, Method::GET, &format!("/_faasport/dead-letters/{id}")).await;
    assert_eq!(
        (status, &one["id"]),
        (StatusCode::OK, &serde_json::json!(id))
    );
    let (status, _) = call(addr, Method::GET, "/_faasport/dead-letters/dl-999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, purged) = call(addr, Method::DELETE, "/_faasport/dead-letters").await;
    assert_eq!(
        (status, purged),
        (StatusCode::OK, serde_json::json!({"purged": 1}))
    );

    let report = server.stop().await.expect("served");
    assert_eq!(report.addr, addr);
    assert!(report.shutdown.is_clean(), "{:?}", report.shutdown);
    assert_eq!(report.shutdown.deliveries.dead_lettered, 1);
}

/// Says when a hanging handler has started; `notify_one` keeps the permit for a later waiter.
fn started() -> &'static tokio::sync::Notify {
    static STARTED: std::sync::OnceLock<tokio::sync::Notify> = std::sync::OnceLock::new();
    STARTED.get_or_init(tokio::sync::Notify::new)
}

async fn hang_http(_req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    started().notify_one();
    std::future::pending().await
}

async fn hang_event(_m: faasport_core::TopicMessage, _cx: Context) -> Result<(), Error> {
    started().notify_one();
    std::future::pending().await
}

#[tokio::test]
async fn shutdown_ends_within_one_grace_period_and_counts_the_http_requests_it_abandoned() {
    let app = App::new("stuck")
        .topic("orders")
        .function(Function::new("order", order).http(Method::POST, "/orders"))
        .function(
            Function::new("hang", hang_http)
                .http(Method::GET, "/hang")
                .timeout(Duration::from_secs(60)),
        )
        .function(
            Function::new("bill", hang_event)
                .subscribe("orders")
                .timeout(Duration::from_secs(60)),
        );
    let grace = Duration::from_millis(600);
    let options = ServeOptions::default()
        .addr(SocketAddr::from(([127, 0, 0, 1], 0)))
        .grace(grace);
    let server = spawn(app, options).await.expect("serving");
    let addr = server.addr();
    // A topic delivery that never ends, and an HTTP request that never ends.
    assert_eq!(
        call(addr, Method::POST, "/orders").await.0,
        StatusCode::ACCEPTED
    );
    started().notified().await;
    let hung = tokio::spawn(call(addr, Method::GET, "/hang"));
    started().notified().await;

    let signalled = std::time::Instant::now();
    let report = server.stop().await.expect("served");
    let took = signalled.elapsed();
    // Both waits share one grace period (it used to be one for the sources, then one more for
    // the server, at least twice the grace in all); the bound leaves room for a loaded machine.
    assert!(took >= grace, "{took:?}");
    assert!(took < grace * 2, "{took:?}");
    let shutdown = report.shutdown;
    assert!(!shutdown.drained);
    assert_eq!(shutdown.requests_abandoned, 1);
    assert_eq!(shutdown.undelivered.len(), 1, "{shutdown:?}");
    assert_eq!(shutdown.undelivered[0].function, "bill");
    assert!(!shutdown.is_clean());
    assert_eq!(
        hung.await.expect("client").0,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_stops_serve_like_ctrl_c() {
    let app = App::new("term")
        .topic("orders")
        .function(Function::new("order", order).http(Method::POST, "/orders"));
    let options = ServeOptions::default().addr(SocketAddr::from(([127, 0, 0, 1], 0)));
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(serve_until_signal(app, options, move |addr| {
        let _ = ready_tx.send(addr);
    }));
    let addr = ready_rx.await.expect("ready");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let report = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("stopped on SIGTERM")
        .expect("joined")
        .expect("served");
    assert_eq!(report.addr, addr);
    assert!(report.shutdown.is_clean());
}

#[tokio::test]
async fn spawning_on_an_address_in_use_is_a_gateway_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("address");
    let app =
        App::new("shop").function(Function::new("order", order).http(Method::POST, "/orders"));
    let err = spawn(app, ServeOptions::default().addr(addr))
        .await
        .expect_err("the port is taken");
    assert!(
        matches!(err, faasport_adapter_local::serve::ServeError::Gateway(_)),
        "{err:?}"
    );
}
