//! [`LocalRuntime`]: runs an [`App`] in-process.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;
use tracing::Instrument as _;

use faasport_core::{App, AppError, Bindings, Context, Error, Event, Provider, Resources};

use crate::config::LocalConfig;
use crate::meter::{
    CapacityWindow, FunctionCounters, FunctionMetrics, Meter, PriceTable, PricingOptions,
    WarmCapacity,
};
use crate::pool::{InstancePool, KeepAlive, PoolShared};
use crate::profile::{InvocationSource, Profile};
use crate::record::{Invocation, InvocationRecord, Outcome};
use crate::report::Report;
use crate::trace::{ScalingEvent, ScalingTrace};

/// Per-invocation options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvokeOptions {
    /// The delivery attempt, 1 on the first.
    pub attempt: u32,
    /// The class of trigger behind the invocation (scale-out limits and backpressure depend on
    /// it); direct calls by default.
    pub source: InvocationSource,
}

impl Default for InvokeOptions {
    fn default() -> Self {
        Self {
            attempt: 1,
            source: InvocationSource::Direct,
        }
    }
}

impl InvokeOptions {
    /// Sets the attempt.
    pub fn attempt(mut self, attempt: u32) -> Self {
        self.attempt = attempt;
        self
    }

    /// Sets the class of trigger behind the invocation.
    pub fn source(mut self, source: InvocationSource) -> Self {
        self.source = source;
        self
    }
}

/// Builds a [`LocalRuntime`]. Its settings live in one [`LocalConfig`]; the setters below
/// write into it.
#[derive(Debug)]
pub struct RuntimeBuilder {
    app: App,
    bindings: Bindings,
    config: LocalConfig,
}

impl RuntimeBuilder {
    /// Takes every setting from `config` (replacing any set before).
    pub fn config(mut self, config: LocalConfig) -> Self {
        self.config = config;
        self
    }

    /// Scales and bills like this provider (the `aws` profile by default).
    pub fn profile(mut self, profile: Profile) -> Self {
        self.config.profile = profile;
        self
    }

    /// Reaps and pre-warms idle instances with this policy (the profile's fixed window by
    /// default).
    pub fn keep_alive(mut self, policy: KeepAlive) -> Self {
        self.config.keep_alive = policy;
        self
    }

    /// Prices runs with this table instead of the bundled one (see
    /// [`PriceTable::from_file`]).
    pub fn prices(mut self, table: PriceTable) -> Self {
        self.config.prices = Some(table);
        self
    }

    /// Sets the pricing options (Lambda architecture, free tiers, Cloud Run vCPUs).
    pub fn pricing(mut self, options: PricingOptions) -> Self {
        self.config.pricing = options;
        self
    }

    /// Runs on the virtual clock ([`LocalConfig::virtual_clock`]). Tests can use
    /// `#[tokio::test(start_paused = true)]` instead.
    pub fn virtual_clock(mut self) -> Self {
        self.config.virtual_clock = true;
        self
    }

    /// Serves the context's resource handles with these bindings. [`LocalCloud`](crate::LocalCloud)
    /// sets its own; a runtime built without sources has none, and a handler's publish, send,
    /// object or invoke call fails with an error that says to use
    /// [`LocalCloud::builder`](crate::LocalCloud::builder).
    pub fn bindings(mut self, bindings: Bindings) -> Self {
        self.bindings = bindings;
        self
    }

    /// Injects seeded faults into the handlers (see [`FaultPlan`](crate::FaultPlan)).
    pub fn faults(mut self, plan: crate::faults::FaultPlan) -> Self {
        self.config.faults = Some(plan);
        self
    }

