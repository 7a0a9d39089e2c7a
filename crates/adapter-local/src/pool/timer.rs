//! Re-armable timers: one task per timer for as long as the timer exists, however often it is
//! re-armed.
//!
//! A pool arms a keep-alive timer every time an instance becomes idle. Spawning a sleeping task
//! each time would leave one stale task per idle transition alive for the whole keep-alive window
//! (about 600,000 tasks at 1,000 calls per second with Lambda's 10 minutes). A [`Timer`] instead
//! owns one task that sleeps until the latest deadline; re-arming moves the deadline, and
//! dropping the timer (its instance is gone, or its pool) ends the task. Live tasks are therefore
//! O(instances).

use std::sync::Weak;

use tokio::sync::watch;
use tokio::time::Instant;

use super::routing::PoolState;
use super::InstancePool;

/// What a timer does when its deadline passes, under the pool's lock: it gets the deadline that
/// fired and the value armed with it. It returns `true` when the timer's job is over (its task
/// may end), `false` to wait for the next arming.
pub(crate) type Fire<T> = fn(&InstancePool, &mut PoolState, Instant, Instant, &T) -> bool;

/// A deadline with a value, and the task that waits for it.
#[derive(Debug)]
pub(crate) struct Timer<T> {
    armed: watch::Sender<Option<(Instant, T)>>,
}

impl<T: Clone + Send + Sync + 'static> Timer<T> {
    /// A disarmed timer whose task runs `fire` on `pool`; `None` outside a tokio runtime (no
    /// timers there, as nothing could wait for them).
    pub(crate) fn spawn(pool: Weak<InstancePool>, fire: Fire<T>) -> Option<Self> {
        let handle = tokio::runtime::Handle::try_current().ok()?;
        let (armed, mut deadline) = watch::channel(None::<(Instant, T)>);
        handle.spawn(async move {
            loop {
                let Some((at, value)) = deadline.borrow_and_update().clone() else {
                    if deadline.changed().await.is_err() {
                        return;
                    }
                    continue;
                };
                tokio::select! {
                    biased;
                    changed = deadline.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        continue;
                    }
                    () = tokio::time::sleep_until(at) => {}
                }
                let Some(pool) = pool.upgrade() else {
                    return;
                };
                let done = {
                    let mut st = pool.lock();
                    fire(&pool, &mut st, Instant::now(), at, &value)
                };
                drop(pool);
                if done || deadline.changed().await.is_err() {
                    return;
                }
            }
        });
        Some(Self { armed })
    }

    /// Sets the deadline (replacing any earlier one) and its value.
    pub(crate) fn arm(&self, at: Instant, value: T) {
        self.armed.send_replace(Some((at, value)));
    }

    /// Clears the deadline.
    pub(crate) fn disarm(&self) {
        self.armed.send_replace(None);
    }

    /// The pending deadline and its value, if armed.
    pub(crate) fn armed(&self) -> Option<(Instant, T)> {
        self.armed.borrow().clone()
    }

    /// The pending deadline, if armed.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.armed.borrow().as_ref().map(|(at, _)| *at)
    }
}
