//! The price table: a versioned data file, bundled with the crate and overridable from a file.
//!
//! The bundled table is `prices/2026-11.toml` (USD, lowest-priced region, list prices); every
//! number carries its source in that file. Load another with [`PriceTable::from_file`] or
//! [`PriceTable::from_toml_str`]; unknown fields and negative prices are typed errors.

#![allow(missing_docs)] // The fields mirror the TOML keys, documented in the data file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::billing::LambdaArch;

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
    pub azure_flex: Option<AzureFlexPrices>,
    /// Capacity kept running, for "is serverless a fit?" ([`Pricing::break_even`](super::Pricing::break_even)).
    #[serde(default)]
    pub always_on: Vec<AlwaysOnPrice>,
}

/// One always-on instance type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct AlwaysOnPrice {
    pub name: String,
    pub per_hour: f64,
    pub vcpu: f64,
    /// Requests one instance holds at once.
    pub concurrency: u32,
    /// `V`, `3P` or `R`, as in the reference notes.
    #[serde(default)]
    pub status: String,
}

/// Azure Functions, Flex Consumption plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct AzureFlexPrices {
    /// On demand: per GB-s of instance memory × active time.
    pub per_gb_second: f64,
    pub per_million_executions: f64,
    /// Minimum billable active period of an instance (1,000 ms).
    pub min_active_ms: u64,
    /// Then rounded up to this step (100 ms).
    pub billing_granularity_ms: u64,
    /// The instance sizes (MB); a function runs on the smallest that holds its memory.
    pub instance_memory_mb: Vec<u32>,
    pub default_instance_memory_mb: u32,
    pub always_ready: Option<FlexAlwaysReadyPrices>,
    pub free_tier: Option<AzureFreeTier>,
}

/// Flex Consumption always-ready instances (no free grant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FlexAlwaysReadyPrices {
    /// Per GB-s of always-ready memory, for as long as it is configured.
    pub per_gb_second_baseline: f64,
    /// Per GB-s while an always-ready instance executes.
    pub per_gb_second_execution: f64,
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
    /// Provisioned concurrency is billed "from the time you enable it on your function until it
    /// is disabled, rounded up to the nearest five minutes" (aws.amazon.com/lambda/pricing);
    /// 300,000 ms unless the table says otherwise.
    #[serde(default = "five_minutes_ms")]
    pub provisioned_block_ms: u64,
    /// Response streaming: the price per GB (1,024 MB) streamed beyond the free part of each
    /// request.
    #[serde(default)]
    pub response_streaming_per_gb: f64,
    /// Response streaming: MB of each request's stream that are free (6).
    #[serde(default = "six")]
    pub response_streaming_free_mb_per_request: u64,
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

fn five_minutes_ms() -> u64 {
    300_000
}

fn six() -> u64 {
    6
}

impl LambdaArchPrices {
    /// The price of `gb_seconds` of on-demand duration in one month, through the monthly tiers
    /// (the aggregate of one architecture, reference §11.1: "Tiers apply to the aggregate
    /// monthly GB-s per architecture, per Region, per account"). Without tiers, every GB-s
    /// costs `per_gb_second`.
    pub fn duration_price(&self, gb_seconds: f64) -> f64 {
        if self.tiers.is_empty() {
            return gb_seconds * self.per_gb_second;
        }
        let mut floor = 0.0_f64;
        let mut price = 0.0;
        for tier in &self.tiers {
            let ceiling = tier.up_to_gb_seconds.map_or(f64::INFINITY, |c| c as f64);
            let in_tier = (gb_seconds.min(ceiling) - floor).max(0.0);
            price += in_tier * tier.per_gb_second;
            floor = ceiling;
            if gb_seconds <= ceiling {
                break;
            }
        }
        price
    }
}

