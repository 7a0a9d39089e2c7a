//! Partial batch failure: a queue consumer that reports only the messages it could not process.
//!
//! `cargo run --example partial-batch -- invoke process --data '{"kind":"queue","event":{"queue":"orders","messages":[{"id":"1","body":"{\"poison\":true}"}]}}'`
//!
//! Messages whose JSON body has `"poison": true` (or is not JSON) fail; the others succeed. On
//! AWS the outcome becomes SQS `batchItemFailures`, so only the failed messages return to the
//! queue; locally the queue redelivers just those.

use faasport::prelude::*;

/// Processes each message, returning the ids of those that failed.
async fn process(batch: QueueBatch, _cx: Context) -> Result<BatchOutcome, Error> {
    let mut outcome = BatchOutcome::success();
    for message in &batch.messages {
        let poisoned = message
            .body
            .to_json::<serde_json::Value>()
            .map_or(true, |order| order["poison"] == true);
        if poisoned {
            outcome.fail(message.id.clone());
        }
    }
    Ok(outcome)
}

fn app() -> App {
    App::new("orders")
        .queue("orders")
        .function(Function::new("process", process).queue("orders"))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    faasport::run(app()).await
}
