//! Profiles: the documented scaling behaviour of each provider, applied by the local runtime.
//!
//! | | `aws` (Lambda) | `gcp` (Cloud Run) | `azure` (Consumption) | `custom` |
//! |---|---|---|---|---|
//! | concurrency per instance | 1 | 80 | 100 (HTTP `maxConcurrentRequests`) | 80 |
//! | default max instances | 1,000 | 100 per revision | 200 | none |
//! | shared by every function ([`AccountPool`](crate::pool::AccountPool)) | 1,000 concurrent executions, less reserved (max instances) and provisioned concurrency; at least 100 unreserved | none | none | none |
//! | queue consumer ([`QueueScaling`](faasport_core::contract::QueueScaling)) | 5 batches, +300 a minute, up to 1,000 | 8,000 pushes (100 × 80) | 24 messages per instance, +1 instance per 30 s, up to 200 | 5 |
//! | instances sized for | full concurrency | 60% of concurrency | full concurrency | full concurrency |
//! | scale-out rate | 1,000 new per 10 s | none beyond max instances | HTTP 1/s, other 1/30 s | none |
//! | at the limit, sync | reject (429) | queue 60 s, then 429 | queue 230 s, then 429 | queue 60 s |
//! | at the limit, events | block (source queue buffers) | block | block | block |
//! | keep-alive (fixed) | 10 min | 15 min | 20 min | 15 min |
//! | async retries (topic, schedule, bucket, `invoke_async`) | 2 | 0 (retries off) | 0 | 2 |
//! | delay before retry 1, then each later one | 1 min, 2 min | as aws | as aws | as aws |
//! | max event age | 6 h | 24 h | 24 h | 6 h |
//! | queue visibility timeout | 30 s | 10 s | 30 s | 30 s |
//! | queue max receive count | 5 | 5 | 5 | 5 |
//! | max depth per topic and queue ([`DepthLimit`](crate::DepthLimit), our choice) | 10,000, then 429 | 10,000, wait up to 60 s, then 429 | 10,000, then 429 | 10,000, then 429 |
//! | memory accepted | 128–10,240 MB | 128 MiB–32 GiB | up to 1,536 MB | any |
//! | timeout accepted | up to 900 s | up to 60 min | up to 10 min | any |
//! | initialiser bound | 10 s (INIT limit) | 240 s (default startup probe) | the function's timeout | the function's timeout |
//!
//! Sources (the project's reference notes on pricing and scaling): Lambda concurrency, burst of 1,000 new
//! execution environments per 10 s per function and 429 on throttle: AWS Lambda developer guide,
//! "Lambda scaling behavior" and "Understanding concurrency". Cloud Run 80 requests per instance,
//! 100 max instances, queueing up to 60 s and the autoscaler's 60% utilisation target ("Cloud Run
//! tries to keep concurrency at about 60% of the maximum, averaged over a 1-minute window"):
//! cloud.google.com/run/docs/about-instance-autoscaling and about-concurrency. Azure Consumption
//! 200 instances and one new instance per second for HTTP triggers, per 30 s otherwise: Azure
//! Functions "Event-driven scaling". The 100 concurrent HTTP requests per instance is host.json's
//! `maxConcurrentRequests` default; the 230 s queue deadline is the HTTP reply cap of Azure's load
//! balancer. The keep-alive windows are not documented by the providers: 10 min (AWS) and 20 min
//! (Azure) are the values measured by Shahrad et al. (ATC 2020); 15 min for Cloud Run is our
//! choice.
//!
//! **Delivery defaults** ([`RetryDefaults`], the one table
//! [`DeliveryPolicy::from_profile`](crate::DeliveryPolicy::from_profile)
//! reads; a function's [`RetryPolicy`](faasport_core::RetryPolicy) or a
//! [`QueueSpec`](faasport_core::QueueSpec) overrides them). Asynchronous retries count handler
//! runs after the first; the queue's max receive count counts every receive, the first included,
//! so they are separate numbers. Lambda: 2 async retries, about 1 min then 2 min apart, max event
//! age 6 h (the pricing and scaling notes, §2.1, developer guide
//! "invocation-async-error-handling"); SQS's default visibility timeout is 30 s, and SQS has no
//! max receive count without a redrive policy (a poison message circulates for the 4-day
//! retention), so 5 is our choice, the same `maxReceiveCount` the SAM manifest writes. Google:
//! event-driven functions created through the Cloud Functions v2 API have retries off, and the
//! 2nd-gen retry window is 24 h (the wire-protocol notes, §2.7); a Pub/Sub subscription's
//! default ack deadline is 10 s and its dead-letter policy's default max delivery attempts 5.
//! Azure: Storage-queue messages are dequeued at most `maxDequeueCount` = 5 times before they
//! move to `<queue>-poison`, and function-level retry policies are opt-in (and only for Timer,
//! Event Hubs, Kafka and Cosmos DB), so asynchronous events are not retried
//! (the wire-protocol notes, §3.8). Our choices where the providers give no number: the
//! gcp and azure retry delays (Lambda's, used when a function turns retries on), Azure's 24 h
//! event age (only throttled events wait that long), and Azure's 30 s visibility timeout (the
//! host keeps a running message hidden and shows a failed one again after host.json's
//! `visibilityTimeout`, 0 by default; one number cannot be both, so we take SQS's).
//!
//! **Limits** (core's [`Limits`], the one table the manifests read too; checked when a
//! [`LocalRuntime`](crate::LocalRuntime) is built).
//! Lambda: memory 128–10,240 MB (developer guide, "Configure Lambda function memory"), timeout at
//! most 900 s ("Lambda quotas"), INIT phase at most 10 s (the price table's `max_init_ms`).
//! Cloud Run: memory 128 MiB (first-generation environment; 512 MiB on the second) to 32 GiB
//! (cloud.google.com/run/docs/configuring/services/memory-limits), request timeout at most
//! 60 min, and the default TCP startup probe gives a new instance 240 s to start
//! (`timeoutSeconds: 240, periodSeconds: 240, failureThreshold: 1`,
//! cloud.google.com/run/docs/configuring/healthchecks). Azure Consumption: memory cannot be set,
//! an instance has 1,536 MB (the billing cap), so a function asking for more is refused and any
//! smaller value is accepted (billing rounds it up to 128 MB); `functionTimeout` at most 10 min
//! (Azure Functions "Function app timeout duration"); Azure documents no separate start-up limit,
//! so the initialiser is bounded by the function's timeout, as on `custom`.
//!
//! **Cloud Run's sizing rule.** On each arrival the pool wants
//! `min(max_instances, ceil(in_flight / (target_utilisation × concurrency)))` instances and
//! starts the difference; requests are routed to the least-loaded instance below its hard
//! concurrency. With `gcp` (target 0.6, concurrency 80), 100 simultaneous requests start
//! `ceil(100 / 48) = 3` instances; with `target_utilisation = 1.0` they would start 2.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use faasport_core::contract::Limits;
use faasport_core::{AppError, Function, Provider};

