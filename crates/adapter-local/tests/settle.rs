//! Settling within a limit: a run that never goes quiet ends with an error naming what is still
//! pending, instead of hanging the test.

use std::time::Duration;

use faasport_adapter_local::LocalCloud;
use faasport_core::{
    App, BatchOutcome, Context, Error, Function, Message, QueueBatch, TopicMessage,
};

async fn stuck_on_topic(_m: TopicMessage, _cx: Context) -> Result<(), Error> {
    std::future::pending().await
}

async fn stuck_on_queue(_b: QueueBatch, _cx: Context) -> Result<BatchOutcome, Error> {
    std::future::pending().await
}

async fn quick(_m: TopicMessage, _cx: Context) -> Result<(), Error> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn settle_within_names_the_deliveries_and_queues_still_pending() {
    let app = App::new("s")
        .topic("orders")
        .queue("jobs")
        .function(
            Function::new("bill", stuck_on_topic)
                .subscribe("orders")
                .timeout(Duration::from_secs(600)),
        )
        .function(
            Function::new("work", stuck_on_queue)
                .queue("jobs")
                .timeout(Duration::from_secs(600)),
        );
    let sources = LocalCloud::builder(app).build().expect("valid app");
    sources.start();
    let event = sources
        .publish("orders", Message::new("o"))
        .await
        .expect("published");
    let message = sources.send("jobs", Message::new("j")).await.expect("sent");
    let started = tokio::time::Instant::now();
    let err = sources
        .settle_within(Duration::from_secs(60))
        .await
        .expect_err("a handler never finishes");
    assert_eq!(started.elapsed(), Duration::from_secs(60));
    assert_eq!(err.limit, Duration::from_secs(60));
    let pending: Vec<_> = err
        .pending
        .iter()
        .map(|p| (p.function.as_str(), p.event_id.as_str(), p.attempt))
        .collect();
    assert_eq!(pending, [("bill", event.as_str(), 1)]);
    let queues: Vec<_> = err
        .queues
        .iter()
        .map(|q| (q.queue.as_str(), q.message_ids.clone()))
        .collect();
    assert_eq!(queues, [("jobs", vec![message.clone()])]);
    assert_eq!(
        err.to_string(),
        format!(
            "not settled after 60s: delivery of `{event}` to `bill` (attempt 1); \
             queue `jobs` holds 1 message(s) ({message})"
        )
    );
}

#[tokio::test(start_paused = true)]
async fn settle_within_returns_once_everything_is_delivered() {
    let app = App::new("s")
        .topic("orders")
        .function(Function::new("audit", quick).subscribe("orders"));
    let sources = LocalCloud::builder(app).build().expect("valid app");
    sources
        .publish("orders", Message::new("o"))
        .await
        .expect("published");
    sources
        .settle_within(Duration::from_secs(1))
        .await
        .expect("settled");
    assert_eq!(sources.deliveries().processed, 1);
}
