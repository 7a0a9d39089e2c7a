//! Data streams: records reach every consumer in order, in batches of its trigger's batch size;
//! failed records are delivered again ahead of later ones, then dead-lettered.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use faasport_adapter_local::{DeadLetterSource, DeliveryPolicy, LocalCloud};
use faasport_core::{App, BatchOutcome, Context, Error, Function, Message, QueueBatch};

type Seen = Arc<Mutex<Vec<Vec<(String, String, u32)>>>>;

/// A consumer that records each batch as (sequence number, body, attempt), takes a second, and
/// fails the records whose body is in `failing` (or the whole batch with `error_on`).
fn consumer(
    seen: Seen,
    failing: &'static [&'static str],
    error_on: Option<&'static str>,
) -> impl Fn(QueueBatch, Context) -> futures::future::BoxFuture<'static, Result<BatchOutcome, Error>>
       + Clone
       + Send
       + Sync
       + 'static {
    move |batch: QueueBatch, _cx: Context| {
        let seen = seen.clone();
        Box::pin(async move {
            assert_eq!(batch.queue, "clicks");
            let records: Vec<(String, String, u32)> = batch
                .messages
                .iter()
                .map(|m| {
                    (
                        m.id.clone(),
                        m.body.as_str().unwrap_or("").to_owned(),
                        m.attempt,
                    )
                })
                .collect();
            seen.lock().expect("lock").push(records.clone());
            tokio::time::sleep(Duration::from_secs(1)).await;
            if records
                .iter()
                .any(|(_, body, _)| Some(body.as_str()) == error_on)
            {
                return Err(Error::transient("boom"));
            }
            Ok(BatchOutcome::failed(
                records
                    .iter()
                    .filter(|(_, body, _)| failing.contains(&body.as_str()))
                    .map(|(id, _, _)| id.clone()),
            ))
        })
    }
}

fn seq(n: u64) -> String {
    format!("{n:020}")
}

fn bodies(seen: &Seen) -> Vec<Vec<(String, u32)>> {
    seen.lock()
        .expect("lock")
        .iter()
        .map(|b| b.iter().map(|(_, body, a)| (body.clone(), *a)).collect())
        .collect()
}

fn batch(records: &[(&str, u32)]) -> Vec<(String, u32)> {
    records.iter().map(|(b, a)| ((*b).to_owned(), *a)).collect()
}

#[tokio::test(start_paused = true)]
async fn every_consumer_gets_every_record_in_order_in_batches_of_its_size() {
    let (small, large): (Seen, Seen) = Default::default();
    let app = App::new("s")
        .function(
            Function::new("three", consumer(small.clone(), &[], None)).stream_batched("clicks", 3),
        )
        .function(Function::new("ten", consumer(large.clone(), &[], None)).stream("clicks"));
    let sources = LocalCloud::builder(app).build().expect("valid app");
    sources.start();
    let ids = sources
        .put_records(
            "clicks",
            (1..=7).map(|i| Message::new(format!("r{i}"))).collect(),
        )
        .await
        .expect("put");
    assert_eq!(ids, (1..=7).map(seq).collect::<Vec<_>>());
    let eighth = sources
        .put_record("clicks", Message::new("r8"))
        .await
        .expect("put");
    assert_eq!(eighth, seq(8));
    sources
        .settle_within(Duration::from_secs(60))
        .await
        .expect("settled");
    assert_eq!(
        bodies(&small),
        [
            batch(&[("r1", 1), ("r2", 1), ("r3", 1)]),
            batch(&[("r4", 1), ("r5", 1), ("r6", 1)]),
            batch(&[("r7", 1), ("r8", 1)]),
        ]
    );
    let ids_seen: Vec<String> = small
        .lock()
        .expect("lock")
        .iter()
        .flatten()
        .map(|r| r.0.clone())
        .collect();
    assert_eq!(ids_seen, (1..=8).map(seq).collect::<Vec<_>>());
    assert_eq!(
        bodies(&large),
        // Both puts happened before the consumer polled: one batch of eight.
        [(1..=8).map(|i| (format!("r{i}"), 1)).collect::<Vec<_>>()]
    );
    for f in ["three", "ten"] {
        let stats = sources.stream_stats("clicks", f).expect("consumer");
        assert_eq!(
            (
                stats.sent,
                stats.deleted,
                stats.expired,
                stats.visible,
                stats.in_flight
            ),
            (8, 8, 0, 0, 0),
            "{f}"
        );
    }
    assert_eq!(sources.stream_stats("clicks", "nobody"), None);
    assert!(sources.dead_letters().is_empty());
}

#[tokio::test(start_paused = true)]
async fn failed_records_come_back_first_until_the_max_receive_count_then_are_dead_lettered() {
    let seen: Seen = Default::default();
    let app = App::new("s").function(
        Function::new("clicks-fn", consumer(seen.clone(), &["r2"], Some("r5")))
            .stream_batched("clicks", 2),
    );
    let sources = LocalCloud::builder(app)
        .policy(DeliveryPolicy::aws().with_max_receive_count(3))
        .build()
        .expect("valid app");
    sources.start();
    sources
        .put_records(
            "clicks",
            (1..=6).map(|i| Message::new(format!("r{i}"))).collect(),
        )
        .await
        .expect("put");
    sources
        .settle_within(Duration::from_secs(60))
        .await
        .expect("settled");
    assert_eq!(
        bodies(&seen),
        [
            batch(&[("r1", 1), ("r2", 1)]),
            batch(&[("r2", 2), ("r3", 1)]),
            batch(&[("r2", 3), ("r4", 1)]),
            // r2 is dead-lettered; r5 fails its whole batch three times.
            batch(&[("r5", 1), ("r6", 1)]),
            batch(&[("r5", 2), ("r6", 2)]),
            batch(&[("r5", 3), ("r6", 3)]),
        ]
    );
    let stats = sources
        .stream_stats("clicks", "clicks-fn")
        .expect("consumer");
    assert_eq!(
        (
            stats.sent,
            stats.received,
            stats.deleted,
            stats.expired,
            stats.visible,
            stats.in_flight
        ),
        (6, 12, 3, 3, 0, 0)
    );
    let letters = sources
        .dead_letters()
        .list(Some(&DeadLetterSource::Function("clicks-fn".into())));
    let summary: Vec<(String, u32, String)> = letters
        .iter()
        .map(|l| (l.event_id.clone(), l.attempts, l.reason.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (seq(2), 3, "stream record delivered 3 times without success (max receive count); last error: reported failed in the batch outcome".to_owned()),
            (seq(5), 3, "stream record delivered 3 times without success (max receive count); last error: TransientError: boom".to_owned()),
            (seq(6), 3, "stream record delivered 3 times without success (max receive count); last error: TransientError: boom".to_owned()),
        ]
    );
}

#[tokio::test]
async fn a_stream_nobody_consumes_is_refused() {
    let app = App::new("s")
        .function(Function::new("other", consumer(Default::default(), &[], None)).stream("clicks"));
    let sources = LocalCloud::builder(app).build().expect("valid app");
    let err = sources
        .put_record("nowhere", Message::new("x"))
        .await
        .expect_err("no consumer");
    assert_eq!(
        err.to_string(),
        "local runtime: no function consumes stream `nowhere` (streams are known locally by their stream triggers)"
    );
}
