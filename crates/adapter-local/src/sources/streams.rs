//! Data streams (Kinesis on AWS): records put to a stream reach every function with a
//! [`Trigger::Stream`] on it, in order, in batches of the trigger's batch size.
//!
//! Streams are external (not declared app resources), so the local runtime knows a stream by its
//! consumers. Each consumer (one stream trigger of one function) reads through its own internal
//! [`LocalQueue`], as every Kinesis event source mapping reads the whole stream, and runs one batch
//! at a time, as Lambda does per shard (the local stream has one shard). A record's id is its
//! sequence number: a zero-padded counter per stream, so ids sort in put order.
//!
//! A batch whose [`BatchOutcome`](faasport_core::BatchOutcome) names failed records has the
//! others deleted and the failed ones put back at the head of the consumer's queue, in order,
//! so they are the next batch (a handler error, or an id not in the batch, fails the whole
//! batch). A record delivered the policy's max receive count
//! ([`DeliveryPolicy::max_receive_count`](super::DeliveryPolicy)) without success is
//! dead-lettered instead of delivered again (source: the consuming function; a redrive delivers
//! it to that function as an asynchronous invocation), and the records after it go on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use faasport_core::contract::Delivery;
use faasport_core::{App, Error, Event, Message, QueueBatch, QueueMessage, Trigger};

use super::queues::{Expired, LocalQueue};
use super::shutdown::QueueLeftover;
use super::Hub;
use crate::dead_letters::DeadLetterSource;
use crate::{InvocationSource, InvokeOptions};

/// Failed records are redelivered at once (the consumer has nothing else to do in order), so
/// the visibility timeout only bounds a batch abandoned at shutdown.
const STREAM_VISIBILITY: Duration = Duration::from_secs(365 * 24 * 3600);

/// One consumed stream.
#[derive(Debug)]
pub(crate) struct LocalStream {
    /// The last sequence number given out; the lock also keeps puts in one order for all
    /// consumers.
    sequence: Mutex<u64>,
    consumers: Vec<Consumer>,
}

#[derive(Debug)]
struct Consumer {
    function: String,
    batch_size: usize,
    queue: Arc<LocalQueue>,
}

/// The consumed streams of `app`, by name.
pub(crate) fn build(app: &App, max_receive_count: u32) -> HashMap<String, LocalStream> {
    let mut streams: HashMap<String, LocalStream> = HashMap::new();
    for f in app.functions() {
        for trigger in f.triggers() {
            let Trigger::Stream { stream, batch_size } = trigger else {
                continue;
            };
            let entry = streams
                .entry(stream.clone())
                .or_insert_with(|| LocalStream {
                    sequence: Mutex::new(0),
                    consumers: Vec::new(),
                });
            entry.consumers.push(Consumer {
                function: f.name().to_owned(),
                batch_size: usize::try_from(*batch_size).unwrap_or(usize::MAX).max(1),
                queue: Arc::new(LocalQueue::new(
                    stream,
                    STREAM_VISIBILITY,
                    max_receive_count.max(1),
                    // A stream keeps what it is given, for its retention, like Kinesis.
                    usize::MAX,
                )),
            });
        }
    }
    streams
}

impl Hub {
    /// Puts records to a stream; returns their sequence numbers.
    pub(crate) fn put_records(
        &self,
        stream: &str,
        messages: Vec<Message>,
    ) -> Result<Vec<String>, Error> {
        self.accepting()?;
        let s = self.streams.get(stream).ok_or_else(|| {
            Error::Local {
                reason: format!(
                    "no function consumes stream `{stream}` (streams are known locally by their stream triggers)"
                ),
            }
        })?;
        for m in &messages {
            self.check_size("record", m.body.len())?;
        }
        let mut last = s.sequence.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.now();
        let mut ids = Vec::with_capacity(messages.len());
        for message in messages {
            *last += 1;
            let id = format!("{:020}", *last);
            for c in &s.consumers {
                c.queue.send(id.clone(), message.clone(), now)?;
            }
            ids.push(id);
        }
        Ok(ids)
    }

