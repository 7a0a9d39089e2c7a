//! [`LocalCloudBuilder`]: configures the sources and the runtime under them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use faasport_core::contract;
use faasport_core::{App, AppError, Error};

use super::bindings::LocalBindings;
use super::buckets::{BucketBackend, Buckets};
use super::history::{TopicHistory, DEFAULT_TOPIC_HISTORY};
use super::policy::DeliveryPolicy;
use super::queues::LocalQueue;
use super::{Hub, LocalCloud};
use crate::dead_letters::DeadLetters;
use crate::faults::FaultPlan;
use crate::{LocalRuntime, RuntimeBuilder};

/// The largest topic or queue message accepted unless set: 256 KiB, the SNS and SQS limit.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 256 * 1024;

type Configure = Box<dyn FnOnce(RuntimeBuilder) -> RuntimeBuilder + Send>;

/// Builds [`LocalCloud`].
pub struct LocalCloudBuilder {
    app: App,
    policy: Option<DeliveryPolicy>,
    faults: Option<FaultPlan>,
    backend: BucketBackend,
    max_message_bytes: usize,
    topic_history: usize,
    clock_start: Option<DateTime<Utc>>,
    configure: Option<Configure>,
}

impl std::fmt::Debug for LocalCloudBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCloudBuilder")
            .field("app", &self.app.name())
            .field("policy", &self.policy)
            .field("faults", &self.faults)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl LocalCloudBuilder {
    pub(crate) fn new(app: App) -> Self {
        Self {
            app,
            policy: None,
            faults: None,
            backend: BucketBackend::Memory,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            topic_history: DEFAULT_TOPIC_HISTORY,
            clock_start: None,
            configure: None,
        }
    }

    /// Sets the delivery policy (retries, ages, queue defaults); by default it follows the
    /// runtime's profile ([`DeliveryPolicy::from_profile`]).
    pub fn policy(mut self, policy: DeliveryPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Injects seeded faults into handlers and deliveries.
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.faults = Some(plan);
        self
    }

    /// Sets where bucket objects live (in memory by default).
    pub fn buckets(mut self, backend: BucketBackend) -> Self {
        self.backend = backend;
        self
    }

    /// Sets the largest topic or queue message accepted.
    pub fn max_message_bytes(mut self, limit: usize) -> Self {
        self.max_message_bytes = limit;
        self
    }

    /// Sets how many of its most recent messages each topic remembers for
    /// [`LocalCloud::published`] ([`DEFAULT_TOPIC_HISTORY`] unless set; 0 keeps none).
    pub fn topic_history(mut self, limit: usize) -> Self {
        self.topic_history = limit;
        self
    }

    /// Sets what the runtime's clock reads when the sources are built (schedules fire on it).
    pub fn clock_start(mut self, at: DateTime<Utc>) -> Self {
        self.clock_start = Some(at);
        self
    }

    /// Adjusts the runtime (a profile, say) before it is built; the sources set its bindings.
    pub fn runtime(
        mut self,
        configure: impl FnOnce(RuntimeBuilder) -> RuntimeBuilder + Send + 'static,
    ) -> Self {
        self.configure = Some(Box::new(configure));
        self
    }

    /// Builds the runtime and its sources.
    ///
    /// # Errors
    /// [`Error::App`] if the app is invalid (an unparsable schedule, say), or
    /// [`AppError::VisibilityBelowTimeout`] if a queue sets a visibility timeout shorter than the
    /// timeout of a function that consumes it.
    pub fn build(self) -> Result<LocalCloud, Error> {
        let bindings = LocalBindings::unconnected();
        let mut builder = LocalRuntime::builder(self.app.clone());
        if let Some(configure) = self.configure {
            builder = configure(builder);
        }
        builder = builder.bindings(bindings.bindings());
        if let Some(plan) = &self.faults {
            builder = builder.faults(plan.clone());
        }
        let runtime = builder.build()?;
        let policy = self
            .policy
            .unwrap_or_else(|| DeliveryPolicy::from_profile(runtime.profile()));
        let queues = self
            .app
            .queues()
            .iter()
            .map(|spec| {
                let visibility =
                    contract::visibility_timeout(&self.app, spec, policy.visibility_timeout)?;
                let receives = spec.max_receive_count.unwrap_or(policy.max_receive_count);
                Ok((
                    spec.name.clone(),
                    Arc::new(LocalQueue::new(&spec.name, visibility, receives.max(1))),
                ))
            })
            .collect::<Result<HashMap<_, _>, AppError>>()?;
        let hub = Arc::new(Hub {
            runtime,
            policy,
            faults: self.faults,
            queues,
            streams: super::streams::build(&self.app, policy.max_receive_count),
            buckets: Buckets::new(self.backend),
            max_message_bytes: self.max_message_bytes,
            dead_letters: DeadLetters::new(),
            history: TopicHistory::new(self.topic_history),
            ledger: Default::default(),
            tracker: TaskTracker::new(),
            closing: CancellationToken::new(),
            stopped: CancellationToken::new(),
            started: AtomicBool::new(false),
            requests_in_flight: AtomicU64::new(0),
            ids: AtomicU64::new(0),
            clock_start: self.clock_start.unwrap_or_else(Utc::now),
            instant_start: Instant::now(),
        });
        bindings.connect(&hub);
        Ok(LocalCloud { hub })
    }
}
