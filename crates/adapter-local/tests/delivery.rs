//! Delivery guarantees under seeded faults: 10,000 topic events and 10,000 queue messages, every
//! one ends processed or dead-lettered, and the counts add up exactly. Runs on tokio's paused
//! clock, so minutes of retries and visibility timeouts take no real time.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faasport_adapter_local::{DeadLetterSource, FaultPlan, Faults, LocalCloud};
use faasport_core::{
    App, BatchOutcome, Context, Error, Event, Function, Message, QueueBatch, QueueSpec,
    TopicMessage,
};

const EVENTS: u32 = 10_000;

type Seen = Arc<Mutex<BTreeSet<u32>>>;

fn number(body: &faasport_core::Body) -> Result<u32, Error> {
    body.to_json::<u32>().map_err(Error::from)
}

fn app(topic_seen: Seen, queue_seen: Seen) -> App {
    let on_event = move |m: TopicMessage, _cx: Context| {
        let seen = topic_seen.clone();
        async move {
            let n = number(&m.body)?;
            if n % 101 == 0 {
                return Err(Error::transient(format!("event {n} always fails")));
            }
            seen.lock()
                .map_err(|_| Error::permanent("poisoned"))?
                .insert(n);
            Ok::<(), Error>(())
        }
    };
    let on_job = move |batch: QueueBatch, _cx: Context| {
        let seen = queue_seen.clone();
        async move {
            let mut outcome = BatchOutcome::success();
            for m in &batch.messages {
                let n = number(&m.body)?;
                // Poison messages always fail; some fail only on their first delivery.
                if n % 89 == 0 || (n % 97 == 0 && m.attempt == 1) {
                    outcome.fail(m.id.clone());
                } else {
                    seen.lock()
                        .map_err(|_| Error::permanent("poisoned"))?
                        .insert(n);
                }
            }
            Ok::<BatchOutcome, Error>(outcome)
        }
    };
    App::new("delivery")
        .topic("events")
        .queue_spec(
            QueueSpec::new("jobs")
                .visibility_timeout(Duration::from_secs(30))
                .max_receive_count(4),
        )
        .function(
            Function::new("on-event", on_event)
                .subscribe("events")
                .timeout(Duration::from_secs(1)),
        )
        .function(
            Function::new("on-job", on_job)
                .queue("jobs")
                .timeout(Duration::from_secs(1)),
        )
}

fn faults() -> FaultPlan {
    FaultPlan::new(2024).every_function(
        Faults::new()
            .error_rate(0.10)
            .panic_rate(0.05)
            .timeout_rate(0.05)
            .duplicate_rate(0.02),
    )
}

fn dead_numbers(sources: &LocalCloud, source: &DeadLetterSource) -> BTreeSet<u32> {
    sources
        .dead_letters()
        .list(Some(source))
        .iter()
        .flat_map(|d| match &d.event {
            Event::Topic(m) => vec![m.body.to_json::<u32>().ok()],
            Event::Queue(b) => b
                .messages
                .iter()
                .map(|m| m.body.to_json::<u32>().ok())
                .collect(),
            _ => vec![None],
        })
        .map(|n| n.expect("a numbered event"))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn every_topic_event_and_queue_message_ends_processed_or_dead_lettered() {
    let (topic_seen, queue_seen) = (Seen::default(), Seen::default());
    let sources = LocalCloud::builder(app(topic_seen.clone(), queue_seen.clone()))
        .faults(faults())
        .build()
        .expect("valid app");
    sources.start();
    for n in 0..EVENTS {
        sources
            .publish("events", Message::json(&n).expect("json"))
            .await
            .expect("published");
        sources
            .send("jobs", Message::json(&n).expect("json"))
            .await
            .expect("sent");
    }
    sources
        .settle_within(Duration::from_secs(3600))
        .await
        .expect("settled");

    let all: BTreeSet<u32> = (0..EVENTS).collect();

    // The faults are a pure function of the seed and each event's identity, so the counts are
    // exact: a change here means the fault rolls or the delivery rules changed.
    // Topics: one delivery per event plus 187 duplicates (the plan's 2%), each ended one way.
    let d = sources.deliveries();
    assert_eq!(
        (
            d.deliveries,
            d.duplicates,
            d.processed,
            d.dead_lettered,
            d.invocations,
            d.pending
        ),
        (10_187, 187, 10_011, 176, 12_820, 0),
        "{d:?}"
    );
    assert_eq!(d.deliveries, u64::from(EVENTS) + d.duplicates);
    let function = DeadLetterSource::Function("on-event".into());
    assert_eq!(
        sources.dead_letters().list(Some(&function)).len() as u64,
        d.dead_lettered
    );
    let processed = topic_seen.lock().expect("lock").clone();
    let dead = dead_numbers(&sources, &function);
    assert_eq!(&processed | &dead, all, "no topic event is missing");
    let always_failing: BTreeSet<u32> = all.iter().copied().filter(|n| n % 101 == 0).collect();
    assert!(always_failing.is_subset(&dead));
    assert!(always_failing.is_disjoint(&processed));
    for entry in sources.dead_letters().list(Some(&function)) {
        assert_eq!(entry.attempts, 3, "Lambda's 2 retries: {entry:?}");
    }

    // Queues: every message deleted once or expired once; nothing left. (The counts moved with
    // issue 13: the SQS poller now ramps from 5 batches by 300 a minute while the backlog
    // lasts, so batches are cut differently and a failing batch re-delivers other messages.)
    let q = sources.queue_stats("jobs").expect("declared queue");
    assert_eq!(
        (q.sent, q.received, q.deleted, q.expired),
        (10_000, 12_994, 9_878, 122),
        "{q:?}"
    );
    assert_eq!(q.deleted + q.expired, u64::from(EVENTS));
    assert!(q.is_empty());
    let queue = DeadLetterSource::Queue("jobs".into());
    assert_eq!(
        sources.dead_letters().list(Some(&queue)).len() as u64,
        q.expired
    );
    let processed = queue_seen.lock().expect("lock").clone();
    let dead = dead_numbers(&sources, &queue);
    assert_eq!(&processed | &dead, all, "no queue message is missing");
    assert!(processed.is_disjoint(&dead));
    let poison: BTreeSet<u32> = all.iter().copied().filter(|n| n % 89 == 0).collect();
    assert!(poison.is_subset(&dead));
    let second_chance: BTreeSet<u32> = all
        .iter()
        .copied()
        .filter(|n| n % 97 == 0 && n % 89 != 0)
        .collect();
    assert!(second_chance.is_subset(&(&processed | &dead)));

    println!("topic deliveries: {d:?}; queue: {q:?}");
    let report = sources.shutdown(Duration::from_secs(1)).await;
    assert!(report.is_clean(), "{report:?}");
    assert!(report.drained);
}