use crate::meter::BillingProvider;
use crate::pool::{Backpressure, ScaleOutRate};

/// Which provider a profile imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProfileKind {
    /// AWS Lambda.
    Aws,
    /// Google Cloud Run (and Cloud Run functions).
    Gcp,
    /// Azure Functions, Consumption plan.
    Azure,
    /// Everything set by hand.
    Custom,
}

impl std::fmt::Display for ProfileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ProfileKind::Aws => "aws",
            ProfileKind::Gcp => "gcp",
            ProfileKind::Azure => "azure",
            ProfileKind::Custom => "custom",
        })
    }
}

/// The class of trigger behind an invocation: scale-out limits and backpressure differ by class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvocationSource {
    /// An HTTP request through the gateway.
    Http,
    /// An asynchronous event: a topic, queue, schedule or bucket delivery.
    Event,
    /// A direct, synchronous call (API, CLI, tests); classed with HTTP.
    #[default]
    Direct,
}

impl InvocationSource {
    /// Whether a caller waits for the answer (HTTP and direct calls).
    pub fn is_sync(self) -> bool {
        !matches!(self, InvocationSource::Event)
    }
}

/// Delivery defaults: asynchronous retries, used where a function sets none, and queue settings,
/// used where a queue sets none. See the [module docs](crate::profile) for the values and
/// sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetryDefaults {
    /// Asynchronous retries after the first attempt (topic, schedule, bucket, `invoke_async`).
    pub max_retries: u32,
    /// The delay before the first retry, and before each later one.
    pub retry_delays: [Duration; 2],
    /// How long an asynchronous event may keep being retried.
    pub max_event_age: Duration,
    /// How long a received queue message stays invisible.
    pub visibility_timeout: Duration,
    /// Receives of a queue message, the first included, before it is dead-lettered.
    pub max_receive_count: u32,
}

