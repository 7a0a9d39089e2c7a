//! The hybrid histogram keep-alive policy of Shahrad et al., "Serverless in the Wild" (USENIX ATC
//! 2020), section 4.2.
//!
//! The policy keeps, per function, a histogram of idle times (from the end of one execution to the
//! next arrival) in 1-minute bins over 4 hours. When the histogram is representative (coefficient
//! of variation of the bin counts at least 2), the pre-warm window is the 5th percentile's bin
//! lower edge minus 10% and the keep-alive window the 99th percentile's bin upper edge plus 10%.
//! Otherwise the instance is simply kept for the fallback window: by default the profile's fixed
//! window, as issue 3 asks ("a fallback to the fixed window when the histogram is not
//! representative"); [`HybridFallback::Range`] keeps it for the whole 4-hour range instead, which
//! is what the paper does. When at least half of the idle times fall beyond the range, the paper switches to an
//! ARIMA forecast; here the forecast is the last observed idle time (a documented simplification),
//! with pre-warm `0.85 × forecast` and keep-alive `0.30 × forecast` as in the paper's 15% margin.

use std::time::Duration;

use super::{KeepAlivePolicy, KeepAliveWindows};

/// What the policy does while the histogram is not representative.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum HybridFallback {
    /// Keep instances for the profile's fixed keep-alive window (the default: fall back to the
    /// fixed policy, as issue 3 reads the paper).
    #[default]
    ProfileWindow,
    /// Keep instances for the whole histogram range, 4 hours by default (the paper's behaviour,
    /// Shahrad et al. section 4.2, and dslab's).
    Range,
    /// Keep instances for this window.
    Fixed(Duration),
}

/// Parameters of the hybrid histogram policy; the defaults are the paper's.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HybridConfig {
    /// The histogram's range (4 h).
    pub range: Duration,
    /// The width of one bin (1 min).
    pub bin: Duration,
    /// The head percentile, for the pre-warm window (0.05).
    pub head: f64,
    /// The tail percentile, for the keep-alive window (0.99).
    pub tail: f64,
    /// The margin applied to both windows (0.10).
    pub margin: f64,
    /// The coefficient of variation above which the histogram is trusted (2.0).
    pub cv_threshold: f64,
    /// The share of out-of-range idle times above which the forecast is used (0.5).
    pub oob_threshold: f64,
    /// The margin of the forecast branch (0.15).
    pub forecast_margin: f64,
    /// Idle times needed before the histogram is trusted (0: the paper gives no number).
    pub min_samples: u64,
    /// The windows while the histogram is not representative (the profile's fixed window).
    pub fallback: HybridFallback,
}

impl Default for HybridConfig {
    fn default() -> Self {
        Self {
            range: Duration::from_secs(4 * 3600),
            bin: Duration::from_secs(60),
            head: 0.05,
            tail: 0.99,
            margin: 0.10,
            cv_threshold: 2.0,
            oob_threshold: 0.5,
            forecast_margin: 0.15,
            min_samples: 0,
            fallback: HybridFallback::ProfileWindow,
        }
    }
}

impl HybridConfig {
    /// Sets the fallback used while the histogram is not representative.
    pub fn fallback(mut self, fallback: HybridFallback) -> Self {
        self.fallback = fallback;
        self
    }

    /// Sets how many idle times are needed before the histogram is trusted.
    pub fn min_samples(mut self, samples: u64) -> Self {
        self.min_samples = samples;
        self
    }
}

/// The hybrid histogram policy for one function.
#[derive(Debug, Clone)]
pub struct HybridHistogramPolicy {
    config: HybridConfig,
    fixed_window: Duration,
    bins: Vec<u64>,
    in_range: u64,
    out_of_range: u64,
    last_idle: Option<Duration>,
    last_end: Option<Duration>,
}

impl HybridHistogramPolicy {
    /// An empty histogram; `fixed_window` is the profile's fixed keep-alive window, used while
    /// the histogram is not representative under [`HybridFallback::ProfileWindow`].
    pub fn new(config: HybridConfig, fixed_window: Duration) -> Self {
        let n = bin_count(&config);
        Self {
            config,
            fixed_window,
            bins: vec![0; n],
            in_range: 0,
            out_of_range: 0,
            last_idle: None,
            last_end: None,
        }
    }

    /// Records one idle time.
    pub fn record_idle(&mut self, idle: Duration) {
        self.last_idle = Some(idle);
        let bin = (idle.as_secs_f64() / self.config.bin.as_secs_f64()).floor();
        match self.bins.get_mut(bin as usize) {
            Some(count) if bin.is_finite() => {
                *count += 1;
                self.in_range += 1;
            }
            _ => self.out_of_range += 1,
        }
    }