    /// The state of one consumer's view of a stream.
    pub(crate) fn stream_stats(&self, stream: &str, function: &str) -> Option<super::QueueStats> {
        self.streams
            .get(stream)?
            .consumers
            .iter()
            .find(|c| c.function == function)
            .map(|c| c.queue.stats())
    }

    /// Whether every stream consumer has processed everything put.
    pub(crate) fn streams_settled(&self) -> bool {
        self.streams
            .values()
            .flat_map(|s| &s.consumers)
            .all(|c| c.queue.stats().is_empty())
    }

    /// Records not yet processed, per consumer (`stream:<stream>/<function>`).
    pub(crate) fn stream_leftovers(&self) -> Vec<QueueLeftover> {
        self.streams
            .iter()
            .flat_map(|(name, s)| {
                s.consumers.iter().map(move |c| QueueLeftover {
                    queue: format!("stream:{name}/{}", c.function),
                    message_ids: c.queue.message_ids(),
                })
            })
            .filter(|left| !left.message_ids.is_empty())
            .collect()
    }
}

/// Starts one sequential poller per stream consumer.
pub(crate) fn start_all(hub: &Arc<Hub>) {
    for (stream, s) in &hub.streams {
        for (index, _) in s.consumers.iter().enumerate() {
            let (hub2, stream) = (hub.clone(), stream.clone());
            hub.tracker
                .spawn(async move { poll(hub2, stream, index).await });
        }
    }
}

async fn poll(hub: Arc<Hub>, stream: String, index: usize) {
    let Some(c) = hub
        .streams
        .get(&stream)
        .and_then(|s| s.consumers.get(index))
    else {
        return;
    };
    loop {
        let (records, expired) = tokio::select! {
            got = c.queue.receive(c.batch_size, Duration::ZERO) => got,
            () = hub.closing.cancelled() => return,
        };
        for e in expired {
            dead_letter(&hub, c, e);
        }
        if records.is_empty() {
            continue;
        }
        run_batch(&hub, c, records).await;
    }
}

fn dead_letter(hub: &Arc<Hub>, c: &Consumer, expired: Expired) {
    let attempts = expired.message.attempt;
    let id = expired.message.id.clone();
    let reason = format!(
        "stream record delivered {attempts} times without success (max receive count); last error: {}",
        expired.last_error.as_deref().unwrap_or("none recorded")
    );
    let event = Event::Queue(QueueBatch::new(c.queue.name(), vec![expired.message]));
    let source = DeadLetterSource::Function(c.function.clone());
    hub.dead_letter(source, &id, event, reason, attempts, None);
}

async fn run_batch(hub: &Hub, c: &Consumer, records: Vec<QueueMessage>) {
    let ids: Vec<String> = records.iter().map(|m| m.id.clone()).collect();
    let attempt = records.iter().map(|m| m.attempt).max().unwrap_or(1);
    let event = Event::Queue(QueueBatch::new(c.queue.name(), records));
    let options = InvokeOptions::default()
        .attempt(attempt)
        .source(InvocationSource::Event);
    let invoked = tokio::select! {
        invoked = hub.runtime.invoke_with(&c.function, event, options) => invoked,
        () = hub.stopped.cancelled() => return,
    };
    let retry = |failed: &[String], why: &str| {
        c.queue.fail(failed, why);
        c.queue.requeue_front(failed);
    };
    let result = match invoked {
        Ok(invocation) => invocation.result,
        Err(e) => Err(e),
    };
    match Delivery::of(&result, &ids) {
        Delivery::Ack => {
            c.queue.delete(&ids);
        }
        Delivery::RetryItems(failed) => {
            let ok: Vec<String> = ids
                .iter()
                .filter(|id| !failed.contains(id))
                .cloned()
                .collect();
            c.queue.delete(&ok);
            retry(&failed, "reported failed in the batch outcome");
        }
        _ => match &result {
            Err(e) => retry(&ids, &e.to_string()),
            Ok(_) => retry(&ids, "the batch outcome named a record not in the batch"),
        },
    }
}