impl Default for RetryDefaults {
    /// Lambda's and SQS's.
    fn default() -> Self {
        Self {
            max_retries: 2,
            retry_delays: [Duration::from_secs(60), Duration::from_secs(120)],
            max_event_age: Duration::from_secs(6 * 3600),
            visibility_timeout: Duration::from_secs(30),
            max_receive_count: faasport_core::contract::DEFAULT_MAX_RECEIVE_COUNT,
        }
    }
}

/// The scaling behaviour of one provider. See the [module docs](crate::profile) for the values
/// and sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Profile {
    /// Which provider it imitates.
    pub kind: ProfileKind,
    /// Invocations one instance runs at once, unless the function sets it.
    pub concurrency_per_instance: u32,
    /// The instance cap unless the function sets one.
    pub max_instances: Option<u32>,
    /// The share of an instance's concurrency the scaler sizes for (Cloud Run: 0.6).
    pub target_utilisation: f64,
    /// Backpressure for HTTP and direct calls.
    pub sync_backpressure: Backpressure,
    /// Backpressure for asynchronous events.
    pub event_backpressure: Backpressure,
    /// Scale-out rate for HTTP and direct calls.
    pub sync_scale_out: Option<ScaleOutRate>,
    /// Scale-out rate for asynchronous events.
    pub event_scale_out: Option<ScaleOutRate>,
    /// The fixed keep-alive window.
    pub keep_alive: Duration,
    /// Retry defaults for asynchronous deliveries.
    pub retry: RetryDefaults,
    /// The billing rule used for each record's billed duration (`None`: the raw duration).
    pub billing: Option<BillingProvider>,
    /// What the provider accepts from a function's configuration.
    #[serde(default)]
    pub limits: Limits,
}

impl Profile {
    /// AWS Lambda.
    pub fn aws() -> Self {
        let burst = ScaleOutRate::new(1000, Duration::from_secs(10));
        Self {
            kind: ProfileKind::Aws,
            concurrency_per_instance: 1,
            max_instances: Some(1000),
            target_utilisation: 1.0,
            sync_backpressure: Backpressure::Reject,
            event_backpressure: Backpressure::Block,
            sync_scale_out: Some(burst),
            event_scale_out: Some(burst),
            keep_alive: Duration::from_secs(10 * 60),
            retry: RetryDefaults::default(),
            billing: Some(BillingProvider::AwsLambda),
            limits: Limits::of(Provider::Aws),
        }
    }

    /// Google Cloud Run (request-based billing).
    pub fn gcp() -> Self {
        Self {
            kind: ProfileKind::Gcp,
            concurrency_per_instance: 80,
            max_instances: Some(100),
            target_utilisation: 0.6,
            sync_backpressure: Backpressure::Queue {
                deadline: Duration::from_secs(60),
            },
            event_backpressure: Backpressure::Block,
            sync_scale_out: None,
            event_scale_out: None,
            keep_alive: Duration::from_secs(15 * 60),
            retry: RetryDefaults {
                max_retries: 0,
                max_event_age: Duration::from_secs(24 * 3600),
                visibility_timeout: Duration::from_secs(10),
                ..RetryDefaults::default()
            },
            billing: Some(BillingProvider::CloudRun),
            limits: Limits::of(Provider::Gcp),
        }
    }

