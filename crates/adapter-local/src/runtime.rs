//! [`LocalRuntime`]: runs an [`App`] in-process.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;
use std::time::Duration;

use futures::future::Either;
use tokio::time::Instant;

use faasport_core::{
    App, AppError, Bindings, Context, Error, Event, Function, Output, Provider, Resources,
};

use crate::config::LocalConfig;
use crate::meter::{
    CapacityWindow, FunctionCounters, FunctionMetrics, Meter, PriceTable, PricingOptions,
    WarmCapacity,
};
use crate::name_hash::NameMap;
use crate::pool::{Acquired, InstancePool, KeepAlive, Lease, PoolShared};
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
            let concurrency = spec
                .concurrency_per_instance
                .unwrap_or(config.profile.concurrency_per_instance);
            shared.trace.register(
                f.name(),
                spec.memory_mb,
                spec.timeout.saturating_add(init),
                concurrency,
            );
        }
        let functions: NameMap<String, Deployed> = self
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
    functions: NameMap<String, Deployed>,
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
    pub fn invoke<'a>(
        &'a self,
        function: &'a str,
        event: Event,
    ) -> impl Future<Output = Result<Invocation, Error>> + Send + 'a {
        self.invoke_with(function, event, InvokeOptions::default())
    }

    /// Invokes with explicit options.
    ///
    /// Like an `async fn`, the returned future does nothing until it is polled. On its first
    /// poll it looks the function up, takes a warm instance if one is free and creates the
    /// handler's future, all without awaiting; it then holds the running invocation in one box
    /// (starting an instance and waiting for capacity are boxed futures too), so it stays a few
    /// hundred bytes however large the event.
    ///
    /// # Errors
    /// As [`LocalRuntime::invoke`].
    pub fn invoke_with<'a>(
        &'a self,
        function: &'a str,
        event: Event,
        options: InvokeOptions,
    ) -> impl Future<Output = Result<Invocation, Error>> + Send + 'a {
        Invoke {
            runtime: self,
            deployed: None,
            span: tracing::Span::none(),
            unstarted: Some(Unstarted {
                function,
                event,
                options,
                start: Self::start,
            }),
            stage: Stage::Done,
        }
    }

    /// [`LocalRuntime::invoke_with`] with its first poll's work (the function looked up, a warm
    /// instance taken, the handler's future created) done now, for a caller that awaits the
    /// future at once: the future it gets holds the running invocation, not the event, so
    /// wrapping it moves a few hundred bytes instead of the event too (the gateway).
    pub(crate) fn invoke_now<'a>(
        &'a self,
        function: &'a str,
        event: Event,
        options: InvokeOptions,
    ) -> impl Future<Output = Result<Invocation, Error>> + Send + 'a {
        let Begun {
            deployed,
            span,
            stage,
        } = self.start(function, event, options);
        Invoke {
            runtime: self,
            deployed,
            span,
            unstarted: None,
            stage,
        }
    }

    /// The first poll of [`LocalRuntime::invoke_with`].
    fn start<'a>(
        &'a self,
        function: &str,
        event: Event,
        options: InvokeOptions,
    ) -> Begun<'a, impl Future<Output = Result<Output, Error>> + Send + Unpin + 'static> {
        let deployed = match self.deployed(function) {
            Ok(deployed) => deployed,
            Err(error) => {
                return Begun {
                    deployed: None,
                    span: tracing::Span::none(),
                    stage: Stage::Unknown(Box::new(error)),
                }
            }
        };
        let request_id = request_id(self.inner.requests.fetch_add(1, Ordering::Relaxed));
        let span = tracing::info_span!("invocation", function = deployed.pool.function().name(), request_id = %request_id);
        let stage = {
            let _entered = span.enter();
            self.run(deployed, event, options, request_id)
        };
        Begun {
            deployed: Some(deployed),
            span,
            stage,
        }
    }

    /// Starts one invocation on `deployed`: the stage its future begins in.
    ///
    /// The hot path (a warm instance free) reads the clock twice, when the invocation arrives
    /// and when the handler is done, and awaits nothing but the handler: the lease is taken and
    /// the handler's future created before the first await, so the stage returned holds (in one
    /// box) the record, the lease and the handler's future, not the event or the context. The
    /// handler's timeout is only armed if it does not finish on its first poll. Starting an
    /// instance and waiting for capacity happen in a boxed future.
    fn run<'a>(
        &'a self,
        deployed: &'a Deployed,
        event: Event,
        options: InvokeOptions,
        request_id: Arc<str>,
    ) -> Stage<'a, impl Future<Output = Result<Output, Error>> + Send + Unpin + 'static> {
        let pool = &deployed.pool;
        let spec = pool.function().spec();
        let arrived = Instant::now();
        // The runtime's start is its pools' origin: one reading serves the record and the pool.
        let arrived_at = arrived.duration_since(self.inner.started);
        let record = InvocationRecord {
            function: pool.name().clone(),
            request_id,
            arrived_at,
            queued: Duration::ZERO,
            init: Duration::ZERO,
            duration: Duration::ZERO,
            billed: Duration::ZERO,
            memory_mb: spec.memory_mb,
            cold: false,
            instance: None,
            outcome: Outcome::Ok,
            attempt: options.attempt,
            arch: spec.arch,
            ephemeral_storage_mb: spec.ephemeral_storage_mb,
            streamed_bytes: 0,
            provisioned: false,
        };
        match pool.acquire_at(options.source, arrived, arrived_at) {
            Acquired::Now(lease) => Stage::Running(self.begin(pool, lease, event, record, arrived)),
            Acquired::Later(pending) => Stage::Waiting(Box::pin(async move {
                let lease = pending.await;
                let started = Instant::now();
                match lease {
                    Ok(lease) => Ok(self.begin(pool, lease, event, record, started)),
                    Err(refused) => {
                        let mut record = record;
                        record.cold = refused.cold;
                        record.init = refused.init;
                        record.queued = refused.queued;
                        let result = Err(refused.error);
                        self.settle(&result, &mut record);
                        Err((result, record))
                    }
                }
            })),
        }
    }

    /// Starts the handler on `lease`'s instance at `started`.
    fn begin(
        &self,
        pool: &InstancePool,
        lease: Lease,
        event: Event,
        mut record: InvocationRecord,
        started: Instant,
    ) -> Box<Running<impl Future<Output = Result<Output, Error>> + Send + Unpin + 'static>> {
        record.cold = lease.cold();
        record.init = lease.init();
        record.queued = lease.queued();
        record.instance = Some(lease.instance().id());
        record.provisioned = lease.instance().provisioned();
        let f = pool.function();
        let timeout = f.spec().timeout;
        let deadline = started.checked_add(timeout);
        let call = self.call(f, &lease, event, &record, deadline);
        Box::new(Running {
            call: Within {
                call,
                deadline,
                timeout,
                timer: None,
            },
            record,
            lease: Some(lease),
            started,
        })
    }

    /// The handler is done with `result`: gives the instance back and settles the record, in
    /// place (the record moves once, into the [`Invocation`]).
    fn finish<F>(&self, running: &mut Running<F>, result: &Result<Output, Error>) {
        let ended = Instant::now();
        let record = &mut running.record;
        record.duration = ended.saturating_duration_since(running.started);
        if let Some(mut lease) = running.lease.take() {
            if matches!(result, Err(Error::Timeout(_))) {
                lease.recycle();
            }
            // Counted as the lease goes, before a policy that unloads an instance right after
            // its invocation reaps it.
            let start = record.arrived_at.saturating_add(record.queued);
            let end = start
                .saturating_add(record.init)
                .saturating_add(record.duration);
            lease.finished(ended, (start, end));
        }
        self.settle(result, record);
    }

    /// Counts and meters a settled invocation.
    fn recorded(&self, deployed: &Deployed, record: &InvocationRecord) {
        tracing::debug!(function = %record.function, request_id = %record.request_id, outcome = ?record.outcome, cold = record.cold, "invocation finished");
        deployed.counters.record(record);
        self.inner.meter.record_copy(record);
    }

    /// Sets the outcome and the billed duration.
    fn settle(&self, result: &Result<Output, Error>, record: &mut InvocationRecord) {
        record.outcome = Outcome::of(result);
        record.billed = match &self.inner.billing {
            Some(rule) => rule.billed_duration(record),
            None if record.outcome == Outcome::Throttled => Duration::ZERO,
            None => record.init + record.duration,
        };
    }

    /// The handler's future for `event` on `lease`'s instance, with its context (and the fault
    /// plan's injections, if any).
    fn call(
        &self,
        f: &Function,
        lease: &Lease,
        event: Event,
        record: &InvocationRecord,
        deadline: Option<Instant>,
    ) -> impl Future<Output = Result<Output, Error>> + Send + Unpin + 'static {
        let cx = Context::new(Arc::clone(&record.request_id), Arc::clone(&record.function))
            .with_attempt(record.attempt)
            .with_memory_mb(record.memory_mb)
            .with_provider(Provider::Local)
            .with_trace_id_prefix(TRACE_ID_PREFIX)
            .with_state(lease.instance().state().clone())
            .with_resources(self.inner.resources.clone());
        let cx = match deadline {
            Some(deadline) => cx.with_deadline(deadline),
            None => cx,
        };
        match &self.inner.faults {
            Some(plan) => {
                let (plan, name) = (Arc::clone(plan), f.name().to_owned());
                let key = crate::faults::event_key(&event);
                let call = f.call(event, cx);
                let attempt = record.attempt;
                Either::Right(Box::pin(async move {
                    plan.inject(&name, key, attempt, call).await
                }))
            }
            None => Either::Left(f.call(event, cx)),
        }
    }

    /// Instance time so far (alive, idle, idle GB-s; see [`InstanceTime`](crate::InstanceTime)),
    /// instances still alive counted up to `end` since the runtime was built. Kept as running
    /// aggregates, so it covers the whole run whatever the record retention.
    pub fn instance_time(&self, end: std::time::Duration) -> crate::InstanceTime {
        for deployed in self.inner.functions.values() {
            deployed.pool.settle_work();
        }
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

    /// The run so far priced on every provider, without copying the scaling trace as
    /// [`LocalRuntime::report`] does: O(functions) (plus the few records the meter keeps open
    /// for Cloud Run's busy intervals).
    pub fn costs(&self) -> Vec<crate::meter::ProviderCost> {
        self.inner.meter.costs(
            &self.warm_capacity(),
            &self.inner.prices,
            &self.inner.pricing,
        )
    }

    /// Each function's live instances by the scaling trace, its most over the run, and its
    /// most since the previous call, which then starts a new window
    /// ([`ScalingTrace::take_instance_peaks`](crate::ScalingTrace::take_instance_peaks)): what
    /// a sampler (the dashboard's chart) reads so a spike between two samples still shows.
    /// O(functions).
    pub fn take_instance_peaks(&self) -> Vec<crate::InstancePeaks> {
        self.inner.trace.take_instance_peaks()
    }

    /// The price table and options the runtime bills with.
    pub fn pricing(&self) -> crate::meter::Pricing {
        crate::meter::Pricing::new(self.inner.prices.clone(), self.inner.pricing)
    }

    /// How long the runtime has run (on tokio's clock, so virtual time under the virtual
    /// clock).
    pub fn uptime(&self) -> std::time::Duration {
        Instant::now().duration_since(self.inner.started)
    }

    /// The run so far projected to a month at the same rate, on every provider, with the
    /// monthly free tiers applied to the month ([`Pricing::project_month`](crate::meter::Pricing::project_month)
    /// states the rule).
    ///
    /// # Errors
    /// [`ProjectionError::NoElapsedTime`](crate::meter::ProjectionError) before any time has
    /// passed.
    pub fn month_projection(
        &self,
    ) -> Result<Vec<crate::meter::MonthProjection>, crate::meter::ProjectionError> {
        self.pricing().project_month(&self.costs(), self.uptime())
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

/// What a handler's trace id starts with locally: `local-req-00000001`.
const TRACE_ID_PREFIX: &str = "local-";

/// The request id of the `n`th invocation, `req-00000001`: at least eight digits, written
/// without the formatting machinery (this runs once per invocation).
fn request_id(n: u64) -> Arc<str> {
    const PREFIX: &[u8] = b"req-";
    let mut digits = [b'0'; 20];
    let mut rest = n;
    let mut at = digits.len();
    while rest > 0 {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    let from = at.min(digits.len() - 8);
    let mut text = [0u8; PREFIX.len() + 20];
    text[..PREFIX.len()].copy_from_slice(PREFIX);
    let len = PREFIX.len() + digits.len() - from;
    text[PREFIX.len()..len].copy_from_slice(&digits[from..]);
    Arc::from(std::str::from_utf8(&text[..len]).unwrap_or("req-?"))
}

/// The future of one invocation (from its first poll on): the handler running on its
/// instance, or (starting an instance, waiting for capacity) a boxed future that leads there.
///
/// One hand-written future instead of a stack of combinators (the span, the stages, the
/// metering at the end): the invocation's output is moved out once, not once per layer.
struct Invoke<'a, F> {
    runtime: &'a LocalRuntime,
    /// The function's deployment; `None` with [`Stage::Unknown`], and before the first poll.
    deployed: Option<&'a Deployed>,
    /// Entered on every poll, and while the stage is dropped, as `Instrumented` does.
    span: tracing::Span,
    /// What the first poll starts ([`LocalRuntime::invoke_with`]); `None` once started. Kept
    /// beside the stage, not in it, so starting writes a stage of a few words, not one as
    /// large as the event.
    unstarted: Option<Unstarted<'a, F>>,
    stage: Stage<'a, F>,
}

/// What [`LocalRuntime::start`] sets up: the parts of an [`Invoke`] that starting fills in.
struct Begun<'a, F> {
    deployed: Option<&'a Deployed>,
    span: tracing::Span,
    stage: Stage<'a, F>,
}

/// Where an [`Invoke`] is.
enum Stage<'a, F> {
    /// No such function: the first poll answers the error (boxed: a rare path should not
    /// size every invocation's future).
    Unknown(Box<Error>),
    /// The handler is running.
    Running(Box<Running<F>>),
    /// Waiting for an instance: the handler started, or the invocation refused (settled).
    Waiting(Pin<Box<dyn Future<Output = Started<F>> + Send + 'a>>),
    /// Finished (polled to completion), or not started yet ([`Invoke::unstarted`] holds it).
    Done,
}

/// An invocation not started yet, and how to start it: [`LocalRuntime::start`], whose future
/// type (the handler's, `F`) the pointer names, so the first poll fills the [`Invoke`] in
/// place instead of a combinator moving a second future into place after the first.
struct Unstarted<'a, F> {
    function: &'a str,
    event: Event,
    options: InvokeOptions,
    start: fn(&'a LocalRuntime, &'a str, Event, InvokeOptions) -> Begun<'a, F>,
}

