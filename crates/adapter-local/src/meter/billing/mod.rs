//! Billing rules: what each provider would charge for the invocations of one run.
//!
//! A [`BillingRule`] turns records into [`BilledQuantities`] (requests, billed time, GB-s,
//! vCPU-s) following the provider's published metering, then prices them from the
//! [`PriceTable`](super::PriceTable). Rounding is exact integer arithmetic on milliseconds;
//! prices are applied in `f64`.
//!
//! Invocations that were throttled are not billed anywhere; every other outcome (errors,
//! timeouts, panics, failed initialisers) is.
//!
//! # Kept-warm capacity (min instances)
//!
//! A function's min instances are capacity kept warm for the whole run, and providers bill it
//! whether or not it serves anything ([`WarmCapacity`], [`BillingRule::quantities_with_capacity`]):
//!
//! * **AWS Lambda** bills it as *provisioned concurrency*: configured memory × instances × the
//!   time it was configured, each on/off window rounded up to five minutes
//!   ([`WarmCapacity::windows`]), at the provisioned per-GB-s rate, and the invocations those environments
//!   serve at the provisioned *duration* rate instead of the on-demand one (reference §1.1,
//!   (3P); see [`LambdaRule`] for the choices where the reference is silent);
//! * **Google Cloud Run** bills idle min instances (reference §1.2, (V)); their busy time is
//!   already billed request-based, the rest of their lifetime is billed at the instance-based
//!   rates (see [`CloudRunRule`]);
//! * **Azure Functions Consumption** has no min instances or always-ready capacity at all (the
//!   plan scales from zero; always-ready instances belong to the Flex and Premium plans, not
//!   modelled), so kept-warm instances cost nothing there.

mod azure;
mod cloud_run;
mod flex;
mod lambda;

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::record::{InvocationRecord, Outcome};

pub use azure::AzureConsumptionRule;
pub use cloud_run::CloudRunRule;
pub use flex::AzureFlexRule;
pub use lambda::LambdaRule;

/// A provider's billing model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BillingProvider {
    /// AWS Lambda on-demand: per request and per GB-s at 1 ms, INIT billed.
    AwsLambda,
    /// Google Cloud Run request-based billing, metered per instance busy time.
    CloudRun,
    /// Azure Functions Consumption plan: per execution, 100 ms and 128 MB minimum.
    AzureConsumption,
    /// Azure Functions Flex Consumption: per instance active time (1 s minimum, then 100 ms)
    /// × instance memory; always-ready instances at a baseline.
    AzureFlex,
}

/// The Lambda architecture to price: the same type as a function's
/// [`Function::arch`](faasport_core::Function::arch), so one name works in both places.
pub type LambdaArch = faasport_core::Arch;

/// Options for pricing a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PricingOptions {
    /// The Lambda architecture.
    pub lambda_arch: LambdaArch,
    /// Deduct each provider's monthly free tier from the run's totals (off by default).
    pub free_tier: bool,
    /// vCPUs per Cloud Run instance (`None`: the table's default, 1).
    pub cloud_run_vcpu: Option<f64>,
}

impl Default for PricingOptions {
    fn default() -> Self {
        Self {
            lambda_arch: LambdaArch::X86_64,
            free_tier: false,
            cloud_run_vcpu: None,
        }
    }
}

impl PricingOptions {
    /// Sets the Lambda architecture.
    pub fn lambda_arch(mut self, arch: LambdaArch) -> Self {
        self.lambda_arch = arch;
        self
    }

    /// Applies (or not) the monthly free tiers.
    pub fn free_tier(mut self, apply: bool) -> Self {
        self.free_tier = apply;
        self
    }

    /// Sets the vCPUs of a Cloud Run instance.
    pub fn cloud_run_vcpu(mut self, vcpu: f64) -> Self {
        self.cloud_run_vcpu = Some(vcpu);
        self
    }
}

