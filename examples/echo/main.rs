//! `cargo run --example echo -- invoke echo --data '{"hello": "world"}'`
//!
//! The same binary serves `echo` on AWS Lambda when built with `--features aws`.

mod app;

#[tokio::main]
async fn main() -> Result<(), faasport::Error> {
    faasport::run(app::app()).await
}
