//! What happens to an invocation when a function is at its limit.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The behaviour at the instance limit (or while the scale-out rate holds new instances back).
///
/// Whatever the mode, an invocation that is finally refused surfaces as
/// [`Error::Throttled`](faasport_core::Error::Throttled) with
/// [`Outcome::Throttled`](crate::Outcome::Throttled); the HTTP gateway answers 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Backpressure {
    /// Refuse at once (Lambda's synchronous invoke: 429 `TooManyRequestsException`).
    Reject,
    /// Wait in first-come order for capacity up to `deadline`, then refuse (Cloud Run: up to
    /// 60 s, then 429).
    Queue {
        /// The longest an invocation waits.
        deadline: Duration,
    },
    /// Wait for capacity for as long as it takes (an event source's own queue is the buffer).
    Block,
}

impl Backpressure {
    /// How long an invocation may wait: zero for `Reject`, none for `Block`.
    pub fn wait_limit(&self) -> Option<Duration> {
        match self {
            Backpressure::Reject => Some(Duration::ZERO),
            Backpressure::Queue { deadline } => Some(*deadline),
            Backpressure::Block => None,
        }
    }
}
