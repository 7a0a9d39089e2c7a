//! The pool's state and the routing decision: start an instance, join one, or refuse.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use super::account::AccountPool;
use super::keep_alive::KeepAlivePolicy;
use super::lease::Instance;
use super::scale_out::TokenBucket;
use super::timer::Timer;
use super::InstancePool;
use crate::profile::InvocationSource;
use crate::trace::{ReapCause, ScalingEventKind, StartCause};

/// How long an invocation waiting on the account's shared concurrency waits before the pool
/// looks again (the first step of Lambda's asynchronous back-off, §9.3).
pub(crate) const ACCOUNT_RETRY: Duration = Duration::from_secs(1);

/// Where an instance is in its start-up, as seen by invocations waiting for it.
#[derive(Debug, Clone)]
pub(crate) enum Readiness {
    Starting,
    Ready(Arc<Instance>),
    Failed(String),
}

/// One live (or starting) instance.
#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) id: u64,
    pub(crate) instance: Option<Arc<Instance>>,
    pub(crate) ready: watch::Receiver<Readiness>,
    pub(crate) in_flight: u32,
    /// A min instance: never reaped.
    pub(crate) pinned: bool,
    /// Its keep-alive timer, created the first time it becomes idle.
    pub(crate) reaper: Option<Timer<u64>>,
    /// When it is reaped if it stays idle. The timer is re-armed lazily: a later deadline is
    /// only written here, and the timer, when it fires early, sleeps again until this one.
    pub(crate) reap_at: Option<Instant>,
    pub(crate) idle_since: Instant,
    /// Recycled after a timeout: takes no new work, removed when drained.
    pub(crate) retiring: bool,
    /// Retiring because provisioned concurrency was lowered (the reap cause when drained).
    pub(crate) deprovisioned: bool,
    /// The class of the scale-out bucket this start took a token from, if any.
    pub(crate) token: Option<InvocationSource>,
}

/// Where a slot is: starting, ready with work, or ready and idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Starting,
    Busy,
    Idle,
}

impl Slot {
    pub(crate) fn phase(&self) -> Phase {
        match (&self.instance, self.in_flight) {
            (None, _) => Phase::Starting,
            (Some(_), 0) => Phase::Idle,
            (Some(_), _) => Phase::Busy,
        }
    }
}

/// How many slots are in each phase, kept up to date on every change so the gauges cost O(1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Census {
    pub(crate) starting: u64,
    pub(crate) busy: u64,
    pub(crate) idle: u64,
}

impl Census {
    fn count(&mut self, phase: Phase) -> &mut u64 {
        match phase {
            Phase::Starting => &mut self.starting,
            Phase::Busy => &mut self.busy,
            Phase::Idle => &mut self.idle,
        }
    }

    pub(crate) fn enter(&mut self, phase: Phase) {
        *self.count(phase) += 1;
    }

    pub(crate) fn leave(&mut self, phase: Phase) {
        let count = self.count(phase);
        *count = count.saturating_sub(1);
    }

    pub(crate) fn moved(&mut self, from: Phase, to: Phase) {
        if from != to {
            self.leave(from);
            self.enter(to);
        }
    }

    /// Counts `slots` from scratch (to check the running counts in debug builds).
    pub(crate) fn of(slots: &[Slot]) -> Self {
        let mut census = Self::default();
        for slot in slots {
            census.enter(slot.phase());
        }
        census
    }
}

/// An invocation waiting for capacity.
#[derive(Debug)]
pub(crate) struct Waiter {
    pub(crate) id: u64,
    pub(crate) source: InvocationSource,
    pub(crate) tx: oneshot::Sender<Assignment>,
}

/// What the routing decided for one invocation.
#[derive(Debug)]
pub(crate) enum Assignment {
    /// A ready instance with a free slot.
    Warm { instance: Arc<Instance> },
    /// An instance still starting; wait for it.
    Join {
        slot: u64,
        ready: watch::Receiver<Readiness>,
    },
    /// A new instance, started by this invocation (a cold start).
    Start {
        slot: u64,
        ready: watch::Sender<Readiness>,
    },
}

/// How a slot ranks for a new invocation, lowest first: ready before starting, least loaded,
/// most recently idle, oldest.
type JoinKey = (bool, u32, std::cmp::Reverse<Instant>, u64);

/// Why no capacity was found.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refusal {
    /// Every instance is at its concurrency and the pool at its cap.
    Full,
    /// A new instance is needed but the scale-out rate allows one only at this instant.
    RateLimited(Instant),
    /// The account's shared concurrency is in use ([`AccountPool`]).
    Account,
}

