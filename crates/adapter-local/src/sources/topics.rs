//! Topics: a publish fans out to every subscribed function as an asynchronous invocation.
//!
//! A topic with no subscriber accepts the message and delivers it nowhere, as SNS and Pub/Sub
//! do (a debug line records it).

use std::sync::Arc;

use tokio::time::Instant;

use faasport_core::{Error, Event, Message, Operation, TopicMessage, Trigger};

use super::depth::{DepthLimit, DepthPermit, RECHECK};
use super::Hub;

impl Hub {
    /// Publishes to a declared topic.
    pub(crate) fn publish(
        self: &Arc<Self>,
        topic: &str,
        message: Message,
    ) -> Result<String, Error> {
        self.accepting()?;
        let gauge = self
            .topic_depths
            .get(topic)
            .ok_or_else(|| Self::undeclared(Operation::Publish, topic))?;
        let place = gauge
            .try_take(self.depth.max)
            .ok_or_else(|| DepthLimit::refusal("topic", topic, self.depth.max))?;
        self.fan_out(topic, message, Some(place))
    }

    /// Publishes from a handler: past the topic's depth, waits for room as the profile says.
    pub(crate) async fn publish_with_room(
        self: &Arc<Self>,
        topic: &str,
        message: Message,
    ) -> Result<String, Error> {
        self.with_room(|| self.publish(topic, message.clone()))
            .await
    }

    /// Sends from a handler: past the queue's depth, waits for room as the profile says.
    pub(crate) async fn send_with_room(
        self: &Arc<Self>,
        queue: &str,
        message: Message,
    ) -> Result<String, Error> {
        self.with_room(|| self.send(queue, message.clone())).await
    }

    /// Tries `attempt` until it is not throttled, for as long as the depth limit's backpressure
    /// allows, looking again every [`RECHECK`]; a shutdown ends the wait.
    async fn with_room(
        &self,
        mut attempt: impl FnMut() -> Result<String, Error>,
    ) -> Result<String, Error> {
        let deadline = self
            .depth
            .when_full
            .wait_limit()
            .map(|limit| Instant::now() + limit);
        loop {
            match attempt() {
                Err(Error::Throttled { .. }) if deadline.is_none_or(|d| Instant::now() < d) => {}
                other => return other,
            }
            tokio::select! {
                () = tokio::time::sleep(RECHECK) => {}
                () = self.closing.cancelled() => return Err(Error::ShuttingDown),
            }
        }
    }

    /// Publishes without the shutdown and depth checks (dead letters forwarded while draining);
    /// `place` is the message's place in the topic's depth, held until its deliveries end.
    pub(crate) fn fan_out(
        self: &Arc<Self>,
        topic: &str,
        message: Message,
        place: Option<DepthPermit>,
    ) -> Result<String, Error> {
        if !self.runtime.app().topics().iter().any(|t| t == topic) {
            return Err(Self::undeclared(Operation::Publish, topic));
        }
        self.check_size("message", message.body.len())?;
        let id = self.next_id("msg");
        let mut event =
            TopicMessage::new(topic, id.clone(), message.body).with_published_at(self.now());
        event.attributes = message.attributes;
        event.ordering_key = message.ordering_key;
        self.history.record(&event);
        let subscribers: Vec<String> = self
            .runtime
            .app()
            .functions()
            .iter()
            .filter(|f| {
                f.triggers()
                    .iter()
                    .any(|t| matches!(t, Trigger::Topic { topic: name } if name == topic))
            })
            .map(|f| f.name().to_owned())
            .collect();
        if subscribers.is_empty() {
            tracing::debug!(topic, id, "published to a topic without subscribers");
        }
        // One copy of the event and one place for all the subscribers' deliveries.
        let event = Arc::new(Event::Topic(event));
        let place = place.map(Arc::new);
        for function in subscribers {
            self.dispatch(&function, event.clone(), &id, place.clone())?;
        }
        Ok(id)
    }

    /// Sends to a declared queue.
    pub(crate) fn send(&self, queue: &str, message: Message) -> Result<String, Error> {
        self.accepting()?;
        let q = self
            .queues
            .get(queue)
            .ok_or_else(|| Self::undeclared(Operation::Send, queue))?;
        self.check_size("message", message.body.len())?;
        if q.held() >= q.max_depth() {
            return Err(DepthLimit::refusal("queue", queue, q.max_depth()));
        }
        let id = self.next_id("msg");
        q.send(id.clone(), message, self.now())?;
        Ok(id)
    }
}
