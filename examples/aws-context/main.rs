//! What a function sees of its platform: the invocation context, panics, a failing initialiser.
//!
//! `cargo run --example aws-context -- invoke context --data '{}'`
//!
//! Built with `--features aws` and run under the Lambda Runtime API (the AWS end-to-end tests
//! run it under cargo-lambda), it serves the function named by `FAASPORT_FUNCTION`:
//! - `context` answers with its [`Context`] as JSON (request id, invoked ARN, trace id, memory,
//!   provider, attempt, time left before the deadline);
//! - `flaky` panics when the event's data has `"panic": true` and otherwise answers with the
//!   process id and how many events this instance has served, so a caller can tell a warm
//!   instance from a new one;
//! - `broken-init` has an initialiser that fails, so the instance never serves anything.

mod app;

#[tokio::main]
async fn main() -> Result<(), faasport::Error> {
    faasport::run(app::app()).await
}
