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
//! ([`Limits::unreserved_pool`](faasport_core::contract::Limits::unreserved_pool)). Changing
//! provisioned concurrency while the runtime runs resizes the pool ([`AccountPool::resize`]).
//!
//! A pool routing an invocation that would draw from the account takes one unit first with
//! [`AccountPool::try_reserve`], a single compare-and-swap against the limit, so however many
//! functions race for the last unit on however many threads, at most the limit is ever in
//! flight. A refused invocation gets 429 `TooManyRequestsException` with the reason
//! `ConcurrentInvocationLimitExceeded` (§9.3).

use std::sync::atomic::{AtomicU64, Ordering};

/// Concurrent executions shared by the functions without reserved concurrency.
#[derive(Debug)]
pub struct AccountPool {
    limit: AtomicU64,
    in_flight: AtomicU64,
}

impl AccountPool {
    /// A pool of `limit` concurrent executions.
    pub fn new(limit: u32) -> Self {
        Self {
            limit: AtomicU64::new(u64::from(limit)),
            in_flight: AtomicU64::new(0),
        }
    }

    /// The pool's size.
    pub fn limit(&self) -> u64 {
        self.limit.load(Ordering::Acquire)
    }

    /// Invocations in flight that draw from the pool.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Takes one unit if the pool has room, in one atomic step: `true` if taken (give it back
    /// with [`AccountPool::add`]`(-1)` when the invocation ends or goes elsewhere).
    pub(crate) fn try_reserve(&self) -> bool {
        let limit = self.limit();
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < limit).then_some(n + 1)
            })
            .is_ok()
    }

    /// Grows (positive) or shrinks (negative) the pool by `delta`, never below zero.
    /// Invocations already in flight keep running; new ones wait for room.
    pub(crate) fn resize(&self, delta: i64) {
        let _ = self
            .limit
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_add_signed(delta))
            });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_racing_for_the_last_units_never_take_more_than_the_limit() {
        // Eight threads take and give back units of a pool of 2 as fast as they can: with a
        // check followed by a separate increment, two of them regularly pass the check for the
        // same last unit.
        let pool = AccountPool::new(2);
        let start = std::sync::Barrier::new(8);
        let most = std::thread::scope(|s| {
            let workers: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        start.wait();
                        let mut most = 0;
                        for _ in 0..200_000 {
                            if pool.try_reserve() {
                                most = most.max(pool.in_flight());
                                pool.add(-1);
                            }
                        }
                        most
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or(u64::MAX))
                .max()
        });
        assert_eq!(most, Some(2));
        assert_eq!(pool.in_flight(), 0);
        pool.resize(-1);
        assert_eq!(pool.limit(), 1);
        assert!(pool.try_reserve() && !pool.try_reserve());
    }
}
