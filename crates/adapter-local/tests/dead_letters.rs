//! Dead letters you can see: retries with back-off, then list, inspect, redrive and purge; and
//! graceful shutdown reporting what was left.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use faasport_adapter_local::{DeadLetterSource, FaultPlan, Faults, LocalCloud};
use faasport_core::{
    App, Context, DeadLetter as Target, Error, Event, Function, Message, QueueSpec, RetryPolicy,
    TopicMessage,
};

fn flaky(
    healthy: Arc<AtomicBool>,
    calls: Arc<AtomicU32>,
) -> impl Fn(TopicMessage, Context) -> futures::future::BoxFuture<'static, Result<(), Error>>
       + Clone
       + Send
       + Sync
       + 'static {
    move |_m: TopicMessage, _cx: Context| {
        let (healthy, calls) = (healthy.clone(), calls.clone());
        Box::pin(async move {
            calls.fetch_add(1, Ordering::SeqCst);
            if healthy.load(Ordering::SeqCst) {
                Ok(())
            } else {
                Err(Error::transient("dependency down"))
            }
        })
    }
}

fn app(healthy: Arc<AtomicBool>, calls: Arc<AtomicU32>) -> App {
    App::new("dl")
        .topic("orders")
        .queue_spec(QueueSpec::new("orders-dlq"))
        .function(
            Function::new("bill", flaky(healthy, calls))
                .subscribe("orders")
                .dead_letter(Target::Queue("orders-dlq".into())),
        )
}

/// Publishes orders `o-0` .. `o-{n-1}`.
async fn publish_orders(sources: &LocalCloud, n: usize) {
    for i in 0..n {
        sources
            .publish("orders", Message::new(format!("o-{i}")))
            .await
            .expect("accepted");
    }
}

/// Waits, on the virtual clock, until every delivery has ended.
async fn settle(sources: &LocalCloud) {
    sources
        .settle_within(Duration::from_secs(3600))
        .await
        .expect("settled");
}

#[tokio::test(start_paused = true)]
async fn a_failing_event_is_retried_twice_after_one_and_two_minutes_then_dead_lettered() {
    let (healthy, calls) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU32::new(0)),
    );
    let sources = LocalCloud::builder(app(healthy, calls.clone()))
        .build()
        .expect("valid app");
    let started = tokio::time::Instant::now();
    let id = sources
        .publish("orders", Message::new("o-1"))
        .await
        .expect("accepted");
    settle(&sources).await;
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let attempts: Vec<(u32, Duration)> = sources
        .runtime()
        .records()
        .iter()
        .map(|r| (r.attempt, r.arrived_at))
        .collect();
    assert_eq!(
        attempts.iter().map(|a| a.0).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(
        attempts[2].1 - attempts[0].1,
        Duration::from_secs(180),
        "1 min then 2 min"
    );
    assert!(started.elapsed() >= Duration::from_secs(180));

    let entries = sources
        .dead_letters()
        .list(Some(&DeadLetterSource::Function("bill".into())));
    assert_eq!(entries.len(), 1);
    let entry = sources.dead_letters().get(&entries[0].id).expect("inspect");
    assert_eq!((entry.event_id.as_str(), entry.attempts), (id.as_str(), 3));
    assert_eq!(
        entry.reason,
        "TransientError: dependency down (after 3 attempts)"
    );
    assert!(matches!(&entry.event, Event::Topic(m) if m.body.as_str() == Some("o-1")));
    let forwarded = sources.queue_stats("orders-dlq").expect("declared");
    assert_eq!(
        forwarded.visible, 1,
        "also forwarded to the declared dead-letter queue"
    );
}

