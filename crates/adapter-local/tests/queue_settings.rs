//! Queue settings that cannot work are refused when the sources are built, and the defaults
//! never redeliver a message its consumer is still processing.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use faasport_adapter_local::LocalCloud;
use faasport_core::{
    App, AppError, BatchOutcome, Context, Error, Function, Message, QueueBatch, QueueSpec,
};

async fn consume(_batch: QueueBatch, _cx: Context) -> Result<BatchOutcome, Error> {
    Ok(BatchOutcome::success())
}

fn app(queue: QueueSpec, timeout: Duration) -> App {
    App::new("q").queue_spec(queue).function(
        Function::new("bill", consume)
            .queue("jobs")
            .timeout(timeout),
    )
}

#[test]
fn a_visibility_timeout_shorter_than_the_consumer_timeout_is_refused_naming_both() {
    let spec = QueueSpec::new("jobs").visibility_timeout(Duration::from_secs(20));
    let err = LocalCloud::builder(app(spec, Duration::from_secs(45)))
        .build()
        .expect_err("visibility below the timeout");
    let Error::App(app_error) = err else {
        panic!("not an app error: {err}");
    };
    assert_eq!(
        app_error,
        AppError::VisibilityBelowTimeout {
            queue: "jobs".into(),
            function: "bill".into(),
            visibility: Duration::from_secs(20),
            timeout: Duration::from_secs(45),
        }
    );
    assert_eq!(
        app_error.to_string(),
        "queue `jobs` has a visibility timeout of 20s, shorter than the 45s timeout of its consumer `bill`"
    );
}

#[test]
fn a_visibility_timeout_equal_to_the_consumer_timeout_is_accepted() {
    let spec = QueueSpec::new("jobs").visibility_timeout(Duration::from_secs(45));
    assert!(LocalCloud::builder(app(spec, Duration::from_secs(45)))
        .build()
        .is_ok());
}

#[test]
fn a_max_receive_count_of_zero_is_refused() {
    let spec = QueueSpec::new("jobs").max_receive_count(0);
    let err = LocalCloud::builder(app(spec, Duration::from_secs(1)))
        .build()
        .expect_err("zero receives");
    assert!(
        matches!(err, Error::App(AppError::ZeroReceiveCount { ref queue }) if queue == "jobs"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_default_visibility_timeout_covers_a_consumer_that_runs_longer() {
    // The aws default is 30 s; this consumer takes 50 s of its 60 s. Were the message visible
    // again after 30 s, it would run twice.
    let runs = Arc::new(AtomicU32::new(0));
    let counter = runs.clone();
    let slow = move |_batch: QueueBatch, _cx: Context| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(50)).await;
            Ok::<_, Error>(BatchOutcome::success())
        }
    };
    let app = App::new("q").queue("jobs").function(
        Function::new("bill", slow)
            .queue("jobs")
            .timeout(Duration::from_secs(60)),
    );
    let sources = LocalCloud::builder(app).build().expect("valid app");
    sources.start();
    sources.send("jobs", Message::new("m")).await.expect("sent");
    sources
        .settle_within(Duration::from_secs(3600))
        .await
        .expect("settled");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let stats = sources.queue_stats("jobs").expect("queue");
    assert_eq!((stats.received, stats.deleted), (1, 1));
}