/// What a provider meters, before prices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BilledQuantities {
    /// Billed requests (executions).
    pub requests: u64,
    /// Billed time in milliseconds (per invocation on Lambda and Azure, per instance busy
    /// interval on Cloud Run), after rounding and minimums.
    pub billed_ms: u64,
    /// Memory-time of the invocations: GB-s on Lambda and Azure (GB = 1,024 MB), GiB-s on
    /// Cloud Run. On Lambda it includes [`BilledQuantities::provisioned_execution_gb_seconds`].
    pub gb_seconds: f64,
    /// vCPU-seconds (Cloud Run only).
    pub vcpu_seconds: f64,
    /// Of `gb_seconds`, what ran on provisioned instances (Lambda provisioned concurrency),
    /// priced at the provisioned duration rate instead of the on-demand one.
    #[serde(default)]
    pub provisioned_execution_gb_seconds: f64,
    /// Memory-time of capacity kept warm (min instances): Lambda's configured provisioned
    /// concurrency, Cloud Run's idle min instances (GiB-s). Zero on Azure Consumption.
    #[serde(default)]
    pub provisioned_gb_seconds: f64,
    /// vCPU-time of capacity kept warm (Cloud Run's idle min instances).
    #[serde(default)]
    pub provisioned_vcpu_seconds: f64,
    /// Lambda: ephemeral storage above the free 512 MB, in GB-s (GB = 1,024 MB) over each
    /// invocation's billed duration.
    #[serde(default)]
    pub ephemeral_gb_seconds: f64,
    /// Lambda: response bytes streamed beyond the first 6 MB of each request.
    #[serde(default)]
    pub streamed_bytes: u64,
    /// Lambda: of `gb_seconds`, what ran on arm64 (functions that chose it, or every function
    /// when arm64 is the default architecture priced).
    #[serde(default)]
    pub arm64_gb_seconds: f64,
    /// Lambda: of `provisioned_execution_gb_seconds`, what ran on arm64.
    #[serde(default)]
    pub arm64_provisioned_execution_gb_seconds: f64,
    /// Lambda: of `provisioned_gb_seconds`, what was configured for arm64.
    #[serde(default)]
    pub arm64_provisioned_gb_seconds: f64,
}

impl BilledQuantities {
    /// Adds another set of quantities.
    pub fn add(&mut self, other: &BilledQuantities) {
        self.requests += other.requests;
        self.billed_ms += other.billed_ms;
        self.gb_seconds += other.gb_seconds;
        self.vcpu_seconds += other.vcpu_seconds;
        self.provisioned_execution_gb_seconds += other.provisioned_execution_gb_seconds;
        self.provisioned_gb_seconds += other.provisioned_gb_seconds;
        self.provisioned_vcpu_seconds += other.provisioned_vcpu_seconds;
        self.ephemeral_gb_seconds += other.ephemeral_gb_seconds;
        self.streamed_bytes = self.streamed_bytes.saturating_add(other.streamed_bytes);
        self.arm64_gb_seconds += other.arm64_gb_seconds;
        self.arm64_provisioned_execution_gb_seconds += other.arm64_provisioned_execution_gb_seconds;
        self.arm64_provisioned_gb_seconds += other.arm64_provisioned_gb_seconds;
    }

    /// The quantities of `n` repetitions of these (sums scale exactly; counts saturate).
    pub fn times(&self, n: u64) -> BilledQuantities {
        let f = n as f64;
        BilledQuantities {
            requests: self.requests.saturating_mul(n),
            billed_ms: self.billed_ms.saturating_mul(n),
            gb_seconds: self.gb_seconds * f,
            vcpu_seconds: self.vcpu_seconds * f,
            provisioned_execution_gb_seconds: self.provisioned_execution_gb_seconds * f,
            provisioned_gb_seconds: self.provisioned_gb_seconds * f,
            provisioned_vcpu_seconds: self.provisioned_vcpu_seconds * f,
            ephemeral_gb_seconds: self.ephemeral_gb_seconds * f,
            streamed_bytes: self.streamed_bytes.saturating_mul(n),
            arm64_gb_seconds: self.arm64_gb_seconds * f,
            arm64_provisioned_execution_gb_seconds: self.arm64_provisioned_execution_gb_seconds * f,
            arm64_provisioned_gb_seconds: self.arm64_provisioned_gb_seconds * f,
        }
    }

