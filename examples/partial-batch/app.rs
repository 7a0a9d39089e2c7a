//! The partial-batch app: `process` consumes the `orders` queue and reports only the messages it
//! could not process.

use faasport::prelude::*;

/// Processes each message, returning the ids of those that failed.
pub async fn process(batch: QueueBatch, _cx: Context) -> Result<BatchOutcome, Error> {
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

/// The app: `process` on the `orders` queue.
pub fn app() -> App {
    App::new("orders")
        .queue("orders")
        .function(Function::new("process", process).queue("orders"))
}
