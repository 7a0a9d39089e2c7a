//! `cost --calls 3M --duration 120ms --memory 1536 [--provider aws|gcp|azure|azure-flex] [--arch
//! x86_64|arm64] [--concurrency N] [--cold-starts N --init 12ms] [--free-tier] [--period 730h]
//! [--peak-factor 3] [--cpu 5ms] [--min-instances 2] [--json]`: prices N identical invocations
//! without running them, under the meter's own rules ([`Pricing::estimate`]), in time that does
//! not grow with N, and the break-even rates against capacity kept running
//! ([`Pricing::break_even`]).

use std::io::Write;
use std::time::Duration;

use clap::{Args, ValueEnum};

use faasport_adapter_local::meter::{BreakEven, FitQuestion, Pricing, Workload};
use faasport_adapter_local::{
    BillingProvider, LambdaArch, PriceTable, PricingOptions, ProviderCost,
};
use faasport_core::{chain_message, Error};

/// The providers `cost` can keep to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CostProvider {
    /// AWS Lambda.
    Aws,
    /// Google Cloud Run (request-based).
    Gcp,
    /// Azure Functions Consumption.
    Azure,
    /// Azure Functions Flex Consumption.
    AzureFlex,
}

impl CostProvider {
    fn billing(self) -> BillingProvider {
        match self {
            CostProvider::Aws => BillingProvider::AwsLambda,
            CostProvider::Gcp => BillingProvider::CloudRun,
            CostProvider::Azure => BillingProvider::AzureConsumption,
            CostProvider::AzureFlex => BillingProvider::AzureFlex,
        }
    }
}

/// The Lambda architectures by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ArchName {
    /// x86_64.
    #[value(name = "x86_64", alias = "x86")]
    X86_64,
    /// arm64 (Graviton).
    #[value(alias = "arm")]
    Arm64,
}