/// How waiting for an instance ends: the handler started on it, or the invocation settled
/// without one (throttled, or its start failed).
type Started<F> = Result<Box<Running<F>>, (Result<Output, Error>, InvocationRecord)>;

impl<F> Future for Invoke<'_, F>
where
    F: Future<Output = Result<Output, Error>> + Unpin,
{
    type Output = Result<Invocation, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(unstarted) = this.unstarted.take() {
            let Unstarted {
                function,
                event,
                options,
                start,
            } = unstarted;
            let begun = start(this.runtime, function, event, options);
            this.deployed = begun.deployed;
            this.span = begun.span;
            this.stage = begun.stage;
        }
        let _entered = this.span.enter();
        loop {
            match &mut this.stage {
                Stage::Running(running) => {
                    let Poll::Ready(result) = Pin::new(&mut running.call).poll(cx) else {
                        return Poll::Pending;
                    };
                    this.runtime.finish(running, &result);
                    let Stage::Running(running) = std::mem::replace(&mut this.stage, Stage::Done)
                    else {
                        unreachable!("the stage was just matched as running")
                    };
                    // The hot path: the record moves out of its box once, into the answer
                    // (returned here rather than through a shared tail, which cost three more
                    // copies of the result and the record).
                    let record = running.record;
                    this.recorded(&record);
                    return Poll::Ready(Ok(Invocation { result, record }));
                }
                Stage::Waiting(waiting) => match waiting.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(running)) => this.stage = Stage::Running(running),
                    Poll::Ready(Err((result, record))) => {
                        this.stage = Stage::Done;
                        this.recorded(&record);
                        return Poll::Ready(Ok(Invocation { result, record }));
                    }
                },
                Stage::Unknown(_) => {
                    let Stage::Unknown(error) = std::mem::replace(&mut this.stage, Stage::Done)
                    else {
                        unreachable!("the stage was just matched as unknown")
                    };
                    return Poll::Ready(Err(*error));
                }
                Stage::Done => panic!("an invocation's future polled after it completed"),
            }
        }
    }
}

