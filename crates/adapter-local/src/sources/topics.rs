//! Topics: a publish fans out to every subscribed function as an asynchronous invocation.
//!
//! A topic with no subscriber accepts the message and delivers it nowhere, as SNS and Pub/Sub
//! do (a debug line records it).

use std::sync::Arc;

use faasport_core::{Error, Event, Message, Operation, TopicMessage, Trigger};

use super::Hub;

impl Hub {
    /// Publishes to a declared topic.
    pub(crate) fn publish(
        self: &Arc<Self>,
        topic: &str,
        message: Message,
    ) -> Result<String, Error> {
        self.accepting()?;
        self.fan_out(topic, message)
    }

    /// Publishes without the shutdown check (dead letters forwarded while draining).
    pub(crate) fn fan_out(
        self: &Arc<Self>,
        topic: &str,
        message: Message,
    ) -> Result<String, Error> {
        if !self.runtime.app().topics().iter().any(|t| t == topic) {
            return Err(Self::undeclared(Operation::Publish, topic));
        }
        self.check_size("message", message.body.len())?;
        let id = self.next_id("msg");
        let mut event =
            TopicMessage::new(topic, id.clone(), message.body).with_published_at(self.now());
        event.attributes = message.attributes;
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
        for function in subscribers {
            self.dispatch(&function, Event::Topic(event.clone()), &id);
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
        let id = self.next_id("msg");
        q.send(id.clone(), message, self.now());
        Ok(id)
    }
}
