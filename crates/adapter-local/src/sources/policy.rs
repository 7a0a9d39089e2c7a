//! [`DeliveryPolicy`]: how the local sources retry, per provider.
//!
//! Numbers and sources (`reference/pricing-and-scaling.md` §2.1, `reference/wire-protocols.md`
//! §1.3, §2.7, §3.8):
//!
//! | setting | aws | gcp | azure |
//! |---|---|---|---|
//! | async retries | 2 (Lambda async invoke), after ~1 min then ~2 min | 0 (Cloud Run functions v2 default: retries off) | 0 (Event Grid style retries are opt-in per binding) |
//! | max event age | 6 h (Lambda default) | 24 h (2nd gen retry window) | 24 h |
//! | throttle back-off | 1 s doubling to 5 min (Lambda's internal queue) | same | same |
//! | queue visibility timeout | 30 s (SQS default) | 10 s (Pub/Sub ack deadline) | 30 s (Storage queue, as the host renews) |
//! | max receive count | 5, see below | 5 (Pub/Sub dead-letter policy default) | 5 (Storage queue `maxDequeueCount`) |
//!
//! SQS has no max receive count without a redrive policy and keeps retrying for the 4-day
//! retention period; locally a poison message would then circulate for days of virtual time, so
//! the aws policy dead-letters after 5 receives like the other two. Set
//! [`QueueSpec::max_receive_count`](faasport_core::QueueSpec) to choose otherwise.
//!
//! [`DeliveryPolicy::from_profile`] takes the retry count and event age from the runtime's
//! [`Profile`] (what [`Sources`](crate::Sources) uses unless a policy is set), so the profile
//! stays the one source of truth for them.
//!
//! A function's own [`RetryPolicy`](faasport_core::RetryPolicy) overrides the retry count and
//! the event age; a queue's [`QueueSpec`](faasport_core::QueueSpec) overrides its settings.

use std::time::Duration;

use faasport_core::Provider;

use crate::{Profile, ProfileKind};

/// How events are retried and when they are given up, for one provider's behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryPolicy {
    /// Retries after a failed asynchronous invocation.
    pub async_retries: u32,
    /// Delay before each retry (the last one repeats if there are more retries than entries).
    pub retry_delays: [Duration; 2],
    /// Asynchronous events older than this are dead-lettered instead of retried.
    pub max_event_age: Duration,
    /// First back-off after a throttle; doubles up to `max_throttle_backoff`.
    pub throttle_backoff: Duration,
    /// Longest back-off after a throttle.
    pub max_throttle_backoff: Duration,
    /// How long a received queue message stays invisible.
    pub visibility_timeout: Duration,
    /// Receives before a queue message is dead-lettered.
    pub max_receive_count: u32,
    /// Batches a queue consumer runs at once unless the function caps its instances.
    pub queue_concurrency: u32,
}

impl DeliveryPolicy {
    /// AWS Lambda's behaviour.
    pub fn aws() -> Self {
        Self {
            async_retries: 2,
            retry_delays: [Duration::from_secs(60), Duration::from_secs(120)],
            max_event_age: Duration::from_secs(6 * 3600),
            throttle_backoff: Duration::from_secs(1),
            max_throttle_backoff: Duration::from_secs(300),
            visibility_timeout: Duration::from_secs(30),
            max_receive_count: 5,
            queue_concurrency: 5,
        }
    }

    /// Google Cloud's behaviour (Cloud Run functions, Pub/Sub).
    pub fn gcp() -> Self {
        Self {
            async_retries: 0,
            max_event_age: Duration::from_secs(24 * 3600),
            visibility_timeout: Duration::from_secs(10),
            ..Self::aws()
        }
    }

    /// Azure Functions' behaviour (Storage queues).
    pub fn azure() -> Self {
        Self {
            async_retries: 0,
            max_event_age: Duration::from_secs(24 * 3600),
            ..Self::aws()
        }
    }

    /// The policy of `provider` (the local provider behaves like AWS).
    pub fn for_provider(provider: Provider) -> Self {
        match provider {
            Provider::Gcp => Self::gcp(),
            Provider::Azure => Self::azure(),
            Provider::Aws | Provider::Local => Self::aws(),
        }
    }

    /// The policy matching a runtime profile: its provider's queue settings, with the retry
    /// count and maximum event age from the profile's retry defaults.
    pub fn from_profile(profile: &Profile) -> Self {
        let base = match profile.kind {
            ProfileKind::Gcp => Self::gcp(),
            ProfileKind::Azure => Self::azure(),
            ProfileKind::Aws | ProfileKind::Custom => Self::aws(),
        };
        Self {
            async_retries: profile.retry.max_retries,
            max_event_age: profile.retry.max_event_age,
            ..base
        }
    }

    /// Sets the number of async retries.
    pub fn with_async_retries(mut self, retries: u32) -> Self {
        self.async_retries = retries;
        self
    }

    /// Sets the retry delays.
    pub fn with_retry_delays(mut self, first: Duration, then: Duration) -> Self {
        self.retry_delays = [first, then];
        self
    }

    /// Sets the default visibility timeout.
    pub fn with_visibility_timeout(mut self, timeout: Duration) -> Self {
        self.visibility_timeout = timeout;
        self
    }

    /// Sets the default max receive count.
    pub fn with_max_receive_count(mut self, count: u32) -> Self {
        self.max_receive_count = count;
        self
    }

    /// The delay before retry number `retry` (1-based).
    pub fn retry_delay(&self, retry: u32) -> Duration {
        let index = usize::try_from(retry.saturating_sub(1)).unwrap_or(usize::MAX);
        self.retry_delays
            .get(index)
            .or(self.retry_delays.last())
            .copied()
            .unwrap_or_default()
    }

    /// The back-off after the `n`th consecutive throttle (1-based).
    pub fn throttle_delay(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1).min(16));
        self.throttle_backoff
            .saturating_mul(factor)
            .min(self.max_throttle_backoff)
    }
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self::aws()
    }
}
