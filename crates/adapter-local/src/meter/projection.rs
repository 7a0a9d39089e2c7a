//! A month projected from a run: what the app would cost on each provider if the traffic seen
//! so far went on at the same rate for a whole month.
//!
//! # The rule
//!
//! 1. **Cost so far** is the run priced under each provider's rules ([`ProviderCost`]), over the
//!    run's elapsed time.
//! 2. **The month** is [`HOURS_PER_MONTH`] hours (730 h, as the providers' calculators and the
//!    break-even figures use). Each function's billed quantities of the run (requests, billed
//!    time, GB-s, vCPU-s, kept-warm capacity, storage, streaming) are multiplied by
//!    `month / elapsed` ([`BilledQuantities::scaled`]): the run's rate held for a month.
//! 3. **The month is priced again** under the same rules, not the run's amount multiplied: the
//!    monthly price tiers (Lambda's GB-s tiers) then apply to the month's volume.
//! 4. **The free tier applies to the month, not to the run.** Free tiers are monthly
//!    allowances, so deducting one from a short run (and scaling the result) would give away a
//!    month's allowance every few minutes. The projection always deducts each provider's
//!    monthly free tier from the month's quantities, line by line, as
//!    [`ProviderCost::free_tier_lines`] does; [`MonthProjection::month`] keeps the amount before
//!    it too (`month.charges`).
//!
//! A projection from a run of a few seconds is as good as those seconds are typical: a burst
//! at start-up (cold starts, initialisers) weighs on the month as if it went on all month.
//! Lambda's provisioned windows are rounded up to five minutes before scaling, so a short run
//! with min instances projects slightly high.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::breakeven::HOURS_PER_MONTH;
use super::cost::{price, ProviderCost};
use super::estimate::Pricing;
use super::BillingProvider;

/// The month a projection speaks of: [`HOURS_PER_MONTH`] hours.
pub const MONTH: Duration = Duration::from_secs(HOURS_PER_MONTH as u64 * 3600);

/// A month could not be projected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProjectionError {
    /// The run took no measurable time, so it has no rate.
    #[error("cannot project a month from a run of no time")]
    NoElapsedTime,
    /// The costs name a provider the pricing has no rule for (an Azure Flex cost priced with a
    /// table that has no Flex prices).
    #[error("no billing rule for {provider:?} in the price table `{version}`")]
    NoRule {
        /// The provider.
        provider: BillingProvider,
        /// The price table's version.
        version: String,
    },
}

/// What one provider would cost over a month at the run's rate (see the module docs for the
/// rule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MonthProjection {
    /// The provider.
    pub provider: BillingProvider,
    /// A name for people.
    pub label: String,
    /// The currency of every amount.
    pub currency: String,
    /// How long the run measured, in milliseconds.
    #[serde(rename = "elapsed_ms", with = "crate::record::millis")]
    pub elapsed: Duration,
    /// The run's cost so far, before any free tier.
    pub so_far: f64,
    /// `month / elapsed`: what the run's quantities were multiplied by.
    pub factor: f64,
    /// The month priced: its quantities, its charges before the free tier, the monthly free
    /// tier deducted, and `total` after it.
    pub month: ProviderCost,
}

impl MonthProjection {
    /// The month's cost after the free tier.
    pub fn total(&self) -> f64 {
        self.month.total
    }
}

