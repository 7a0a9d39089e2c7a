//! The gateway's timeouts and connection cap on real loopback sockets: slow or idle clients are
//! disconnected; past the cap, the connection longest without a request in flight (a slow head
//! or body, or an idle one) makes room, and clients wait only while every connection has a
//! request in flight.
//!
//! The timeouts are small (200 ms) and the bounds generous (seconds), so a loaded machine makes
//! these tests slower, not flaky.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use faasport_adapter_local::gateway::{Gateway, GatewayConfig};
use faasport_adapter_local::LocalCloud;
use faasport_core::{App, Context, Error, Function, HttpRequest, HttpResponse};

mod common;

const SHORT: Duration = Duration::from_millis(200);
const LONG: Duration = Duration::from_secs(60);
const BOUND: Duration = Duration::from_secs(5);

async fn hello(_: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::text(StatusCode::OK, "hi"))
}

async fn slow(_: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    tokio::time::sleep(SHORT * 6).await;
    Ok(HttpResponse::text(StatusCode::OK, "late"))
}

async fn echo(req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::new(StatusCode::OK).with_body(req.body().clone()))
}

/// A gateway with every timeout long, then adjusted by `adjust`.
async fn start(
    adjust: impl FnOnce(GatewayConfig) -> GatewayConfig,
) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let app = App::new("limits")
        .function(Function::new("hello", hello).http(Method::GET, "/hello"))
        .function(Function::new("echo", echo).http(Method::POST, "/echo"))
        .function(Function::new("slow", slow).http(Method::GET, "/slow"));
    let sources = LocalCloud::builder(app).build().expect("valid app");
    let config = GatewayConfig::default()
        .addr(SocketAddr::from(([127, 0, 0, 1], 0)))
        .header_read_timeout(LONG)
        .body_read_timeout(LONG)
        .idle_timeout(LONG);
    let gateway = Gateway::bind(sources, adjust(config)).await.expect("bind");
    let addr = gateway.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(gateway.serve(async move {
        let _ = rx.await;
    }));
    (addr, tx)
}

/// Reads until the server closes the connection (or resets it); what it sent before.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let read = tokio::time::timeout(BOUND, async {
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server kept the connection open");
    String::from_utf8_lossy(&received).into_owned()
}

/// Reads one response with a `content-length` body, leaving the connection open.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let n = tokio::time::timeout(BOUND, stream.read(&mut buf))
            .await
            .expect("a response in time")
            .expect("read");
        assert!(n > 0, "closed before a whole response");
        received.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_owned)
                })
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return text;
            }
        }
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_request_head_is_disconnected() {
    let (addr, _stop) = start(|c| c.header_read_timeout(SHORT)).await;
    let mut slow = TcpStream::connect(addr).await.expect("connect");
    slow.write_all(b"GET /hel").await.expect("write");
    let answer = read_until_closed(&mut slow).await;
    assert!(!answer.contains("200"), "{answer}");
}

#[tokio::test]
async fn a_keep_alive_client_that_never_finishes_its_next_head_is_disconnected() {
    let (addr, _stop) = start(|c| c.header_read_timeout(SHORT)).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .expect("write");
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
    // The idle timeout is long: only the header read timeout can close it.
    stream.write_all(b"GET /hel").await.expect("write");
    assert_eq!(read_until_closed(&mut stream).await, "");
}

#[tokio::test]
async fn a_body_that_stops_arriving_gets_408_and_the_connection_is_closed() {
    let (addr, _stop) = start(|c| c.body_read_timeout(SHORT)).await;
    let mut truncated = TcpStream::connect(addr).await.expect("connect");
    truncated
        .write_all(
            b"POST /echo HTTP/1.1\r\nhost: localhost\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel",
        )
        .await
        .expect("write");
    let answer = read_until_closed(&mut truncated).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let (addr, _stop) = start(|c| c.idle_timeout(SHORT)).await;
    let mut idle = TcpStream::connect(addr).await.expect("connect");
    idle.write_all(b"GET /hello HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .expect("write");
    let answer = read_response(&mut idle).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(read_until_closed(&mut idle).await, "");
}

#[tokio::test]
async fn a_connection_past_the_cap_waits_while_every_connection_has_a_request_in_flight() {
    let (addr, _stop) = start(|c| c.max_connections(2)).await;
    // Two requests whose handler runs for 1.2 s: each connection has a request in flight.
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"GET /slow HTTP/1.1\r\nhost: localhost\r\n\r\n")
            .await
            .expect("write");
        open.push(stream);
    }
    tokio::time::sleep(SHORT).await;

    let third = tokio::spawn(common::call(addr, Method::GET, "/hello", Bytes::new()));
    tokio::time::sleep(SHORT * 2).await;
    assert!(!third.is_finished(), "served past the cap of 2");

    for stream in &mut open {
        assert!(read_response(stream).await.starts_with("HTTP/1.1 200"));
    }
    drop(open);
    let reply = tokio::time::timeout(BOUND, third)
        .await
        .expect("served once the others closed")
        .expect("the client task");
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text(), "hi");
}

