//! Shutdown keeps its promise: it ends within the grace period however much is pending, logs a
//! summary instead of a line per message, keeps every undelivered message with its body in the
//! state folder, and the next run on that folder delivers them again.

use std::time::Duration;

use faasport_adapter_local::{
    read_undelivered, undelivered_path, DepthLimit, LocalCloud, LocalConfig, Undelivered,
};
use faasport_core::{
    App, BatchOutcome, Context, Error, Function, Message, QueueBatch, TopicMessage,
};

async fn stuck(_m: TopicMessage, _cx: Context) -> Result<(), Error> {
    std::future::pending().await
}

async fn quick(_m: TopicMessage, _cx: Context) -> Result<(), Error> {
    Ok(())
}

async fn work(_b: QueueBatch, _cx: Context) -> Result<BatchOutcome, Error> {
    Ok(BatchOutcome::success())
}

#[tokio::test(start_paused = true)]
async fn shutdown_with_100k_pending_deliveries_ends_within_the_grace_period() {
    const PENDING: usize = 100_000;
    let app = App::new("s").topic("orders").function(
        Function::new("bill", stuck)
            .subscribe("orders")
            .max_instances(1)
            .timeout(Duration::from_secs(900)),
    );
    let state = tempfile::tempdir().expect("temp dir");
    let config = LocalConfig::default()
        .topic_history(0)
        .max_depth(DepthLimit::new(PENDING))
        .state_dir(state.path());
    let sources = LocalCloud::builder(app)
        .config(config)
        .build()
        .expect("valid app");
    for i in 0..PENDING {
        sources
            .publish("orders", Message::new(format!("order-{i}")))
            .await
            .expect("room");
    }
    let (virtual_start, real_start) = (tokio::time::Instant::now(), std::time::Instant::now());
    let report = sources.shutdown(Duration::from_secs(10)).await;
    assert_eq!(virtual_start.elapsed(), Duration::from_secs(10));
    assert!(
        real_start.elapsed() < Duration::from_secs(120),
        "{:?}",
        real_start.elapsed()
    );
    assert!(!report.drained);
    assert_eq!(report.undelivered.len(), PENDING);
    assert_eq!(report.deliveries.pending, PENDING as u64);
    let file = report.undelivered_file.expect("kept in the state folder");
    assert_eq!(file, undelivered_path(state.path()));
    let kept = read_undelivered(state.path()).expect("readable");
    assert_eq!(kept.len(), PENDING);
    match &kept[7] {
        Undelivered::Delivery {
            function, event, ..
        } => {
            assert_eq!(function, "bill");
            let faasport_core::Event::Topic(message) = &**event else {
                panic!("a topic message, got {event:?}");
            };
            assert_eq!(message.body.as_str(), Some("order-7"));
        }
        other => panic!("a delivery, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn the_next_run_on_the_state_folder_delivers_what_shutdown_kept() {
    let state = tempfile::tempdir().expect("temp dir");
    let first = App::new("s").topic("orders").queue("jobs").function(
        Function::new("bill", stuck)
            .subscribe("orders")
            .timeout(Duration::from_secs(900)),
    );
    let config = LocalConfig::default().state_dir(state.path());
    let sources = LocalCloud::builder(first)
        .config(config.clone())
        .build()
        .expect("valid app");
    sources.start();
    let order = sources
        .publish("orders", Message::new("o-1").with_attribute("k", "v"))
        .await
        .expect("published");
    let job = sources
        .send("jobs", Message::new("j-1"))
        .await
        .expect("sent");
    tokio::time::sleep(Duration::from_millis(10)).await;
    let report = sources.shutdown(Duration::from_secs(1)).await;
    assert_eq!(report.undelivered.len(), 1);
    assert_eq!(read_undelivered(state.path()).expect("kept").len(), 2);

    let second = App::new("s")
        .topic("orders")
        .queue("jobs")
        .function(Function::new("bill", quick).subscribe("orders"))
        .function(Function::new("work", work).queue("jobs"));
    let sources = LocalCloud::builder(second)
        .config(config.resume(true))
        .build()
        .expect("valid app");
    sources.start();
    sources
        .settle_within(Duration::from_secs(60))
        .await
        .expect("settled");
    let counts = sources.deliveries();
    assert_eq!((counts.deliveries, counts.processed), (1, 1));
    let jobs = sources.queue_stats("jobs").expect("declared");
    assert_eq!((jobs.sent, jobs.deleted), (1, 1));
    assert!(!undelivered_path(state.path()).exists());
    let _ = (order, job);
}
