//! An SQS batch with failing messages returns exactly those ids.

use crate::harness::{fixture, Lambda};

#[tokio::test]
async fn an_sqs_batch_with_a_poison_message_reports_exactly_that_id() {
    let Some(lambda) = Lambda::start("partial-batch", "process").await else {
        return;
    };
    let (status, answer) = lambda.invoke_json(&fixture("sqs-batch.json")).await;
    assert_eq!(status, 200);
    // Message 2 has a plain-text body, message 3 is flagged as poison; message 1 succeeds.
    assert_eq!(
        answer,
        serde_json::json!({"batchItemFailures": [
            {"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"},
            {"itemIdentifier": "f2c1d5e3-1234-4c1b-9d0a-1b2c3d4e5f60"}
        ]})
    );
}
