//! What a replay runs under: the profile, the keep-alive policy, and the synthetic app's defaults.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use crate::meter::{PriceTable, PricingOptions};
use crate::pool::KeepAlive;
use crate::profile::Profile;
use crate::LocalConfig;

/// The settings of one replay.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReplayOptions {
    /// How the runtime runs: its profile (`aws` by default), keep-alive policy (the profile's
    /// fixed window by default), price table and pricing options. A replay always runs on the
    /// virtual clock; the config's event-source settings do not apply.
    pub config: LocalConfig,
    /// The memory of functions whose trace gives none (128 MB).
    pub memory_mb: u32,
    /// How long a new instance's initialiser runs (zero: the traces exclude cold-start time).
    pub cold_start: Duration,
    /// After the last invocation, keep the clock running until every instance has been reaped
    /// (so the idle time includes the keep-alive tail), but for at most this long. `None` stops
    /// at the last completion and counts live instances up to then. Default: 24 hours.
    pub drain: Option<Duration>,
    /// A counter the replay adds every invocation it dispatches to (summed over the runs of a
    /// comparison), for a progress bar read from another thread. None by default.
    pub progress: Option<Arc<AtomicU64>>,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        Self {
            config: LocalConfig::default(),
            memory_mb: faasport_core::DEFAULT_MEMORY_MB,
            cold_start: Duration::ZERO,
            drain: Some(Duration::from_secs(24 * 3600)),
            progress: None,
        }
    }
}

impl ReplayOptions {
    /// Takes the runtime's settings from `config` (replacing any set before).
    pub fn config(mut self, config: LocalConfig) -> Self {
        self.config = config;
        self
    }

    /// Sets the profile ([`LocalConfig::profile`]).
    pub fn profile(mut self, profile: Profile) -> Self {
        self.config.profile = profile;
        self
    }

    /// Sets the keep-alive policy ([`LocalConfig::keep_alive`]).
    pub fn keep_alive(mut self, policy: KeepAlive) -> Self {
        self.config.keep_alive = policy;
        self
    }

    /// Sets the memory of functions whose trace gives none.
    pub fn memory_mb(mut self, memory_mb: u32) -> Self {
        self.memory_mb = memory_mb;
        self
    }

    /// Sets the initialiser time of a new instance.
    pub fn cold_start(mut self, init: Duration) -> Self {
        self.cold_start = init;
        self
    }

    /// Sets how long to wait for instances to be reaped after the last invocation.
    pub fn drain(mut self, limit: Option<Duration>) -> Self {
        self.drain = limit;
        self
    }

    /// Counts dispatched invocations into `counter` (see [`ReplayOptions::progress`]).
    pub fn progress(mut self, counter: Arc<AtomicU64>) -> Self {
        self.progress = Some(counter);
        self
    }

    /// Prices the replay with this table ([`LocalConfig::prices`]).
    pub fn prices(mut self, table: PriceTable) -> Self {
        self.config.prices = Some(table);
        self
    }

    /// Sets the pricing options ([`LocalConfig::pricing`]).
    pub fn pricing(mut self, options: PricingOptions) -> Self {
        self.config.pricing = options;
        self
    }
}

/// The profiles and keep-alive policies [`compare`](super::compare) replays a trace under: every
/// profile with every policy.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReplayMatrix {
    /// The profiles, in report order.
    pub profiles: Vec<Profile>,
    /// The keep-alive policies, in report order within each profile.
    pub policies: Vec<KeepAlive>,
}

impl ReplayMatrix {
    /// Every profile in `profiles` with every policy in `policies`.
    pub fn new(profiles: Vec<Profile>, policies: Vec<KeepAlive>) -> Self {
        Self { profiles, policies }
    }

    /// `aws`, `gcp` and `azure`, each with its fixed keep-alive window and with the hybrid
    /// histogram policy: six replays.
    pub fn standard() -> Self {
        Self::new(
            vec![Profile::aws(), Profile::gcp(), Profile::azure()],
            vec![KeepAlive::ProfileDefault, KeepAlive::hybrid()],
        )
    }
}

impl Default for ReplayMatrix {
    fn default() -> Self {
        Self::standard()
    }
}

/// A short name for a policy under a profile, as shown in the report.
pub(crate) fn policy_label(policy: &KeepAlive, profile: &Profile) -> String {
    let minutes = |d: Duration| {
        let m = d.as_secs_f64() / 60.0;
        if m.fract() == 0.0 {
            format!("fixed {m:.0} min")
        } else {
            format!("fixed {:.0} s", d.as_secs_f64())
        }
    };
    match policy {
        KeepAlive::ProfileDefault => minutes(profile.keep_alive),
        KeepAlive::Fixed(window) => minutes(*window),
        KeepAlive::Hybrid(_) => "hybrid".to_owned(),
        KeepAlive::Custom(_) => "custom".to_owned(),
    }
}