/// A monthly GB-s tier: the rate of the GB-s from the previous tier's bound up to this one's
/// (`None`: no bound, the last tier).
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
    /// GB of response streaming free per month.
    #[serde(default)]
    pub streaming_gb: u64,
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
        let extra = [
            (
                "aws_lambda.ephemeral_storage_per_gb_second",
                Some(self.aws_lambda.ephemeral_storage_per_gb_second),
            ),
            (
                "aws_lambda.response_streaming_per_gb",
                Some(self.aws_lambda.response_streaming_per_gb),
            ),
            (
                "aws_lambda.x86_64.provisioned_concurrency",
                self.aws_lambda
                    .x86_64
                    .provisioned_concurrency
                    .as_ref()
                    .map(|p| p.per_gb_second_configured.min(p.per_gb_second_duration)),
            ),
            (
                "aws_lambda.arm64.provisioned_concurrency",
                self.aws_lambda
                    .arm64
                    .provisioned_concurrency
                    .as_ref()
                    .map(|p| p.per_gb_second_configured.min(p.per_gb_second_duration)),
            ),
        ];
        let prices = prices
            .into_iter()
            .chain(extra.into_iter().filter_map(|(f, v)| v.map(|v| (f, v))));
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
        if let Some(flex) = &self.azure_flex {
            let ready = flex.always_ready.as_ref();
            for (field, value) in [
                ("azure_flex.per_gb_second", flex.per_gb_second),
                (
                    "azure_flex.per_million_executions",
                    flex.per_million_executions,
                ),
                (
                    "azure_flex.always_ready",
                    ready.map_or(0.0, |r| {
                        r.per_gb_second_baseline.min(r.per_gb_second_execution)
                    }),
                ),
            ] {
                if !value.is_finite() || value < 0.0 {
                    return Err(PriceError::Invalid {
                        field,
                        problem: "must be a finite, non-negative number",
                    });
                }
            }
            if flex.billing_granularity_ms == 0 || flex.instance_memory_mb.is_empty() {
                return Err(PriceError::Invalid {
                    field: "azure_flex",
                    problem: "needs a billing granularity of at least 1 ms and an instance size",
                });
            }
        }
        for (field, rates) in [
            ("aws_lambda.x86_64.tiers", &self.aws_lambda.x86_64),
            ("aws_lambda.arm64.tiers", &self.aws_lambda.arm64),
        ] {
            check_tiers(field, &rates.tiers)?;
        }
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

/// Tiers are in increasing bounds, with finite non-negative rates, and only the last one is
/// unbounded (so every GB-s has a price).
fn check_tiers(field: &'static str, tiers: &[GbSecondTier]) -> Result<(), PriceError> {
    let invalid = |problem| Err(PriceError::Invalid { field, problem });
    let mut previous = 0;
    for (i, tier) in tiers.iter().enumerate() {
        if !tier.per_gb_second.is_finite() || tier.per_gb_second < 0.0 {
            return invalid("has a rate that is not a finite, non-negative number");
        }
        match tier.up_to_gb_seconds {
            Some(bound) if bound <= previous => {
                return invalid("must have strictly increasing `up_to_gb_seconds`")
            }
            Some(bound) => previous = bound,
            None if i + 1 != tiers.len() => {
                return invalid("may leave only the last tier unbounded")
            }
            None => {}
        }
    }
    if tiers.last().is_some_and(|t| t.up_to_gb_seconds.is_some()) {
        return invalid("must end with an unbounded tier");
    }
    Ok(())
}

/// Builds a [`PriceTable`] from scratch: every price starts at zero and every metering rule
/// (granularities, minimums, memory steps) at the providers' published rules, as in the
/// bundled table; set the prices you want to compare. [`PriceTableBuilder::build`] checks the
/// result as [`PriceTable::from_toml_str`] does.
///
/// ```
/// use faasport_adapter_local::{LambdaArch, PriceTable};
///
/// let table = PriceTable::builder("my-negotiated-2026")
///     .lambda(LambdaArch::X86_64, 0.000015, 0.18)
///     .azure_consumption(0.000014, 0.18)
///     .build()?;
/// assert_eq!(table.aws_lambda.x86_64.per_gb_second, 0.000015);
/// # Ok::<(), faasport_adapter_local::PriceError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct PriceTableBuilder {
    table: PriceTable,
}

