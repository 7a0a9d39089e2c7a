//! The fixed keep-alive window most platforms use.

use std::time::Duration;

use super::{KeepAlivePolicy, KeepAliveWindows};

/// Keeps an idle instance for a fixed window, then reaps it; never pre-warms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedKeepAlive {
    window: Duration,
}

impl FixedKeepAlive {
    /// A policy keeping idle instances for `window`.
    pub fn new(window: Duration) -> Self {
        Self { window }
    }
}

impl KeepAlivePolicy for FixedKeepAlive {
    fn on_arrival(&mut self, _at: Duration) {}

    fn on_idle(&mut self, _at: Duration) -> KeepAliveWindows {
        KeepAliveWindows {
            prewarm: Duration::ZERO,
            keep_alive: self.window,
        }
    }
}
