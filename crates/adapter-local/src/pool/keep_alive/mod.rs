//! Keep-alive policies: how long an idle instance stays warm, and whether a fresh one is loaded
//! ahead of the next expected call.
//!
//! A pool asks its policy on every arrival ([`KeepAlivePolicy::on_arrival`]) and whenever one of
//! its instances becomes idle ([`KeepAlivePolicy::on_idle`]). The answer is a pair of windows:
//!
//! * `prewarm == 0`: keep the instance until `t_end + keep_alive`, then reap it;
//! * `prewarm > 0`: unload it at once, load a fresh one (running the initialiser, recorded as a
//!   pre-warm, not a cold start) at `t_end + prewarm`, and keep that one for `keep_alive`. A call
//!   in the gap is a cold start. A pre-warm is cancelled if any call arrives before it is due.
//!
//! Min instances are never reaped whatever the policy says.

mod fixed;
mod hybrid;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use fixed::FixedKeepAlive;
pub use hybrid::{HybridConfig, HybridFallback, HybridHistogramPolicy};

/// The windows a [`KeepAlivePolicy`] chose for an instance that just became idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAliveWindows {
    /// Delay before a fresh instance is loaded (zero: keep the current one instead).
    pub prewarm: Duration,
    /// How long the (kept or pre-warmed) instance stays warm.
    pub keep_alive: Duration,
}

/// Decides how long idle instances of one function stay warm. One value per function.
///
/// Times are measured since the runtime was built, on tokio's clock.
pub trait KeepAlivePolicy: Send + fmt::Debug {
    /// An invocation arrived at `at`.
    fn on_arrival(&mut self, at: Duration);

    /// An instance finished its last invocation at `at` and is idle: choose its windows.
    fn on_idle(&mut self, at: Duration) -> KeepAliveWindows;
}

/// A factory of custom policies, one per function.
pub type PolicyFactory = Arc<dyn Fn() -> Box<dyn KeepAlivePolicy> + Send + Sync>;

/// Which keep-alive policy a runtime uses for its functions.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum KeepAlive {
    /// A fixed window, the profile's default (Lambda 10 min, Cloud Run 15 min, Azure 20 min).
    #[default]
    ProfileDefault,
    /// A fixed idle window.
    Fixed(Duration),
    /// The hybrid histogram policy of Shahrad et al. (ATC 2020); while its histogram is not
    /// representative it keeps instances for the profile's fixed window unless the config's
    /// [`HybridFallback`] says otherwise.
    Hybrid(HybridConfig),
    /// Any other policy.
    Custom(PolicyFactory),
}

impl KeepAlive {
    /// The hybrid histogram policy with the paper's parameters.
    pub fn hybrid() -> Self {
        KeepAlive::Hybrid(HybridConfig::default())
    }

    /// A fresh policy for one function; `profile_default` is the fixed window of the profile.
    pub fn build(&self, profile_default: Duration) -> Box<dyn KeepAlivePolicy> {
        match self {
            KeepAlive::ProfileDefault => Box::new(FixedKeepAlive::new(profile_default)),
            KeepAlive::Fixed(window) => Box::new(FixedKeepAlive::new(*window)),
            KeepAlive::Hybrid(config) => {
                Box::new(HybridHistogramPolicy::new(config.clone(), profile_default))
            }
            KeepAlive::Custom(factory) => factory(),
        }
    }
}

impl fmt::Debug for KeepAlive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeepAlive::ProfileDefault => f.write_str("ProfileDefault"),
            KeepAlive::Fixed(d) => f.debug_tuple("Fixed").field(d).finish(),
            KeepAlive::Hybrid(c) => f.debug_tuple("Hybrid").field(c).finish(),
            KeepAlive::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}