#[derive(Debug)]
pub(crate) struct PoolState {
    /// Live slots. Changes that add, remove or move a slot between phases go through
    /// [`PoolState::push_slot`], [`PoolState::remove_slot`] and [`PoolState::update_slot`] (or
    /// adjust [`PoolState::census`] themselves).
    pub(crate) slots: Vec<Slot>,
    pub(crate) census: Census,
    pub(crate) waiters: VecDeque<Waiter>,
    pub(crate) sync_bucket: Option<TokenBucket>,
    pub(crate) event_bucket: Option<TokenBucket>,
    pub(crate) policy: Box<dyn KeepAlivePolicy>,
    pub(crate) arrivals: u64,
    pub(crate) next_waiter: u64,
    /// The pending pre-warm: when, and for which count of arrivals (with its keep-alive).
    pub(crate) prewarm: Option<Timer<(Duration, u64)>>,
    /// When waiting invocations are next retried against the scale-out rate.
    pub(crate) wake: Option<Timer<()>>,
    /// The account's shared concurrency this function draws from (none when it has reserved
    /// concurrency or the profile has no shared pool).
    pub(crate) account: Option<std::sync::Arc<AccountPool>>,
    /// Busy intervals released and not yet counted in the trace: `(instance, start, end)`
    /// (see [`InstancePool::flush_work`]).
    pub(crate) work: Vec<(u64, Duration, Duration)>,
}

impl PoolState {
    pub(crate) fn push_slot(&mut self, slot: Slot) {
        self.census.enter(slot.phase());
        self.count_in_flight(&slot, i64::from(slot.in_flight));
        self.slots.push(slot);
    }

    /// Where slot `id` is in [`PoolState::slots`]. Slots are pushed in the order their ids were
    /// taken (under the pool's lock) and removed in place, so they are sorted by id and a
    /// binary search finds one; a linear search backs it up.
    pub(crate) fn slot_index(&self, id: u64) -> Option<usize> {
        match self.slots.binary_search_by_key(&id, |s| s.id) {
            Ok(pos) => Some(pos),
            Err(_) => self.slots.iter().position(|s| s.id == id),
        }
    }

    pub(crate) fn remove_slot(&mut self, id: u64) -> Option<Slot> {
        let pos = self.slot_index(id)?;
        let slot = self.slots.remove(pos);
        self.census.leave(slot.phase());
        self.count_in_flight(&slot, -i64::from(slot.in_flight));
        Some(slot)
    }

    pub(crate) fn update_slot<R>(
        &mut self,
        id: u64,
        change: impl FnOnce(&mut Slot) -> R,
    ) -> Option<R> {
        let pos = self.slot_index(id)?;
        let slot = &mut self.slots[pos];
        let before = slot.phase();
        let in_flight = slot.in_flight;
        let result = change(slot);
        self.census.moved(before, slot.phase());
        let delta = i64::from(slot.in_flight) - i64::from(in_flight);
        if delta != 0 && !slot.pinned {
            if let Some(account) = &self.account {
                account.add(delta);
            }
        }
        Some(result)
    }

    /// Adds `delta` in-flight invocations of `slot` to the account's shared count (instances
    /// kept for min instances claim the pool already; see [`AccountPool`]).
    fn count_in_flight(&self, slot: &Slot, delta: i64) {
        if delta != 0 && !slot.pinned {
            if let Some(account) = &self.account {
                account.add(delta);
            }
        }
    }
}

