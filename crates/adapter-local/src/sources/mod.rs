//! The local event sources: topics, queues, schedules and buckets around one [`LocalRuntime`],
//! with the delivery guarantees of the chosen provider and a dead-letter store.
//!
//! | source | delivery | on failure |
//! |---|---|---|
//! | topic publish | one asynchronous invocation per subscriber | retried per [`DeliveryPolicy`] (Lambda: 2 retries, 6 h max age), then dead-lettered |
//! | queue send | at least once, in batches (size and window), with a visibility timeout | failed messages (all, or those a [`BatchOutcome`](faasport_core::BatchOutcome) names) reappear after the visibility timeout; past the max receive count they are dead-lettered |
//! | stream put | to every consumer of the stream, in order, one batch at a time per consumer (see [`LocalCloud::put_records`]) | failed records are delivered again at once, ahead of later ones; past the max receive count they are dead-lettered |
//! | schedule | one asynchronous invocation per tick, on the runtime's clock | as a topic |
//! | bucket put/delete | one asynchronous invocation per matching storage trigger | as a topic |
//! | `invoke_async` | one asynchronous invocation | as a topic |
//!
//! Asynchronous deliveries are at least once: a duplicate delivery is possible (as on Lambda and
//! Pub/Sub), and fault injection can force one, so handlers should be idempotent. Errors that say
//! a retry cannot help ([`Error::is_retryable`]) are dead-lettered at once; throttles do not use
//! up retries but back off until the maximum event age.
//!
//! Nothing accepted is dropped silently: every delivery ends processed or in the
//! [`DeadLetters`] store (and its declared dead-letter target), and
//! [`LocalCloud::shutdown`] reports whatever was still pending, in one log line, and keeps it,
//! bodies included, for the next run ([`Undelivered`]).
//!
//! Topics and queues have a maximum depth ([`DepthLimit`]): past it, a publish or send is
//! throttled or waits, as the profile says.
//!
//! # Examples
//! ```
//! use faasport_adapter_local::LocalCloud;
//! use faasport_core::{App, Context, Error, Function, Message, TopicMessage};
//!
//! async fn audit(_m: TopicMessage, _cx: Context) -> Result<(), Error> { Ok(()) }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Error> {
//! let app = App::new("shop").topic("orders").function(Function::new("audit", audit).subscribe("orders"));
//! let sources = LocalCloud::builder(app).build()?;
//! sources.publish("orders", Message::new("{}")).await?;
//! sources.settle_within(std::time::Duration::from_secs(60)).await.expect("settled");
//! assert_eq!(sources.deliveries().processed, 1);
//! # Ok(())
//! # }
//! ```

mod async_invoke;
mod bindings;
mod buckets;
mod builder;
mod consumer;
mod depth;
mod history;
mod hub;
mod journal;
mod ledger;
mod policy;
mod queues;
mod schedules;
mod settle;
mod shutdown;
mod streams;
mod topics;
mod undelivered;

pub use self::buckets::BucketBackend;
pub use self::builder::{LocalCloudBuilder, DEFAULT_MAX_MESSAGE_BYTES};
pub use self::depth::{DepthLimit, DEFAULT_MAX_DEPTH};
pub use self::history::DEFAULT_TOPIC_HISTORY;
pub use self::journal::JOURNAL_DIR;
pub use self::ledger::{DeliveryCounts, PendingDelivery};
pub use self::policy::DeliveryPolicy;
pub use self::queues::QueueStats;
pub use self::settle::NotSettled;
pub use self::shutdown::{QueueLeftover, ShutdownReport};
pub use self::undelivered::{read_undelivered, undelivered_path, Undelivered, UNDELIVERED_FILE};

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use faasport_core::{App, Error, Event, Message, Object, ObjectInfo, QueueMessage, TopicMessage};

use crate::dead_letters::{DeadLetterEntry, DeadLetterSource, DeadLetters};
use crate::LocalRuntime;

pub(crate) use self::bindings::LocalBindings;
pub(crate) use self::hub::Hub;

/// The local runtime with its event sources. Cheap to clone; clones share everything.
#[derive(Debug, Clone)]
pub struct LocalCloud {
    hub: Arc<Hub>,
}

impl LocalCloud {
    /// Starts building sources for `app`.
    pub fn builder(app: App) -> LocalCloudBuilder {
        LocalCloudBuilder::new(app)
    }

    /// The runtime that executes the functions.
    pub fn runtime(&self) -> &LocalRuntime {
        self.hub.runtime()
    }

    /// The app.
    pub fn app(&self) -> &App {
        self.hub.runtime().app()
    }

