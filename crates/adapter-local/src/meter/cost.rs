//! Cost comparison: one run priced under every provider's rules, side by side.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::billing::{
    AzureConsumptionRule, BilledQuantities, BillingProvider, BillingRule, Charges, CloudRunRule,
    LambdaRule, PricingOptions, WarmCapacity,
};
use super::prices::PriceTable;
use crate::record::InvocationRecord;

/// What one function would cost on one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FunctionCost {
    /// The function.
    pub function: String,
    /// What the provider meters.
    pub quantities: BilledQuantities,
    /// Their price.
    pub charges: Charges,
    /// Compute plus requests plus provisioned capacity.
    pub total: f64,
}

/// What the whole run would cost on one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProviderCost {
    /// The provider.
    pub provider: BillingProvider,
    /// A name for people.
    pub label: String,
    /// The currency of every amount.
    pub currency: String,
    /// The price table's version.
    pub price_version: String,
    /// Per function, sorted by name.
    pub functions: Vec<FunctionCost>,
    /// The run's totals.
    pub quantities: BilledQuantities,
    /// Their price, before the free tier.
    pub charges: Charges,
    /// Deducted by the monthly free tier (zero unless asked for).
    pub free_tier_credit: f64,
    /// What the run costs: charges minus the free-tier credit.
    pub total: f64,
}

/// The billing rules of every provider, in report order: AWS, Google Cloud, Azure.
pub fn billing_rules(table: &PriceTable, options: &PricingOptions) -> Vec<Box<dyn BillingRule>> {
    vec![
        Box::new(LambdaRule::new(
            table.aws_lambda.clone(),
            options.lambda_arch,
        )),
        Box::new(CloudRunRule::new(
            table.cloud_run.clone(),
            options.cloud_run_vcpu,
        )),
        Box::new(AzureConsumptionRule::new(table.azure_consumption.clone())),
    ]
}

/// Prices `records` under every provider's rules (no kept-warm capacity).
pub fn compare_costs(
    records: &[InvocationRecord],
    table: &PriceTable,
    options: &PricingOptions,
) -> Vec<ProviderCost> {
    compare_costs_with_capacity(records, &BTreeMap::new(), table, options)
}

/// Prices `records` under every provider's rules, with the capacity each function kept warm
/// (its min instances, by function name). A function with warm capacity is priced even if it
/// served nothing.
pub fn compare_costs_with_capacity(
    records: &[InvocationRecord],
    warm: &BTreeMap<String, WarmCapacity>,
    table: &PriceTable,
    options: &PricingOptions,
) -> Vec<ProviderCost> {
    let mut by_function: BTreeMap<&str, Vec<&InvocationRecord>> = BTreeMap::new();
    for r in records {
        by_function.entry(&r.function).or_default().push(r);
    }
    for (name, capacity) in warm {
        if capacity.instances > 0 {
            by_function.entry(name).or_default();
        }
    }
    billing_rules(table, options)
        .iter()
        .map(|rule| {
            let quantities = by_function
                .iter()
                .map(|(name, records)| {
                    let q = match warm.get(*name).filter(|w| w.instances > 0) {
                        Some(capacity) => rule.quantities_with_capacity(records, capacity),
                        None => rule.quantities(records),
                    };
                    ((*name).to_owned(), q)
                })
                .collect();
            price(rule.as_ref(), quantities, table, options.free_tier)
        })
        .collect()
}

/// Prices the quantities of each function (sorted by name) under `rule`.
pub(super) fn price(
    rule: &dyn BillingRule,
    quantities: Vec<(String, BilledQuantities)>,
    table: &PriceTable,
    free_tier: bool,
) -> ProviderCost {
    let mut total_q = BilledQuantities::default();
    let functions: Vec<FunctionCost> = quantities
        .into_iter()
        .map(|(function, quantities)| {
            total_q.add(&quantities);
            let charges = rule.charges(&quantities);
            FunctionCost {
                function,
                quantities,
                charges,
                total: charges.total(),
            }
        })
        .collect();
    let charges = rule.charges(&total_q);
    let free_tier_credit = match (free_tier, rule.free_tier()) {
        (true, Some(free)) => charges.total() - rule.charges(&total_q.minus(&free)).total(),
        _ => 0.0,
    };
    ProviderCost {
        provider: rule.provider(),
        label: rule.label(),
        currency: table.currency.clone(),
        price_version: table.version.clone(),
        functions,
        quantities: total_q,
        charges,
        free_tier_credit,
        total: charges.total() - free_tier_credit,
    }
}