    /// Azure Functions, Consumption plan.
    pub fn azure() -> Self {
        Self {
            kind: ProfileKind::Azure,
            concurrency_per_instance: 100,
            max_instances: Some(200),
            target_utilisation: 1.0,
            sync_backpressure: Backpressure::Queue {
                deadline: Duration::from_secs(230),
            },
            event_backpressure: Backpressure::Block,
            sync_scale_out: Some(ScaleOutRate::new(1, Duration::from_secs(1))),
            event_scale_out: Some(ScaleOutRate::new(1, Duration::from_secs(30))),
            keep_alive: Duration::from_secs(20 * 60),
            retry: RetryDefaults {
                max_retries: 0,
                max_event_age: Duration::from_secs(24 * 3600),
                ..RetryDefaults::default()
            },
            billing: Some(BillingProvider::AzureConsumption),
            limits: Limits::of(Provider::Azure),
        }
    }

    /// A starting point for hand-set behaviour: Cloud Run's numbers without the 60% target,
    /// no instance cap, Lambda's retries, no billing rule.
    pub fn custom() -> Self {
        Self {
            kind: ProfileKind::Custom,
            max_instances: None,
            target_utilisation: 1.0,
            retry: Profile::aws().retry,
            billing: None,
            limits: Limits::of(Provider::Local),
            ..Profile::gcp()
        }
    }

    /// Sets the concurrency per instance.
    pub fn concurrency_per_instance(mut self, concurrency: u32) -> Self {
        self.concurrency_per_instance = concurrency;
        self
    }

    /// Sets the default instance cap.
    pub fn max_instances(mut self, max: Option<u32>) -> Self {
        self.max_instances = max;
        self
    }

    /// Sets the utilisation target the scaler sizes for (clamped to `0.01..=1.0`).
    pub fn target_utilisation(mut self, target: f64) -> Self {
        self.target_utilisation = if target.is_finite() {
            target.clamp(0.01, 1.0)
        } else {
            1.0
        };
        self
    }

    /// Sets the backpressure for every trigger class.
    pub fn backpressure(mut self, mode: Backpressure) -> Self {
        self.sync_backpressure = mode;
        self.event_backpressure = mode;
        self
    }

    /// Sets the scale-out rate for every trigger class.
    pub fn scale_out(mut self, rate: Option<ScaleOutRate>) -> Self {
        self.sync_scale_out = rate;
        self.event_scale_out = rate;
        self
    }

    /// Sets the fixed keep-alive window.
    pub fn keep_alive(mut self, window: Duration) -> Self {
        self.keep_alive = window;
        self
    }

    /// Sets the limits functions are checked against.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// How long `function`'s initialiser may run: the profile's start-up bound, or the
    /// function's timeout where the provider documents none.
    pub fn init_limit(&self, function: &Function) -> Duration {
        self.limits.init_limit(function)
    }

    /// Checks `function`'s memory, timeout and retry policy against what the provider accepts
    /// (core's [`Limits`], the same table the manifests read).
    ///
    /// # Errors
    /// [`AppError::OutOfPlatformRange`] naming the function, the limit and the profile.
    pub fn check(&self, function: &Function) -> Result<(), AppError> {
        self.limits.check(function, &self.kind.to_string())
    }

    /// The backpressure for invocations from `source`.
    pub fn backpressure_for(&self, source: InvocationSource) -> Backpressure {
        if source.is_sync() {
            self.sync_backpressure
        } else {
            self.event_backpressure
        }
    }

    /// The scale-out rate for invocations from `source`.
    pub fn scale_out_for(&self, source: InvocationSource) -> Option<ScaleOutRate> {
        if source.is_sync() {
            self.sync_scale_out
        } else {
            self.event_scale_out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::PriceTable;

    #[test]
    fn the_aws_limits_are_the_ones_in_the_price_table() {
        let lambda = PriceTable::bundled().expect("bundled prices").aws_lambda;
        let limits = Profile::aws().limits;
        assert_eq!(
            (limits.min_memory_mb, limits.max_memory_mb),
            (lambda.memory_min_mb, lambda.memory_max_mb)
        );
        assert_eq!(
            limits.max_timeout,
            Some(Duration::from_millis(lambda.max_timeout_ms))
        );
        assert_eq!(
            limits.max_init,
            Some(Duration::from_millis(lambda.max_init_ms))
        );
    }
}