    /// The quantities scaled by `factor` (a month projected from a shorter run): every sum
    /// scales, counts are rounded to the nearest whole one.
    pub fn scaled(&self, factor: f64) -> BilledQuantities {
        let count = |n: u64| {
            let x = (n as f64 * factor).round();
            if x.is_finite() && x > 0.0 {
                x.min(u64::MAX as f64) as u64
            } else {
                0
            }
        };
        let factor = if factor.is_finite() {
            factor.max(0.0)
        } else {
            0.0
        };
        BilledQuantities {
            requests: count(self.requests),
            billed_ms: count(self.billed_ms),
            gb_seconds: self.gb_seconds * factor,
            vcpu_seconds: self.vcpu_seconds * factor,
            provisioned_execution_gb_seconds: self.provisioned_execution_gb_seconds * factor,
            provisioned_gb_seconds: self.provisioned_gb_seconds * factor,
            provisioned_vcpu_seconds: self.provisioned_vcpu_seconds * factor,
            ephemeral_gb_seconds: self.ephemeral_gb_seconds * factor,
            streamed_bytes: count(self.streamed_bytes),
            arm64_gb_seconds: self.arm64_gb_seconds * factor,
            arm64_provisioned_execution_gb_seconds: self.arm64_provisioned_execution_gb_seconds
                * factor,
            arm64_provisioned_gb_seconds: self.arm64_provisioned_gb_seconds * factor,
        }
    }

    /// Every quantity less `other`'s, never below zero (the extra of one set over another).
    pub fn minus_exactly(&self, other: &BilledQuantities) -> BilledQuantities {
        BilledQuantities {
            requests: self.requests.saturating_sub(other.requests),
            billed_ms: self.billed_ms.saturating_sub(other.billed_ms),
            gb_seconds: (self.gb_seconds - other.gb_seconds).max(0.0),
            vcpu_seconds: (self.vcpu_seconds - other.vcpu_seconds).max(0.0),
            provisioned_execution_gb_seconds: (self.provisioned_execution_gb_seconds
                - other.provisioned_execution_gb_seconds)
                .max(0.0),
            provisioned_gb_seconds: (self.provisioned_gb_seconds - other.provisioned_gb_seconds)
                .max(0.0),
            provisioned_vcpu_seconds: (self.provisioned_vcpu_seconds
                - other.provisioned_vcpu_seconds)
                .max(0.0),
            ephemeral_gb_seconds: (self.ephemeral_gb_seconds - other.ephemeral_gb_seconds).max(0.0),
            streamed_bytes: self.streamed_bytes.saturating_sub(other.streamed_bytes),
            arm64_gb_seconds: (self.arm64_gb_seconds - other.arm64_gb_seconds).max(0.0),
            arm64_provisioned_execution_gb_seconds: (self.arm64_provisioned_execution_gb_seconds
                - other.arm64_provisioned_execution_gb_seconds)
                .max(0.0),
            arm64_provisioned_gb_seconds: (self.arm64_provisioned_gb_seconds
                - other.arm64_provisioned_gb_seconds)
                .max(0.0),
        }
    }

    /// What is left after deducting a free allowance, line by line: requests, on-demand
    /// compute (GB-s, vCPU-s) and streamed bytes, each by its own allowance; never provisioned
    /// capacity or what ran on it. Lambda's allowance is shared by x86 and arm64: it is taken
    /// from the x86 GB-s first.
    pub fn minus(&self, free: &BilledQuantities) -> BilledQuantities {
        let provisioned = self.provisioned_execution_gb_seconds;
        let on_demand = (self.gb_seconds - provisioned).max(0.0);
        let arm_on_demand =
            (self.arm64_gb_seconds - self.arm64_provisioned_execution_gb_seconds).max(0.0);
        let x86_on_demand = (on_demand - arm_on_demand).max(0.0);
        let left_for_arm = (free.gb_seconds - x86_on_demand).max(0.0);
        let arm_left = (arm_on_demand - left_for_arm).max(0.0);
        BilledQuantities {
            requests: self.requests.saturating_sub(free.requests),
            gb_seconds: (on_demand - free.gb_seconds).max(0.0) + provisioned,
            vcpu_seconds: (self.vcpu_seconds - free.vcpu_seconds).max(0.0),
            streamed_bytes: self.streamed_bytes.saturating_sub(free.streamed_bytes),
            arm64_gb_seconds: arm_left + self.arm64_provisioned_execution_gb_seconds,
            ..*self
        }
    }