    /// Starts the queue consumers and the schedules (topics, buckets and invocations work
    /// without it). Calling it again does nothing.
    pub fn start(&self) {
        self.hub.start();
    }

    /// Publishes to a declared topic; returns the message id.
    ///
    /// # Errors
    /// [`Error::Undeclared`], [`Error::InvalidPayload`] for an oversize message,
    /// [`Error::Throttled`] past the topic's [`DepthLimit`] (a direct call never waits),
    /// [`Error::ShuttingDown`].
    pub async fn publish(&self, topic: &str, message: Message) -> Result<String, Error> {
        self.hub.publish(topic, message)
    }

    /// Sends to a declared queue; returns the message id.
    ///
    /// # Errors
    /// As [`LocalCloud::publish`].
    pub async fn send(&self, queue: &str, message: Message) -> Result<String, Error> {
        self.hub.send(queue, message)
    }

    /// Puts one record to a data stream (Kinesis on AWS); returns its sequence number.
    ///
    /// # Errors
    /// As [`LocalCloud::put_records`].
    pub async fn put_record(&self, stream: &str, message: Message) -> Result<String, Error> {
        let mut ids = self.hub.put_records(stream, vec![message])?;
        Ok(ids.pop().unwrap_or_default())
    }

    /// Puts records to a data stream, in order; returns their sequence numbers (zero-padded
    /// decimals that sort in put order, and the message ids the consumers see).
    ///
    /// Streams are external, not declared resources: a stream exists locally when some function
    /// has a [`Trigger::Stream`](faasport_core::Trigger::Stream) on it. Every such function gets
    /// every record, in order, in batches of up to its trigger's batch size, one batch at a
    /// time (once [`LocalCloud::start`] ran). A batch that fails, or the records its
    /// [`BatchOutcome`](faasport_core::BatchOutcome) names, are delivered again before any later
    /// record; a record delivered the policy's max receive count
    /// ([`DeliveryPolicy::max_receive_count`]) without success is dead-lettered (source: the
    /// consuming function) and the records after it go on.
    ///
    /// # Errors
    /// [`Error::Local`] if no function consumes `stream`; [`Error::InvalidPayload`] for an
    /// oversize record (none of the records is put); [`Error::ShuttingDown`].
    pub async fn put_records(
        &self,
        stream: &str,
        messages: Vec<Message>,
    ) -> Result<Vec<String>, Error> {
        self.hub.put_records(stream, messages)
    }

    /// The state of one consumer of a data stream: its records sent, received (redeliveries
    /// included), deleted, expired (dead-lettered) and still pending.
    pub fn stream_stats(&self, stream: &str, function: &str) -> Option<QueueStats> {
        self.hub.stream_stats(stream, function)
    }

