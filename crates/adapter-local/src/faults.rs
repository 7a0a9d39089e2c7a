//! Seeded fault injection: handler errors, panics, timeouts, throttles, duplicate deliveries and
//! extra latency, per function, so retry and idempotency paths can be tested.
//!
//! Every decision is a pure function of the seed, the function name, the event's identity (its
//! message ids, CloudEvent id, object key, schedule time, or its JSON form) and the delivery
//! attempt. The same seed therefore injects the same faults into the same events whatever order
//! the runtime happens to run them in, and a retry of a failed event rolls again.
//!
//! Injected failures look exactly like real ones to the rest of the runtime: an error is a
//! retryable [`Error::Custom`]; a panic is a real `panic!` raised inside the future that runs the
//! handler, so it unwinds and is contained the way a handler's own panic is (the panic hook
//! prints it, as it would a real one) and ends as an [`Error::Panic`]; a timeout holds the
//! invocation until the function's timeout cancels it. Extra latency is a sleep on the
//! runtime's clock before the handler runs, so it counts in the invocation's duration.
//!
//! # Examples
//! ```
//! use faasport_adapter_local::{FaultPlan, Faults};
//!
//! let plan = FaultPlan::new(42).function("bill", Faults::new().error_rate(0.1).duplicate_rate(0.01));
//! assert_eq!(plan.seed(), 42);
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt as _;

use faasport_core::{panic_message, Error, Event, Output};

/// The faults injected into one function. Rates are probabilities in `0.0..=1.0`; error, panic,
/// timeout and throttle rates are exclusive slices of one roll, so their sum should not exceed 1.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct Faults {
    /// Probability that an invocation fails with a retryable error.
    pub error_rate: f64,
    /// Probability that an invocation panics.
    pub panic_rate: f64,
    /// Probability that an invocation hangs until the function's timeout.
    pub timeout_rate: f64,
    /// Probability that an invocation is refused as throttled (retry after 1 s).
    pub throttle_rate: f64,
    /// Probability that an event is delivered twice (asynchronous and queue deliveries).
    pub duplicate_rate: f64,
    /// Latency added before every invocation of the handler.
    pub extra_latency: Duration,
}

impl Faults {
    /// No faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the error rate.
    pub fn error_rate(mut self, rate: f64) -> Self {
        self.error_rate = rate;
        self
    }

    /// Sets the panic rate.
    pub fn panic_rate(mut self, rate: f64) -> Self {
        self.panic_rate = rate;
        self
    }

    /// Sets the timeout rate.
    pub fn timeout_rate(mut self, rate: f64) -> Self {
        self.timeout_rate = rate;
        self
    }

    /// Sets the throttle rate.
    pub fn throttle_rate(mut self, rate: f64) -> Self {
        self.throttle_rate = rate;
        self
    }

    /// Sets the duplicate delivery rate.
    pub fn duplicate_rate(mut self, rate: f64) -> Self {
        self.duplicate_rate = rate;
        self
    }

    /// Sets the extra latency.
    pub fn extra_latency(mut self, latency: Duration) -> Self {
        self.extra_latency = latency;
        self
    }
}

/// What one roll decided for one invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Run the handler normally.
    None,
    /// Fail with a retryable error.
    Error,
    /// Fail as if the handler panicked.
    Panic,
    /// Hang until the timeout.
    Timeout,
    /// Refuse as throttled.
    Throttle,
}

/// A seeded plan of faults per function (and optionally for every function).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultPlan {
    seed: u64,
    every: Option<Faults>,
    functions: HashMap<String, Faults>,
}

impl FaultPlan {
    /// An empty plan with `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            ..Self::default()
        }
    }

    /// Injects `faults` into `function` (replacing any plan-wide faults for it).
    pub fn function(mut self, function: impl Into<String>, faults: Faults) -> Self {
        self.functions.insert(function.into(), faults);
        self
    }

    /// Injects `faults` into every function without its own entry.
    pub fn every_function(mut self, faults: Faults) -> Self {
        self.every = Some(faults);
        self
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The faults for `function`, if any.
    pub fn faults_for(&self, function: &str) -> Option<&Faults> {
        self.functions.get(function).or(self.every.as_ref())
    }

    /// The fault for one invocation of `function` with the event of identity `key`.
    pub fn decide(&self, function: &str, key: u64, attempt: u32) -> Fault {
        let Some(faults) = self.faults_for(function) else {
            return Fault::None;
        };
        let roll = self.roll(function, key, u64::from(attempt));
        let mut edge = faults.error_rate;
        if roll < edge {
            return Fault::Error;
        }
        edge += faults.panic_rate;
        if roll < edge {
            return Fault::Panic;
        }
        edge += faults.timeout_rate;
        if roll < edge {
            return Fault::Timeout;
        }
        edge += faults.throttle_rate;
        if roll < edge {
            return Fault::Throttle;
        }
        Fault::None
    }

    /// Whether the delivery of the event of identity `key` to `function` is duplicated.
    pub fn duplicates(&self, function: &str, key: u64) -> bool {
        self.faults_for(function)
            .is_some_and(|f| self.roll(function, key, u64::MAX) < f.duplicate_rate)
    }

    /// Runs `call` (the handler) under this plan's faults for `function`. An injected panic
    /// unwinds from inside the future that runs `call` and is caught here, as
    /// [`BoxHandler::call`](faasport_core::BoxHandler::call) catches a handler's own.
    ///
    /// # Errors
    /// The injected error or panic ([`Error::Panic`]), or whatever `call` returns.
    pub async fn inject<F>(
        &self,
        function: &str,
        key: u64,
        attempt: u32,
        call: F,
    ) -> Result<Output, Error>
    where
        F: Future<Output = Result<Output, Error>>,
    {
        let Some(faults) = self.faults_for(function) else {
            return call.await;
        };
        let fault = self.decide(function, key, attempt);
        let latency = faults.extra_latency;
        let run = async move {
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            match fault {
                Fault::None => call.await,
                Fault::Error => Err(Error::transient("injected fault: error")),
                Fault::Panic => panic!("injected fault: panic"),
                Fault::Timeout => std::future::pending().await,
                Fault::Throttle => Err(Error::Throttled {
                    reason: "injected fault: throttle".to_owned(),
                    retry_after: Some(Duration::from_secs(1)),
                }),
            }
        };
        match AssertUnwindSafe(run).catch_unwind().await {
            Ok(result) => result,
            Err(payload) => Err(Error::Panic(panic_message(payload.as_ref()))),
        }
    }

    fn roll(&self, function: &str, key: u64, salt: u64) -> f64 {
        let mut h = fnv(self.seed, function.as_bytes());
        h = splitmix(h ^ key);
        h = splitmix(h ^ salt);
        // 53 random bits give a uniform float in [0, 1).
        (h >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A stable identity for an event, used to key fault decisions.
pub fn event_key(event: &Event) -> u64 {
    match event {
        Event::Topic(m) => fnv(fnv(1, m.topic.as_bytes()), m.id.as_bytes()),
        Event::Queue(b) => b
            .messages
            .iter()
            .fold(fnv(2, b.queue.as_bytes()), |h, m| fnv(h, m.id.as_bytes())),
        Event::CloudEvent(ce) => fnv(3, ce.id.as_bytes()),
        other => fnv(4, &serde_json::to_vec(other).unwrap_or_default()),
    }
}

fn fnv(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325 ^ splitmix(seed);
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