    /// The part of these quantities a free allowance can cover at most, line by line (the
    /// smaller of each).
    pub fn capped_by(&self, free: &BilledQuantities) -> BilledQuantities {
        BilledQuantities {
            requests: self.requests.min(free.requests),
            gb_seconds: self.gb_seconds.min(free.gb_seconds),
            vcpu_seconds: self.vcpu_seconds.min(free.vcpu_seconds),
            streamed_bytes: self.streamed_bytes.min(free.streamed_bytes),
            ..BilledQuantities::default()
        }
    }

    /// Whether anything was metered for kept-warm capacity.
    pub fn has_provisioned(&self) -> bool {
        self.provisioned_gb_seconds > 0.0
            || self.provisioned_vcpu_seconds > 0.0
            || self.provisioned_execution_gb_seconds > 0.0
    }
}

/// The price of some quantities, in the table's currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Charges {
    /// Compute: GB-s (and vCPU-s) charges of the invocations, on-demand and (Lambda) on
    /// provisioned instances at the provisioned duration rate.
    pub compute: f64,
    /// Per-request charges.
    pub requests: f64,
    /// Kept-warm capacity: Lambda provisioned concurrency while configured, Cloud Run idle min
    /// instances. Zero on Azure Consumption.
    #[serde(default)]
    pub provisioned: f64,
    /// Lambda: ephemeral storage above the free 512 MB.
    #[serde(default)]
    pub storage: f64,
    /// Lambda: response streaming beyond 6 MB per request.
    #[serde(default)]
    pub streaming: f64,
}

impl Charges {
    /// Every line: compute, requests, provisioned capacity, storage and streaming.
    pub fn total(&self) -> f64 {
        self.compute + self.requests + self.provisioned + self.storage + self.streaming
    }

    /// Each line of `self` less the same line of `other` (a credit line by line).
    pub fn minus(&self, other: &Charges) -> Charges {
        Charges {
            compute: self.compute - other.compute,
            requests: self.requests - other.requests,
            provisioned: self.provisioned - other.provisioned,
            storage: self.storage - other.storage,
            streaming: self.streaming - other.streaming,
        }
    }

    /// The lines with a name each, in invoice order.
    pub fn lines(&self) -> [(&'static str, f64); 5] {
        [
            ("compute", self.compute),
            ("requests", self.requests),
            ("provisioned", self.provisioned),
            ("storage", self.storage),
            ("streaming", self.streaming),
        ]
    }
}

/// The capacity one function kept warm during a run: its min instances (provisioned
/// concurrency on Lambda, min instances on Cloud Run).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WarmCapacity {
    /// Min instances configured.
    pub instances: u32,
    /// Memory of each (MB), the function's configured memory.
    pub memory_mb: u32,
    /// How long the capacity was configured: the run's wall time, from the runtime's start to
    /// the report (tokio's clock, so exact under the virtual clock).
    pub wall: Duration,
    /// The on/off windows of the capacity: the length of each period it was configured, from
    /// being enabled to being disabled. Empty means one window as long as `wall`. Lambda
    /// rounds each window up to five minutes ([`LambdaRule`]); Cloud Run bills them exactly.
    pub windows: Vec<Duration>,
    /// The instances started to keep the minimum (scaling trace cause `min_instances`):
    /// invocations that ran on them were served by provisioned capacity.
    pub instance_ids: BTreeSet<u64>,
    /// The function's architecture, if it chose one (Lambda prices arm64 capacity lower).
    pub arch: Option<LambdaArch>,
    /// Windows with an instance count of their own (capacity changed while the runtime ran,
    /// [`LocalRuntime::set_provisioned_concurrency`](crate::LocalRuntime::set_provisioned_concurrency)).
    /// When not empty, they replace `instances` × [`WarmCapacity::windows`].
    pub schedule: Vec<CapacityWindow>,
}

/// One period during which a fixed number of instances was kept warm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CapacityWindow {
    /// Instances configured during the window.
    pub instances: u32,
    /// How long, from the setting to the next change (or to the report).
    pub length: Duration,
}

impl CapacityWindow {
    /// `instances` kept for `length`.
    pub fn new(instances: u32, length: Duration) -> Self {
        Self { instances, length }
    }
}

impl WarmCapacity {
    /// `instances` of `memory_mb` each, kept for `wall`.
    pub fn new(instances: u32, memory_mb: u32, wall: Duration) -> Self {
        Self {
            instances,
            memory_mb,
            wall,
            windows: Vec::new(),
            instance_ids: BTreeSet::new(),
            arch: None,
            schedule: Vec::new(),
        }
    }

