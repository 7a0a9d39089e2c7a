//! Instance lifecycles: starting (on demand, for min instances, as a pre-warm), waiting for a
//! start, keep-alive reaping, and the timers behind them (one re-armable [`Timer`] per instance
//! for its keep-alive, one per pool for pre-warms and one for scale-out wake-ups).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use faasport_core::Error;

use super::lease::Instance;
use super::routing::{Phase, PoolState, Readiness, Slot};
use super::timer::Timer;
use super::InstancePool;
use crate::trace::{ReapCause, StartCause};

/// Abandons a starting slot if its invocation is cancelled during the initialiser.
struct StartGuard<'a> {
    pool: &'a InstancePool,
    slot: u64,
    armed: bool,
}

impl Drop for StartGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let now = Instant::now();
            let mut st = self.pool.lock();
            self.pool.abandon_start(&mut st, self.slot, now);
            self.pool.dispatch(&mut st, now);
        }
    }
}

impl InstancePool {
    /// Runs the initialiser for a starting slot and publishes the outcome to joiners.
    ///
    /// The initialiser is bounded by [`Profile::init_limit`](crate::Profile::init_limit) (Lambda's
    /// 10 s INIT limit, for example): past it the start fails with [`Error::Init`] and the
    /// instance is discarded, so a hung initialiser cannot hold its invocation, or those waiting
    /// for the same instance, forever.
    pub(crate) async fn start_instance(
        &self,
        slot: u64,
        ready: watch::Sender<Readiness>,
    ) -> Result<Arc<Instance>, Error> {
        let mut guard = StartGuard {
            pool: self,
            slot,
            armed: true,
        };
        let limit = self.profile.init_limit(&self.function);
        let result = tokio::time::timeout(limit, self.function.initialise())
            .await
            .unwrap_or_else(|_| Err(self.init_timed_out(limit)));
        guard.armed = false;
        let now = Instant::now();
        let mut st = self.lock();
        let outcome = match result {
            Ok(state) => {
                // Only a min instance starts pinned; it stays provisioned when later released.
                let provisioned = st.update_slot(slot, |s| s.pinned).unwrap_or(false);
                let instance = Arc::new(Instance {
                    id: slot,
                    state,
                    provisioned,
                });
                st.update_slot(slot, |s| s.instance = Some(instance.clone()));
                ready.send_replace(Readiness::Ready(instance.clone()));
                Ok(instance)
            }
            Err(error) => {
                st.remove_slot(slot);
                self.reaped(&mut st, now, slot, ReapCause::InitFailed);
                ready.send_replace(Readiness::Failed(error.to_string()));
                self.dispatch(&mut st, now);
                Err(error)
            }
        };
        drop(st);
        self.started.notify_waiters();
        outcome
    }

    /// The error of an initialiser that ran past `limit`; its instance is discarded.
    fn init_timed_out(&self, limit: Duration) -> Error {
        let bound = match self.profile.limits.max_init {
            Some(_) => format!("the {} profile's start-up limit", self.profile.kind),
            None => "the function's timeout".to_owned(),
        };
        Error::Init {
            function: self.name.to_string(),
            message: format!("the initialiser did not finish within {limit:?} ({bound})"),
        }
    }

    /// Waits for a starting instance another invocation (or a timer) is starting.
    pub(crate) async fn await_ready(
        &self,
        _slot: u64,
        mut ready: watch::Receiver<Readiness>,
    ) -> Result<Arc<Instance>, Error> {
        loop {
            match &*ready.borrow_and_update() {
                Readiness::Ready(instance) => return Ok(instance.clone()),
                Readiness::Failed(message) => {
                    return Err(Error::Init {
                        function: self.name.to_string(),
                        message: message.clone(),
                    })
                }
                Readiness::Starting => {}
            }
            if ready.changed().await.is_err() {
                return Err(Error::Init {
                    function: self.name.to_string(),
                    message: "the instance's start was abandoned".to_owned(),
                });
            }
        }
    }

    /// Starts the min instances that are missing, in the background.
    pub(crate) fn ensure_min_instances(&self, st: &mut PoolState, now: Instant) {
        if self.min_instances() == 0 {
            return;
        }
        let pinned = st.slots.iter().filter(|s| s.pinned).count() as u32;
        for _ in pinned..self.min_instances() {
            if tokio::runtime::Handle::try_current().is_err() {
                return;
            }
            let (slot, ready) = self.add_slot(st, 0, true, StartCause::MinInstances, now);
            self.spawn_start(slot, ready, None);
        }
    }