    /// The windows the policy would choose now.
    pub fn windows(&self) -> KeepAliveWindows {
        let c = &self.config;
        let seen = self.in_range + self.out_of_range;
        if seen > 0 && self.out_of_range as f64 / seen as f64 >= c.oob_threshold {
            let forecast = self.last_idle.unwrap_or(c.range);
            return KeepAliveWindows {
                prewarm: forecast.mul_f64(1.0 - c.forecast_margin),
                keep_alive: forecast.mul_f64(2.0 * c.forecast_margin),
            };
        }
        if seen == 0 || self.in_range < c.min_samples || self.cv() < c.cv_threshold {
            let keep_alive = match c.fallback {
                HybridFallback::ProfileWindow => self.fixed_window,
                HybridFallback::Range => c.range,
                HybridFallback::Fixed(window) => window,
            };
            return KeepAliveWindows {
                prewarm: Duration::ZERO,
                keep_alive,
            };
        }
        let head = self.percentile_bin(c.head) as f64;
        let tail = self.percentile_bin(c.tail) as f64 + 1.0;
        KeepAliveWindows {
            prewarm: c.bin.mul_f64(head * (1.0 - c.margin)),
            keep_alive: c.bin.mul_f64(tail * (1.0 + c.margin)),
        }
    }

    /// Coefficient of variation of the bin counts (sample standard deviation over the mean).
    fn cv(&self) -> f64 {
        let n = self.bins.len() as f64;
        if n < 2.0 || self.in_range == 0 {
            return 0.0;
        }
        let mean = self.in_range as f64 / n;
        let var = self
            .bins
            .iter()
            .map(|&b| (b as f64 - mean).powi(2))
            .sum::<f64>()
            / (n - 1.0);
        var.sqrt() / mean
    }

    /// The first bin whose cumulative share reaches `p`.
    fn percentile_bin(&self, p: f64) -> usize {
        let total = self.in_range as f64;
        let mut cumulative = 0.0;
        for (i, &count) in self.bins.iter().enumerate() {
            cumulative += count as f64;
            if cumulative / total >= p {
                return i;
            }
        }
        self.bins.len().saturating_sub(1)
    }
}

impl KeepAlivePolicy for HybridHistogramPolicy {
    fn on_arrival(&mut self, at: Duration) {
        if let Some(end) = self.last_end {
            self.record_idle(at.saturating_sub(end));
        }
    }

    fn on_idle(&mut self, at: Duration) -> KeepAliveWindows {
        self.last_end = Some(at);
        self.windows()
    }
}

fn bin_count(c: &HybridConfig) -> usize {
    let bin = c.bin.as_secs_f64();
    if bin <= 0.0 {
        return 1;
    }
    ((c.range.as_secs_f64() / bin).ceil() as usize).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn with_no_history_the_instance_is_kept_for_the_profiles_fixed_window() {
        let p = HybridHistogramPolicy::new(HybridConfig::default(), MIN * 10);
        assert_eq!(
            p.windows(),
            KeepAliveWindows {
                prewarm: Duration::ZERO,
                keep_alive: MIN * 10
            }
        );
    }

    #[test]
    fn the_papers_fallback_keeps_the_instance_for_the_whole_range() {
        let config = HybridConfig::default().fallback(HybridFallback::Range);
        let p = HybridHistogramPolicy::new(config, MIN * 10);
        assert_eq!(
            p.windows(),
            KeepAliveWindows {
                prewarm: Duration::ZERO,
                keep_alive: Duration::from_secs(4 * 3600)
            }
        );
    }

    #[test]
    fn a_regular_period_gives_windows_from_the_head_and_tail_bins_with_a_ten_percent_margin() {
        let mut p = HybridHistogramPolicy::new(HybridConfig::default(), MIN * 10);
        for _ in 0..10 {
            p.record_idle(MIN * 30 - Duration::from_secs(1));
        }
        // Every idle time is in bin 29: pre-warm 29 min × 0.9, keep alive 30 min × 1.1.
        assert_eq!(p.windows().prewarm, Duration::from_secs(29 * 60 * 9 / 10));
        assert_eq!(
            p.windows().keep_alive,
            Duration::from_secs(30 * 60 * 11 / 10)
        );
    }

    #[test]
    fn a_flat_histogram_is_not_representative_and_uses_the_fixed_fallback() {
        let mut p = HybridHistogramPolicy::new(
            HybridConfig::default().fallback(HybridFallback::Fixed(MIN * 7)),
            MIN * 10,
        );
        for i in 0..240 {
            p.record_idle(MIN * i);
        }
        assert_eq!(p.windows().prewarm, Duration::ZERO);
        assert_eq!(p.windows().keep_alive, MIN * 7);
    }

    #[test]
    fn mostly_out_of_range_idle_times_use_the_forecast_branch() {
        let mut p = HybridHistogramPolicy::new(HybridConfig::default(), MIN * 10);
        p.record_idle(MIN * 600);
        assert_eq!(p.windows().prewarm, MIN * 510);
        assert_eq!(p.windows().keep_alive, MIN * 180);
    }
}
