//! The instance pool of one function: scale from zero, warm reuse, concurrency per instance,
//! max and min instances, backpressure, scale-out rate limits, keep-alive reaping and pre-warming.
//!
//! * [`InstancePool`] routes each invocation (see [`crate::Profile`] for the sizing
//!   rule) and lends it an [`Instance`] through a [`Lease`];
//! * [`Backpressure`] says what happens at the limit, [`ScaleOutRate`] how fast instances may be
//!   added;
//! * [`KeepAlivePolicy`] decides when idle instances are reaped or pre-warmed.
//!
//! All timing uses tokio's clock, so under paused time (the virtual clock) every decision is
//! deterministic.

mod account;
mod backpressure;
mod keep_alive;
mod lease;
mod lifecycle;
mod routing;
mod scale_out;
mod timer;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;

use faasport_core::{Error, Function};

pub use account::AccountPool;
pub use backpressure::Backpressure;
pub use keep_alive::{
    FixedKeepAlive, HybridConfig, HybridFallback, HybridHistogramPolicy, KeepAlive,
    KeepAlivePolicy, KeepAliveWindows, PolicyFactory,
};
pub use lease::{Instance, Lease, Refused};
pub use scale_out::{ScaleOutRate, TokenBucket};

use crate::profile::{InvocationSource, Profile};
use crate::trace::{ReapCause, ScalingEvent, ScalingEventKind, ScalingTrace};

/// Busy intervals a pool collects before it counts them into the trace in one go.
const WORK_BATCH: usize = 64;
use routing::{Assignment, PoolState, Refusal, Waiter};

/// What [`InstancePool::acquire_at`] found: a lease now, or the future that gets one.
pub(crate) enum Acquired<'a> {
    /// A warm instance was free.
    Now(Lease),
    /// The instance is starting, or the invocation must wait for capacity.
    Later(Pin<Box<dyn Future<Output = Result<Lease, Refused>> + Send + 'a>>),
}

/// A function's instances at one moment, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct InstanceGauges {
    /// Instances alive or starting (`starting + busy + idle`).
    pub live: u64,
    /// Instances whose initialiser is running.
    pub starting: u64,
    /// Ready instances running at least one invocation.
    pub busy: u64,
    /// Ready instances running nothing (kept warm).
    pub idle: u64,
}

/// What every pool of a runtime shares: instance ids, the trace, the time origin.
#[derive(Debug, Clone)]
pub struct PoolShared {
    /// The source of instance ids.
    pub ids: Arc<AtomicU64>,
    /// Where scaling events go.
    pub trace: Arc<ScalingTrace>,
    /// The instant timestamps are measured from.
    pub origin: Instant,
    /// The account's shared concurrency, when the profile has one: functions without a
    /// reservation of their own (max instances) draw from it.
    pub account: Option<Arc<AccountPool>>,
}

/// The instances of one function.
#[derive(Debug)]
pub struct InstancePool {
    function: Function,
    name: Arc<str>,
    profile: Profile,
    concurrency: u32,
    max: u32,
    /// Instances kept warm; changed at run time by [`InstancePool::set_min_instances`].
    min: AtomicU32,
    target_utilisation: f64,
    state: Mutex<PoolState>,
    ids: Arc<AtomicU64>,
    trace: Arc<ScalingTrace>,
    origin: Instant,
    started: Notify,
    me: Weak<InstancePool>,
    account: Option<Arc<AccountPool>>,
}

