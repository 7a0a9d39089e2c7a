//! The programs the HTTP benchmark suite (`tools/bench/suite.sh`, issue 14) runs next to
//! faasport, each the plainest way to serve the same thing without it:
//!
//! | binary | what it serves | compared with |
//! |---|---|---|
//! | `ping` | a faasport app: `GET /ping` answers `pong` (run it with `serve --port N`) | `bare-axum` |
//! | `bare-axum` | axum alone: `GET /ping` answers `pong` | the `ping` app under `serve` |
//! | `bare-lambda` | `lambda_runtime::run(service_fn(..))` answering each event with itself | the `echo` example under the aws adapter |
//! | `bare-azure` | hyper alone: decodes an Azure custom handler invocation request and answers its message | the `echo` example under the azure adapter |
//!
//! The shared bits live here: the `pong` body and the port argument.

use std::net::SocketAddr;

/// The body both sides of the gateway row answer `GET /ping` with.
pub const PONG: &str = "pong";

/// The loopback address on the port given as `--port N` (or the first argument), else `default`.
///
/// # Errors
/// A message naming the argument when the port is not a number.
pub fn port_arg(default: u16) -> Result<SocketAddr, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = match args.iter().position(|a| a == "--port") {
        Some(i) => args.get(i + 1).cloned(),
        None => args.first().cloned(),
    };
    let port = match value {
        Some(v) => v
            .parse::<u16>()
            .map_err(|e| format!("--port {v}: not a port ({e})"))?,
        None => default,
    };
    Ok(SocketAddr::from(([127, 0, 0, 1], port)))
}