    /// `instances` of `memory_mb` each, configured during each of `windows` (enabled, then
    /// disabled: one entry per on/off period). `wall` is their sum.
    pub fn windows(
        instances: u32,
        memory_mb: u32,
        windows: impl IntoIterator<Item = Duration>,
    ) -> Self {
        let windows: Vec<Duration> = windows.into_iter().collect();
        Self {
            instances,
            memory_mb,
            wall: windows.iter().sum(),
            windows,
            instance_ids: BTreeSet::new(),
            arch: None,
            schedule: Vec::new(),
        }
    }

    /// A capacity that changed while the runtime ran: each window of `schedule` kept its own
    /// number of instances (a window of zero instances is a period switched off). `instances`
    /// is the largest count, `wall` the time any was kept.
    pub fn scheduled(memory_mb: u32, schedule: impl IntoIterator<Item = CapacityWindow>) -> Self {
        let schedule: Vec<CapacityWindow> = schedule
            .into_iter()
            .filter(|w| w.instances > 0 && !w.length.is_zero())
            .collect();
        Self {
            instances: schedule.iter().map(|w| w.instances).max().unwrap_or(0),
            memory_mb,
            wall: schedule.iter().map(|w| w.length).sum(),
            windows: Vec::new(),
            instance_ids: BTreeSet::new(),
            arch: None,
            schedule,
        }
    }

    /// The configured periods: [`WarmCapacity::windows`], or the whole `wall` when none were
    /// named.
    pub fn periods(&self) -> &[Duration] {
        if self.windows.is_empty() {
            std::slice::from_ref(&self.wall)
        } else {
            &self.windows
        }
    }

    /// Every configured period with its instances: the schedule, or `instances` during each
    /// of [`WarmCapacity::periods`].
    fn sized_periods(&self) -> impl Iterator<Item = (u32, Duration)> + '_ {
        let plain = self
            .schedule
            .is_empty()
            .then(|| self.periods().iter().map(|p| (self.instances, *p)));
        let scheduled = self.schedule.iter().map(|w| (w.instances, w.length));
        plain.into_iter().flatten().chain(scheduled)
    }

    /// Instance-seconds configured with each period rounded up to a multiple of `block` (Lambda
    /// bills provisioned concurrency "rounded up to the nearest five minutes"); a zero `block`
    /// rounds nothing.
    pub fn instance_seconds_in_blocks(&self, block: Duration) -> f64 {
        let block_ms = u64::try_from(block.as_millis()).unwrap_or(u64::MAX);
        self.sized_periods()
            .map(|(n, p)| f64::from(n) * round_up_ms(p, block_ms) as f64 / 1000.0)
            .sum()
    }

    /// Sets the architecture of the capacity.
    pub fn arch(mut self, arch: LambdaArch) -> Self {
        self.arch = Some(arch);
        self
    }

    /// Names the instances that make up the capacity.
    pub fn instance_ids(mut self, ids: impl IntoIterator<Item = u64>) -> Self {
        self.instance_ids.extend(ids);
        self
    }

    /// Whether `record` ran on one of these instances.
    pub fn served(&self, record: &InvocationRecord) -> bool {
        record
            .instance
            .is_some_and(|id| self.instance_ids.contains(&id))
    }

    /// Instance-seconds configured: instances × the configured periods, exact.
    pub fn instance_seconds(&self) -> f64 {
        self.sized_periods()
            .map(|(n, p)| f64::from(n) * p.as_secs_f64())
            .sum()
    }
}

/// One provider's billing: metering and prices.
pub trait BillingRule: Send + Sync + std::fmt::Debug {
    /// Which provider.
    fn provider(&self) -> BillingProvider;

    /// A name for people, such as `AWS Lambda (x86_64)`.
    fn label(&self) -> String;

    /// The billed time of one invocation as this provider would meter it alone (Cloud Run
    /// shares instance time between requests; see [`BillingRule::quantities`]).
    fn billed_duration(&self, record: &InvocationRecord) -> Duration;

    /// What the provider meters for the invocations of one function.
    fn quantities(&self, records: &[&InvocationRecord]) -> BilledQuantities;