impl PriceTable {
    /// A table built from scratch, named `version` (see [`PriceTableBuilder`]).
    pub fn builder(version: impl Into<String>) -> PriceTableBuilder {
        let arch = || LambdaArchPrices {
            per_gb_second: 0.0,
            per_million_requests: 0.0,
            tiers: Vec::new(),
            provisioned_concurrency: None,
        };
        let rates = || CloudRunRates {
            per_vcpu_second: 0.0,
            per_gib_second: 0.0,
            per_million_requests: 0.0,
            free_tier: None,
        };
        PriceTableBuilder {
            table: PriceTable {
                schema: 1,
                version: version.into(),
                effective: String::new(),
                currency: "USD".to_owned(),
                sources: Vec::new(),
                // The metering rules of reference §1 (the same values as the bundled table).
                aws_lambda: AwsLambdaPrices {
                    billing_granularity_ms: 1,
                    min_billed_ms: 0,
                    init_billed: true,
                    init_billed_since: "2025-08-01".to_owned(),
                    max_init_ms: 10_000,
                    memory_min_mb: 128,
                    memory_max_mb: 10_240,
                    memory_step_mb: 1,
                    max_timeout_ms: 900_000,
                    ephemeral_storage_free_mb: 512,
                    ephemeral_storage_max_mb: 10_240,
                    ephemeral_storage_per_gb_second: 0.0,
                    provisioned_block_ms: five_minutes_ms(),
                    response_streaming_per_gb: 0.0,
                    response_streaming_free_mb_per_request: six(),
                    x86_64: arch(),
                    arm64: arch(),
                    free_tier: None,
                },
                cloud_run: CloudRunPrices {
                    billing_granularity_ms: 100,
                    default_billing: "request".to_owned(),
                    default_vcpu: 1.0,
                    default_memory_mib: 512,
                    request_based: rates(),
                    instance_based: rates(),
                },
                gcf_gen1: None,
                azure_consumption: AzureConsumptionPrices {
                    per_gb_second: 0.0,
                    per_million_executions: 0.0,
                    billing_granularity_ms: 1,
                    min_duration_ms: 100,
                    min_memory_mb: 128,
                    memory_step_mb: 128,
                    max_memory_mb: 1_536,
                    free_tier: None,
                },
                azure_flex: None,
                always_on: Vec::new(),
            },
        }
    }
}

impl PriceTableBuilder {
    fn arch(&mut self, arch: LambdaArch) -> &mut LambdaArchPrices {
        match arch {
            LambdaArch::X86_64 => &mut self.table.aws_lambda.x86_64,
            LambdaArch::Arm64 => &mut self.table.aws_lambda.arm64,
        }
    }

    /// Sets the currency (`USD` by default).
    pub fn currency(mut self, currency: impl Into<String>) -> Self {
        self.table.currency = currency.into();
        self
    }

    /// Sets the date the prices take effect.
    pub fn effective(mut self, date: impl Into<String>) -> Self {
        self.table.effective = date.into();
        self
    }

