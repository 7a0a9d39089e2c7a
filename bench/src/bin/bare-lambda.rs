//! The AWS adapter row's baseline: `lambda_runtime`'s own `service_fn`, answering each event
//! with the event itself, under the Runtime API named by `AWS_LAMBDA_RUNTIME_API` (cargo-lambda
//! in the suite).

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

async fn echo(event: LambdaEvent<Value>) -> Result<Value, Error> {
    Ok(event.payload)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(echo)).await
}
