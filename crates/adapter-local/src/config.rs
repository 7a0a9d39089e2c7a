//! [`LocalConfig`]: how the local runtime runs, in one value.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::meter::{PriceTable, PricingOptions, RecordRetention};
use crate::pool::KeepAlive;
use crate::sources::{BucketBackend, DeliveryPolicy, DepthLimit, DEFAULT_MAX_MESSAGE_BYTES};
use crate::{FaultPlan, Profile};

/// How the local runtime runs: whose rules it follows, how it prices, what it injects, where
/// buckets live and which clock it reads.
///
/// Every way of starting the local runtime takes it: [`RuntimeBuilder::config`]
/// (the runtime alone), [`LocalCloudBuilder::config`](crate::LocalCloudBuilder::config) (the
/// runtime with its event sources), [`ServeOptions::config`](crate::serve::ServeOptions::config)
/// (serve mode), [`ReplayOptions::config`](crate::ReplayOptions::config) (trace replay), and the
/// facade's test harness. Each of those builders' own setters for these settings write into
/// the same value, so a profile or a fault plan means the same thing wherever it is set.
///
/// [`RuntimeBuilder::config`]: crate::RuntimeBuilder::config
///
/// ```
/// use faasport_adapter_local::{LocalConfig, Profile};
///
/// let config = LocalConfig::default().profile(Profile::gcp()).virtual_clock();
/// assert_eq!(config.profile.kind, faasport_adapter_local::ProfileKind::Gcp);
/// assert!(config.virtual_clock);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LocalConfig {
    /// Whose scaling, throttling, retry and billing rules to follow (`aws` by default).
    pub profile: Profile,
    /// How idle instances are reaped and pre-warmed (the profile's fixed window by default).
    pub keep_alive: KeepAlive,
    /// The price table (the bundled one when `None`).
    pub prices: Option<PriceTable>,
    /// Lambda architecture, free tiers, Cloud Run vCPUs.
    pub pricing: PricingOptions,
    /// Runs on tokio's paused clock (see [`LocalConfig::virtual_clock`]).
    pub virtual_clock: bool,
    /// Seeded faults injected into the handlers.
    pub faults: Option<FaultPlan>,
    /// Retry and queue behaviour (the profile's when `None`).
    pub policy: Option<DeliveryPolicy>,
    /// Where bucket objects live (in memory by default).
    pub buckets: BucketBackend,
    /// The largest topic or queue message accepted.
    pub max_message_bytes: usize,
    /// Messages each topic remembers for inspection (0 keeps none).
    pub topic_history: usize,
    /// What the clock reads when the sources are built (now when `None`); schedules fire on it.
    pub clock_start: Option<DateTime<Utc>>,
    /// Which raw invocation records and scaling events are kept (the most recent
    /// [`DEFAULT_RING`](crate::meter::DEFAULT_RING) by default); the report does not depend on
    /// it.
    pub keep_records: RecordRetention,
    /// The most messages a topic or queue holds, and what a publish past it does (the
    /// profile's, [`DepthLimit::for_profile`], when `None`). A queue's
    /// [`QueueSpec::max_depth`](faasport_core::QueueSpec) overrides it for that queue.
    pub max_depth: Option<DepthLimit>,
    /// The state folder: shutdown writes the messages it could not deliver there
    /// ([`UNDELIVERED_FILE`](crate::UNDELIVERED_FILE)); kept nowhere when `None`.
    pub state_dir: Option<PathBuf>,
    /// Whether starting the sources delivers the state folder's undelivered messages again.
    pub resume: bool,
    /// Whether queues and asynchronous deliveries are journaled in the state folder, so a
    /// process killed at any moment loses nothing it accepted (see
    /// [`LocalConfig::durable`]).
    pub durable: bool,
}

impl Default for LocalConfig {
    fn default() -> Self {
        Self {
            profile: Profile::aws(),
            keep_alive: KeepAlive::ProfileDefault,
            prices: None,
            pricing: PricingOptions::default(),
            virtual_clock: false,
            faults: None,
            policy: None,
            buckets: BucketBackend::Memory,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            topic_history: crate::sources::DEFAULT_TOPIC_HISTORY,
            clock_start: None,
            keep_records: RecordRetention::default(),
            max_depth: None,
            state_dir: None,
            resume: false,
            durable: false,
        }
    }
}

impl LocalConfig {
    /// Scales, retries and bills like this provider.
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// Reaps and pre-warms idle instances with this policy.
    pub fn keep_alive(mut self, policy: KeepAlive) -> Self {
        self.keep_alive = policy;
        self
    }

    /// Prices runs with this table instead of the bundled one.
    pub fn prices(mut self, table: PriceTable) -> Self {
        self.prices = Some(table);
        self
    }

    /// Sets the pricing options.
    pub fn pricing(mut self, options: PricingOptions) -> Self {
        self.pricing = options;
        self
    }

    /// Runs on the virtual clock: tokio's time is paused when the runtime is built and advances
    /// only when every task waits, so windows, back-offs and schedules pass instantly and
    /// deterministically. Needs a current-thread tokio runtime.
    pub fn virtual_clock(mut self) -> Self {
        self.virtual_clock = true;
        self
    }

    /// Injects seeded faults into the handlers.
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.faults = Some(plan);
        self
    }

    /// Retries and runs queues with this policy instead of the profile's.
    pub fn policy(mut self, policy: DeliveryPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Keeps bucket objects here.
    pub fn buckets(mut self, backend: BucketBackend) -> Self {
        self.buckets = backend;
        self
    }

    /// Keeps bucket objects in files under `dir`, one sub-directory per bucket.
    pub fn bucket_dir(self, dir: impl Into<PathBuf>) -> Self {
        self.buckets(BucketBackend::Directory(dir.into()))
    }

    /// Refuses topic and queue messages larger than `limit` bytes.
    pub fn max_message_bytes(mut self, limit: usize) -> Self {
        self.max_message_bytes = limit;
        self
    }

    /// Remembers the last `limit` messages of each topic.
    pub fn topic_history(mut self, limit: usize) -> Self {
        self.topic_history = limit;
        self
    }

    /// Holds at most this many messages per topic and queue, with this backpressure past it.
    pub fn max_depth(mut self, limit: DepthLimit) -> Self {
        self.max_depth = Some(limit);
        self
    }

    /// Keeps undelivered messages in `dir` at shutdown.
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// Delivers the state folder's undelivered messages again when the sources start.
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

    /// Journals every accepted queue message and asynchronous delivery in the state folder's
    /// [`JOURNAL_DIR`](crate::sources::JOURNAL_DIR) (fsynced files; messages accepted while
    /// another commit is under way share the next one), each file removed when its last
    /// message is acknowledged; the next start on the folder delivers what is left, so a
    /// process killed with `SIGKILL` loses nothing it accepted. Buckets kept in memory move to
    /// `buckets/` in the state folder, written atomically and fsynced. Needs
    /// [`LocalConfig::state_dir`]. It costs two fsyncs per commit: see BENCHMARKS.md and
    /// RELIABILITY.md for the measured throughput.
    pub fn durable(mut self, durable: bool) -> Self {
        self.durable = durable;
        self
    }

    /// Starts the clock at `at`.
    pub fn clock_start(mut self, at: DateTime<Utc>) -> Self {
        self.clock_start = Some(at);
        self
    }

    /// Keeps raw records and scaling events under `retention` (`RecordRetention::All` keeps
    /// every one, and memory then grows with every invocation).
    pub fn keep_records(mut self, retention: RecordRetention) -> Self {
        self.keep_records = retention;
        self
    }
}
