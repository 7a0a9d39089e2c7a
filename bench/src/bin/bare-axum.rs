//! The gateway row's baseline: axum alone on the same tokio runtime `serve` uses, `GET /ping`
//! answering `pong`. `bare-axum --port N`.

use axum::routing::get;
use axum::Router;

async fn ping() -> &'static str {
    faasport_bench::PONG
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = faasport_bench::port_arg(3000)?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, Router::new().route("/ping", get(ping))).await?;
    Ok(())
}