impl InstancePool {
    /// A pool for `function` behaving as `profile` says, with a fresh `keep_alive` policy.
    ///
    /// The function's own limits (max and min instances, concurrency per instance) win over the
    /// profile's defaults.
    pub fn new(
        function: Function,
        profile: &Profile,
        keep_alive: &KeepAlive,
        shared: PoolShared,
    ) -> Arc<Self> {
        let now = Instant::now();
        let concurrency = function
            .spec()
            .concurrency_per_instance
            .unwrap_or(profile.concurrency_per_instance)
            .max(1);
        let max = function
            .spec()
            .max_instances
            .or(profile.max_instances)
            .unwrap_or(u32::MAX);
        let min = function.spec().min_instances.min(max);
        let account = shared
            .account
            .filter(|_| function.spec().max_instances.is_none());
        let state = PoolState {
            slots: Vec::new(),
            census: Default::default(),
            waiters: Default::default(),
            sync_bucket: profile.sync_scale_out.map(|r| TokenBucket::new(r, now)),
            event_bucket: profile.event_scale_out.map(|r| TokenBucket::new(r, now)),
            policy: keep_alive.build(profile.keep_alive),
            arrivals: 0,
            next_waiter: 0,
            prewarm: None,
            wake: None,
            account: account.clone(),
            work: Vec::new(),
        };
        Arc::new_cyclic(|me| Self {
            name: Arc::from(function.name()),
            function,
            profile: profile.clone(),
            concurrency,
            max,
            min: AtomicU32::new(min),
            target_utilisation: profile.target_utilisation.clamp(0.01, 1.0),
            state: Mutex::new(state),
            ids: shared.ids,
            trace: shared.trace,
            origin: shared.origin,
            started: Notify::new(),
            me: me.clone(),
            account,
        })
    }

    /// The function.
    pub fn function(&self) -> &Function {
        &self.function
    }

    /// Instances kept warm at all times (the function's min instances, at most its max).
    pub fn min_instances(&self) -> u32 {
        self.min.load(Ordering::Acquire)
    }

    /// The account's shared concurrency this function draws from, if any.
    pub(crate) fn account(&self) -> Option<&Arc<AccountPool>> {
        self.account.as_ref()
    }

    /// The function's name, shared by its records and scaling events.
    pub(crate) fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// Invocations one instance runs at once.
    pub fn concurrency(&self) -> u32 {
        self.concurrency
    }

    /// The instance cap.
    pub fn max_instances(&self) -> u32 {
        self.max
    }

    /// Instances alive or starting.
    pub fn live_count(&self) -> usize {
        self.lock().slots.len()
    }

    /// Instances ready and running nothing.
    pub fn idle_count(&self) -> usize {
        self.instances().idle as usize
    }

    /// How many instances are starting, busy and idle, in constant time (the pool keeps the
    /// counts up to date as instances change).
    pub fn instances(&self) -> InstanceGauges {
        let st = self.lock();
        debug_assert_eq!(st.census, routing::Census::of(&st.slots));
        let c = st.census;
        InstanceGauges {
            live: c.starting + c.busy + c.idle,
            starting: c.starting,
            busy: c.busy,
            idle: c.idle,
        }
    }

    /// Invocations waiting for capacity.
    pub fn waiting_count(&self) -> usize {
        self.lock().waiters.len()
    }

    /// Lends an instance to one invocation from `source`: a warm one, one still starting, or a
    /// new one (a cold start); at the limit, applies the profile's [`Backpressure`].
    ///
    /// # Errors
    /// [`Refused`] holding [`Error::Throttled`] when no capacity was found in time, or
    /// [`Error::Init`] when the instance's initialiser failed.
    pub async fn acquire(self: &Arc<Self>, source: InvocationSource) -> Result<Lease, Refused> {
        let now = Instant::now();
        match self.acquire_at(source, now, self.since_origin(now)) {
            Acquired::Now(lease) => Ok(lease),
            Acquired::Later(pending) => pending.await,
        }
    }

