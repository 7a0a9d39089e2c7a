//! The report of a run: per-function aggregates, scaling, and cost on every provider, as a table
//! for people and JSON for programs.
//!
//! # JSON schema
//!
//! `serde_json::to_value(&report)` gives an object with these keys (durations in milliseconds
//! unless named otherwise, money in `currency`):
//!
//! * `app` (string), `profile` (`"aws" | "gcp" | "azure" | "custom"`), `price_version` (string);
//! * `functions`: array of `{ function, invocations, errors, timeouts, throttles, cold_starts,
//!   p50_ms, p95_ms, p99_ms, init_ms, queued_ms }`;
//! * `scaling`: array of `{ function, cold_starts, min_instance_starts, prewarms,
//!   abandoned_starts, reuses, reaps, queued, throttled }`;
//! * `costs`: array, one per provider, of `{ provider: "aws_lambda" | "cloud_run" |
//!   "azure_consumption", label, currency, price_version, functions: [{ function, quantities,
//!   charges, total }], quantities, charges, free_tier_credit, total }` where `quantities` is
//!   `{ requests, billed_ms, gb_seconds, vcpu_seconds, provisioned_execution_gb_seconds,
//!   provisioned_gb_seconds, provisioned_vcpu_seconds }` (GiB-s on Cloud Run) and `charges` is
//!   `{ compute, requests, provisioned }`; a function with min instances is listed even if it
//!   served nothing;
//! * since issue 13: `quantities` also has `ephemeral_gb_seconds`, `streamed_bytes`,
//!   `arm64_gb_seconds`, `arm64_provisioned_execution_gb_seconds` and
//!   `arm64_provisioned_gb_seconds`; `charges` also has `storage` and `streaming`; each cost
//!   has `free_tier_lines` (the credit per line, same keys as `charges`). All default to 0 in
//!   older documents. [`ProviderCost::invoice`] rounds each line to the cent;
//! * `run` (optional, written by `serve`): `{ id, started_at, ended_at }`, RFC 3339 times;
//! * `trace`: the scaling events kept (the most recent
//!   [`DEFAULT_RING`](crate::meter::DEFAULT_RING) unless every one was kept), an array of
//!   `{ at_ms, function, instance, kind, cause? }` with `kind` one
//!   of `started` (with `cause`: `demand | min_instances | prewarm`), `reused`, `reaped` (with
//!   `cause`: `keep_alive | unloaded | recycled | init_failed`), `queued`, `throttled`.
//!
//! ## Schema change: kept-warm capacity (min instances)
//!
//! Added with the billing of min instances; older documents without these keys still read
//! (they default to 0):
//!
//! * `quantities.provisioned_gb_seconds`: memory-time of the capacity kept warm. Lambda: the
//!   provisioned concurrency configured (memory × min instances × the run's wall time); Cloud
//!   Run: the idle time of the min instances, in GiB-s; Azure Consumption: always 0 (the plan has
//!   no min instances).
//! * `quantities.provisioned_vcpu_seconds`: vCPU-time of Cloud Run's idle min instances.
//! * `quantities.provisioned_execution_gb_seconds`: the part of `gb_seconds` that ran on
//!   Lambda provisioned instances, priced at the provisioned duration rate (in `compute`).
//! * `charges.provisioned`: the price of the kept-warm capacity. `total` (per function and per
//!   provider) now includes it: `compute + requests + provisioned − free_tier_credit`; the free
//!   tier never covers it.
//!
//! The billing rules behind these are documented in [`crate::meter::billing`].

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::meter::{FunctionStats, ProviderCost};
use crate::profile::ProfileKind;
use crate::trace::{ScalingEvent, ScalingSummary};

/// What a run measured and what it would cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Report {
    /// The app's name.
    pub app: String,
    /// The profile the run used.
    pub profile: ProfileKind,
    /// The price table's version.
    pub price_version: String,
    /// Aggregates per function.
    pub functions: Vec<FunctionStats>,
    /// Scaling events per function.
    pub scaling: Vec<ScalingSummary>,
    /// The cost on each provider.
    pub costs: Vec<ProviderCost>,
    /// The scaling events kept (the most recent ones unless every one was kept).
    pub trace: Vec<ScalingEvent>,
    /// Which run this is and when it ran (set by `serve`; absent in older reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunInfo>,
}