impl Pricing {
    /// Projects `costs`, a run priced over `elapsed` (such as
    /// [`LocalRuntime::costs`](crate::LocalRuntime::costs)), to a month of [`HOURS_PER_MONTH`]
    /// hours at the same rate, with each provider's monthly free tier applied to the month.
    /// O(functions × providers).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use faasport_adapter_local::meter::{Pricing, Workload};
    /// use faasport_adapter_local::BillingProvider;
    ///
    /// let pricing = Pricing::bundled()?;
    /// // One hour of traffic: 3 M calls of 120 ms at 1,536 MB.
    /// let hour = pricing.estimate(&Workload::new(3_000_000, Duration::from_millis(120), 1_536));
    /// let month = pricing.project_month(&hour, Duration::from_secs(3600))?;
    /// let lambda = month.iter().find(|p| p.provider == BillingProvider::AwsLambda).unwrap();
    /// assert_eq!(lambda.factor, 730.0);
    /// assert_eq!(lambda.month.quantities.requests, 2_190_000_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ProjectionError::NoElapsedTime`] when `elapsed` is zero, and
    /// [`ProjectionError::NoRule`] when a cost names a provider the price table does not price.
    pub fn project_month(
        &self,
        costs: &[ProviderCost],
        elapsed: Duration,
    ) -> Result<Vec<MonthProjection>, ProjectionError> {
        if elapsed.is_zero() {
            return Err(ProjectionError::NoElapsedTime);
        }
        let factor = MONTH.as_secs_f64() / elapsed.as_secs_f64();
        let rules = self.rules();
        costs
            .iter()
            .map(|cost| {
                let rule = rules
                    .iter()
                    .find(|r| r.provider() == cost.provider)
                    .ok_or_else(|| ProjectionError::NoRule {
                        provider: cost.provider,
                        version: self.table.version.clone(),
                    })?;
                let quantities = cost
                    .functions
                    .iter()
                    .map(|f| (f.function.clone(), f.quantities.scaled(factor)))
                    .collect();
                let month = price(rule.as_ref(), quantities, &self.table, true);
                Ok(MonthProjection {
                    provider: cost.provider,
                    label: cost.label.clone(),
                    currency: cost.currency.clone(),
                    elapsed,
                    so_far: cost.charges.total(),
                    factor,
                    month,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::{PriceTable, PricingOptions, Workload};

    fn lambda(projections: &[MonthProjection]) -> &MonthProjection {
        projections
            .iter()
            .find(|p| p.provider == BillingProvider::AwsLambda)
            .expect("lambda priced")
    }

    #[test]
    fn a_month_scales_the_quantities_and_applies_the_free_tier_once_to_the_month() {
        // 1,000 calls of 100 ms at 1,024 MB in one minute: 100 GB-s and 1,000 requests.
        // A month (730 h = 43,800 min) at that rate: 43.8 M requests, 4.38 M GB-s.
        // Lambda x86 (bundled table, us-east-1): $0.20 per M requests, GB-s through the tiers
        // ($0.0000166667 up to 6 B GB-s). Free tier: 1 M requests and 400,000 GB-s a month.
        // Month: requests (43.8 − 1) × 0.20 = $8.56; compute (4,380,000 − 400,000) ×
        // 0.0000166667 = $66.33; total $74.89.
        let pricing = Pricing::bundled().expect("bundled");
        let minute = pricing.estimate(&Workload::new(1_000, Duration::from_millis(100), 1_024));
        let month = pricing
            .project_month(&minute, Duration::from_secs(60))
            .expect("projection");
        let l = lambda(&month);
        assert_eq!(l.factor, 43_800.0);
        assert_eq!(l.month.quantities.requests, 43_800_000);
        assert!((l.month.quantities.gb_seconds - 4_380_000.0).abs() < 1e-6);
        assert!((l.month.charges.requests - 8.76).abs() < 1e-9);
        assert!((l.month.free_tier_lines.requests - 0.20).abs() < 1e-9);
        assert!((l.month.free_tier_lines.compute - 400_000.0 * 0.000_016_666_7).abs() < 1e-6);
        assert_eq!(format!("{:.2}", l.total()), "74.89");
        // The run itself is far inside a month's free tier; it is reported before it.
        assert!((l.so_far - (1_000.0 * 0.2e-6 + 100.0 * 0.000_016_666_7)).abs() < 1e-12);
    }

    #[test]
    fn a_run_inside_the_free_tier_projects_to_nothing_when_the_month_stays_inside_it() {
        // 10 calls of 10 ms at 128 MB in an hour: 7,300 requests a month, far under 1 M.
        let pricing = Pricing::bundled().expect("bundled");
        let hour = pricing.estimate(&Workload::new(10, Duration::from_millis(10), 128));
        let month = pricing
            .project_month(&hour, Duration::from_secs(3600))
            .expect("projection");
        assert_eq!(lambda(&month).total(), 0.0);
        assert!(lambda(&month).month.charges.total() > 0.0);
    }

    #[test]
    fn no_elapsed_time_is_an_error_not_an_infinite_month() {
        let pricing = Pricing::bundled().expect("bundled");
        let costs = pricing.estimate(&Workload::new(1, Duration::from_millis(1), 128));
        assert_eq!(
            pricing.project_month(&costs, Duration::ZERO),
            Err(ProjectionError::NoElapsedTime)
        );
    }

    #[test]
    fn a_cost_without_a_rule_in_the_table_is_an_error_naming_it() {
        let flex = Pricing::bundled().expect("bundled");
        let costs = flex.estimate(&Workload::new(1, Duration::from_millis(1), 2_048));
        let Some(flex_cost) = costs
            .iter()
            .find(|c| c.provider == BillingProvider::AzureFlex)
        else {
            return; // the bundled table has no Flex prices: nothing to check
        };
        let mut table = PriceTable::bundled().expect("bundled");
        table.azure_flex = None;
        let without = Pricing::new(table, PricingOptions::default());
        let err = without
            .project_month(std::slice::from_ref(flex_cost), Duration::from_secs(1))
            .expect_err("no flex rule");
        assert!(matches!(
            err,
            ProjectionError::NoRule {
                provider: BillingProvider::AzureFlex,
                ..
            }
        ));
    }
}