    /// Validates the app and builds the runtime.
    ///
    /// # Errors
    /// [`Error::App`] if the app is invalid, or if a function's memory or timeout is outside
    /// what the profile's provider accepts ([`AppError::OutOfPlatformRange`]).
    ///
    /// [`AppError::OutOfPlatformRange`]: faasport_core::AppError::OutOfPlatformRange
    pub fn build(self) -> Result<LocalRuntime, Error> {
        self.app.validate()?;
        let config = self.config;
        for function in self.app.functions() {
            config.profile.check(function)?;
        }
        if config.virtual_clock {
            pause_clock()?;
        }
        let prices = match config.prices {
            Some(table) => table,
            None => PriceTable::bundled().map_err(|e| Error::Local {
                reason: e.to_string(),
            })?,
        };
        let shared = PoolShared {
            ids: Arc::new(AtomicU64::new(1)),
            trace: Arc::new(ScalingTrace::with_retention(config.keep_records)),
            origin: Instant::now(),
            account: config
                .profile
                .limits
                .unreserved_pool(self.app.functions())?
                .map(|limit| Arc::new(crate::pool::AccountPool::new(limit))),
        };
        for f in self.app.functions() {
            let spec = f.spec();
            // No invocation lasts longer than its timeout plus the longest initialiser.
            let init = config.profile.limits.max_init.unwrap_or(spec.timeout);
            shared
                .trace
                .register(f.name(), spec.memory_mb, spec.timeout.saturating_add(init));
        }
        let functions: HashMap<String, Deployed> = self
            .app
            .functions()
            .iter()
            .map(|f| {
                let pool = InstancePool::new(
                    f.clone(),
                    &config.profile,
                    &config.keep_alive,
                    shared.clone(),
                );
                pool.start_min_instances();
                let counters = FunctionCounters::default();
                (f.name().to_owned(), Deployed { pool, counters })
            })
            .collect();
        let billing = crate::meter::billing_rules(&prices, &config.pricing)
            .into_iter()
            .find(|rule| Some(rule.provider()) == config.profile.billing);
        let meter = Meter::configured(
            config.keep_records,
            crate::meter::billing_rules(&prices, &config.pricing),
        );
        let resources = Resources::new(self.app.declared(), self.bindings);
        Ok(LocalRuntime {
            inner: Arc::new(Inner {
                app: self.app,
                functions,
                resources,
                faults: config.faults.map(Arc::new),
                started: shared.origin,
                requests: AtomicU64::new(1),
                meter,
                trace: shared.trace,
                profile: config.profile,
                prices,
                pricing: config.pricing,
                billing,
                provisioning: Mutex::new(BTreeMap::new()),
            }),
        })
    }
}

/// One function as the runtime runs it: its instances and its running counters.
#[derive(Debug)]
struct Deployed {
    pool: Arc<InstancePool>,
    counters: FunctionCounters,
}

#[derive(Debug)]
struct Inner {
    app: App,
    functions: HashMap<String, Deployed>,
    resources: Resources,
    faults: Option<Arc<crate::faults::FaultPlan>>,
    started: Instant,
    requests: AtomicU64,
    meter: Meter,
    trace: Arc<ScalingTrace>,
    profile: Profile,
    prices: PriceTable,
    pricing: PricingOptions,
    billing: Option<Box<dyn crate::meter::BillingRule>>,
    /// The provisioned concurrency settings of functions changed while running: (since the
    /// start, instances), the build's setting first.
    provisioning: Mutex<BTreeMap<String, Vec<(Duration, u32)>>>,
}

/// The local runtime: executes an app's functions on tokio, one pool of instances per function.
///
/// Cloning is cheap; clones share the runtime.
#[derive(Debug, Clone)]
pub struct LocalRuntime {
    inner: Arc<Inner>,
}

impl LocalRuntime {
    /// Starts building a runtime for `app`.
    pub fn builder(app: App) -> RuntimeBuilder {
        RuntimeBuilder {
            app,
            bindings: crate::sources::LocalBindings::unconnected().bindings(),
            config: LocalConfig::default(),
        }
    }

    /// A runtime for `app` with default settings.
    ///
    /// # Errors
    /// [`Error::App`] if the app is invalid.
    pub fn new(app: App) -> Result<Self, Error> {
        Self::builder(app).build()
    }

    /// The app.
    pub fn app(&self) -> &App {
        &self.inner.app
    }