#[tokio::test]
async fn past_the_cap_the_connection_longest_without_a_request_makes_room() {
    // Slow-header clients at the cap (their heads never end, the header timeout is a minute):
    // a new client is served at once, and the oldest slow connection is the one closed.
    let (addr, _stop) = start(|c| c.max_connections(3)).await;
    let mut slow = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"GET /hello HTTP/1.1\r\nhost: loc")
            .await
            .expect("write");
        slow.push(stream);
        tokio::time::sleep(SHORT / 4).await;
    }
    tokio::time::sleep(SHORT).await;

    let reply = tokio::time::timeout(
        BOUND,
        common::call(addr, Method::GET, "/hello", Bytes::new()),
    )
    .await
    .expect("served without waiting for a header timeout");
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(read_until_closed(&mut slow[0]).await, "");
    let mut buf = [0u8; 16];
    for stream in &mut slow[1..] {
        let still_open = tokio::time::timeout(SHORT, stream.read(&mut buf)).await;
        assert!(still_open.is_err(), "a newer slow connection was closed");
    }
}

#[tokio::test]
async fn past_the_cap_a_connection_still_sending_its_body_makes_room() {
    // Slow-body clients at the cap (their bodies never end, the body timeout is a minute): a
    // request is not in flight until its body has arrived, so a new client is served at once
    // and the oldest slow body is the connection closed.
    let (addr, _stop) = start(|c| c.max_connections(2)).await;
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"POST /echo HTTP/1.1\r\nhost: localhost\r\ncontent-length: 10\r\n\r\nabc")
            .await
            .expect("write");
        slow.push(stream);
        tokio::time::sleep(SHORT / 4).await;
    }
    tokio::time::sleep(SHORT).await;

    let reply = tokio::time::timeout(
        BOUND,
        common::call(addr, Method::GET, "/hello", Bytes::new()),
    )
    .await
    .expect("served without waiting for a body timeout");
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(read_until_closed(&mut slow[0]).await, "");
    let mut buf = [0u8; 16];
    let still_open = tokio::time::timeout(SHORT, slow[1].read(&mut buf)).await;
    assert!(still_open.is_err(), "the newer slow body was closed");
    // A body that does arrive, however slowly, is served.
    slow[1].write_all(b"defghij").await.expect("write");
    let answer = read_response(&mut slow[1]).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("abcdefghij"), "{answer}");
}

#[tokio::test]
async fn shutdown_closes_idle_connections_and_returns() {
    let app =
        App::new("limits").function(Function::new("hello", hello).http(Method::GET, "/hello"));
    let sources = LocalCloud::builder(app).build().expect("valid app");
    let config = GatewayConfig::default()
        .addr(SocketAddr::from(([127, 0, 0, 1], 0)))
        .idle_timeout(LONG)
        .header_read_timeout(LONG);
    let gateway = Gateway::bind(sources, config).await.expect("bind");
    let addr = gateway.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gateway.serve(async move {
        let _ = rx.await;
    }));
    let mut idle = TcpStream::connect(addr).await.expect("connect");
    idle.write_all(b"GET /hello HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .expect("write");
    read_response(&mut idle).await;

    tx.send(()).expect("server running");
    assert_eq!(read_until_closed(&mut idle).await, "");
    tokio::time::timeout(BOUND, server)
        .await
        .expect("serve returns")
        .expect("task")
        .expect("served");
}