/// The identity of one run, so that a report left by an older run is recognised as such.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunInfo {
    /// A fresh identifier per run.
    pub id: String,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When the report was written.
    pub ended_at: DateTime<Utc>,
}

impl RunInfo {
    /// A run with this identifier and these times.
    pub fn new(id: impl Into<String>, started_at: DateTime<Utc>, ended_at: DateTime<Utc>) -> Self {
        Self {
            id: id.into(),
            started_at,
            ended_at,
        }
    }
}

impl Report {
    /// The cost on one provider, if the report priced it.
    pub fn cost(&self, provider: crate::meter::BillingProvider) -> Option<&ProviderCost> {
        self.costs.iter().find(|c| c.provider == provider)
    }

    /// The run as a [`Workload`](crate::meter::Workload) spread over `period`: its billed
    /// requests, their mean billed duration and memory on Lambda (`None` when nothing ran).
    pub fn workload(&self, period: std::time::Duration) -> Option<crate::meter::Workload> {
        let q = &self
            .cost(crate::meter::BillingProvider::AwsLambda)?
            .quantities;
        if q.requests == 0 || q.billed_ms == 0 {
            return None;
        }
        let mean = std::time::Duration::from_secs_f64(q.billed_ms as f64 / q.requests as f64 / 1e3);
        let memory_mb = (q.gb_seconds * 1024.0 * 1000.0 / q.billed_ms as f64).round();
        let memory_mb = if memory_mb.is_finite() {
            memory_mb.clamp(1.0, f64::from(u32::MAX)) as u32
        } else {
            128
        };
        Some(crate::meter::Workload::new(q.requests, mean, memory_mb).over(period))
    }

    /// "Is serverless a fit?" for this run's workload spread over `period` (the run's wall
    /// time, or a month to project it): capacity kept running and the break-even rates
    /// ([`Pricing::break_even`](crate::meter::Pricing::break_even)).
    pub fn break_even(
        &self,
        pricing: &crate::meter::Pricing,
        period: std::time::Duration,
        question: &crate::meter::FitQuestion,
    ) -> Vec<crate::meter::BreakEven> {
        self.workload(period)
            .map(|w| pricing.break_even(&w, question))
            .unwrap_or_default()
    }

    /// How many instances of `function` were alive or starting `at` after the run started,
    /// from the scaling trace the report kept ([`crate::trace::instances_at`]).
    pub fn instances_at(&self, function: &str, at: std::time::Duration) -> u64 {
        crate::trace::instances_at(&self.trace, Some(function), at)
    }

    /// The report as aligned text tables: invocations, scaling, cost by provider and the billed
    /// quantities behind each figure.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "app `{}` under the {} profile", self.app, self.profile);
        let mut rows = vec![row([
            "function",
            "calls",
            "errors",
            "timeouts",
            "throttled",
            "cold",
            "p50 ms",
            "p95 ms",
            "p99 ms",
        ])];
        for f in &self.functions {
            rows.push(vec![
                f.function.clone(),
                f.invocations.to_string(),
                f.errors.to_string(),
                f.timeouts.to_string(),
                f.throttles.to_string(),
                f.cold_starts.to_string(),
                format!("{:.1}", f.p50_ms),
                format!("{:.1}", f.p95_ms),
                format!("{:.1}", f.p99_ms),
            ]);
        }
        push_table(&mut out, "Invocations", &rows);

        let mut rows = vec![row([
            "function",
            "cold starts",
            "min starts",
            "prewarms",
            "reuses",
            "reaps",
            "queued",
            "throttled",
        ])];
        for s in &self.scaling {
            rows.push(vec![
                s.function.clone(),
                s.cold_starts.to_string(),
                s.min_instance_starts.to_string(),
                s.prewarms.to_string(),
                s.reuses.to_string(),
                s.reaps.to_string(),
                s.queued.to_string(),
                s.throttled.to_string(),
            ]);
        }
        push_table(&mut out, "Scaling", &rows);

