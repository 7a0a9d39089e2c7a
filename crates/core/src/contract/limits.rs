//! [`Limits`]: what each provider accepts from a function's declaration, in one table that the
//! local profiles and every manifest writer read.
//!
//! | | aws (Lambda) | gcp (Cloud Run) | azure (Consumption) | local |
//! |---|---|---|---|---|
//! | memory | 128–10,240 MB | 128 MiB–32 GiB | up to 1,536 MB (billed from 128) | any |
//! | ephemeral storage | 512–10,240 MB | any | any | any |
//! | account concurrency | 1,000 shared, at least 100 unreserved | none | none | none |
//! | timeout | up to 900 s | up to 60 min | up to 10 min | any |
//! | start-up (initialiser) | 10 s (INIT phase) | 240 s (default startup probe) | the function's timeout | the function's timeout |
//! | asynchronous retries | at most 2 | any (retries on: until the event age runs out) | any (opt-in retry policies) | any |
//! | maximum event age | 60 s–6 h | up to 24 h (the retry window) | any | any |
//! | queue batch size | 1–10,000 | any (a push carries one message; the batch has one) | 1–32 (host.json `queues.batchSize`) | any |
//! | stream and change batch size | 1–10,000 | any | any (Event Hubs and Cosmos DB set their own) | any |
//!
//! Sources: AWS Lambda developer guide ("Configure Lambda function memory", "Lambda quotas",
//! "invocation-async-error-handling": `MaximumRetryAttempts` 0–2, `MaximumEventAgeInSeconds`
//! 60–21600); Cloud Run "memory-limits", "request-timeout" and "healthchecks" (the default TCP
//! startup probe allows 240 s); Azure Functions "Function app timeout duration" and the
//! Consumption plan's 1.5 GB instance; SQS, Kinesis and DynamoDB event source mappings take
//! batches of 1–10,000 (Lambda "Using Lambda with Amazon SQS"); Azure Storage queues fetch at
//! most 32 messages at once (host.json `queues.batchSize`). See the project's reference notes on pricing and scaling.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{AppError, Function, Provider, Trigger};

/// What a provider accepts from a function's declaration, and how long an instance may take to
/// start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Limits {
    /// The smallest memory a function may ask for (MB).
    pub min_memory_mb: u32,
    /// The largest memory a function may ask for (MB).
    pub max_memory_mb: u32,
    /// The longest timeout a function may set (`None`: no limit).
    pub max_timeout: Option<Duration>,
    /// How long an initialiser may run before the start is abandoned (`None`: the function's
    /// timeout).
    pub max_init: Option<Duration>,
    /// The most asynchronous retries a function may ask for (`None`: any).
    #[serde(default)]
    pub max_async_retries: Option<u32>,
    /// The range of maximum event ages a function may ask for (`None`: any).
    #[serde(default)]
    pub event_age: Option<(Duration, Duration)>,
    /// The largest batch a queue trigger may ask for (`None`: any).
    #[serde(default)]
    pub max_queue_batch: Option<u32>,
    /// The largest batch a data-stream or change-stream trigger may ask for (`None`: any).
    #[serde(default)]
    pub max_stream_batch: Option<u32>,
    /// Concurrent executions shared by every function of the account and region (`None`: each
    /// function scales on its own). Lambda: 1,000 by default, "shared by every function in the
    /// Region: one unreserved pool plus each function's reserved pool" (pricing and scaling
    /// notes §9.1, docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html).
    #[serde(default)]
    pub account_concurrency: Option<u32>,
    /// Of the account concurrency, how much must stay unreserved: Lambda keeps at least 100 for
    /// functions without reserved concurrency (§9.1, API_PutFunctionConcurrency).
    #[serde(default)]
    pub unreserved_floor: u32,
    /// The range of ephemeral storage a function may ask for, in MB (`None`: any). Lambda:
    /// 512–10,240 MB in 1 MB steps (pricing and scaling notes §11.1).
    #[serde(default)]
    pub ephemeral_storage_mb: Option<(u32, u32)>,
}

impl Default for Limits {
    /// No limits; the initialiser is bounded by the function's timeout.
    fn default() -> Self {
        Self {
            min_memory_mb: 1,
            max_memory_mb: u32::MAX,
            max_timeout: None,
            max_init: None,
            max_async_retries: None,
            event_age: None,
            max_queue_batch: None,
            max_stream_batch: None,
            account_concurrency: None,
            unreserved_floor: 0,
            ephemeral_storage_mb: None,
        }
    }
}

impl Limits {
    /// The limits of `provider` (the values and their sources are listed in `contract/limits.rs`);
    /// [`Provider::Local`] has none.
    pub fn of(provider: Provider) -> Self {
        let secs = Duration::from_secs;
        match provider {
            Provider::Aws => Self::default()
                .memory_mb(128, 10_240)
                .max_timeout(Some(secs(900)))
                .max_init(Some(secs(10)))
                .max_async_retries(Some(2))
                .event_age(Some((secs(60), secs(6 * 3600))))
                .max_queue_batch(Some(10_000))
                .max_stream_batch(Some(10_000))
                .account_concurrency(Some(1_000), 100)
                .ephemeral_storage_mb(Some((512, 10_240))),
            Provider::Gcp => Self::default()
                .memory_mb(128, 32 * 1024)
                .max_timeout(Some(secs(60 * 60)))
                .max_init(Some(secs(240)))
                .event_age(Some((secs(0), secs(24 * 3600)))),
            Provider::Azure => Self::default()
                .memory_mb(1, 1536)
                .max_timeout(Some(secs(10 * 60)))
                .max_queue_batch(Some(32)),
            Provider::Local => Self::default(),
        }
    }

