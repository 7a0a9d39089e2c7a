//! [`Trigger`]s, and what happens when their deliveries fail ([`RetryPolicy`], [`DeadLetter`]).

use std::time::Duration;

use http::Method;

use crate::{EventKind, StorageEventKind};

/// What makes a function run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trigger {
    /// An HTTP route; `method: None` matches every method. Paths may hold `{param}` segments and
    /// a final `{*rest}`.
    Http {
        /// The method, or any.
        method: Option<Method>,
        /// The path pattern, starting with `/`.
        path: String,
    },
    /// Messages published to a declared topic.
    Topic {
        /// The topic.
        topic: String,
    },
    /// Messages sent to a declared queue, in batches.
    Queue {
        /// The queue.
        queue: String,
        /// Most messages per batch.
        batch_size: u32,
        /// How long to wait to fill a batch.
        batch_window: Duration,
    },
    /// A cron or rate schedule (see [`Schedule`](crate::Schedule)).
    Schedule {
        /// The expression.
        expression: String,
    },
    /// Object events in a declared bucket.
    Storage {
        /// The bucket.
        bucket: String,
        /// Which events; empty means all.
        kinds: Vec<StorageEventKind>,
        /// Only keys with this prefix, if set.
        prefix: Option<String>,
    },
    /// Changes in a database table.
    Change {
        /// The table.
        table: String,
        /// Most records per batch.
        batch_size: u32,
    },
    /// Records put to a data stream (a Kinesis data stream on AWS), in order, in batches. Each
    /// record arrives as a [`QueueMessage`](crate::QueueMessage) of a
    /// [`QueueBatch`](crate::QueueBatch) whose id is the record's sequence number, so a handler
    /// reports partial failures with a [`BatchOutcome`](crate::BatchOutcome) as for a queue.
    ///
    /// Streams are external, like the tables of [`Trigger::Change`]: they are not declared app
    /// resources, and the deployment names them (the SAM template takes each stream's ARN as a
    /// parameter).
    Stream {
        /// The stream.
        stream: String,
        /// Most records per batch.
        batch_size: u32,
    },
    /// CloudEvents of one type (from an event router such as Eventarc or EventBridge).
    CloudEvent {
        /// The CloudEvent `type`.
        event_type: String,
    },
}

impl Trigger {
    /// The event kind this trigger delivers.
    pub fn event_kind(&self) -> EventKind {
        match self {
            Trigger::Http { .. } => EventKind::Http,
            Trigger::Topic { .. } => EventKind::Topic,
            Trigger::Queue { .. } => EventKind::Queue,
            Trigger::Schedule { .. } => EventKind::Schedule,
            Trigger::Storage { .. } => EventKind::Storage,
            Trigger::Change { .. } => EventKind::Change,
            Trigger::Stream { .. } => EventKind::Queue,
            Trigger::CloudEvent { .. } => EventKind::CloudEvent,
        }
    }

    /// Whether the platform delivers this trigger's events as asynchronous invocations, retried
    /// on failure and then dead-lettered: topics, schedules, storage events and CloudEvents (SNS,
    /// EventBridge Scheduler, S3 and EventBridge all invoke Lambda asynchronously). Queue and
    /// stream batches have their own redelivery; HTTP is answered to the caller.
    pub fn is_asynchronous(&self) -> bool {
        matches!(
            self,
            Trigger::Topic { .. }
                | Trigger::Schedule { .. }
                | Trigger::Storage { .. }
                | Trigger::CloudEvent { .. }
        )
    }
}

/// How failed asynchronous deliveries are retried. `None` fields take the runtime profile's
/// default (Lambda: 2 retries, 6 h maximum event age).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: Option<u32>,
    /// Events older than this are not retried but dead-lettered.
    pub max_event_age: Option<Duration>,
}

impl RetryPolicy {
    /// The profile's defaults.
    pub fn profile_default() -> Self {
        Self::default()
    }

    /// Sets the number of retries.
    pub fn with_max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
        self
    }

    /// Sets the maximum event age.
    pub fn with_max_event_age(mut self, age: Duration) -> Self {
        self.max_event_age = Some(age);
        self
    }
}

/// Where events go when every retry failed: a function's own
/// ([`Function::dead_letter`](crate::Function::dead_letter)) or the app's default
/// ([`App::dead_letter`](crate::App::dead_letter)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeadLetter {
    /// A declared queue.
    Queue(String),
    /// A declared topic.
    Topic(String),
}
