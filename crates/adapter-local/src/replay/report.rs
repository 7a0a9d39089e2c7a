//! The replay report: per profile × keep-alive policy, cold starts, idle instance time,
//! throttles and cost on every provider, as a table for people and JSON for programs.
//!
//! # JSON schema
//!
//! `serde_json::to_value(&report)` gives `{ trace: { functions, invocations, span_ms },
//! price_version, currency, runs: [...] }`, each run being `{ profile, keep_alive, invocations,
//! cold_starts, cold_start_rate, cold_start_p75, prewarms, throttles, errors, instances, instance_seconds,
//! idle_instance_seconds, idle_gb_seconds, simulated_seconds, costs: [{ provider, label, total }] }` with
//! `profile` one of `aws | gcp | azure | custom`, `keep_alive` a label (`fixed 10 min`,
//! `hybrid`, …), `cold_start_rate` in `0..=1` and `provider` one of `aws_lambda | cloud_run |
//! azure_consumption`.

use serde::{Deserialize, Serialize};

use super::trace::TraceSummary;
use crate::meter::BillingProvider;
use crate::profile::ProfileKind;
use crate::report::{money, push_table};

/// What replaying a trace measured, one [`ReplayRun`] per profile × keep-alive policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReplayReport {
    /// The trace's size.
    pub trace: TraceSummary,
    /// The price table's version.
    pub price_version: String,
    /// The currency of every cost.
    pub currency: String,
    /// One entry per replay, in the order they ran.
    pub runs: Vec<ReplayRun>,
}

/// One replay of the trace under one profile and keep-alive policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReplayRun {
    /// The profile.
    pub profile: ProfileKind,
    /// The keep-alive policy (`fixed 10 min`, `hybrid`, `custom`).
    pub keep_alive: String,
    /// Invocations replayed, throttled ones included.
    pub invocations: u64,
    /// Invocations that started an instance.
    pub cold_starts: u64,
    /// Cold starts over invocations (0 for no invocations).
    pub cold_start_rate: f64,
    /// The 75th percentile over functions (nearest rank, functions with invocations) of each
    /// function's cold-start rate, in `0..=1`: the figure Shahrad et al. compare keep-alive
    /// policies by, since a few busy functions dominate the overall rate.
    #[serde(default)]
    pub cold_start_p75: f64,
    /// Instances loaded ahead of traffic by the keep-alive policy.
    pub prewarms: u64,
    /// Invocations refused by a limit.
    pub throttles: u64,
    /// Invocations that failed otherwise (none expected: the handlers only sleep).
    pub errors: u64,
    /// Instances started, for any cause.
    pub instances: u64,
    /// Instance-seconds alive (started to reaped).
    pub instance_seconds: f64,
    /// Instance-seconds alive without work (see [`replay`](crate::replay) for the definition).
    pub idle_instance_seconds: f64,
    /// The idle instance time weighted by each instance's memory, in GB-seconds: the memory
    /// the keep-alive policy held without work (the "wasted memory time" of Shahrad et al.).
    #[serde(default)]
    pub idle_gb_seconds: f64,
    /// Virtual time the replay took, drain included, in seconds.
    pub simulated_seconds: f64,
    /// What the run would cost on each provider.
    pub costs: Vec<RunCost>,
}

impl ReplayRun {
    /// The run's cost on `provider`, if priced.
    pub fn cost(&self, provider: BillingProvider) -> Option<f64> {
        self.costs
            .iter()
            .find(|c| c.provider == provider)
            .map(|c| c.total)
    }
}

/// The total cost of a run on one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunCost {
    /// The provider.
    pub provider: BillingProvider,
    /// A name for people.
    pub label: String,
    /// Charges minus any free-tier credit.
    pub total: f64,
}

impl ReplayReport {
    /// The run under `profile` with the keep-alive policy labelled `keep_alive`.
    pub fn run(&self, profile: ProfileKind, keep_alive: &str) -> Option<&ReplayRun> {
        self.runs
            .iter()
            .find(|r| r.profile == profile && r.keep_alive == keep_alive)
    }

    /// The report as an aligned text table, one row per run.
    pub fn to_table(&self) -> String {
        let mut out = format!(
            "trace: {} functions, {} invocations over {:.1} min\n",
            self.trace.functions,
            self.trace.invocations,
            self.trace.span_ms / 60_000.0
        );
        let mut header: Vec<String> = [
            "profile",
            "keep-alive",
            "calls",
            "cold",
            "cold %",
            "p75 fn cold %",
            "prewarms",
            "throttled",
            "instances",
            "idle inst-s",
            "idle GB-s",
        ]
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
        let labels: Vec<String> = self
            .runs
            .first()
            .map(|r| r.costs.iter().map(|c| c.label.clone()).collect())
            .unwrap_or_default();
        header.extend(labels.iter().cloned());
        let mut rows = vec![header];
        for r in &self.runs {
            let mut row = vec![
                r.profile.to_string(),
                r.keep_alive.clone(),
                r.invocations.to_string(),
                r.cold_starts.to_string(),
                format!("{:.1}", r.cold_start_rate * 100.0),
                format!("{:.1}", r.cold_start_p75 * 100.0),
                r.prewarms.to_string(),
                r.throttles.to_string(),
                r.instances.to_string(),
                format!("{:.1}", r.idle_instance_seconds),
                format!("{:.1}", r.idle_gb_seconds),
            ];
            row.extend(r.costs.iter().map(|c| money(c.total)));
            rows.push(row);
        }
        let title = format!(
            "Replay by profile and keep-alive policy (cost in {}, prices {})",
            self.currency, self.price_version
        );
        push_table(&mut out, &title, &rows);
        out
    }
}