    /// Invokes `function` with `event` and waits for it.
    ///
    /// # Errors
    /// [`Error::UnknownFunction`] if there is no such function; everything else (handler errors,
    /// timeouts, panics, throttles) is in the returned [`Invocation`].
    pub async fn invoke(&self, function: &str, event: Event) -> Result<Invocation, Error> {
        self.invoke_with(function, event, InvokeOptions::default())
            .await
    }

    /// Invokes with explicit options.
    ///
    /// # Errors
    /// As [`LocalRuntime::invoke`].
    pub async fn invoke_with(
        &self,
        function: &str,
        event: Event,
        options: InvokeOptions,
    ) -> Result<Invocation, Error> {
        let deployed = self.deployed(function)?;
        let pool = &deployed.pool;
        let f = pool.function();
        let request_id = format!(
            "req-{:08}",
            self.inner.requests.fetch_add(1, Ordering::Relaxed)
        );
        let span = tracing::info_span!("invocation", function = f.name(), request_id = %request_id);
        let arrived = Instant::now();
        // The record shares the pool's name and one copy of the request id: cloning it for the
        // meter below allocates nothing.
        let mut record = InvocationRecord {
            function: pool.name().clone(),
            request_id: Arc::from(request_id.as_str()),
            arrived_at: arrived.duration_since(self.inner.started),
            queued: std::time::Duration::ZERO,
            init: std::time::Duration::ZERO,
            duration: std::time::Duration::ZERO,
            billed: std::time::Duration::ZERO,
            memory_mb: f.spec().memory_mb,
            cold: false,
            instance: None,
            outcome: Outcome::Ok,
            attempt: options.attempt,
            arch: f.spec().arch,
            ephemeral_storage_mb: f.spec().ephemeral_storage_mb,
            streamed_bytes: 0,
        };
        let result = async {
            let mut lease = match pool.acquire(options.source).await {
                Ok(lease) => lease,
                Err(refused) => {
                    record.cold = refused.cold;
                    record.init = refused.init;
                    record.queued = refused.queued;
                    return Err(refused.error);
                }
            };
            record.cold = lease.cold();
            record.init = lease.init();
            record.queued = lease.queued();
            record.instance = Some(lease.instance().id());
            let trace_id = format!("local-{request_id}");
            let cx = Context::new(request_id, pool.name().clone())
                .with_timeout(f.spec().timeout)
                .with_attempt(options.attempt)
                .with_memory_mb(f.spec().memory_mb)
                .with_provider(Provider::Local)
                .with_trace_id(trace_id)
                .with_state(lease.instance().state().clone())
                .with_resources(self.inner.resources.clone());
            let started = Instant::now();
            let call = async {
                match &self.inner.faults {
                    Some(plan) => {
                        let key = crate::faults::event_key(&event);
                        plan.inject(f.name(), key, options.attempt, f.call(event, cx))
                            .await
                    }
                    None => f.call(event, cx).await,
                }
            };
            let result = match tokio::time::timeout(f.spec().timeout, call).await {
                Ok(result) => result,
                Err(_) => Err(Error::Timeout(f.spec().timeout)),
            };
            record.duration = started.elapsed();
            if matches!(result, Err(Error::Timeout(_))) {
                lease.recycle();
            }
            // Counted while the instance is still leased: a policy that unloads an instance
            // right after its invocation reaps it when the lease goes.
            self.inner.trace.worked(&record);
            drop(lease);
            result
        }
        .instrument(span)
        .await;
        record.outcome = Outcome::of(&result);
        record.billed = match &self.inner.billing {
            Some(rule) => rule.billed_duration(&record),
            None if record.outcome == Outcome::Throttled => std::time::Duration::ZERO,
            None => record.init + record.duration,
        };
        tracing::debug!(function = %record.function, request_id = %record.request_id, outcome = ?record.outcome, cold = record.cold, "invocation finished");
        deployed.counters.record(&record);
        self.inner.meter.record(record.clone());
        Ok(Invocation { result, record })
    }

