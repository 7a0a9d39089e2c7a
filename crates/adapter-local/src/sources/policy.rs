//! [`DeliveryPolicy`]: how the local sources retry and run queues, per provider.
//!
//! The numbers come from the runtime's [`Profile`] ([`Profile::retry`], a [`RetryDefaults`]):
//! the [profile docs](crate::profile) hold the one table of retry counts, delays, event ages,
//! visibility timeouts and max receive counts, with their sources. [`DeliveryPolicy::from_profile`]
//! reads it (this is what [`LocalCloud`](crate::LocalCloud) uses unless a policy is set), and
//! [`DeliveryPolicy::aws`], [`gcp`](DeliveryPolicy::gcp) and [`azure`](DeliveryPolicy::azure) are
//! the policies of those profiles.
//!
//! Two settings are the same for every provider and live here:
//!
//! | setting | value | source |
//! |---|---|---|
//! | throttle back-off | 1 s doubling to 5 min, until the max event age | Lambda's internal queue (the pricing and scaling notes, §2.1) |
//! | queue batches run at once, unless the function caps its instances | 5 | Lambda's SQS event source starts with 5 concurrent batches (same table) |
//!
//! A function's own [`RetryPolicy`](faasport_core::RetryPolicy) overrides the retry count and
//! the event age; a queue's [`QueueSpec`](faasport_core::QueueSpec) overrides its settings.

use std::time::Duration;

use faasport_core::contract::QueueScaling;
use faasport_core::Provider;

use crate::{Profile, RetryDefaults};

/// The first back-off after a throttle (Lambda's).
const THROTTLE_BACKOFF: Duration = Duration::from_secs(1);
/// The longest back-off after a throttle (Lambda's).
const MAX_THROTTLE_BACKOFF: Duration = Duration::from_secs(300);
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
    /// Batches a queue consumer runs at once at first (the first step of `queue_scaling`).
    pub queue_concurrency: u32,
    /// How the queue consumer's concurrency grows while a backlog lasts (Lambda's SQS poller:
    /// 5, +300 a minute, up to 1,000; see [`QueueScaling`]).
    pub queue_scaling: QueueScaling,
}

impl DeliveryPolicy {
    /// AWS Lambda's behaviour ([`Profile::aws`]).
    pub fn aws() -> Self {
        Self::from_profile(&Profile::aws())
    }

    /// Google Cloud's behaviour (Cloud Run functions, Pub/Sub; [`Profile::gcp`]).
    pub fn gcp() -> Self {
        Self::from_profile(&Profile::gcp())
    }

    /// Azure Functions' behaviour (Storage queues; [`Profile::azure`]).
    pub fn azure() -> Self {
        Self::from_profile(&Profile::azure())
    }

    /// The policy of `provider` (the local provider behaves like AWS).
    pub fn for_provider(provider: Provider) -> Self {
        match provider {
            Provider::Gcp => Self::gcp(),
            Provider::Azure => Self::azure(),
            Provider::Aws | Provider::Local => Self::aws(),
        }
    }

    /// The policy of a runtime profile: every retry and queue default comes from its
    /// [`RetryDefaults`].
    pub fn from_profile(profile: &Profile) -> Self {
        let RetryDefaults {
            max_retries,
            retry_delays,
            max_event_age,
            visibility_timeout,
            max_receive_count,
        } = profile.retry;
        let scaling = QueueScaling::of(match profile.kind {
            crate::ProfileKind::Aws => Provider::Aws,
            crate::ProfileKind::Gcp => Provider::Gcp,
            crate::ProfileKind::Azure => Provider::Azure,
            crate::ProfileKind::Custom => Provider::Local,
        });
        Self {
            async_retries: max_retries,
            retry_delays,
            max_event_age,
            throttle_backoff: THROTTLE_BACKOFF,
            max_throttle_backoff: MAX_THROTTLE_BACKOFF,
            visibility_timeout,
            max_receive_count,
            queue_concurrency: scaling.initial,
            queue_scaling: scaling,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_provider_policy_is_its_profile_policy() {
        for profile in [Profile::aws(), Profile::gcp(), Profile::azure()] {
            let policy = DeliveryPolicy::for_provider(match profile.kind {
                crate::ProfileKind::Gcp => Provider::Gcp,
                crate::ProfileKind::Azure => Provider::Azure,
                _ => Provider::Aws,
            });
            assert_eq!(
                policy,
                DeliveryPolicy::from_profile(&profile),
                "{}",
                profile.kind
            );
        }
    }

    #[test]
    fn every_retry_and_queue_default_comes_from_the_profile() {
        let mut profile = Profile::gcp();
        profile.retry.max_retries = 3;
        profile.retry.retry_delays = [Duration::from_secs(7), Duration::from_secs(8)];
        profile.retry.max_event_age = Duration::from_secs(90);
        profile.retry.visibility_timeout = Duration::from_secs(42);
        profile.retry.max_receive_count = 9;
        let policy = DeliveryPolicy::from_profile(&profile);
        assert_eq!(
            (
                policy.async_retries,
                policy.retry_delays,
                policy.max_event_age,
                policy.visibility_timeout,
                policy.max_receive_count
            ),
            (
                3,
                [Duration::from_secs(7), Duration::from_secs(8)],
                Duration::from_secs(90),
                Duration::from_secs(42),
                9
            )
        );
    }

    #[test]
    fn the_documented_numbers_per_provider() {
        let row = |p: DeliveryPolicy| {
            (
                p.async_retries,
                p.max_event_age.as_secs(),
                p.visibility_timeout.as_secs(),
                p.max_receive_count,
            )
        };
        assert_eq!(row(DeliveryPolicy::aws()), (2, 6 * 3600, 30, 5));
        assert_eq!(row(DeliveryPolicy::gcp()), (0, 24 * 3600, 10, 5));
        assert_eq!(row(DeliveryPolicy::azure()), (0, 24 * 3600, 30, 5));
        assert_eq!(
            DeliveryPolicy::aws().retry_delays,
            [Duration::from_secs(60), Duration::from_secs(120)]
        );
    }
}
