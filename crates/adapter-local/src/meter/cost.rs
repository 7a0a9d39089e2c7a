//! Cost comparison: one run priced under every provider's rules, side by side.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::billing::{
    AzureConsumptionRule, AzureFlexRule, BilledQuantities, BillingProvider, BillingRule, Charges,
    CloudRunRule, LambdaRule, PricingOptions, WarmCapacity,
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
    /// Deducted by the monthly free tier (zero unless asked for): the sum of
    /// [`ProviderCost::free_tier_lines`].
    pub free_tier_credit: f64,
    /// The free-tier credit line by line (requests, compute, streaming), as the providers'
    /// examples deduct it: each allowance from its own line.
    #[serde(default)]
    pub free_tier_lines: Charges,
    /// What the run costs: charges minus the free-tier credit.
    pub total: f64,
}

/// One line of an [`Invoice`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InvoiceLine {
    /// `compute`, `requests`, `provisioned`, `storage` or `streaming`.
    pub item: String,
    /// The exact amount after the free tier.
    pub amount: f64,
    /// The amount rounded to the cent, as the invoice shows it.
    pub billed: f64,
}

/// A provider's charges as an invoice shows them: each line after its free tier, rounded to
/// the cent (half up), and the total the sum of the rounded lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Invoice {
    /// The provider.
    pub provider: BillingProvider,
    /// The lines with a non-zero amount.
    pub lines: Vec<InvoiceLine>,
    /// The sum of the rounded lines.
    pub total: f64,
}

/// `amount` rounded to the cent, halves up (away from zero). A relative nudge of 1e-9 keeps
/// amounts such as 0.285, which `f64` holds as 0.28499999…, rounding as a person would.
pub fn round_to_cents(amount: f64) -> f64 {
    let cents = amount * 100.0;
    (cents + cents.signum() * cents.abs().max(1.0) * 1e-9).round() / 100.0
}

impl ProviderCost {
    /// The charges as an invoice: each line after its free-tier credit, rounded to the cent.
    /// AWS, Google and Microsoft invoices round each line item to the cent and add the rounded
    /// lines; the pricing pages' worked examples do the same (e.g. Lambda's provisioned
    /// concurrency example: $30.00 + $11.67 + $0.24 = $41.91).
    pub fn invoice(&self) -> Invoice {
        let after = self.charges.minus(&self.free_tier_lines);
        let lines: Vec<InvoiceLine> = after
            .lines()
            .into_iter()
            .filter(|(_, amount)| *amount != 0.0)
            .map(|(item, amount)| InvoiceLine {
                item: item.to_owned(),
                amount,
                billed: round_to_cents(amount),
            })
            .collect();
        let total = round_to_cents(lines.iter().map(|l| l.billed).sum());
        Invoice {
            provider: self.provider,
            lines,
            total,
        }
    }
}

/// The billing rules of every provider, in report order: AWS Lambda, Google Cloud Run, Azure
/// Consumption, then Azure Flex Consumption when the table prices it.
pub fn billing_rules(table: &PriceTable, options: &PricingOptions) -> Vec<Box<dyn BillingRule>> {
    let mut rules: Vec<Box<dyn BillingRule>> = vec![
        Box::new(LambdaRule::new(
            table.aws_lambda.clone(),
            options.lambda_arch,
        )),
        Box::new(CloudRunRule::new(
            table.cloud_run.clone(),
            options.cloud_run_vcpu,
        )),
        Box::new(AzureConsumptionRule::new(table.azure_consumption.clone())),
    ];
    if let Some(flex) = &table.azure_flex {
        rules.push(Box::new(AzureFlexRule::new(flex.clone())));
    }
    rules
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
    let free_tier_lines = match (free_tier, rule.free_tier()) {
        (true, Some(free)) => {
            // Lambda gives no free tier to functions with provisioned concurrency.
            let eligible = if rule.free_tier_excludes_provisioned() {
                let mut eligible = BilledQuantities::default();
                for f in functions.iter().filter(|f| !f.quantities.has_provisioned()) {
                    eligible.add(&f.quantities);
                }
                eligible
            } else {
                total_q
            };
            charges.minus(&rule.charges(&total_q.minus(&eligible.capped_by(&free))))
        }
        _ => Charges::default(),
    };
    let free_tier_credit = free_tier_lines.total();
    ProviderCost {
        provider: rule.provider(),
        label: rule.label(),
        currency: table.currency.clone(),
        price_version: table.version.clone(),
        functions,
        quantities: total_q,
        charges,
        free_tier_credit,
        free_tier_lines,
        total: charges.total() - free_tier_credit,
    }
}