    /// Changes the instances kept warm to `instances` (at most the max instances), effective at
    /// once, and returns the previous count, as a change of provisioned concurrency does on
    /// the platform:
    ///
    /// * raised: the missing instances start now, in the background (scaling cause
    ///   `min_instances`), and invocations arriving meanwhile may join them;
    /// * lowered: the instances beyond the new count are released, idle ones first, then
    ///   starting ones, then busy ones. An idle one is reaped now (cause `deprovisioned`); a
    ///   starting or busy one takes no new work and is reaped when ready or drained.
    ///
    /// An unreserved function's provisioned concurrency claims the account's shared pool, so
    /// the pool shrinks or grows by the change ([`AccountPool`](super::AccountPool)).
    pub(crate) fn set_min_instances(&self, instances: u32) -> u32 {
        let instances = instances.min(self.max);
        let now = Instant::now();
        let mut st = self.lock();
        let old = self.min.swap(instances, Ordering::AcqRel);
        if let Some(account) = &st.account {
            account.resize(i64::from(old) - i64::from(instances));
        }
        let mut pinned: Vec<(u8, u64)> = st
            .slots
            .iter()
            .filter(|s| s.pinned)
            .map(|s| {
                let rank = match s.phase() {
                    Phase::Idle => 0,
                    Phase::Starting => 1,
                    Phase::Busy => 2,
                };
                (rank, s.id)
            })
            .collect();
        pinned.sort_unstable();
        let extra = pinned.len().saturating_sub(instances as usize);
        for &(_, id) in pinned.iter().take(extra) {
            self.release_pinned(&mut st, id, now);
        }
        self.ensure_min_instances(&mut st, now);
        self.dispatch(&mut st, now);
        old
    }

    /// Lets a min instance go: reaped now if idle, otherwise no new work and reaped when it
    /// is ready or drained. Its invocations in flight now count on the account's pool.
    fn release_pinned(&self, st: &mut PoolState, id: u64, now: Instant) {
        let Some(slot) = st.slots.iter_mut().find(|s| s.id == id) else {
            return;
        };
        if slot.phase() == Phase::Idle {
            st.remove_slot(id);
            self.reaped(st, now, id, ReapCause::Deprovisioned);
            return;
        }
        slot.pinned = false;
        slot.retiring = true;
        slot.deprovisioned = true;
        let in_flight = i64::from(slot.in_flight);
        if let Some(account) = &st.account {
            account.add(in_flight);
        }
    }

    /// Starts the min instances now if a tokio runtime is running (otherwise on first use).
    pub fn start_min_instances(&self) {
        let mut st = self.lock();
        self.ensure_min_instances(&mut st, Instant::now());
    }

    /// Waits until no instance is starting (min instances and pre-warms are ready).
    pub async fn ready(&self) {
        loop {
            let notified = self.started.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.lock().slots.iter().all(|s| s.instance.is_some()) {
                return;
            }
            notified.await;
        }
    }

    /// Starts an instance with no invocation attached; pre-warms are kept for `keep_alive`.
    fn spawn_start(
        &self,
        slot: u64,
        ready: watch::Sender<Readiness>,
        keep_alive: Option<Duration>,
    ) {
        let Some(pool) = self.me.upgrade() else {
            return;
        };
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        handle.spawn(async move {
            if pool.start_instance(slot, ready).await.is_err() {
                return;
            }
            let now = Instant::now();
            let mut st = pool.lock();
            pool.dispatch(&mut st, now);
            // Provisioned concurrency lowered while it started: nothing joined it, release it.
            if st
                .slots
                .iter()
                .any(|s| s.id == slot && s.deprovisioned && s.in_flight == 0)
            {
                st.remove_slot(slot);
                pool.reaped(&mut st, now, slot, ReapCause::Deprovisioned);
                return;
            }
            if let (Some(window), Some(s)) = (
                keep_alive,
                st.slots
                    .iter_mut()
                    .find(|s| s.id == slot && s.in_flight == 0),
            ) {
                s.idle_since = now;
                pool.arm_reap(s, now + window);
            }
        });
    }

    /// An instance finished its last invocation: ask the keep-alive policy what to do.
    pub(crate) fn on_idle(&self, st: &mut PoolState, id: u64, now: Instant) {
        let Some(pos) = st.slot_index(id) else {
            return;
        };
        let slot = &mut st.slots[pos];
        if slot.in_flight > 0 {
            return;
        }
        slot.idle_since = now;
        if slot.pinned {
            return;
        }
        let windows = st.policy.on_idle(self.since_origin(now));
        if windows.prewarm.is_zero() {
            self.arm_reap(slot, now + windows.keep_alive);
            return;
        }
        st.remove_slot(id);
        self.reaped(st, now, id, ReapCause::Unloaded);
        self.schedule_prewarm(st, now + windows.prewarm, windows.keep_alive);
    }

