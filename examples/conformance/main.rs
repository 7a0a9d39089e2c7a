//! The conformance app as a binary: `tests/conformance/` runs it under cargo-lambda for the
//! AWS column of the matrix (`FAASPORT_FUNCTION` names the function to serve).
//!
//! `cargo run --example conformance -- invoke double --data '{"qty": 2}'`

mod app;

#[tokio::main]
async fn main() -> Result<(), faasport::Error> {
    faasport::run(app::app()).await
}
