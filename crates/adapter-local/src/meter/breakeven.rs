//! "Is serverless a fit?": the same workload on capacity kept running, and the request rate at
//! which each serverless option stops being cheaper (the pricing and scaling notes §12).
//!
//! For a [`Workload`] of `calls` over its `period`, average rate `λ̄ = calls / period` and
//! peak `λ_p = λ̄ × peak_factor`:
//!
//! * each serverless provider's cost per request `c` is its [`Pricing::estimate`] total over
//!   the calls (no free tier);
//! * a capacity option costs `P` per instance-hour and `p` per request (zero for a plain
//!   instance; Lambda provisioned concurrency still pays duration and requests), holds
//!   `C` requests at once on `v` vCPUs, so one instance serves `K = u_t × min(C / d, v / t_cpu)`
//!   requests per second (§12.2 step 3, `u_t` the target utilisation, 0.7 by default, `t_cpu` the
//!   CPU time of a request, its duration unless told);
//! * `N = max(N_min, ceil(λ_p / K))` instances are needed for the peak;
//! * the break-even average rate is `λ̄* = N × P / (3,600 × (c − p))` requests per second: below
//!   it the serverless option is cheaper; when `c ≤ p` it always is (§12.2 step 4);
//! * the idle share is the part of the capacity's full throughput `N × K / u_t` the average
//!   load leaves unused.
//!
//! Capacity options: the table's `always_on` list (Fargate, EC2, App Service, Azure Premium,
//! (3P) §12.1), and three derived from the serverless tables at the workload's memory: Lambda
//! provisioned concurrency (one environment per concurrent request), Cloud Run with
//! instance-based billing (1 vCPU, 80 requests at once), and Azure Flex always-ready instances
//! (baseline plus the always-ready execution rate, 16 requests at once on 2,048 MB, §2.3 (3P)).
//! Not included, as §12.4 asks to say: load balancers, NAT, data transfer, storage, operations
//! labour, Savings Plans and committed-use discounts.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::billing::BillingProvider;
use super::estimate::{Pricing, Workload};

/// Hours in the month the report and `cost` speak of (730, as the providers' calculators).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// Capacity kept running, priced per instance-hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CapacityOption {
    /// A name for people.
    pub name: String,
    /// The price of one instance for an hour.
    pub per_hour: f64,
    /// What each request still costs on it (zero for a plain instance).
    pub per_request: f64,
    /// vCPUs per instance.
    pub vcpu: f64,
    /// Requests one instance holds at once.
    pub concurrency: u32,
}

/// What a break-even analysis assumes about the workload beyond its average.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FitQuestion {
    /// Peak rate over the average rate (1: flat load).
    pub peak_factor: f64,
    /// CPU time per request (`None`: its whole duration, a CPU-bound request).
    pub cpu_per_request: Option<Duration>,
    /// The share of an instance's throughput to plan for (0.7).
    pub target_utilisation: f64,
    /// Instances kept at least (2 for two availability zones).
    pub min_instances: u32,
}

impl Default for FitQuestion {
    fn default() -> Self {
        Self {
            peak_factor: 1.0,
            cpu_per_request: None,
            target_utilisation: 0.7,
            min_instances: 1,
        }
    }
}

impl FitQuestion {
    /// Sets the peak over average factor (at least 1).
    pub fn peak_factor(mut self, factor: f64) -> Self {
        self.peak_factor = if factor.is_finite() {
            factor.max(1.0)
        } else {
            1.0
        };
        self
    }

    /// Sets the CPU time per request.
    pub fn cpu_per_request(mut self, cpu: Duration) -> Self {
        self.cpu_per_request = Some(cpu);
        self
    }

    /// Sets the minimum instances.
    pub fn min_instances(mut self, n: u32) -> Self {
        self.min_instances = n.max(1);
        self
    }
}

/// One serverless option against one capacity option.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Versus {
    /// The serverless provider.
    pub provider: BillingProvider,
    /// Its cost per request for this workload.
    pub per_request: f64,
    /// Its cost over a month at the workload's average rate.
    pub monthly: f64,
    /// The average rate (requests per second) above which the capacity is cheaper; `None`
    /// when the serverless option is always cheaper.
    pub break_even_rps: Option<f64>,
}

/// The workload on one capacity option.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BreakEven {
    /// The capacity.
    pub option: CapacityOption,
    /// Instances needed for the peak.
    pub instances: u32,
    /// Requests per second one instance serves at the target utilisation.
    pub capacity_rps: f64,
    /// What the capacity costs over a month at the workload's average rate.
    pub monthly: f64,
    /// The share of the capacity's full throughput left unused at the average rate.
    pub idle_share: f64,
    /// Against each serverless option.
    pub versus: Vec<Versus>,
}

impl Workload {
    /// The average request rate over the workload's period, per second.
    pub fn average_rps(&self) -> f64 {
        let seconds = self.period.as_secs_f64();
        if seconds > 0.0 {
            self.calls as f64 / seconds
        } else {
            0.0
        }
    }
}