    /// Memory between `min_mb` and `max_mb`.
    pub fn memory_mb(mut self, min_mb: u32, max_mb: u32) -> Self {
        self.min_memory_mb = min_mb;
        self.max_memory_mb = max_mb;
        self
    }

    /// Timeouts up to `max` (`None`: any).
    pub fn max_timeout(mut self, max: Option<Duration>) -> Self {
        self.max_timeout = max;
        self
    }

    /// Initialisers bounded by `max` (`None`: the function's timeout).
    pub fn max_init(mut self, max: Option<Duration>) -> Self {
        self.max_init = max;
        self
    }

    /// Asynchronous retries up to `max` (`None`: any).
    pub fn max_async_retries(mut self, max: Option<u32>) -> Self {
        self.max_async_retries = max;
        self
    }

    /// Maximum event ages within `range` (`None`: any).
    pub fn event_age(mut self, range: Option<(Duration, Duration)>) -> Self {
        self.event_age = range;
        self
    }

    /// Queue batches up to `max` messages (`None`: any).
    pub fn max_queue_batch(mut self, max: Option<u32>) -> Self {
        self.max_queue_batch = max;
        self
    }

    /// Concurrency shared by the account's functions (`None`: none), of which `floor` must stay
    /// unreserved.
    pub fn account_concurrency(mut self, limit: Option<u32>, floor: u32) -> Self {
        self.account_concurrency = limit;
        self.unreserved_floor = floor;
        self
    }

