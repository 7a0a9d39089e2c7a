//! Partial batch failure: a queue consumer that reports only the messages it could not process.
//!
//! `cargo run --example partial-batch -- invoke process --data '{"kind":"queue","event":{"queue":"orders","messages":[{"id":"1","body":"{\"poison\":true}"}]}}'`
//!
//! Messages whose JSON body has `"poison": true` (or is not JSON) fail; the others succeed. On
//! AWS the outcome becomes SQS `batchItemFailures`, so only the failed messages return to the
//! queue; locally the queue redelivers just those.

mod app;

#[tokio::main]
async fn main() -> Result<(), faasport::Error> {
    faasport::run(app::app()).await
}
