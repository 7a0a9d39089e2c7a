//! The app's default dead letter: where a function or consumed queue without its own target
//! sends what exhausted its retries, locally as in the manifests.

use std::time::Duration;

use faasport_adapter_local::{DeadLetterSource, LocalCloud};
use faasport_core::{
    App, BatchOutcome, Context, DeadLetter, Error, Function, Message, QueueBatch, TopicMessage,
};

async fn failing(_m: TopicMessage, _cx: Context) -> Result<(), Error> {
    Err(Error::transient("dependency down"))
}

async fn failing_batch(_b: QueueBatch, _cx: Context) -> Result<BatchOutcome, Error> {
    Err(Error::transient("dependency down"))
}

fn app() -> App {
    App::new("shop")
        .topic("orders")
        .queue("jobs")
        .queue("failed")
        .queue("refunds-failed")
        .dead_letter(DeadLetter::Queue("failed".into()))
        .function(Function::new("bill", failing).subscribe("orders"))
        .function(
            Function::new("refund", failing)
                .subscribe("orders")
                .dead_letter(DeadLetter::Queue("refunds-failed".into())),
        )
        .function(Function::new("work", failing_batch).queue("jobs"))
}

async fn settle(sources: &LocalCloud) {
    sources
        .settle_within(Duration::from_secs(3600))
        .await
        .expect("settled");
}

fn visible(sources: &LocalCloud, queue: &str) -> u64 {
    sources.queue_stats(queue).expect("declared").visible
}

#[tokio::test(start_paused = true)]
async fn an_event_that_exhausts_its_retries_lands_in_the_app_default_dead_letter() {
    let sources = LocalCloud::builder(app()).build().expect("valid app");
    sources.start();
    sources
        .publish("orders", Message::new("o-1"))
        .await
        .expect("accepted");
    settle(&sources).await;
    let bill = sources
        .dead_letters()
        .list(Some(&DeadLetterSource::Function("bill".into())));
    assert_eq!(bill.len(), 1);
    assert_eq!(bill[0].attempts, 3);
    // `bill` has no dead letter of its own: the app's default takes it, and only it.
    assert_eq!(visible(&sources, "failed"), 1);
    // `refund` has its own, which wins over the default.
    assert_eq!(visible(&sources, "refunds-failed"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_consumed_queue_without_its_own_dead_letter_queue_redrives_to_the_app_default() {
    let sources = LocalCloud::builder(app()).build().expect("valid app");
    sources.start();
    sources
        .send("jobs", Message::new("j-1"))
        .await
        .expect("accepted");
    settle(&sources).await;
    let jobs = sources
        .dead_letters()
        .list(Some(&DeadLetterSource::Queue("jobs".into())));
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].attempts, 5, "the default max receive count");
    assert_eq!(visible(&sources, "failed"), 1);
    assert_eq!(visible(&sources, "refunds-failed"), 0);
}

#[tokio::test(start_paused = true)]
async fn without_any_dead_letter_the_event_stays_visible_in_the_dead_letter_list() {
    let app = App::new("shop")
        .topic("orders")
        .function(Function::new("bill", failing).subscribe("orders"));
    let sources = LocalCloud::builder(app).build().expect("valid app");
    sources.start();
    sources
        .publish("orders", Message::new("o-1"))
        .await
        .expect("accepted");
    settle(&sources).await;
    let entries = sources.dead_letters().list(None);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].source, DeadLetterSource::Function("bill".into()));
    assert_eq!(
        entries[0].reason,
        "TransientError: dependency down (after 3 attempts)"
    );
}