impl InstancePool {
    /// Routes one invocation (already counted by the caller as arrived).
    ///
    /// The pool wants `min(max, ceil(in_flight / (target × concurrency)))` instances; when it has
    /// fewer, this invocation starts one (if the scale-out rate allows), otherwise it goes to the
    /// least-loaded instance below its concurrency, preferring ready ones.
    pub(crate) fn assign(
        &self,
        st: &mut PoolState,
        source: InvocationSource,
        now: Instant,
    ) -> Result<Assignment, Refusal> {
        // One unit of the account's shared concurrency, taken in one atomic step before routing
        // so that pools racing on other threads cannot overshoot it; given back below if the
        // invocation goes to a provisioned instance or is refused.
        // The pool's own handle (the same pool as the state's, set once when the pool is built):
        // borrowing it costs no reference count, where a clone of the state's would cost two
        // atomic operations per invocation.
        let account = self.account();
        let reserved = account.as_ref().map(|a| a.try_reserve());
        let room = reserved != Some(false);
        let give_back = || {
            if let (Some(account), Some(true)) = (&account, reserved) {
                account.add(-1);
            }
        };
        let cc = self.concurrency;
        // One pass over the slots: how many are live, how much they run, and the one an
        // invocation would join (the least loaded below its concurrency, ready ones first, the
        // most recently idle, the oldest).
        let mut live: u64 = 0;
        let mut in_flight: u64 = 1;
        let mut best: Option<(usize, JoinKey)> = None;
        for (i, s) in st.slots.iter().enumerate() {
            if s.retiring {
                continue;
            }
            live += 1;
            in_flight += u64::from(s.in_flight);
            if s.in_flight < cc && (room || s.pinned) {
                let key = (
                    s.instance.is_none(),
                    s.in_flight,
                    std::cmp::Reverse(s.idle_since),
                    s.id,
                );
                if best.as_ref().is_none_or(|(_, b)| key < *b) {
                    best = Some((i, key));
                }
            }
        }
        let per_instance = (self.target_utilisation * f64::from(self.concurrency)).max(1.0);
        let desired = ((in_flight as f64 / per_instance).ceil() as u64).min(u64::from(self.max));
        let mut retry_at = None;
        if live < desired && room {
            let bucket = if source.is_sync() {
                st.sync_bucket.as_mut()
            } else {
                st.event_bucket.as_mut()
            };
            let metered = bucket.is_some();
            match bucket.map_or(Ok(()), |b| b.take(now)) {
                Ok(()) => {
                    let (slot, ready) = self.add_slot(st, 0, false, StartCause::Demand, now);
                    if let Some(s) = st.slots.last_mut() {
                        // Counted on the account by the reservation above; a starting slot's
                        // phase does not depend on its invocations.
                        s.in_flight = 1;
                        if metered {
                            s.token = Some(source);
                        }
                    }
                    return Ok(Assignment::Start { slot, ready });
                }
                Err(at) => retry_at = Some(at),
            }
        }
        if let Some(slot) = best.and_then(|(i, _)| st.slots.get_mut(i)) {
            let before = slot.phase();
            slot.in_flight += 1;
            if slot.pinned {
                give_back();
            }
            st.census.moved(before, slot.phase());
            return Ok(match &slot.instance {
                Some(instance) => Assignment::Warm {
                    instance: instance.clone(),
                },
                None => Assignment::Join {
                    slot: slot.id,
                    ready: slot.ready.clone(),
                },
            });
        }
        give_back();
        if !room {
            return Err(Refusal::Account);
        }
        Err(retry_at.map_or(Refusal::Full, Refusal::RateLimited))
    }

    /// Adds a starting instance and records its start in the trace.
    pub(crate) fn add_slot(
        &self,
        st: &mut PoolState,
        in_flight: u32,
        pinned: bool,
        cause: StartCause,
        now: Instant,
    ) -> (u64, watch::Sender<Readiness>) {
        let id = self.ids.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = watch::channel(Readiness::Starting);
        st.push_slot(Slot {
            id,
            instance: None,
            ready: rx,
            in_flight,
            pinned,
            reaper: None,
            reap_at: None,
            idle_since: now,
            retiring: false,
            deprovisioned: false,
            token: None,
        });
        self.emit(now, Some(id), ScalingEventKind::Started { cause });
        (id, tx)
    }

    /// Hands freed capacity to waiting invocations, first come first served.
    pub(crate) fn dispatch(&self, st: &mut PoolState, now: Instant) {
        while let Some(source) = st.waiters.front().map(|w| w.source) {
            match self.assign(st, source, now) {
                Ok(assignment) => {
                    let Some(waiter) = st.waiters.pop_front() else {
                        return;
                    };
                    if let Err(unused) = waiter.tx.send(assignment) {
                        self.undo(st, unused, now);
                    }
                }
                Err(Refusal::RateLimited(at)) => {
                    self.schedule_wake(st, at);
                    return;
                }
                Err(Refusal::Account) => {
                    // Another function frees the account's capacity; look again after
                    // Lambda's first async back-off step (§9.3: 1 s, growing to 5 min).
                    self.schedule_wake(st, now + ACCOUNT_RETRY);
                    return;
                }
                Err(Refusal::Full) => return,
            }
        }
    }

    /// Gives back an assignment whose invocation went away.
    fn undo(&self, st: &mut PoolState, assignment: Assignment, now: Instant) {
        match assignment {
            Assignment::Start { slot, .. } => self.abandon_start(st, slot, now),
            Assignment::Warm { instance } => self.vacate(st, instance.id),
            Assignment::Join { slot, .. } => self.vacate(st, slot),
        }
    }

    fn vacate(&self, st: &mut PoolState, id: u64) {
        st.update_slot(id, |slot| slot.in_flight = slot.in_flight.saturating_sub(1));
    }

    /// Removes a slot whose start was abandoned before it was ready: its Started event is
    /// answered by a reap with cause `abandoned`, and its scale-out token is given back.
    pub(crate) fn abandon_start(&self, st: &mut PoolState, id: u64, now: Instant) {
        let Some(slot) = st.remove_slot(id) else {
            return;
        };
        let bucket = match slot.token {
            Some(source) if source.is_sync() => st.sync_bucket.as_mut(),
            Some(_) => st.event_bucket.as_mut(),
            None => None,
        };
        if let Some(bucket) = bucket {
            bucket.give_back(now);
        }
        self.reaped(st, now, id, ReapCause::Abandoned);
    }
}
