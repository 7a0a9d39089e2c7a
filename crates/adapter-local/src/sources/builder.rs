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
use super::depth::{DepthGauge, DepthLimit};
use super::history::TopicHistory;
#[cfg(doc)]
use super::history::DEFAULT_TOPIC_HISTORY;
use super::journal::Journal;
use super::policy::DeliveryPolicy;
use super::queues::LocalQueue;
use super::{Hub, LocalCloud};
use crate::config::LocalConfig;
use crate::dead_letters::DeadLetters;
use crate::faults::FaultPlan;
use crate::{LocalRuntime, Profile};

/// The largest topic or queue message accepted unless set: 256 KiB, the SNS and SQS limit.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// Builds [`LocalCloud`]: the runtime and its event sources, set up by one
/// [`LocalConfig`]. The setters below write into that value.
#[derive(Debug)]
pub struct LocalCloudBuilder {
    app: App,
    config: LocalConfig,
}

impl LocalCloudBuilder {
    pub(crate) fn new(app: App) -> Self {
        Self {
            app,
            config: LocalConfig::default(),
        }
    }

    /// Takes every setting from `config` (replacing any set before).
    pub fn config(mut self, config: LocalConfig) -> Self {
        self.config = config;
        self
    }

    /// Scales, retries and bills like this provider (`aws` by default).
    pub fn profile(mut self, profile: Profile) -> Self {
        self.config.profile = profile;
        self
    }

    /// Runs on the virtual clock ([`LocalConfig::virtual_clock`]).
    pub fn virtual_clock(mut self) -> Self {
        self.config.virtual_clock = true;
        self
    }

    /// Sets the delivery policy (retries, ages, queue defaults); by default it follows the
    /// runtime's profile ([`DeliveryPolicy::from_profile`]).
    pub fn policy(mut self, policy: DeliveryPolicy) -> Self {
        self.config.policy = Some(policy);
        self
    }

    /// Injects seeded faults into handlers and deliveries.
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.config.faults = Some(plan);
        self
    }

    /// Sets where bucket objects live (in memory by default).
    pub fn buckets(mut self, backend: BucketBackend) -> Self {
        self.config.buckets = backend;
        self
    }

    /// Sets the largest topic or queue message accepted.
    pub fn max_message_bytes(mut self, limit: usize) -> Self {
        self.config.max_message_bytes = limit;
        self
    }

    /// Sets how many of its most recent messages each topic remembers for
    /// [`LocalCloud::published`] ([`DEFAULT_TOPIC_HISTORY`] unless set; 0 keeps none).
    pub fn topic_history(mut self, limit: usize) -> Self {
        self.config.topic_history = limit;
        self
    }

    /// Sets what the runtime's clock reads when the sources are built (schedules fire on it).
    pub fn clock_start(mut self, at: DateTime<Utc>) -> Self {
        self.config.clock_start = Some(at);
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
        let mut config = self.config;
        let journal = match (config.durable, &config.state_dir) {
            (false, _) => None,
            (true, None) => {
                return Err(Error::Local {
                    reason: "the durable option needs a state folder (LocalConfig::state_dir)"
                        .to_owned(),
                })
            }
            (true, Some(dir)) => {
                if config.buckets == BucketBackend::Memory {
                    config.buckets = BucketBackend::Directory(dir.join("buckets"));
                }
                Some(Arc::new(Journal::open(dir)?))
            }
        };
        // What an earlier run left, read before this one accepts anything (delivered by
        // `start`); new ids go on after its ids.
        let recovered = journal.as_ref().map(|j| j.read_all()).unwrap_or_default();
        let first_id = super::undelivered::highest_id(&recovered);
        let runtime = LocalRuntime::builder(self.app.clone())
            .config(config.clone())
            .bindings(bindings.bindings())
            .build()?;
        let policy = config
            .policy
            .unwrap_or_else(|| DeliveryPolicy::from_profile(runtime.profile()));
        let depth = config
            .max_depth
            .unwrap_or_else(|| DepthLimit::for_profile(runtime.profile()));
        let topic_depths = self
            .app
            .topics()
            .iter()
            .map(|t| (t.clone(), Arc::new(DepthGauge::default())))
            .collect();
        let queues = self
            .app
            .queues()
            .iter()
            .map(|spec| {
                let visibility =
                    contract::visibility_timeout(&self.app, spec, policy.visibility_timeout)?;
                let receives = spec.max_receive_count.unwrap_or(policy.max_receive_count);
                let max_depth = spec.max_depth.unwrap_or(depth.max);
                let queue = LocalQueue::new(&spec.name, visibility, receives.max(1), max_depth)
                    .with_journal(journal.clone());
                Ok((spec.name.clone(), Arc::new(queue)))
            })
            .collect::<Result<HashMap<_, _>, AppError>>()?;
        let hub = Arc::new(Hub {
            runtime,
            policy,
            faults: config.faults,
            queues,
            streams: super::streams::build(&self.app, policy.max_receive_count),
            buckets: Buckets::new(config.buckets, config.durable),
            max_message_bytes: config.max_message_bytes,
            depth,
            topic_depths,
            state_dir: config.state_dir.clone(),
            resume_on_start: config.resume,
            journal,
            recovered: std::sync::Mutex::new(recovered),
            dead_letters: DeadLetters::new(),
            history: TopicHistory::new(config.topic_history),
            ledger: Default::default(),
            tracker: TaskTracker::new(),
            closing: CancellationToken::new(),
            closed: AtomicBool::new(false),
            stopped: CancellationToken::new(),
            started: AtomicBool::new(false),
            requests_in_flight: AtomicU64::new(0),
            ids: AtomicU64::new(first_id),
            clock_start: config.clock_start.unwrap_or_else(Utc::now),
            instant_start: Instant::now(),
        });
        bindings.connect(&hub);
        Ok(LocalCloud { hub })
    }
}