    /// Instance time so far (alive, idle, idle GB-s; see [`InstanceTime`](crate::InstanceTime)),
    /// instances still alive counted up to `end` since the runtime was built. Kept as running
    /// aggregates, so it covers the whole run whatever the record retention.
    pub fn instance_time(&self, end: std::time::Duration) -> crate::InstanceTime {
        self.inner.trace.instance_time(end)
    }

    /// Every invocation recorded so far, in completion order.
    pub fn records(&self) -> Vec<InvocationRecord> {
        self.inner.meter.records()
    }

    /// The meter holding the records.
    pub fn meter(&self) -> &Meter {
        &self.inner.meter
    }

    /// The profile the runtime scales and bills by.
    pub fn profile(&self) -> &Profile {
        &self.inner.profile
    }

    /// The pool of `function`, to inspect its instances.
    ///
    /// # Errors
    /// [`Error::UnknownFunction`] if there is no such function.
    pub fn instance_pool(&self, function: &str) -> Result<&Arc<InstancePool>, Error> {
        self.pool(function)
    }

    /// Every scaling event so far: instance starts, reuses, reaps, queueing and throttles.
    pub fn scaling_trace(&self) -> Vec<ScalingEvent> {
        self.inner.trace.events()
    }

    /// Waits until every min instance (and pending pre-warm) has finished starting.
    pub async fn ready(&self) {
        for deployed in self.inner.functions.values() {
            deployed.pool.start_min_instances();
            deployed.pool.ready().await;
        }
    }