    /// [`InstancePool::acquire`] for an invocation that arrived at `arrived`, without waiting
    /// when a warm instance is free: then the lease comes back at once, queued for nothing, and
    /// no future is built. Anything else (starting an instance, joining one that is starting,
    /// backpressure) is the boxed future in [`Acquired::Later`], so the caller's own future
    /// stays small. `at` is `arrived` counted from the pool's origin (the runtime's start),
    /// which the caller has already worked out for its record.
    pub(crate) fn acquire_at(
        self: &Arc<Self>,
        source: InvocationSource,
        arrived: Instant,
        at: Duration,
    ) -> Acquired<'_> {
        let first = {
            let mut st = self.lock();
            st.arrivals += 1;
            st.policy.on_arrival(at);
            self.ensure_min_instances(&mut st, arrived);
            if st.waiters.is_empty() {
                self.assign(&mut st, source, arrived)
            } else {
                Err(Refusal::Full)
            }
        };
        match first {
            Ok(Assignment::Warm { instance }) => {
                self.emit_since(at, Some(instance.id), ScalingEventKind::Reused);
                Acquired::Now(self.lease(instance, false, Duration::ZERO, Duration::ZERO))
            }
            first => Acquired::Later(Box::pin(async move {
                let assignment = match first {
                    Ok(assignment) => assignment,
                    Err(refusal) => self.wait(source, refusal, arrived).await?,
                };
                self.take(assignment, arrived).await
            })),
        }
    }

    fn lease(
        self: &Arc<Self>,
        instance: Arc<Instance>,
        cold: bool,
        init: Duration,
        queued: Duration,
    ) -> Lease {
        Lease {
            pool: Arc::clone(self),
            instance,
            cold,
            init,
            queued,
            healthy: true,
            ended: None,
            busy: None,
        }
    }

    /// Waits for capacity as the backpressure mode allows.
    async fn wait(
        &self,
        source: InvocationSource,
        refusal: Refusal,
        arrived: Instant,
    ) -> Result<Assignment, Refused> {
        let limit = self.profile.backpressure_for(source).wait_limit();
        if limit == Some(Duration::ZERO) {
            return Err(self.throttle(refusal, arrived, None));
        }
        let (tx, mut rx) = oneshot::channel();
        let id = {
            let mut st = self.lock();
            let id = st.next_waiter;
            st.next_waiter += 1;
            st.waiters.push_back(Waiter { id, source, tx });
            match refusal {
                Refusal::RateLimited(at) => self.schedule_wake(&mut st, at),
                Refusal::Account => self.schedule_wake(&mut st, arrived + routing::ACCOUNT_RETRY),
                Refusal::Full => {}
            }
            id
        };
        self.emit(arrived, None, ScalingEventKind::Queued);
        let received = match limit {
            Some(deadline) => tokio::time::timeout(deadline, &mut rx).await.ok(),
            None => Some((&mut rx).await),
        };
        if let Some(Ok(assignment)) = received {
            return Ok(assignment);
        }
        let mut st = self.lock();
        if let Some(pos) = st.waiters.iter().position(|w| w.id == id) {
            st.waiters.remove(pos);
            drop(st);
            return Err(self.throttle(refusal, arrived, limit));
        }
        drop(st);
        // Served at the very instant the deadline passed: take the instance.
        rx.try_recv()
            .map_err(|_| self.throttle(refusal, arrived, limit))
    }

    /// Turns an assignment into a lease, starting or waiting for the instance as needed.
    async fn take(
        self: &Arc<Self>,
        assignment: Assignment,
        arrived: Instant,
    ) -> Result<Lease, Refused> {
        let lease = |instance, cold, init, queued| self.lease(instance, cold, init, queued);
        match assignment {
            Assignment::Warm { instance } => {
                let now = Instant::now();
                self.emit(now, Some(instance.id), ScalingEventKind::Reused);
                Ok(lease(instance, false, Duration::ZERO, now - arrived))
            }
            Assignment::Join { slot, ready } => match self.await_ready(slot, ready).await {
                Ok(instance) => {
                    let now = Instant::now();
                    self.emit(now, Some(instance.id), ScalingEventKind::Reused);
                    Ok(lease(instance, false, Duration::ZERO, now - arrived))
                }
                Err(error) => Err(Refused {
                    error,
                    cold: false,
                    init: Duration::ZERO,
                    queued: arrived.elapsed(),
                }),
            },
            Assignment::Start { slot, ready } => {
                let queued = arrived.elapsed();
                let started = Instant::now();
                match self.start_instance(slot, ready).await {
                    Ok(instance) => Ok(lease(instance, true, started.elapsed(), queued)),
                    Err(error) => Err(Refused {
                        error,
                        cold: true,
                        init: started.elapsed(),
                        queued,
                    }),
                }
            }
        }
    }

    /// Gives back one unit of an instance's capacity at `now`, counting the invocation's `busy`
    /// interval on it; `healthy: false` recycles the instance.
    pub(crate) fn release(
        &self,
        id: u64,
        healthy: bool,
        now: Instant,
        busy: Option<(Duration, Duration)>,
    ) {
        let mut st = self.lock();
        if let Some((start, end)) = busy {
            st.work.push((id, start, end));
            if st.work.len() >= WORK_BATCH {
                self.flush_work(&mut st);
            }
        }
        let Some((retiring, drained, deprovisioned)) = st.update_slot(id, |slot| {
            slot.in_flight = slot.in_flight.saturating_sub(1);
            slot.retiring |= !healthy;
            (slot.retiring, slot.in_flight == 0, slot.deprovisioned)
        }) else {
            return;
        };
        if retiring && drained {
            st.remove_slot(id);
            let cause = if deprovisioned {
                crate::trace::ReapCause::Deprovisioned
            } else {
                crate::trace::ReapCause::Recycled
            };
            self.reaped(&mut st, now, id, cause);
        }
        self.dispatch(&mut st, now);
        if !retiring && drained {
            self.on_idle(&mut st, id, now);
        }
    }

    fn throttle(&self, refusal: Refusal, arrived: Instant, waited: Option<Duration>) -> Refused {
        let now = Instant::now();
        self.emit(now, None, ScalingEventKind::Throttled);
        let (reason, retry_after) = match (refusal, waited) {
            (_, Some(deadline)) if deadline > Duration::ZERO => (
                format!(
                    "function `{}` found no capacity within the queue deadline of {deadline:?}",
                    self.name
                ),
                None,
            ),
            (Refusal::RateLimited(at), _) => (
                format!("function `{}` reached its scale-out rate limit", self.name),
                Some(at.saturating_duration_since(now)),
            ),
            (Refusal::Account, _) => (
                format!(
                    "function `{}` found the account's concurrency in use \
                     (ConcurrentInvocationLimitExceeded: {} unreserved concurrent executions)",
                    self.name,
                    self.account.as_ref().map_or(0, |a| a.limit())
                ),
                None,
            ),
            (Refusal::Full, _) => (
                format!(
                    "function `{}` is at its limit of {} instances × {} concurrent invocations",
                    self.name, self.max, self.concurrency
                ),
                None,
            ),
        };
        Refused {
            error: Error::Throttled {
                reason,
                retry_after,
            },
            cold: false,
            init: Duration::ZERO,
            queued: now - arrived,
        }
    }

    /// Counts the busy intervals released since the last flush into the instances' lifetimes
    /// (in the trace). Released intervals wait in the pool, under the lock the release holds
    /// anyway, and reach the trace [`WORK_BATCH`] at a time, before their instance is reaped,
    /// or before instance time is read: one trace lock per batch instead of one per
    /// invocation, and the same totals.
    pub(crate) fn flush_work(&self, st: &mut PoolState) {
        if !st.work.is_empty() {
            self.trace.worked_spans(st.work.drain(..));
        }
    }

    /// Counts the released work into the trace now (see [`InstancePool::flush_work`]).
    pub(crate) fn settle_work(&self) {
        let mut st = self.lock();
        self.flush_work(&mut st);
    }

    /// Records that instance `id` went away, after counting its released work.
    pub(crate) fn reaped(&self, st: &mut PoolState, at: Instant, id: u64, cause: ReapCause) {
        self.flush_work(st);
        self.emit(at, Some(id), ScalingEventKind::Reaped { cause });
    }

    pub(crate) fn emit(&self, at: Instant, instance: Option<u64>, kind: ScalingEventKind) {
        self.emit_since(self.since_origin(at), instance, kind);
    }

    /// [`InstancePool::emit`] at `at` since the pool's origin.
    fn emit_since(&self, at: Duration, instance: Option<u64>, kind: ScalingEventKind) {
        self.trace.push(ScalingEvent {
            at,
            function: self.name.clone(),
            instance,
            kind,
        });
    }

    pub(crate) fn since_origin(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.origin)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
