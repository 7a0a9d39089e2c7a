//! Asynchronous invocation: the delivery path of topics, schedules, storage events and
//! `invoke_async`, with retries, back-off, a maximum event age and dead letters.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use faasport_core::contract::Delivery;
use faasport_core::{Error, Event};

use super::depth::DepthPermit;
use super::journal::Journal;
use super::ledger::Ticket;
use super::undelivered::Undelivered;
use super::Hub;
use crate::dead_letters::{DeadLetterEntry, DeadLetterSource};
use crate::faults::event_key;
use crate::{InvocationSource, InvokeOptions};

impl Hub {
    /// Accepts an event for `function` and delivers it in the background (twice when the fault
    /// plan duplicates it). Every delivery shares the one `event`, and `place` (its message's
    /// place in a topic's depth) until the last one ends. With the durable option, the
    /// delivery is journaled first.
    ///
    /// # Errors
    /// [`Error::Io`] if the journal cannot keep it (nothing is then delivered).
    pub(crate) fn dispatch(
        self: &Arc<Self>,
        function: &str,
        event: Arc<Event>,
        event_id: &str,
        place: Option<Arc<DepthPermit>>,
    ) -> Result<(), Error> {
        if let Some(journal) = &self.journal {
            let item = Undelivered::Delivery {
                function: function.to_owned(),
                event_id: event_id.to_owned(),
                attempt: 0,
                event: Box::new(Event::clone(&event)),
            };
            journal.write(&Journal::delivery_key(function, event_id), &item)?;
        }
        let copies = match &self.faults {
            Some(plan) if plan.duplicates(function, event_key(&event)) => 2,
            _ => 1,
        };
        for copy in 0..copies {
            let ticket =
                self.ledger
                    .open(function, event_id, copy == 1, event.clone(), place.clone());
            let hub = self.clone();
            let (function, event, event_id) =
                (function.to_owned(), event.clone(), event_id.to_owned());
            self.tracker.spawn(async move {
                hub.deliver(&function, event, &event_id, ticket).await;
            });
        }
        Ok(())
    }

    /// Queues an asynchronous invocation of `function`.
    pub(crate) fn invoke_async(
        self: &Arc<Self>,
        function: &str,
        event: Event,
    ) -> Result<String, Error> {
        self.accepting()?;
        self.runtime.app().select(function)?;
        let id = self.next_id("invoke");
        self.dispatch(function, Arc::new(event), &id, None)?;
        Ok(id)
    }

    async fn deliver(
        self: Arc<Self>,
        function: &str,
        event: Arc<Event>,
        event_id: &str,
        ticket: Ticket,
    ) {
        let accepted = Instant::now();
        let app = self.runtime.app();
        let (max_retries, max_age, target) = match app.get(function) {
            Some(f) => {
                let retry = f.spec().retry;
                (
                    retry.max_retries.unwrap_or(self.policy.async_retries),
                    retry.max_event_age.unwrap_or(self.policy.max_event_age),
                    // Its own target, else the app's default (as the manifests route it).
                    app.dead_letter_for(f).cloned(),
                )
            }
            None => (0, Duration::ZERO, None),
        };
        let (mut attempt, mut throttles) = (0u32, 0u32);
        loop {
            attempt += 1;
            self.ledger.attempt(&ticket, attempt);
            let options = InvokeOptions::default()
                .attempt(attempt)
                .source(InvocationSource::Event);
            let invoked = tokio::select! {
                invoked = self.runtime.invoke_with(function, Event::clone(&event), options) => invoked,
                () = self.stopped.cancelled() => return,
            };
            let result = match invoked {
                Ok(invocation) => invocation.result,
                Err(e) => Err(e),
            };
            let delivery = Delivery::of(&result, &[]);
            if delivery == Delivery::Ack {
                self.ledger.processed(ticket);
                self.acknowledge(function, event_id);
                return;
            }
            let error = result.err().unwrap_or_else(|| {
                Error::transient("the handler's batch outcome reported the event failed")
            });
            let delay = match delivery {
                Delivery::Throttled(retry_after) => {
                    // A throttled event goes back on the internal queue; it uses no retry.
                    attempt -= 1;
                    throttles += 1;
                    Some(retry_after.unwrap_or_else(|| self.policy.throttle_delay(throttles)))
                }
                Delivery::Retry | Delivery::RetryItems(_)
                    if !delivery.exhausted(attempt, max_retries) =>
                {
                    Some(self.policy.retry_delay(attempt))
                }
                _ => None,
            };
            let reason = match delay {
                Some(d) if accepted.elapsed() + d > max_age => {
                    format!("maximum event age of {max_age:?} reached; last error: {error}")
                }
                Some(d) => {
                    tokio::select! {
                        () = tokio::time::sleep(d) => continue,
                        () = self.stopped.cancelled() => return,
                    }
                }
                None if error.is_retryable() => format!("{error} (after {attempt} attempts)"),
                None => format!("{error} (not retryable)"),
            };
            let source = DeadLetterSource::Function(function.to_owned());
            let event = Arc::unwrap_or_clone(event);
            self.dead_letter(source, event_id, event, reason, attempt, target);
            self.ledger.dead_lettered(ticket);
            self.acknowledge(function, event_id);
            return;
        }
    }

    /// Removes an ended delivery from the journal (with the durable option).
    fn acknowledge(&self, function: &str, event_id: &str) {
        if let Some(journal) = &self.journal {
            journal.remove(&Journal::delivery_key(function, event_id));
        }
    }

    /// Delivers a dead letter again and removes it from the store.
    pub(crate) fn redrive(self: &Arc<Self>, id: &str) -> Result<DeadLetterEntry, Error> {
        self.accepting()?;
        let entry = self
            .dead_letters
            .take(id)
            .ok_or_else(|| Error::invalid_payload(format!("no dead letter `{id}`")))?;
        let sent = match &entry.source {
            DeadLetterSource::Function(function) => {
                let event = Arc::new(entry.event.clone());
                self.dispatch(function, event, &entry.event_id, None)
            }
            DeadLetterSource::Queue(queue) => {
                let (Some(q), Event::Queue(batch)) = (self.queues.get(queue), &entry.event) else {
                    return Err(Error::invalid_payload(format!("queue `{queue}` is gone")));
                };
                batch.messages.iter().try_for_each(|m| {
                    let mut message = faasport_core::Message::new(m.body.clone());
                    message.attributes = m.attributes.clone();
                    q.send(m.id.clone(), message, self.now())
                })
            }
        };
        if let Err(e) = sent {
            // Not redriven: the entry goes back to the store (under a new id).
            self.dead_letters.push(
                entry.source,
                entry.event_id,
                entry.event,
                entry.reason,
                entry.attempts,
            );
            return Err(e);
        }
        Ok(entry)
    }
}