/// What `cost` was asked to price.
#[derive(Debug, Clone, Args)]
pub struct CostArgs {
    /// How many invocations: a number with an optional `k`, `M` or `B` suffix (`3M`).
    #[arg(long, value_parser = parse_count)]
    pub calls: u64,
    /// How long each runs: a number with `us`, `ms`, `s` or `min` (`120ms`).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Duration,
    /// The function's memory, in MB.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u32).range(1..))]
    pub memory: u32,
    /// Price on this provider only (every provider otherwise).
    #[arg(long, value_enum)]
    pub provider: Option<CostProvider>,
    /// The Lambda architecture.
    #[arg(long, value_enum, default_value_t = ArchName::X86_64)]
    pub arch: ArchName,
    /// Invocations running at once on one instance (Cloud Run bills their overlap once).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: u32,
    /// How many of the calls are cold starts.
    #[arg(long, default_value_t = 0, value_parser = parse_count)]
    pub cold_starts: u64,
    /// The initialiser's duration on a cold start.
    #[arg(long, default_value = "0ms", value_parser = parse_duration)]
    pub init: Duration,
    /// Deduct each provider's monthly free tier.
    #[arg(long)]
    pub free_tier: bool,
    /// The time the calls are spread over, for the average rate of the break-even analysis.
    #[arg(long, default_value = "730h", value_parser = parse_duration)]
    pub period: Duration,
    /// Peak rate over the average rate, for sizing capacity kept running.
    #[arg(long, default_value_t = 1.0)]
    pub peak_factor: f64,
    /// CPU time per request (its whole duration unless told), for sizing capacity.
    #[arg(long, value_parser = parse_duration)]
    pub cpu: Option<Duration>,
    /// Instances of capacity kept at least (2 for two availability zones).
    #[arg(long, default_value_t = 1)]
    pub min_instances: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `3M`, `1.5k`, `2B`, `300000000`, `300_000_000`.
pub fn parse_count(text: &str) -> Result<u64, String> {
    let clean: String = text
        .trim()
        .chars()
        .filter(|c| *c != '_' && *c != ',')
        .collect();
    let (number, scale) = match clean.char_indices().last() {
        Some((i, 'k' | 'K')) => (&clean[..i], 1e3),
        Some((i, 'm' | 'M')) => (&clean[..i], 1e6),
        Some((i, 'b' | 'B' | 'g' | 'G')) => (&clean[..i], 1e9),
        _ => (clean.as_str(), 1.0),
    };
    if scale == 1.0 {
        if let Ok(n) = number.parse::<u64>() {
            return Ok(n);
        }
    }
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a count (try 3M, 1.5k or 300000)"))?;
    let n = (value * scale).round();
    if !n.is_finite() || n < 0.0 || n > u64::MAX as f64 {
        return Err(format!("`{text}` is out of range"));
    }
    Ok(n as u64)
}

/// `120ms`, `1.5s`, `250us`, `2min`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (try 120ms or 1.5s)"))?;
    let seconds = match unit.trim() {
        "us" | "µs" => value / 1e6,
        "ms" => value / 1e3,
        "s" => value,
        "min" | "m" => value * 60.0,
        "h" => value * 3600.0,
        "" => return Err(format!("`{text}` needs a unit: us, ms, s, min or h")),
        other => {
            return Err(format!(
                "`{other}` is not a unit of time (us, ms, s, min, h)"
            ))
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is out of range"))
}

impl CostArgs {
    /// The workload described.
    pub fn workload(&self) -> Workload {
        Workload::new(self.calls, self.duration, self.memory)
            .concurrency(self.concurrency)
            .cold_starts(self.cold_starts, self.init)
            .over(self.period)
    }

    /// The break-even question asked.
    pub fn question(&self) -> FitQuestion {
        let question = FitQuestion::default()
            .peak_factor(self.peak_factor)
            .min_instances(self.min_instances);
        match self.cpu {
            Some(cpu) => question.cpu_per_request(cpu),
            None => question,
        }
    }

    /// The pricing options asked for.
    pub fn options(&self) -> PricingOptions {
        let arch = match self.arch {
            ArchName::X86_64 => LambdaArch::X86_64,
            ArchName::Arm64 => LambdaArch::Arm64,
        };
        PricingOptions::default()
            .lambda_arch(arch)
            .free_tier(self.free_tier)
    }
}

/// Prices the workload and writes the answer.
///
/// # Errors
/// Only writing to `out` can fail (the bundled price table is checked by a test).
pub fn run(args: &CostArgs, out: &mut dyn Write) -> Result<(), Error> {
    let table = PriceTable::bundled().map_err(|e| Error::Local {
        reason: chain_message(&e),
    })?;
    let pricing = Pricing::new(table, args.options());
    let costs: Vec<ProviderCost> = pricing
        .estimate(&args.workload())
        .into_iter()
        .filter(|c| args.provider.is_none_or(|p| p.billing() == c.provider))
        .collect();
    let fits = pricing.break_even(&args.workload(), &args.question());
    if args.json {
        let json = serde_json::json!({
            "workload": args.workload(),
            "price_version": pricing.table.version,
            "costs": costs,
            "break_even": fits,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} calls of {:?} at {} MB, {} at once per instance (prices {})",
        args.calls, args.duration, args.memory, args.concurrency, pricing.table.version
    )?;
    for c in &costs {
        writeln!(
            out,
            "{:<40} {:>14} {}  (compute {:.6}, requests {:.6}, free tier -{:.6})",
            c.label,
            format!("{:.2}", c.total),
            c.currency,
            c.charges.compute,
            c.charges.requests,
            c.free_tier_credit
        )?;
    }
    let workload = args.workload();
    writeln!(
        out,
        "\nIs serverless a fit? {:.3} req/s on average over {:?}, peak x{}: capacity kept running, \
         sized for the peak at 70 % utilisation",
        workload.average_rps(),
        args.period,
        args.peak_factor
    )?;
    let providers: Vec<BillingProvider> = costs.iter().map(|c| c.provider).collect();
    write_break_even(out, &fits, &providers)
}

/// Writes the break-even table: each capacity option, its instances, monthly cost, idle share
/// and the rate above which it beats each of `providers`.
///
/// # Errors
/// Only writing to `out` can fail.
pub fn write_break_even(
    out: &mut dyn Write,
    fits: &[BreakEven],
    providers: &[BillingProvider],
) -> Result<(), Error> {
    writeln!(
        out,
        "{:<52} {:>9} {:>12} {:>7}  break-even req/s (serverless cheaper below)",
        "capacity", "instances", "USD/month", "idle"
    )?;
    for fit in fits {
        let versus: Vec<String> = fit
            .versus
            .iter()
            .filter(|v| providers.contains(&v.provider))
            .map(|v| {
                let label = match v.provider {
                    BillingProvider::AwsLambda => "lambda",
                    BillingProvider::CloudRun => "cloud run",
                    BillingProvider::AzureConsumption => "azure",
                    BillingProvider::AzureFlex => "flex",
                    _ => "other",
                };
                match v.break_even_rps {
                    Some(rps) => format!("{label} {rps:.2}"),
                    None => format!("{label} never"),
                }
            })
            .collect();
        writeln!(
            out,
            "{:<52} {:>9} {:>12.2} {:>6.0}%  {}",
            fit.option.name,
            fit.instances,
            fit.monthly,
            fit.idle_share * 100.0,
            versus.join(", ")
        )?;
    }
    writeln!(
        out,
        "not included: load balancers, NAT, data transfer, storage, operations, discounts"
    )?;
    Ok(())
}
