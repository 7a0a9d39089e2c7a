//! Queue consumers: one poller per queue trigger, running batches concurrently. The number of
//! batches at once follows the profile's [`QueueScaling`](faasport_core::contract::QueueScaling)
//! while a backlog lasts (Lambda's SQS poller: 5, then 300 more a minute, up to 1,000), capped by
//! the function's own instance cap.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use faasport_core::contract::Delivery;
use faasport_core::{Error, Event, QueueBatch, QueueMessage, Trigger};

use super::queues::{Expired, LocalQueue};
use super::Hub;
use crate::dead_letters::DeadLetterSource;
use crate::faults::event_key;
use crate::{InvocationSource, InvokeOptions};

/// Starts a poller for every queue trigger of the app.
pub(crate) fn start_all(hub: &Arc<Hub>) {
    for f in hub.runtime.app().functions() {
        for trigger in f.triggers() {
            let Trigger::Queue {
                queue,
                batch_size,
                batch_window,
            } = trigger
            else {
                continue;
            };
            let Some(q) = hub.queues.get(queue).cloned() else {
                continue;
            };
            let cap = f.spec().max_instances;
            let scaling = hub.policy.queue_scaling;
            let limit = scaling.allowed(Duration::ZERO, cap);
            let poller = Poller {
                hub: hub.clone(),
                function: f.name().to_owned(),
                queue: q,
                batch_size: usize::try_from(*batch_size).unwrap_or(usize::MAX),
                batch_window: *batch_window,
                slots: Arc::new(Semaphore::new(limit as usize)),
                granted: limit,
                cap,
            };
            hub.tracker.spawn(poller.run());
        }
    }
}

struct Poller {
    hub: Arc<Hub>,
    function: String,
    queue: Arc<LocalQueue>,
    batch_size: usize,
    batch_window: Duration,
    slots: Arc<Semaphore>,
    /// Permits given to `slots` so far.
    granted: u32,
    /// The function's instance cap, if any.
    cap: Option<u32>,
}

impl Poller {
    async fn run(mut self) {
        let hub = self.hub.clone();
        // Since when every slot has been busy with messages still coming: the backlog the
        // scaling rule ramps on.
        let mut backlog: Option<tokio::time::Instant> = None;
        loop {
            let slot = match self.slots.clone().try_acquire_owned() {
                Ok(slot) => slot,
                Err(tokio::sync::TryAcquireError::Closed) => return,
                Err(tokio::sync::TryAcquireError::NoPermits) => {
                    let since = *backlog.get_or_insert_with(tokio::time::Instant::now);
                    let Some(slot) = self.wait_for_slot(since).await else {
                        return;
                    };
                    slot
                }
            };
            let (messages, expired) = tokio::select! {
                got = self.queue.receive(self.batch_size, self.batch_window) => got,
                () = hub.closing.cancelled() => return,
            };
            for e in expired {
                self.dead_letter(e);
            }
            if messages.is_empty() {
                backlog = None;
                continue;
            }
            let (hub, function, queue) = (hub.clone(), self.function.clone(), self.queue.clone());
            self.hub.tracker.spawn(async move {
                run_batch(&hub, &function, &queue, messages).await;
                drop(slot);
            });
        }
    }

    /// Waits for a free slot while every slot is busy, adding slots as the scaling rule allows
    /// for a backlog that began at `since`. `None` when the sources close.
    async fn wait_for_slot(
        &mut self,
        since: tokio::time::Instant,
    ) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let scaling = self.hub.policy.queue_scaling;
        loop {
            let now = tokio::time::Instant::now();
            let allowed = scaling.allowed(now.duration_since(since), self.cap);
            if allowed > self.granted {
                self.slots.add_permits((allowed - self.granted) as usize);
                self.granted = allowed;
            }
            let next = scaling
                .next_step(self.granted)
                .filter(|_| self.cap.is_none_or(|c| self.granted < c))
                .map(|after| since + after);
            tokio::select! {
                slot = self.slots.clone().acquire_owned() => return slot.ok(),
                () = self.hub.closing.cancelled() => return None,
                () = sleep_until_some(next) => {}
            }
        }
    }

    fn dead_letter(&self, expired: Expired) {
        let attempts = expired.message.attempt;
        let id = expired.message.id.clone();
        let reason = format!(
            "received {attempts} times without success (max receive count); last error: {}",
            expired.last_error.as_deref().unwrap_or("none recorded")
        );
        // Its own dead-letter queue, else the app's default when that is another queue, as the
        // manifests' redrive policies route it.
        let app = self.hub.runtime.app();
        let target = app
            .queues()
            .iter()
            .find(|q| q.name == self.queue.name())
            .and_then(|q| app.dead_letter_queue_for(q))
            .map(|q| faasport_core::DeadLetter::Queue(q.to_owned()));
        let event = Event::Queue(QueueBatch::new(self.queue.name(), vec![expired.message]));
        let source = DeadLetterSource::Queue(self.queue.name().to_owned());
        self.hub
            .dead_letter(source, &id, event, reason, attempts, target);
    }
}

async fn run_batch(hub: &Hub, function: &str, queue: &LocalQueue, messages: Vec<QueueMessage>) {
    let ids: Vec<String> = messages.iter().map(|m| m.id.clone()).collect();
    let attempt = messages.iter().map(|m| m.attempt).max().unwrap_or(1);
    let event = Event::Queue(QueueBatch::new(queue.name(), messages));
    if let Some(plan) = &hub.faults {
        if attempt == 1 && plan.duplicates(function, event_key(&event)) {
            // At-least-once: the same messages are also handed to another receive.
            queue.release(&ids);
        }
    }
    let invoked = tokio::select! {
        invoked = hub.runtime.invoke_with(function, event, InvokeOptions::default().attempt(attempt).source(InvocationSource::Event)) => invoked,
        () = hub.stopped.cancelled() => return,
    };
    let result = match invoked {
        Ok(invocation) => invocation.result,
        Err(e) => Err(e),
    };
    match Delivery::of(&result, &ids) {
        Delivery::Ack => {
            queue.delete(&ids);
        }
        Delivery::RetryItems(failed) => {
            let ok: Vec<String> = ids.into_iter().filter(|id| !failed.contains(id)).collect();
            queue.delete(&ok);
            queue.fail(&failed, "reported failed in the batch outcome");
        }
        // A queue has no reject: the message fails and the max receive count dead-letters it.
        _ => match &result {
            Err(e) => fail(queue, &ids, e),
            Ok(_) => queue.fail(&ids, "the batch outcome named a message not in the batch"),
        },
    }
}

fn fail(queue: &LocalQueue, ids: &[String], error: &Error) {
    queue.fail(ids, &error.to_string());
}

/// Sleeps until `at`, or forever when there is none.
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
