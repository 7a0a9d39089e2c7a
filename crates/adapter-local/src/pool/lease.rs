//! What a pool hands out: an [`Instance`] lent to one invocation, or the reason it could not.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use faasport_core::{Error, InstanceState};

use super::InstancePool;

/// One instance (execution environment) of a function.
#[derive(Debug)]
pub struct Instance {
    pub(crate) id: u64,
    pub(crate) state: InstanceState,
    pub(crate) provisioned: bool,
}

impl Instance {
    /// The instance id, unique within the runtime.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether it was started for min instances (provisioned concurrency, Cloud Run's and
    /// Azure's minimum instances), not by an invocation or a pre-warm.
    pub fn provisioned(&self) -> bool {
        self.provisioned
    }

    /// The state its initialiser produced.
    pub fn state(&self) -> &InstanceState {
        &self.state
    }
}

/// An instance lent to one invocation; dropping the lease gives the capacity back.
#[derive(Debug)]
pub struct Lease {
    pub(crate) pool: Arc<InstancePool>,
    pub(crate) instance: Arc<Instance>,
    pub(crate) cold: bool,
    pub(crate) init: Duration,
    pub(crate) queued: Duration,
    pub(crate) healthy: bool,
    /// When the invocation ended, if the runtime read the clock for it already (otherwise the
    /// release reads it).
    pub(crate) ended: Option<Instant>,
    /// The invocation's busy interval on the instance (since the runtime started), counted
    /// into the instance's lifetime when the lease is released.
    pub(crate) busy: Option<(Duration, Duration)>,
}

impl Lease {
    /// The instance.
    pub fn instance(&self) -> &Arc<Instance> {
        &self.instance
    }

    /// Whether the instance was started for this invocation (a cold start).
    pub fn cold(&self) -> bool {
        self.cold
    }

    /// How long the initialiser took (zero when warm).
    pub fn init(&self) -> Duration {
        self.init
    }

    /// How long the invocation waited before its instance started or took it: backpressure
    /// queueing, the scale-out rate, or another instance's start-up.
    pub fn queued(&self) -> Duration {
        self.queued
    }

    /// Discards the instance when the lease is dropped (after a timeout the platform recycles the
    /// environment).
    pub fn recycle(&mut self) {
        self.healthy = false;
    }

    /// Says when the invocation ended, so that giving the capacity back (on drop) does not read
    /// the clock again, and the interval it kept the instance busy (`start..end` since the
    /// runtime started), which the release counts under the pool's lock rather than the
    /// trace's.
    pub(crate) fn finished(&mut self, at: Instant, busy: (Duration, Duration)) {
        self.ended = Some(at);
        self.busy = Some(busy);
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let now = self.ended.unwrap_or_else(Instant::now);
        self.pool
            .release(self.instance.id, self.healthy, now, self.busy.take());
    }
}

/// Why a pool lent no instance, with what the meter needs to record.
#[derive(Debug)]
#[non_exhaustive]
pub struct Refused {
    /// [`Error::Throttled`] or [`Error::Init`].
    pub error: Error,
    /// Whether an instance was started (and failed) for this invocation.
    pub cold: bool,
    /// How long the failed initialiser ran.
    pub init: Duration,
    /// How long the invocation waited before it was refused.
    pub queued: Duration,
}