impl Pricing {
    /// The capacity options for `workload`: the table's always-on instances, and Lambda
    /// provisioned concurrency, Cloud Run instance-based and Azure Flex always-ready at the
    /// workload's memory.
    pub fn capacity_options(&self, workload: &Workload) -> Vec<CapacityOption> {
        let t = &self.table;
        let gb = f64::from(workload.memory_mb) / 1024.0;
        let seconds = workload.duration.as_secs_f64();
        let mut options: Vec<CapacityOption> = t
            .always_on
            .iter()
            .map(|a| CapacityOption {
                name: a.name.clone(),
                per_hour: a.per_hour,
                per_request: 0.0,
                vcpu: a.vcpu,
                concurrency: a.concurrency,
            })
            .collect();
        let lambda = match self.options.lambda_arch {
            super::LambdaArch::X86_64 => &t.aws_lambda.x86_64,
            super::LambdaArch::Arm64 => &t.aws_lambda.arm64,
        };
        if let Some(pc) = &lambda.provisioned_concurrency {
            options.push(CapacityOption {
                name: format!("Lambda provisioned concurrency ({} MB)", workload.memory_mb),
                per_hour: gb * 3_600.0 * pc.per_gb_second_configured,
                per_request: gb * seconds * pc.per_gb_second_duration
                    + lambda.per_million_requests / 1e6,
                // About 1 vCPU at 1,769 MB (§1.1).
                vcpu: f64::from(workload.memory_mb) / 1_769.0,
                concurrency: 1,
            });
        }
        let run = &t.cloud_run.instance_based;
        let vcpu = self
            .options
            .cloud_run_vcpu
            .unwrap_or(t.cloud_run.default_vcpu);
        options.push(CapacityOption {
            name: format!(
                "Cloud Run instance-based ({vcpu} vCPU, {} MiB)",
                workload.memory_mb
            ),
            per_hour: 3_600.0 * (vcpu * run.per_vcpu_second + gb * run.per_gib_second),
            per_request: run.per_million_requests / 1e6,
            vcpu,
            concurrency: 80,
        });
        if let Some(flex) = &t.azure_flex {
            if let Some(ready) = &flex.always_ready {
                let size =
                    super::AzureFlexRule::new(flex.clone()).instance_memory_mb(workload.memory_mb);
                let size_gb = f64::from(size) / 1024.0;
                options.push(CapacityOption {
                    name: format!("Azure Flex always-ready ({size} MB)"),
                    per_hour: size_gb * 3_600.0 * ready.per_gb_second_baseline,
                    // A busy instance shares its active time among 16 requests at once.
                    per_request: size_gb * seconds / 16.0 * ready.per_gb_second_execution
                        + flex.per_million_executions / 1e6,
                    vcpu: size_gb / 2.0,
                    concurrency: 16,
                });
            }
        }
        options
    }

    /// `workload` on every capacity option, against every serverless option (§12.2).
    pub fn break_even(&self, workload: &Workload, question: &FitQuestion) -> Vec<BreakEven> {
        let serverless: Vec<(BillingProvider, f64)> = {
            let plain = self.clone().options(self.options.free_tier(false));
            plain
                .estimate(workload)
                .iter()
                .map(|c| (c.provider, c.total / workload.calls.max(1) as f64))
                .collect()
        };
        let average = workload.average_rps();
        let peak = average * question.peak_factor.max(1.0);
        let d = workload.duration.as_secs_f64().max(1e-6);
        let cpu = question
            .cpu_per_request
            .map_or(d, |c| c.as_secs_f64())
            .max(1e-6);
        let u = question.target_utilisation.clamp(0.01, 1.0);
        let hourly_requests = average * 3_600.0;
        self.capacity_options(workload)
            .into_iter()
            .map(|option| {
                let full = (f64::from(option.concurrency.max(1)) / d).min(option.vcpu / cpu);
                let capacity = u * full;
                let needed = if capacity > 0.0 {
                    (peak / capacity).ceil()
                } else {
                    f64::INFINITY
                };
                let instances = needed
                    .max(f64::from(question.min_instances.max(1)))
                    .min(f64::from(u32::MAX)) as u32;
                let n = f64::from(instances);
                let monthly =
                    HOURS_PER_MONTH * (n * option.per_hour + hourly_requests * option.per_request);
                let idle_share = if full > 0.0 {
                    (1.0 - average / (n * full)).clamp(0.0, 1.0)
                } else {
                    1.0
                };
                let versus = serverless
                    .iter()
                    .map(|(provider, c)| Versus {
                        provider: *provider,
                        per_request: *c,
                        monthly: c * hourly_requests * HOURS_PER_MONTH,
                        break_even_rps: (*c > option.per_request)
                            .then(|| n * option.per_hour / (3_600.0 * (c - option.per_request))),
                    })
                    .collect();
                BreakEven {
                    option,
                    instances,
                    capacity_rps: capacity,
                    monthly,
                    idle_share,
                    versus,
                }
            })
            .collect()
    }
}