    /// The unreserved pool of the account: the account concurrency less every function's
    /// reserved concurrency (its max instances) and less the provisioned concurrency (min
    /// instances) of the functions without a reservation, which claims the pool even when idle
    /// (§9.1: `ClaimedAccountConcurrency = unreserved in use + Σ reserved + Σ provisioned`).
    /// `None` when the provider has no shared pool.
    ///
    /// # Errors
    /// [`AppError::ReservedConcurrency`] when the reservations leave less than the floor.
    ///
    /// # Examples
    /// ```
    /// use faasport_core::contract::Limits;
    /// use faasport_core::{Context, Error, Event, Function, Provider};
    ///
    /// async fn f(_: Event, _: Context) -> Result<(), Error> { Ok(()) }
    /// let aws = Limits::of(Provider::Aws);
    /// let app = [Function::new("a", f).max_instances(300), Function::new("b", f)];
    /// assert_eq!(aws.unreserved_pool(&app), Ok(Some(700)));
    /// let greedy = [Function::new("a", f).max_instances(950)];
    /// assert!(aws.unreserved_pool(&greedy).is_err());
    /// ```
    pub fn unreserved_pool<'a>(
        &self,
        functions: impl IntoIterator<Item = &'a Function>,
    ) -> Result<Option<u32>, AppError> {
        let Some(account) = self.account_concurrency else {
            return Ok(None);
        };
        let (mut reserved, mut provisioned) = (0u64, 0u64);
        for f in functions {
            match f.spec().max_instances {
                Some(r) => reserved += u64::from(r),
                None => provisioned += u64::from(f.spec().min_instances),
            }
        }
        let left = u64::from(account).saturating_sub(reserved);
        if left < u64::from(self.unreserved_floor) {
            return Err(AppError::ReservedConcurrency {
                reserved,
                account,
                floor: self.unreserved_floor,
            });
        }
        Ok(Some(
            u32::try_from(left.saturating_sub(provisioned)).unwrap_or(u32::MAX),
        ))
    }

    /// Ephemeral storage within `range` MB (`None`: any).
    pub fn ephemeral_storage_mb(mut self, range: Option<(u32, u32)>) -> Self {
        self.ephemeral_storage_mb = range;
        self
    }

    /// Stream and change batches up to `max` records (`None`: any).
    pub fn max_stream_batch(mut self, max: Option<u32>) -> Self {
        self.max_stream_batch = max;
        self
    }

    /// How long `function`'s initialiser may run: the start-up bound, or the function's
    /// timeout where the provider documents none.
    pub fn init_limit(&self, function: &Function) -> Duration {
        self.max_init.unwrap_or_else(|| function.spec().timeout)
    }

    /// Checks `function`'s memory, timeout and retry policy against these limits; `platform`
    /// names them in the error (`aws`, `gcp`, a profile's name).
    ///
    /// # Errors
    /// [`AppError::OutOfPlatformRange`] naming the function, the limit and the platform.
    ///
    /// # Examples
    /// ```
    /// use faasport_core::contract::Limits;
    /// use faasport_core::{Context, Error, Event, Function, Provider};
    ///
    /// async fn f(_: Event, _: Context) -> Result<(), Error> { Ok(()) }
    /// let big = Function::new("big", f).memory_mb(20_000);
    /// let error = Limits::of(Provider::Aws).check(&big, "aws").unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "function `big` sets memory to 20000 MB, outside the aws profile's range of 128 to 10240 MB"
    /// );
    /// assert!(Limits::of(Provider::Local).check(&big, "local").is_ok());
    /// ```
    pub fn check(&self, function: &Function, platform: &str) -> Result<(), AppError> {
        let out_of_range = |limit, value, min, max, unit| AppError::OutOfPlatformRange {
            function: function.name().to_owned(),
            limit,
            value,
            min,
            max,
            unit,
            platform: platform.to_owned(),
        };
        let memory = function.spec().memory_mb;
        if !(self.min_memory_mb..=self.max_memory_mb).contains(&memory) {
            return Err(out_of_range(
                "memory",
                u64::from(memory),
                u64::from(self.min_memory_mb),
                u64::from(self.max_memory_mb),
                "MB",
            ));
        }
        if let (Some(storage), Some((min, max))) = (
            function.spec().ephemeral_storage_mb,
            self.ephemeral_storage_mb,
        ) {
            if !(min..=max).contains(&storage) {
                return Err(out_of_range(
                    "ephemeral storage",
                    u64::from(storage),
                    u64::from(min),
                    u64::from(max),
                    "MB",
                ));
            }
        }
        let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        if let Some(max) = self.max_timeout {
            if function.spec().timeout > max {
                let timeout = millis(function.spec().timeout);
                return Err(out_of_range("timeout", timeout, 1, millis(max), "ms"));
            }
        }
        let retry = function.spec().retry;
        if let (Some(max), Some(retries)) = (self.max_async_retries, retry.max_retries) {
            if retries > max {
                let (retries, max) = (u64::from(retries), u64::from(max));
                return Err(out_of_range("retries", retries, 0, max, "retries"));
            }
        }
        if let (Some((min, max)), Some(age)) = (self.event_age, retry.max_event_age) {
            if age < min || age > max {
                let (secs, min, max) = (age.as_secs(), min.as_secs(), max.as_secs());
                return Err(out_of_range("maximum event age", secs, min, max, "s"));
            }
        }
        for trigger in function.triggers() {
            let (size, max) = match trigger {
                Trigger::Queue { batch_size, .. } => (*batch_size, self.max_queue_batch),
                Trigger::Stream { batch_size, .. } | Trigger::Change { batch_size, .. } => {
                    (*batch_size, self.max_stream_batch)
                }
                _ => continue,
            };
            let max = max.unwrap_or(u32::MAX);
            if size == 0 || size > max {
                let (size, max) = (u64::from(size), u64::from(max));
                return Err(out_of_range("batch size", size, 1, max, "messages"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, Error, Event, RetryPolicy};

    async fn noop(_: Event, _: Context) -> Result<(), Error> {
        Ok(())
    }

    #[test]
    fn lambda_takes_at_most_two_retries_and_six_hours_of_event_age() {
        let aws = Limits::of(Provider::Aws);
        let retries = Function::new("f", noop).retry(RetryPolicy::default().with_max_retries(3));
        assert!(matches!(
            aws.check(&retries, "aws"),
            Err(AppError::OutOfPlatformRange {
                limit: "retries",
                value: 3,
                max: 2,
                ..
            })
        ));
        let old = Function::new("f", noop)
            .retry(RetryPolicy::default().with_max_event_age(Duration::from_secs(7 * 3600)));
        assert!(matches!(
            aws.check(&old, "aws"),
            Err(AppError::OutOfPlatformRange {
                limit: "maximum event age",
                max: 21_600,
                ..
            })
        ));
        assert!(Limits::of(Provider::Azure).check(&retries, "azure").is_ok());
    }

    #[test]
    fn batch_sizes_are_bounded_per_provider() {
        let big = Function::new("f", noop).stream_batched("s", 10_001);
        assert!(matches!(
            Limits::of(Provider::Aws).check(&big, "aws"),
            Err(AppError::OutOfPlatformRange {
                limit: "batch size",
                value: 10_001,
                max: 10_000,
                ..
            })
        ));
        let forty = Function::new("f", noop).queue_batched("q", 40, Duration::ZERO);
        assert!(Limits::of(Provider::Aws).check(&forty, "aws").is_ok());
        assert!(Limits::of(Provider::Azure).check(&forty, "azure").is_err());
        // Azure's 32 is the Storage-queue fetch; a change feed's 100 is not bound by it.
        let changes = Function::new("f", noop).change_stream("orders");
        assert!(Limits::of(Provider::Azure).check(&changes, "azure").is_ok());
    }

    #[test]
    fn a_timeout_over_the_provider_maximum_is_refused() {
        let long = Function::new("f", noop).timeout(Duration::from_secs(901));
        assert!(Limits::of(Provider::Aws).check(&long, "aws").is_err());
        assert!(Limits::of(Provider::Gcp).check(&long, "gcp").is_ok());
    }
}