    /// Writes an object to a declared bucket and emits a storage event.
    ///
    /// # Errors
    /// [`Error::Undeclared`], [`Error::Binding`] if a directory-backed bucket fails.
    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        object: Object,
    ) -> Result<ObjectInfo, Error> {
        self.hub.put_object(bucket, key, object).await
    }

    /// Reads an object from a declared bucket.
    ///
    /// # Errors
    /// As [`LocalCloud::put_object`].
    pub async fn get_object(&self, bucket: &str, key: &str) -> Result<Option<Object>, Error> {
        self.hub.get_object(bucket, key).await
    }

    /// The objects of a declared bucket whose key starts with `prefix`, sorted by key.
    ///
    /// # Errors
    /// As [`LocalCloud::put_object`].
    pub async fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, Error> {
        self.hub.list_objects(bucket, prefix).await
    }

    /// The most recent messages published to `topic`, oldest first: by a handler, by
    /// [`LocalCloud::publish`], or as forwarded dead letters. Each topic remembers its last
    /// [`DEFAULT_TOPIC_HISTORY`] messages unless
    /// [`LocalCloudBuilder::topic_history`] says otherwise, so memory stays bounded.
    pub fn published(&self, topic: &str) -> Vec<TopicMessage> {
        self.hub.history.messages(topic)
    }

    /// The messages a declared queue holds now: the visible ones in delivery order, then those
    /// in flight (received and not yet deleted). A message's
    /// [`attempt`](QueueMessage::attempt) is how often it was received so far. `None` for a
    /// queue the app does not declare.
    pub fn queue_messages(&self, queue: &str) -> Option<Vec<QueueMessage>> {
        self.hub.queue(queue).map(|q| q.messages())
    }

    /// Deletes an object and, if it existed, emits a storage event.
    ///
    /// # Errors
    /// As [`LocalCloud::put_object`].
    pub async fn delete_object(&self, bucket: &str, key: &str) -> Result<(), Error> {
        self.hub.delete_object(bucket, key).await
    }

    /// Queues an asynchronous invocation (retried and dead-lettered like a topic delivery).
    ///
    /// # Errors
    /// [`Error::UnknownFunction`], [`Error::ShuttingDown`].
    pub fn invoke_async(&self, function: &str, event: Event) -> Result<String, Error> {
        self.hub.invoke_async(function, event)
    }

    /// The dead-letter store.
    pub fn dead_letters(&self) -> &DeadLetters {
        self.hub.dead_letters()
    }

    /// Delivers a dead letter again (to its function, or back onto its queue) and removes it
    /// from the store.
    ///
    /// # Errors
    /// [`Error::InvalidPayload`] if there is no such entry; [`Error::ShuttingDown`].
    pub fn redrive(&self, id: &str) -> Result<DeadLetterEntry, Error> {
        self.hub.redrive(id)
    }

    /// Redrives every dead letter (from `source` when given); returns how many.
    ///
    /// # Errors
    /// As [`LocalCloud::redrive`].
    pub fn redrive_all(&self, source: Option<&DeadLetterSource>) -> Result<usize, Error> {
        let entries = self.dead_letters().list(source);
        for entry in &entries {
            self.redrive(&entry.id)?;
        }
        Ok(entries.len())
    }

    /// Counts of asynchronous deliveries so far.
    pub fn deliveries(&self) -> DeliveryCounts {
        self.hub.ledger().counts()
    }

    /// The state of a declared queue.
    pub fn queue_stats(&self, queue: &str) -> Option<QueueStats> {
        self.hub.queue(queue).map(|q| q.stats())
    }

    /// Waits until no asynchronous delivery is pending and every consumed queue is empty.
    /// Under a paused clock this also advances virtual time through retries and timeouts.
    ///
    /// It waits for as long as that takes, which is forever if a handler never finishes; prefer
    /// [`LocalCloud::settle_within`] wherever a bound makes sense (tests, scripts).
    pub async fn settle(&self) {
        settle::settle(&self.hub).await;
    }

    /// Like [`LocalCloud::settle`], but gives up after `limit` on the runtime's clock (virtual
    /// time under a paused clock).
    ///
    /// # Errors
    /// [`NotSettled`] naming the deliveries still pending and the queues still holding
    /// messages.
    pub async fn settle_within(&self, limit: Duration) -> Result<(), NotSettled> {
        settle::settle_within(&self.hub, limit).await
    }

    /// Stops accepting work, lets in-flight work finish within `grace`, then stops everything
    /// and reports (and logs) what was left undelivered.
    pub async fn shutdown(&self, grace: Duration) -> ShutdownReport {
        shutdown::shutdown(&self.hub, grace).await
    }

    /// Whether shutdown has begun.
    pub fn is_closing(&self) -> bool {
        self.hub.is_closing()
    }

    /// Runs one HTTP invocation as in-flight work: [`LocalCloud::shutdown`] waits for it within the
    /// grace period, and abandons and counts it
    /// ([`ShutdownReport::requests_abandoned`]) if it is still running when the period ends.
    /// `None` means it was abandoned.
    pub(crate) fn track_request<'a, F: Future + Unpin + 'a>(
        &'a self,
        request: F,
    ) -> impl Future<Output = Option<F::Output>> + 'a {
        self.hub.requests_in_flight.fetch_add(1, Ordering::SeqCst);
        self.hub.tracker.track_future(Tracked {
            request,
            stopped: &self.hub.stopped,
            waiting: None,
            _in_flight: InFlight(&self.hub),
        })
    }
}

/// Counts a request in flight until it is dropped (answered or abandoned).
struct InFlight<'a>(&'a Hub);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.requests_in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// [`LocalCloud::track_request`]'s future: the request, or `None` once the grace period ends.
///
/// Hand-written rather than a `select!` in an `async` block, which held the request's future
/// twice (as captured and as selected). The request is polled first, so an answer that is ready
/// is given even if the grace period ends at the same moment; the stop token is looked at
/// only once the request is pending (cloning it, and polling its `cancelled()`, each take a
/// lock every request shares), its waiter boxed then.
struct Tracked<'a, F> {
    request: F,
    stopped: &'a CancellationToken,
    waiting: Option<Pin<Box<WaitForCancellationFuture<'a>>>>,
    _in_flight: InFlight<'a>,
}

impl<F: Future + Unpin> Future for Tracked<'_, F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Poll::Ready(output) = Pin::new(&mut this.request).poll(cx) {
            return Poll::Ready(Some(output));
        }
        let stopped = this.stopped;
        let waiting = this
            .waiting
            .get_or_insert_with(|| Box::pin(stopped.cancelled()));
        waiting.as_mut().poll(cx).map(|()| None)
    }
}