impl<F> Invoke<'_, F> {
    /// Counts and meters the settled invocation, inside its span whichever way it settled (a
    /// running or waiting stage always has its deployment).
    fn recorded(&self, record: &InvocationRecord) {
        if let Some(deployed) = self.deployed {
            self.runtime.recorded(deployed, record);
        }
    }
}

impl<F> Drop for Invoke<'_, F> {
    fn drop(&mut self) {
        // A cancelled invocation gives its instance back (the lease's drop) inside its span.
        if matches!(self.stage, Stage::Running(_) | Stage::Waiting(_)) {
            let _entered = self.span.enter();
            self.stage = Stage::Done;
        }
    }
}

/// An invocation whose handler is running. Boxed once, when the handler starts: the futures
/// wrapping it (the span, the caller's) then move a pointer instead of its few hundred bytes.
struct Running<F> {
    call: Within<F>,
    record: InvocationRecord,
    /// Given back (taken) when the handler is done; dropped with the invocation if it is
    /// cancelled first.
    lease: Option<Lease>,
    started: Instant,
}

/// A handler's future with its deadline (none when the timeout is beyond the clock's range).
///
/// Polls the call first, as tokio's `Timeout` does, so a call that finishes on its first poll
/// has not timed out and never registers a timer; the timer is boxed and armed on the first
/// poll that finds the call pending, and polled outside tokio's cooperative budget, so a busy
/// handler cannot hold back its own timeout.
struct Within<F> {
    call: F,
    deadline: Option<Instant>,
    timeout: Duration,
    timer: Option<Pin<Box<tokio::task::Unconstrained<tokio::time::Sleep>>>>,
}

impl<F> Future for Within<F>
where
    F: Future<Output = Result<Output, Error>> + Unpin,
{
    type Output = Result<Output, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Poll::Ready(result) = Pin::new(&mut this.call).poll(cx) {
            return Poll::Ready(result);
        }
        let Some(deadline) = this.deadline else {
            return Poll::Pending;
        };
        let timer = this.timer.get_or_insert_with(|| {
            Box::pin(tokio::task::unconstrained(tokio::time::sleep_until(
                deadline,
            )))
        });
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Error::Timeout(this.timeout))),
            Poll::Pending => Poll::Pending,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_have_at_least_eight_digits_as_before() {
        for n in [0, 1, 42, 99_999_999, 100_000_000, 123_456_789_012, u64::MAX] {
            assert_eq!(&*request_id(n), format!("req-{n:08}"));
        }
    }
}