#[tokio::test(start_paused = true)]
async fn redriven_dead_letters_are_delivered_again_and_purge_empties_the_store() {
    let (healthy, calls) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU32::new(0)),
    );
    let sources = LocalCloud::builder(app(healthy.clone(), calls.clone()))
        .policy(faasport_adapter_local::DeliveryPolicy::aws().with_async_retries(0))
        .build()
        .expect("valid app");
    publish_orders(&sources, 3).await;
    settle(&sources).await;
    assert_eq!(sources.dead_letters().len(), 3);
    healthy.store(true, Ordering::SeqCst);
    let first = sources.dead_letters().list(None)[0].id.clone();
    sources.redrive(&first).expect("redrive one");
    settle(&sources).await;
    assert_eq!(sources.dead_letters().len(), 2);
    assert_eq!(sources.deliveries().processed, 1);
    assert!(
        matches!(sources.redrive(&first), Err(Error::InvalidPayload { .. })),
        "gone from the store"
    );
    let function = DeadLetterSource::Function("bill".into());
    assert_eq!(
        sources
            .dead_letters()
            .purge(Some(&DeadLetterSource::Queue("other".into()))),
        0
    );
    assert_eq!(sources.dead_letters().purge(Some(&function)), 2);
    assert!(sources.dead_letters().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_function_retry_policy_overrides_the_profile_and_old_events_are_not_retried() {
    let (healthy, calls) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU32::new(0)),
    );
    let app = App::new("dl").topic("orders").function(
        Function::new("bill", flaky(healthy, calls.clone()))
            .subscribe("orders")
            .retry(
                RetryPolicy::profile_default()
                    .with_max_retries(2) // Lambda's maximum, which the aws profile enforces
                    .with_max_event_age(Duration::from_secs(150)),
            ),
    );
    let sources = LocalCloud::builder(app).build().expect("valid app");
    sources
        .publish("orders", Message::new("o"))
        .await
        .expect("accepted");
    settle(&sources).await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "at 0 s and 60 s; the next retry would be past 150 s"
    );
    let entry = &sources.dead_letters().list(None)[0];
    assert!(
        entry
            .reason
            .starts_with("maximum event age of 150s reached"),
        "{}",
        entry.reason
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_accepting_and_reports_what_was_left() {
    let (healthy, calls) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU32::new(0)),
    );
    let sources = LocalCloud::builder(app(healthy, calls))
        .build()
        .expect("valid app");
    let id = sources
        .publish("orders", Message::new("o"))
        .await
        .expect("accepted");
    sources
        .send("orders-dlq", Message::new("left"))
        .await
        .expect("accepted");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let report = sources.shutdown(Duration::from_secs(5)).await;
    assert!(!report.drained, "the retry waits 60 s, past the 5 s grace");
    assert_eq!(report.undelivered.len(), 1);
    assert_eq!(
        (
            report.undelivered[0].event_id.as_str(),
            report.undelivered[0].attempt
        ),
        (id.as_str(), 1)
    );
    assert_eq!(report.queues.len(), 1);
    assert_eq!(report.queues[0].queue, "orders-dlq");
    assert_eq!(report.queues[0].message_ids.len(), 1);
    assert!(!report.is_clean());
    assert!(matches!(
        sources.publish("orders", Message::new("late")).await,
        Err(Error::ShuttingDown)
    ));
    assert!(matches!(
        sources.send("orders-dlq", Message::new("late")).await,
        Err(Error::ShuttingDown)
    ));
}

#[tokio::test(start_paused = true)]
async fn the_same_seed_injects_the_same_faults_and_another_seed_different_ones() {
    async fn run(seed: u64) -> (u64, u64, u64, Vec<String>) {
        let calls = Arc::new(AtomicU32::new(0));
        let app = app(Arc::new(AtomicBool::new(true)), calls);
        let plan = FaultPlan::new(seed).function(
            "bill",
            Faults::new()
                .error_rate(0.2)
                .panic_rate(0.1)
                .timeout_rate(0.1)
                .duplicate_rate(0.1),
        );
        let sources = LocalCloud::builder(app)
            .faults(plan)
            .build()
            .expect("valid app");
        publish_orders(&sources, 300).await;
        settle(&sources).await;
        let d = sources.deliveries();
        let mut dead: Vec<String> = sources
            .dead_letters()
            .list(None)
            .into_iter()
            .map(|e| e.event_id)
            .collect();
        dead.sort();
        (d.duplicates, d.invocations, d.dead_lettered, dead)
    }
    let first = run(11).await;
    assert_eq!(run(11).await, first);
    assert_ne!(run(12).await, first);
    assert!(first.0 > 0 && first.2 > 0, "{first:?}");
}