        let currency = self.costs.first().map_or("USD", |c| c.currency.as_str());
        let mut header = vec!["function".to_owned()];
        header.extend(self.costs.iter().map(|c| c.label.clone()));
        let mut rows = vec![header];
        // Every provider prices the same functions (those with invocations or min instances).
        let names = self
            .costs
            .first()
            .map_or(&[][..], |c| c.functions.as_slice());
        for name in names.iter().map(|f| f.function.as_str()) {
            let mut r = vec![name.to_owned()];
            r.extend(self.costs.iter().map(|c| {
                c.functions
                    .iter()
                    .find(|fc| fc.function == name)
                    .map_or_else(String::new, |fc| money(fc.total))
            }));
            rows.push(r);
        }
        let mut total = vec!["total".to_owned()];
        total.extend(self.costs.iter().map(|c| money(c.total)));
        rows.push(total);
        let provisioned = self.costs.iter().any(|c| c.quantities.has_provisioned());
        if provisioned {
            let mut r = vec!["  of which provisioned".to_owned()];
            r.extend(self.costs.iter().map(|c| money(c.charges.provisioned)));
            rows.push(r);
        }
        for (label, line) in [
            (
                "  of which ephemeral storage",
                (|c: &ProviderCost| c.charges.storage) as fn(&ProviderCost) -> f64,
            ),
            ("  of which response streaming", |c: &ProviderCost| {
                c.charges.streaming
            }),
        ] {
            if self.costs.iter().any(|c| line(c) != 0.0) {
                let mut r = vec![label.to_owned()];
                r.extend(self.costs.iter().map(|c| money(line(c))));
                rows.push(r);
            }
        }
        let mut invoice = vec!["invoice (lines to the cent)".to_owned()];
        invoice.extend(
            self.costs
                .iter()
                .map(|c| format!("{:.2}", c.invoice().total)),
        );
        rows.push(invoice);
        let title = format!(
            "Cost by provider ({currency}, prices {})",
            self.price_version
        );
        push_table(&mut out, &title, &rows);

        let mut rows = vec![row([
            "provider",
            "requests",
            "billed ms",
            "GB-s",
            "vCPU-s",
            "compute",
            "requests $",
            "provisioned $",
            "free tier",
            "total",
        ])];
        for c in &self.costs {
            let q = &c.quantities;
            rows.push(vec![
                c.label.clone(),
                q.requests.to_string(),
                q.billed_ms.to_string(),
                format!("{:.3}", q.gb_seconds),
                format!("{:.3}", q.vcpu_seconds),
                money(c.charges.compute),
                money(c.charges.requests),
                money(c.charges.provisioned),
                money(-c.free_tier_credit),
                money(c.total),
            ]);
            if q.provisioned_execution_gb_seconds > 0.0 {
                rows.push(vec![
                    "  of which on provisioned instances".to_owned(),
                    String::new(),
                    String::new(),
                    format!("{:.3}", q.provisioned_execution_gb_seconds),
                ]);
            }
            if provisioned {
                rows.push(vec![
                    "  provisioned (kept warm)".to_owned(),
                    String::new(),
                    String::new(),
                    format!("{:.3}", q.provisioned_gb_seconds),
                    format!("{:.3}", q.provisioned_vcpu_seconds),
                    String::new(),
                    String::new(),
                    money(c.charges.provisioned),
                ]);
            }
        }
        push_table(&mut out, "Billed quantities", &rows);
        if provisioned {
            let _ = writeln!(
                out,
                "\nMin instances are billed as provisioned concurrency on AWS Lambda (configured \
                 GB-s while the run lasted, and the invocations they served at the provisioned \
                 duration rate) and as idle min instances on Google Cloud Run (instance-based \
                 rates); Azure Functions Consumption has no min instances, so they cost nothing \
                 there."
            );
            for c in &self.costs {
                if c.quantities.provisioned_gb_seconds > 0.0 && c.charges.provisioned == 0.0 {
                    let _ = writeln!(
                        out,
                        "{}: the price table has no price for this capacity; it is not charged.",
                        c.label
                    );
                }
            }
        }
        out
    }
}

fn row<const N: usize>(cells: [&str; N]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

pub(crate) fn money(amount: f64) -> String {
    // `+ 0.0` turns a negated zero (no free-tier credit) into a plain zero.
    format!("{:.6}", amount + 0.0)
}

/// Writes a titled table, first column left-aligned, the others right-aligned.
pub(crate) fn push_table(out: &mut String, title: &str, rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let _ = writeln!(out, "\n{title}");
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            let w = widths.get(c).copied().unwrap_or(0);
            if c == 0 {
                let _ = write!(line, "{cell:<w$}");
            } else {
                let _ = write!(line, "  {cell:>w$}");
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}
