//! Instances of one function: created on demand (a cold start runs the initialiser), reused when
//! warm.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use faasport_core::{Error, Function, InstanceState};

/// One instance (execution environment) of a function.
#[derive(Debug)]
pub struct Instance {
    id: u64,
    state: InstanceState,
}

impl Instance {
    /// The instance id, unique within the runtime.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The state its initialiser produced.
    pub fn state(&self) -> &InstanceState {
        &self.state
    }
}

/// An instance lent to one invocation.
#[derive(Debug)]
pub struct Lease {
    /// The instance.
    pub instance: Arc<Instance>,
    /// Whether it was started for this invocation.
    pub cold: bool,
    /// How long its initialiser took (zero when warm).
    pub init: Duration,
}

/// The instances of one function.
#[derive(Debug)]
pub struct InstancePool {
    function: Function,
    idle: Mutex<Vec<Arc<Instance>>>,
    ids: Arc<AtomicU64>,
}

impl InstancePool {
    /// An empty pool for `function`; instance ids come from `ids`.
    pub fn new(function: Function, ids: Arc<AtomicU64>) -> Self {
        Self {
            function,
            idle: Mutex::new(Vec::new()),
            ids,
        }
    }

    /// The function.
    pub fn function(&self) -> &Function {
        &self.function
    }

    /// Lends a warm instance, or starts one.
    ///
    /// # Errors
    /// [`Error::Init`] if a new instance's initialiser fails; the instance is discarded.
    pub async fn acquire(&self) -> Result<Lease, (Error, Duration)> {
        if let Some(instance) = self.lock_idle().pop() {
            return Ok(Lease {
                instance,
                cold: false,
                init: Duration::ZERO,
            });
        }
        let started = Instant::now();
        let state = self
            .function
            .initialise()
            .await
            .map_err(|e| (e, started.elapsed()))?;
        let instance = Arc::new(Instance {
            id: self.ids.fetch_add(1, Ordering::Relaxed),
            state,
        });
        Ok(Lease {
            instance,
            cold: true,
            init: started.elapsed(),
        })
    }

    /// Returns an instance after an invocation; `healthy: false` discards it (after a timeout
    /// the platform recycles the environment).
    pub fn release(&self, instance: Arc<Instance>, healthy: bool) {
        if healthy {
            self.lock_idle().push(instance);
        }
    }

    /// Instances currently idle.
    pub fn idle_count(&self) -> usize {
        self.lock_idle().len()
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Instance>>> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
