//! The price table: a versioned data file, bundled with the crate and overridable from a file.
//!
//! The bundled table is `prices/2026-11.toml` (USD, lowest-priced region, list prices); every
//! number carries its source in that file. Load another with [`PriceTable::from_file`] or
//! [`PriceTable::from_toml_str`]; unknown fields and negative prices are typed errors.

#![allow(missing_docs)] // The fields mirror the TOML keys, documented in the data file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The bundled price table's text.
pub const BUNDLED_PRICES: &str = include_str!("../../prices/2026-11.toml");

/// Why a price table could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PriceError {
    /// The file could not be read.
    #[error("cannot read price table {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The text is not a valid price table.
    #[error("invalid price table")]
    Parse(#[from] toml::de::Error),
    /// A value is out of range.
    #[error("invalid price table: `{field}` {problem}")]
    Invalid {
        /// The offending key.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
}

/// A price table (schema 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PriceTable {
    pub schema: u32,
    pub version: String,
    pub effective: String,
    pub currency: String,
    pub sources: Vec<String>,
    pub aws_lambda: AwsLambdaPrices,
    pub cloud_run: CloudRunPrices,
    pub gcf_gen1: Option<toml::Value>,
    pub azure_consumption: AzureConsumptionPrices,
    pub azure_flex: Option<toml::Value>,
}

/// AWS Lambda on-demand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct AwsLambdaPrices {
    pub billing_granularity_ms: u64,
    pub min_billed_ms: u64,
    pub init_billed: bool,
    pub init_billed_since: String,
    pub max_init_ms: u64,
    pub memory_min_mb: u32,
    pub memory_max_mb: u32,
    pub memory_step_mb: u32,
    pub max_timeout_ms: u64,
    pub ephemeral_storage_free_mb: u32,
    pub ephemeral_storage_max_mb: u32,
    pub ephemeral_storage_per_gb_second: f64,
    pub x86_64: LambdaArchPrices,
    pub arm64: LambdaArchPrices,
    pub free_tier: Option<LambdaFreeTier>,
}

/// One Lambda architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LambdaArchPrices {
    pub per_gb_second: f64,
    pub per_million_requests: f64,
    #[serde(default)]
    pub tiers: Vec<GbSecondTier>,
    pub provisioned_concurrency: Option<ProvisionedConcurrencyPrices>,
}

/// A monthly GB-s tier (not applied by the meter, which uses the first-tier rate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct GbSecondTier {
    pub up_to_gb_seconds: Option<u64>,
    pub per_gb_second: f64,
}

/// Lambda provisioned concurrency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ProvisionedConcurrencyPrices {
    pub per_gb_second_configured: f64,
    pub per_gb_second_duration: f64,
}

/// Lambda's monthly free tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LambdaFreeTier {
    pub requests: u64,
    pub gb_seconds: u64,
}

/// Google Cloud Run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CloudRunPrices {
    pub billing_granularity_ms: u64,
    pub default_billing: String,
    pub default_vcpu: f64,
    pub default_memory_mib: u32,
    pub request_based: CloudRunRates,
    pub instance_based: CloudRunRates,
}

/// One Cloud Run billing model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CloudRunRates {
    pub per_vcpu_second: f64,
    pub per_gib_second: f64,
    pub per_million_requests: f64,
    pub free_tier: Option<CloudRunFreeTier>,
}

/// Cloud Run's monthly free tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CloudRunFreeTier {
    pub vcpu_seconds: u64,
    pub gib_seconds: u64,
    #[serde(default)]
    pub requests: u64,
}

/// Azure Functions, Consumption plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct AzureConsumptionPrices {
    pub per_gb_second: f64,
    pub per_million_executions: f64,
    pub billing_granularity_ms: u64,
    pub min_duration_ms: u64,
    pub min_memory_mb: u32,
    pub memory_step_mb: u32,
    pub max_memory_mb: u32,
    pub free_tier: Option<AzureFreeTier>,
}

/// Azure's monthly free grant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct AzureFreeTier {
    pub gb_seconds: u64,
    pub executions: u64,
}

impl PriceTable {
    /// The table bundled with this crate.
    ///
    /// # Errors
    /// Only if the bundled file were broken (a test guards it).
    pub fn bundled() -> Result<Self, PriceError> {
        Self::from_toml_str(BUNDLED_PRICES)
    }

    /// Reads a table from TOML text.
    ///
    /// # Errors
    /// [`PriceError::Parse`] for bad TOML, unknown or missing keys; [`PriceError::Invalid`] for an
    /// unsupported schema or a negative or non-finite price.
    pub fn from_toml_str(text: &str) -> Result<Self, PriceError> {
        let table: PriceTable = toml::from_str(text)?;
        table.validate()?;
        Ok(table)
    }

    /// Reads a table from a file.
    ///
    /// # Errors
    /// [`PriceError::Read`] if the file cannot be read, otherwise as
    /// [`PriceTable::from_toml_str`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, PriceError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| PriceError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml_str(&text)
    }

    fn validate(&self) -> Result<(), PriceError> {
        if self.schema != 1 {
            return Err(PriceError::Invalid {
                field: "schema",
                problem: "must be 1",
            });
        }
        let prices = [
            (
                "aws_lambda.x86_64.per_gb_second",
                self.aws_lambda.x86_64.per_gb_second,
            ),
            (
                "aws_lambda.x86_64.per_million_requests",
                self.aws_lambda.x86_64.per_million_requests,
            ),
            (
                "aws_lambda.arm64.per_gb_second",
                self.aws_lambda.arm64.per_gb_second,
            ),
            (
                "aws_lambda.arm64.per_million_requests",
                self.aws_lambda.arm64.per_million_requests,
            ),
            (
                "cloud_run.request_based.per_vcpu_second",
                self.cloud_run.request_based.per_vcpu_second,
            ),
            (
                "cloud_run.request_based.per_gib_second",
                self.cloud_run.request_based.per_gib_second,
            ),
            (
                "cloud_run.request_based.per_million_requests",
                self.cloud_run.request_based.per_million_requests,
            ),
            ("cloud_run.default_vcpu", self.cloud_run.default_vcpu),
            (
                "azure_consumption.per_gb_second",
                self.azure_consumption.per_gb_second,
            ),
            (
                "azure_consumption.per_million_executions",
                self.azure_consumption.per_million_executions,
            ),
        ];
        for (field, value) in prices {
            if !value.is_finite() || value < 0.0 {
                return Err(PriceError::Invalid {
                    field,
                    problem: "must be a finite, non-negative number",
                });
            }
        }
        let granularities = [
            (
                "aws_lambda.billing_granularity_ms",
                self.aws_lambda.billing_granularity_ms,
            ),
            (
                "cloud_run.billing_granularity_ms",
                self.cloud_run.billing_granularity_ms,
            ),
            (
                "azure_consumption.billing_granularity_ms",
                self.azure_consumption.billing_granularity_ms,
            ),
            (
                "azure_consumption.memory_step_mb",
                u64::from(self.azure_consumption.memory_step_mb),
            ),
        ];
        for (field, value) in granularities {
            if value == 0 {
                return Err(PriceError::Invalid {
                    field,
                    problem: "must be at least 1",
                });
            }
        }
        Ok(())
    }
}
