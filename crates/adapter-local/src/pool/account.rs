//! The account's shared concurrency: one pool of concurrent executions for every function of
//! the runtime that has no reservation of its own (Lambda's "unreserved account concurrency").
//!
//! Lambda's concurrency quota, 1,000 by default, is "shared by every function in the Region:
//! one unreserved pool plus each function's reserved pool" (the pricing and scaling notes §9.1,
//! docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html). Concurrency counts
//! invocations in flight, not idle environments. A function with reserved concurrency (its
//! max instances on the `aws` profile) draws from its own reservation, which the pool loses;
//! provisioned concurrency (min instances) of an unreserved function claims the pool even
//! while idle, so invocations on those instances draw nothing more
//! ([`Limits::unreserved_pool`](faasport_core::contract::Limits::unreserved_pool)).
//!
//! Each pool adds its in-flight invocations on instances it started on demand to the shared
//! count whenever they change, and refuses a new one when the count is at the limit: a
//! synchronous call gets 429 `TooManyRequestsException` with the reason
//! `ConcurrentInvocationLimitExceeded` (§9.3). The check and the increment happen under one
//! pool's lock, not the account's, so on a multi-threaded runtime two pools racing for the
//! last unit can overshoot by one each; on the virtual clock (one thread) the count is exact.

use std::sync::atomic::{AtomicU64, Ordering};

/// Concurrent executions shared by the functions without reserved concurrency.
#[derive(Debug)]
pub struct AccountPool {
    limit: u64,
    in_flight: AtomicU64,
}

impl AccountPool {
    /// A pool of `limit` concurrent executions.
    pub fn new(limit: u32) -> Self {
        Self {
            limit: u64::from(limit),
            in_flight: AtomicU64::new(0),
        }
    }

    /// The pool's size.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Invocations in flight that draw from the pool.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Whether one more invocation fits.
    pub(crate) fn has_room(&self) -> bool {
        self.in_flight() < self.limit
    }

    /// Adds `delta` in-flight invocations (negative: they ended).
    pub(crate) fn add(&self, delta: i64) {
        if delta >= 0 {
            self.in_flight
                .fetch_add(delta.unsigned_abs(), Ordering::AcqRel);
        } else {
            let _ = self
                .in_flight
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    Some(n.saturating_sub(delta.unsigned_abs()))
                });
        }
    }
}