    /// Adds a source the prices come from.
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.table.sources.push(source.into());
        self
    }

    /// Lambda's on-demand rates for one architecture: per GB-s (the first tier) and per
    /// million requests.
    pub fn lambda(
        mut self,
        arch: LambdaArch,
        per_gb_second: f64,
        per_million_requests: f64,
    ) -> Self {
        let rates = self.arch(arch);
        rates.per_gb_second = per_gb_second;
        rates.per_million_requests = per_million_requests;
        self
    }

    /// Adds a monthly GB-s tier for one architecture, in increasing order, the last one
    /// unbounded (`up_to_gb_seconds: None`).
    pub fn lambda_tier(
        mut self,
        arch: LambdaArch,
        up_to_gb_seconds: Option<u64>,
        per_gb_second: f64,
    ) -> Self {
        self.arch(arch).tiers.push(GbSecondTier {
            up_to_gb_seconds,
            per_gb_second,
        });
        self
    }

    /// Lambda's provisioned-concurrency rates for one architecture: per GB-s configured and per
    /// GB-s of duration on it.
    pub fn lambda_provisioned(mut self, arch: LambdaArch, configured: f64, duration: f64) -> Self {
        self.arch(arch).provisioned_concurrency = Some(ProvisionedConcurrencyPrices {
            per_gb_second_configured: configured,
            per_gb_second_duration: duration,
        });
        self
    }

    /// Lambda's price per GB-s of ephemeral storage above the free 512 MB.
    pub fn lambda_ephemeral_storage(mut self, per_gb_second: f64) -> Self {
        self.table.aws_lambda.ephemeral_storage_per_gb_second = per_gb_second;
        self
    }

    /// Lambda's response-streaming price per GB beyond the free 6 MB of each request, and the
    /// GB free per month.
    pub fn lambda_streaming(mut self, per_gb: f64, free_gb_per_month: u64) -> Self {
        self.table.aws_lambda.response_streaming_per_gb = per_gb;
        if let Some(free) = &mut self.table.aws_lambda.free_tier {
            free.streaming_gb = free_gb_per_month;
        } else {
            self.table.aws_lambda.free_tier = Some(LambdaFreeTier {
                requests: 0,
                gb_seconds: 0,
                streaming_gb: free_gb_per_month,
            });
        }
        self
    }

    /// Lambda's monthly free tier.
    pub fn lambda_free_tier(mut self, requests: u64, gb_seconds: u64) -> Self {
        self.table.aws_lambda.free_tier = Some(LambdaFreeTier {
            requests,
            gb_seconds,
            streaming_gb: 0,
        });
        self
    }

    /// Cloud Run's request-based rates.
    pub fn cloud_run(
        mut self,
        per_vcpu_second: f64,
        per_gib_second: f64,
        per_million_requests: f64,
    ) -> Self {
        let rates = &mut self.table.cloud_run.request_based;
        rates.per_vcpu_second = per_vcpu_second;
        rates.per_gib_second = per_gib_second;
        rates.per_million_requests = per_million_requests;
        self
    }

    /// Cloud Run's instance-based rates (idle min instances are priced at them).
    pub fn cloud_run_instance_based(mut self, per_vcpu_second: f64, per_gib_second: f64) -> Self {
        let rates = &mut self.table.cloud_run.instance_based;
        rates.per_vcpu_second = per_vcpu_second;
        rates.per_gib_second = per_gib_second;
        self
    }

    /// Cloud Run's monthly free tier (request-based).
    pub fn cloud_run_free_tier(
        mut self,
        vcpu_seconds: u64,
        gib_seconds: u64,
        requests: u64,
    ) -> Self {
        self.table.cloud_run.request_based.free_tier = Some(CloudRunFreeTier {
            vcpu_seconds,
            gib_seconds,
            requests,
        });
        self
    }

    /// Azure Functions Consumption's rates.
    pub fn azure_consumption(mut self, per_gb_second: f64, per_million_executions: f64) -> Self {
        let rates = &mut self.table.azure_consumption;
        rates.per_gb_second = per_gb_second;
        rates.per_million_executions = per_million_executions;
        self
    }

    /// Azure Consumption's monthly free grant.
    pub fn azure_free_tier(mut self, gb_seconds: u64, executions: u64) -> Self {
        self.table.azure_consumption.free_tier = Some(AzureFreeTier {
            gb_seconds,
            executions,
        });
        self
    }

    /// The table, checked.
    ///
    /// # Errors
    /// [`PriceError::Invalid`] for a negative or non-finite price, or tiers out of order.
    pub fn build(self) -> Result<PriceTable, PriceError> {
        self.table.validate()?;
        Ok(self.table)
    }
}
