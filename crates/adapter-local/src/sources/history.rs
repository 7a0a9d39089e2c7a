//! [`TopicHistory`]: the last messages published to each topic, for tests and the admin
//! endpoints to read.
//!
//! Memory stays bounded however long the sources run: each topic keeps its most recent
//! [`DEFAULT_TOPIC_HISTORY`] messages (or the limit given to
//! [`LocalCloudBuilder::topic_history`](super::LocalCloudBuilder::topic_history)); older ones are
//! forgotten, oldest first. A limit of zero keeps nothing.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use faasport_core::TopicMessage;

/// How many messages each topic remembers unless set.
pub const DEFAULT_TOPIC_HISTORY: usize = 1000;

/// The most recent messages of each topic, oldest first.
#[derive(Debug)]
pub(crate) struct TopicHistory {
    limit: usize,
    topics: Mutex<HashMap<String, VecDeque<TopicMessage>>>,
}

impl TopicHistory {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            topics: Mutex::new(HashMap::new()),
        }
    }

    /// Remembers `message`, forgetting the oldest one of its topic past the limit.
    pub(crate) fn record(&self, message: &TopicMessage) {
        if self.limit == 0 {
            return;
        }
        let mut topics = self.topics.lock().unwrap_or_else(PoisonError::into_inner);
        let kept = topics.entry(message.topic.clone()).or_default();
        if kept.len() == self.limit {
            kept.pop_front();
        }
        kept.push_back(message.clone());
    }

    /// The messages `topic` remembers, oldest first.
    pub(crate) fn messages(&self, topic: &str) -> Vec<TopicMessage> {
        self.topics
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(topic)
            .map(|kept| kept.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_keeps_only_its_most_recent_messages() {
        let history = TopicHistory::new(2);
        for id in ["m1", "m2", "m3"] {
            history.record(&TopicMessage::new("orders", id, "{}"));
        }
        history.record(&TopicMessage::new("audit", "a1", "{}"));
        let ids =
            |topic| -> Vec<String> { history.messages(topic).into_iter().map(|m| m.id).collect() };
        assert_eq!(ids("orders"), ["m2", "m3"]);
        assert_eq!(ids("audit"), ["a1"]);
        assert_eq!(ids("none"), Vec::<String>::new());
    }

    #[test]
    fn a_limit_of_zero_keeps_nothing() {
        let history = TopicHistory::new(0);
        history.record(&TopicMessage::new("orders", "m1", "{}"));
        assert!(history.messages("orders").is_empty());
    }
}