    /// What the provider meters for one function that also kept `warm` capacity (min
    /// instances) during the run: the invocations, some of them served by that capacity, and
    /// the capacity itself, through [`BillingRule::apply_capacity`].
    fn quantities_with_capacity(
        &self,
        records: &[&InvocationRecord],
        warm: &WarmCapacity,
    ) -> BilledQuantities {
        let on_warm: Vec<&InvocationRecord> =
            records.iter().copied().filter(|r| warm.served(r)).collect();
        self.apply_capacity(self.quantities(records), &self.quantities(&on_warm), warm)
    }

    /// Adds the kept-warm capacity to `quantities` (of every invocation of the function), given
    /// `on_warm`, the quantities of the invocations its warm instances served. The default
    /// ignores it (no min instances on the plan).
    fn apply_capacity(
        &self,
        quantities: BilledQuantities,
        on_warm: &BilledQuantities,
        warm: &WarmCapacity,
    ) -> BilledQuantities {
        let _ = (on_warm, warm);
        quantities
    }

    /// The price of some quantities.
    fn charges(&self, quantities: &BilledQuantities) -> Charges;

    /// The monthly free allowance, if the table has one.
    fn free_tier(&self) -> Option<BilledQuantities>;

    /// Whether functions with capacity kept warm get no free tier at all (Lambda: none for
    /// functions with provisioned concurrency). False by default.
    fn free_tier_excludes_provisioned(&self) -> bool {
        false
    }

    /// Whether the provider bills instance time (busy intervals of an instance, shared by the
    /// invocations on it: Cloud Run, Azure Flex) rather than each invocation on its own. Such a
    /// rule prices a [`Workload`](crate::meter::Workload) from its
    /// [`Activity`](crate::meter::Activity) when it has one. False by default.
    fn bills_instance_time(&self) -> bool {
        false
    }

    /// What the provider meters for `records`, when the same instances' later records start at
    /// `next` (the streaming meter closing older records while newer ones stay open): a rule
    /// that extends a busy interval to a minimum period (Azure Flex) extends it no further than
    /// `next`, where the later records take over. The default ignores `next`.
    fn quantities_before(
        &self,
        records: &[&InvocationRecord],
        next: Option<Duration>,
    ) -> BilledQuantities {
        let _ = next;
        self.quantities(records)
    }
}

/// Whether the provider bills an invocation with this outcome.
pub fn is_billed(record: &InvocationRecord) -> bool {
    record.outcome != Outcome::Throttled
}

/// `d` in whole milliseconds, rounded up to a multiple of `step` (at least 1 ms).
///
/// On the metering hot path (the runtime bills every record as it finishes), so it stays in
/// `u64`: whole seconds × 1,000 plus the sub-second nanoseconds rounded up to a millisecond is
/// exactly the total rounded up (a 128-bit division of `as_nanos()` costs several times more).
/// Saturates at `u64::MAX`.
#[inline]
pub fn round_up_ms(d: Duration, step: u64) -> u64 {
    let ms = d
        .as_secs()
        .saturating_mul(1000)
        .saturating_add(u64::from(d.subsec_nanos().div_ceil(1_000_000)));
    match step {
        0 | 1 => ms,
        step => ms.div_ceil(step).saturating_mul(step),
    }
}

/// GB-seconds of `ms` milliseconds at `memory_mb` (1 GB = 1,024 MB, as Lambda and Azure bill).
pub(super) fn gb_seconds(memory_mb: u32, ms: u64) -> f64 {
    f64::from(memory_mb) / 1024.0 * ms as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_goes_up_to_the_next_step() {
        assert_eq!(round_up_ms(Duration::from_micros(50_001), 1), 51);
        assert_eq!(round_up_ms(Duration::from_millis(50), 100), 100);
        assert_eq!(round_up_ms(Duration::from_millis(100), 100), 100);
        assert_eq!(round_up_ms(Duration::from_millis(101), 100), 200);
        assert_eq!(round_up_ms(Duration::ZERO, 100), 0);
        assert_eq!(round_up_ms(Duration::from_nanos(1), 1), 1);
        assert_eq!(round_up_ms(Duration::from_nanos(1_000_000_001), 1), 1001);
        assert_eq!(round_up_ms(Duration::new(2, 999_000_001), 1), 3000);
        assert_eq!(round_up_ms(Duration::from_millis(7), 0), 7);
        assert_eq!(round_up_ms(Duration::MAX, 100), u64::MAX);
    }
}