    /// Reaps `slot` at `at` if it is still idle then.
    ///
    /// Lazily: when its one keep-alive timer is already armed for an earlier deadline (the
    /// usual case, a fixed window pushed back by each invocation), only the slot's deadline
    /// moves, and the timer, firing early, sleeps again until it ([`reap_if_idle`]). Waking the
    /// timer's task on every release cost a wake-up per invocation.
    fn arm_reap(&self, slot: &mut Slot, at: Instant) {
        slot.reap_at = Some(at);
        if slot.reaper.is_none() {
            slot.reaper = Timer::spawn(self.me.clone(), reap_if_idle);
        }
        if let Some(timer) = &slot.reaper {
            if timer.deadline().is_none_or(|due| due > at) {
                timer.arm(at, slot.id);
            }
        }
    }

    /// Loads a fresh instance at `at`, unless a call arrives meanwhile or one is already live.
    ///
    /// One pending pre-warm per pool: a later unload re-arms it, except that a pre-warm due
    /// earlier for the same arrivals stands (the first one due is the one that would load).
    fn schedule_prewarm(&self, st: &mut PoolState, at: Instant, keep_alive: Duration) {
        if st.prewarm.is_none() {
            st.prewarm = Timer::spawn(self.me.clone(), prewarm);
        }
        let Some(timer) = &st.prewarm else {
            return;
        };
        let arrivals = st.arrivals;
        if timer
            .armed()
            .is_some_and(|(due, (_, pending))| pending == arrivals && due <= at)
        {
            return;
        }
        timer.arm(at, (keep_alive, arrivals));
    }

    /// Retries waiting invocations when the scale-out rate allows a new instance.
    pub(crate) fn schedule_wake(&self, st: &mut PoolState, at: Instant) {
        if st.wake.is_none() {
            st.wake = Timer::spawn(self.me.clone(), wake);
        }
        let Some(timer) = &st.wake else {
            return;
        };
        if timer.deadline().is_some_and(|due| due <= at) {
            return;
        }
        timer.arm(at, ());
    }
}

/// The keep-alive timer of slot `id` fired at `at`: reap the instance if it is still idle and its
/// deadline has come; sleep again until its deadline if that moved later meanwhile; stand down
/// if the instance is busy (its next idle arms the timer again).
fn reap_if_idle(
    pool: &InstancePool,
    st: &mut PoolState,
    now: Instant,
    at: Instant,
    id: &u64,
) -> bool {
    let Some(pos) = st.slot_index(*id) else {
        return true;
    };
    let slot = &mut st.slots[pos];
    let Some(timer) = &slot.reaper else {
        return false;
    };
    if timer.deadline() != Some(at) {
        // Re-armed for another deadline meanwhile: that one decides.
        return false;
    }
    if slot.in_flight > 0 || slot.pinned {
        timer.disarm();
        return false;
    }
    match slot.reap_at {
        Some(due) if due > now => {
            timer.arm(due, *id);
            return false;
        }
        Some(_) => {}
        None => {
            timer.disarm();
            return false;
        }
    }
    st.remove_slot(*id);
    pool.reaped(st, now, *id, ReapCause::KeepAlive);
    true
}

/// The pool's pre-warm timer fired: load a fresh instance if nothing arrived since it was armed
/// and the pool is empty.
fn prewarm(
    pool: &InstancePool,
    st: &mut PoolState,
    now: Instant,
    at: Instant,
    &(keep_alive, arrivals): &(Duration, u64),
) -> bool {
    match &st.prewarm {
        Some(timer) if timer.deadline() == Some(at) => timer.disarm(),
        _ => return false,
    }
    if st.arrivals == arrivals && st.slots.is_empty() {
        let (slot, ready) = pool.add_slot(st, 0, false, StartCause::Prewarm, now);
        pool.spawn_start(slot, ready, Some(keep_alive));
    }
    false
}

/// The pool's wake-up timer fired: hand capacity the scale-out rate now allows to waiters.
fn wake(pool: &InstancePool, st: &mut PoolState, now: Instant, at: Instant, (): &()) -> bool {
    match &st.wake {
        Some(timer) if timer.deadline() == Some(at) => timer.disarm(),
        _ => return false,
    }
    pool.dispatch(st, now);
    false
}
