//! Scale-out rate limits: how fast a function may add instances.
//!
//! A token bucket per function and trigger class. Only a *new* instance takes a token; reusing a
//! warm instance never does. The bucket starts full (so the first instance starts at once),
//! refills continuously, and never holds more than its capacity (unused budget does not accrue).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// At most `instances` new instances per `per`, refilled continuously.
///
/// Lambda: 1,000 per 10 s per function; Azure Consumption: 1 per second for HTTP, 1 per 30 s
/// otherwise (see [`Profile`](crate::Profile) for sources).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleOutRate {
    /// The bucket's capacity, and how many tokens come back every `per`.
    pub instances: u32,
    /// The refill period.
    pub per: Duration,
}

impl ScaleOutRate {
    /// `instances` new instances per `per`.
    pub const fn new(instances: u32, per: Duration) -> Self {
        Self { instances, per }
    }
}

/// The token bucket enforcing a [`ScaleOutRate`].
#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    tokens: f64,
    per_second: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket for `rate`, as of `now`.
    pub fn new(rate: ScaleOutRate, now: Instant) -> Self {
        let capacity = f64::from(rate.instances.max(1));
        let per = rate.per.as_secs_f64();
        Self {
            capacity,
            tokens: capacity,
            per_second: if per > 0.0 {
                capacity / per
            } else {
                f64::INFINITY
            },
            last: now,
        }
    }

    /// Takes one token; on refusal, returns when the next token will be there.
    ///
    /// # Errors
    /// The instant at which a token becomes available.
    pub fn take(&mut self, now: Instant) -> Result<(), Instant> {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - self.tokens) / self.per_second;
            // Round up to the next microsecond so a wake-up at that instant finds the token.
            let wait = Duration::from_micros((wait * 1e6).ceil() as u64);
            Err(now + wait)
        }
    }

    /// Gives back a token taken for an instance whose start was abandoned.
    pub fn give_back(&mut self, now: Instant) {
        self.refill(now);
        self.tokens = (self.tokens + 1.0).min(self.capacity);
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.last = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_bucket_starts_full_and_refills_continuously() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(ScaleOutRate::new(1, Duration::from_secs(30)), t0);
        assert_eq!(b.take(t0), Ok(()));
        assert_eq!(b.take(t0), Err(t0 + Duration::from_secs(30)));
        assert_eq!(b.take(t0 + Duration::from_secs(30)), Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn unused_budget_does_not_accrue_beyond_capacity() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(ScaleOutRate::new(2, Duration::from_secs(2)), t0);
        let later = t0 + Duration::from_secs(100);
        assert_eq!(b.take(later), Ok(()));
        assert_eq!(b.take(later), Ok(()));
        assert!(b.take(later).is_err());
    }
}
