//! [`Activity`]: how busy a workload's instances are, which is what instance-billed platforms
//! (Cloud Run request-based, Azure Flex) charge for.
//!
//! Per-invocation billing (Lambda, Azure Consumption) needs only the calls. Cloud Run and Flex
//! bill an instance's *busy periods*, the merged intervals during which at least one request
//! runs on it, each rounded up (100 ms; Flex also a 1 s minimum), so the same calls cost less
//! when they overlap or follow each other closely. Without an activity, a [`Workload`] prices
//! each batch of `concurrency` calls as its own busy period: an upper bound at a sustained rate.
//!
//! An activity comes from a run ([`Activity::from`] an [`InstanceTime`]: the runtime's measured
//! alive time, idle time and busy periods, scaled with [`Activity::scaled`] to the workload's
//! calls), or from the queueing model of the pricing notes (§12.2 step 2) for Poisson arrivals
//! on one instance with enough concurrency, an M/G/∞ queue ([`Activity::poisson`]).
//!
//! [`Workload`]: super::Workload

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::lifetimes::InstanceTime;

/// How busy the instances serving a workload were: their alive time, the part of it with at
/// least one invocation running, and how many busy periods that part was made of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Activity {
    /// Instance time alive, in instance-seconds.
    pub alive: f64,
    /// Of it, time busy (at least one invocation running), in instance-seconds.
    pub busy: f64,
    /// How many busy periods `busy` was made of (each billed on its own, rounded up).
    pub periods: u64,
}

impl Activity {
    /// `busy` instance-seconds in `periods` busy periods, out of `alive` (at least `busy`).
    pub fn new(alive: f64, busy: f64, periods: u64) -> Self {
        let clean = |x: f64| if x.is_finite() { x.max(0.0) } else { 0.0 };
        let busy = clean(busy);
        Self {
            alive: clean(alive).max(busy),
            busy,
            periods,
        }
    }

    /// One instance with enough concurrency receiving Poisson arrivals at `rate` per second,
    /// each busy for `duration`, over `period` (an M/G/∞ queue, the pricing notes §12.2 step 2):
    /// the instance is busy a fraction `B = 1 − e^(−λd)` of the time, and a busy period starts
    /// at every arrival that finds it idle, `λ · e^(−λd)` per second.
    ///
    /// ```
    /// use std::time::Duration;
    /// use faasport_adapter_local::meter::Activity;
    ///
    /// // 10 req/s of 100 ms for an hour: busy 1 − e^(−1) = 63.2 % of it.
    /// let a = Activity::poisson(10.0, Duration::from_millis(100), Duration::from_secs(3_600));
    /// assert_eq!(format!("{:.4}", a.busy_fraction()), "0.6321");
    /// ```
    pub fn poisson(rate: f64, duration: Duration, period: Duration) -> Self {
        let rate = if rate.is_finite() { rate.max(0.0) } else { 0.0 };
        let t = period.as_secs_f64();
        let load = rate * duration.as_secs_f64();
        let idle = (-load).exp();
        let periods = (rate * idle * t).round();
        Self::new(t, (1.0 - idle) * t, count(periods))
    }

    /// The share of the alive time that was busy (0 when nothing was alive).
    pub fn busy_fraction(&self) -> f64 {
        if self.alive > 0.0 {
            self.busy / self.alive
        } else {
            0.0
        }
    }

    /// The activity of a run `factor` times as long (a month projected from a short run).
    pub fn scaled(&self, factor: f64) -> Self {
        let factor = if factor.is_finite() {
            factor.max(0.0)
        } else {
            0.0
        };
        Self::new(
            self.alive * factor,
            self.busy * factor,
            count((self.periods as f64 * factor).round()),
        )
    }

    /// The mean length of a busy period and of the idle gap after it, in seconds.
    pub(crate) fn mean_period_and_gap(&self) -> (f64, f64) {
        let n = self.periods.max(1) as f64;
        (self.busy / n, (self.alive - self.busy).max(0.0) / n)
    }
}

impl From<InstanceTime> for Activity {
    /// The activity a run measured: its instances' alive time, busy time (alive less idle) and
    /// busy periods.
    fn from(time: InstanceTime) -> Self {
        Self::new(time.alive, time.alive - time.idle, time.busy_periods)
    }
}

fn count(x: f64) -> u64 {
    if x.is_finite() && x > 0.0 {
        x.min(u64::MAX as f64) as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poisson_model_gives_the_pricing_notes_busy_fraction() {
        // §12.3: 10 req/s × 100 ms, 730 h: B = 1 − e^(−1) = 0.632121, and
        // 10 × e^(−1) × 2,628,000 s = 9,667,871.7 busy periods of (e − 1) / 10 = 0.171828 s.
        let a = Activity::poisson(
            10.0,
            Duration::from_millis(100),
            Duration::from_secs(2_628_000),
        );
        assert!((a.busy_fraction() - 0.632_120_558_8).abs() < 1e-9);
        assert_eq!(a.periods, 9_667_872);
        let (period, gap) = a.mean_period_and_gap();
        assert!((period - 0.171_828).abs() < 1e-6, "{period}");
        assert!((gap - 0.1).abs() < 1e-6, "{gap}");
    }

    #[test]
    fn bad_numbers_become_zero_and_busy_never_exceeds_alive() {
        let a = Activity::new(f64::NAN, 5.0, 2);
        assert_eq!((a.alive, a.busy), (5.0, 5.0));
        assert_eq!(
            Activity::poisson(f64::INFINITY, Duration::ZERO, Duration::ZERO).periods,
            0
        );
        assert_eq!(
            Activity::new(10.0, 4.0, 3).scaled(f64::NAN),
            Activity::default()
        );
    }
}