    /// Sets `function`'s provisioned concurrency (its min instances) to `instances` while the
    /// runtime runs, effective at once, and returns the previous setting.
    ///
    /// As on the platform, raising it starts the missing instances now (scaling cause
    /// `min_instances`) and lowering it releases the extra ones (idle ones at once, busy ones
    /// when their invocations finish, cause `deprovisioned`; see
    /// [`ReapCause::Deprovisioned`](crate::ReapCause::Deprovisioned)). An unreserved
    /// function's provisioned concurrency is taken from the account's shared pool, which
    /// shrinks or grows by the change.
    ///
    /// Billing: each period between two settings is its own on/off window with its own
    /// instance count ([`CapacityWindow`]); Lambda rounds each window up to five minutes, Cloud
    /// Run and Azure Flex bill it exactly. Zero switches the capacity off.
    ///
    /// # Errors
    /// [`Error::UnknownFunction`]; [`AppError::MinAboveMax`] above a reserved function's max
    /// instances; [`AppError::ProvisionedConcurrency`] when an unreserved function would leave
    /// the account's shared pool below the profile's unreserved floor (100 on Lambda).
    ///
    /// # Examples
    /// ```
    /// # async fn f(_: faasport_core::Event, _: faasport_core::Context) -> Result<(), faasport_core::Error> { Ok(()) }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), faasport_core::Error> {
    /// use faasport_adapter_local::LocalRuntime;
    /// use faasport_core::{App, Function};
    ///
    /// let rt = LocalRuntime::new(App::new("shop").function(Function::new("api", f)))?;
    /// assert_eq!(rt.set_provisioned_concurrency("api", 5)?, 0);
    /// rt.ready().await;
    /// assert_eq!(rt.instance_pool("api")?.live_count(), 5);
    /// assert_eq!(rt.set_provisioned_concurrency("api", 0)?, 5);
    /// assert_eq!(rt.instance_pool("api")?.live_count(), 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_provisioned_concurrency(
        &self,
        function: &str,
        instances: u32,
    ) -> Result<u32, Error> {
        let pool = self.pool(function)?;
        let max = pool.max_instances();
        if instances > max {
            return Err(AppError::MinAboveMax {
                function: function.to_owned(),
                min: instances,
                max,
            }
            .into());
        }
        let mut provisioning = self
            .inner
            .provisioning
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let old = pool.min_instances();
        if let Some(account) = pool.account() {
            let floor = u64::from(self.inner.profile.limits.unreserved_floor);
            let available = (u64::from(old) + account.limit()).saturating_sub(floor);
            if instances > old && u64::from(instances) > available {
                return Err(AppError::ProvisionedConcurrency {
                    function: function.to_owned(),
                    requested: instances,
                    available,
                }
                .into());
            }
        }
        let now = Instant::now().duration_since(self.inner.started);
        let history = provisioning
            .entry(function.to_owned())
            .or_insert_with(|| vec![(Duration::ZERO, old)]);
        pool.set_min_instances(instances);
        history.push((now, instances));
        Ok(old)
    }

    /// What was measured so far, and what it would cost on each provider.
    pub fn report(&self) -> Report {
        let warm = self.warm_capacity();
        let mut names: Vec<&str> = self.inner.functions.keys().map(String::as_str).collect();
        names.sort_unstable();
        Report {
            app: self.inner.app.name().to_owned(),
            profile: self.inner.profile.kind,
            price_version: self.inner.prices.version.clone(),
            functions: self.inner.meter.functions(),
            scaling: names
                .iter()
                .map(|name| self.inner.trace.summary(name))
                .collect(),
            costs: self
                .inner
                .meter
                .costs(&warm, &self.inner.prices, &self.inner.pricing),
            trace: self.inner.trace.events(),
            run: None,
        }
    }

    /// The capacity each function with min instances kept warm since the runtime started: its
    /// min instances at its memory for the wall time so far, and the instances the scaling
    /// trace counted as started to keep the minimum.
    ///
    /// A function whose provisioned concurrency changed while running
    /// ([`LocalRuntime::set_provisioned_concurrency`]) gets one window per setting.
    fn warm_capacity(&self) -> BTreeMap<String, WarmCapacity> {
        let wall = Instant::now().duration_since(self.inner.started);
        let provisioning = self
            .inner
            .provisioning
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.inner
            .functions
            .iter()
            .filter_map(|(name, d)| {
                let spec = d.pool.function().spec();
                let capacity = match provisioning.get(name) {
                    Some(history) => {
                        let ends = history.iter().skip(1).map(|(at, _)| *at).chain([wall]);
                        let windows = history.iter().zip(ends).map(|(&(from, n), to)| {
                            CapacityWindow::new(n, to.saturating_sub(from))
                        });
                        WarmCapacity::scheduled(spec.memory_mb, windows)
                    }
                    None => WarmCapacity::new(d.pool.min_instances(), spec.memory_mb, wall),
                };
                if capacity.instances == 0 {
                    return None;
                }
                let mut capacity = capacity.instance_ids(self.inner.trace.min_instance_ids(name));
                capacity.arch = spec.arch;
                Some((name.clone(), capacity))
            })
            .collect()
    }

    /// Each function's invocation counters, duration histogram and instance gauges, sorted by
    /// function name. Costs O(functions), however long the runtime has run: this is what
    /// metrics scrapes read, not the records.
    pub fn metrics(&self) -> Vec<FunctionMetrics> {
        let mut metrics: Vec<FunctionMetrics> = self
            .inner
            .functions
            .iter()
            .map(|(name, d)| d.counters.snapshot(name, d.pool.instances()))
            .collect();
        metrics.sort_unstable_by(|a, b| a.function.cmp(&b.function));
        metrics
    }

    fn pool(&self, function: &str) -> Result<&Arc<InstancePool>, Error> {
        self.deployed(function).map(|d| &d.pool)
    }

    fn deployed(&self, function: &str) -> Result<&Deployed, Error> {
        self.inner
            .functions
            .get(function)
            .ok_or_else(|| self.inner.app.unknown_function(function))
    }
}

/// Pauses tokio's clock for [`RuntimeBuilder::virtual_clock`].
fn pause_clock() -> Result<(), Error> {
    let handle = tokio::runtime::Handle::try_current().map_err(|_| Error::Local {
        reason: "the virtual clock needs a tokio runtime".to_owned(),
    })?;
    if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::CurrentThread {
        return Err(Error::Local {
            reason: "the virtual clock needs a current-thread tokio runtime".to_owned(),
        });
    }
    // Pausing twice panics in tokio; an already paused clock is what we want.
    let _ = std::panic::catch_unwind(tokio::time::pause);
    Ok(())
}
