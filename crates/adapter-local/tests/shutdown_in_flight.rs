//! A request in flight when shutdown begins, whose handler then publishes, gets 503 with
//! `Retry-After` (the publish fails with `ShuttingDown`), not a 500.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};

use faasport_adapter_local::serve::{spawn, ServeOptions};
use faasport_core::{App, Context, Error, Function, HttpRequest, HttpResponse, Message};

mod common;

fn started() -> &'static tokio::sync::Notify {
    static STARTED: std::sync::OnceLock<tokio::sync::Notify> = std::sync::OnceLock::new();
    STARTED.get_or_init(tokio::sync::Notify::new)
}

async fn slow_order(_req: HttpRequest, cx: Context) -> Result<HttpResponse, Error> {
    started().notify_one();
    tokio::time::sleep(Duration::from_millis(300)).await;
    cx.topic("orders").publish(Message::new("o-1")).await?;
    Ok(HttpResponse::new(StatusCode::CREATED))
}

async fn bill(_m: faasport_core::TopicMessage, _cx: Context) -> Result<(), Error> {
    Ok(())
}

#[tokio::test]
async fn a_request_that_publishes_after_shutdown_began_gets_503_with_retry_after() {
    let app = App::new("shop")
        .topic("orders")
        .function(
            Function::new("order", slow_order)
                .http(Method::POST, "/orders")
                .publishes("orders"),
        )
        .function(Function::new("bill", bill).subscribe("orders"));
    let options = ServeOptions::default()
        .addr(SocketAddr::from(([127, 0, 0, 1], 0)))
        .grace(Duration::from_secs(5));
    let server = spawn(app, options).await.expect("serving");
    let addr = server.addr();
    let in_flight = tokio::spawn(common::call(addr, Method::POST, "/orders", Bytes::new()));
    started().notified().await;
    let report = server.stop().await.expect("served");
    let reply = in_flight.await.expect("client");
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.headers["retry-after"], "5");
    assert!(report.shutdown.drained);
    assert_eq!(report.shutdown.deliveries.deliveries, 0);
}
