//! [`LocalRuntime`]: runs an [`App`] in-process.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::time::Instant;
use tracing::Instrument as _;

use faasport_core::{App, Bindings, Context, Error, Event, Provider, Resources};

use crate::pool::InstancePool;
use crate::record::{Invocation, InvocationRecord, Outcome};

/// Per-invocation options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvokeOptions {
    /// The delivery attempt, 1 on the first.
    pub attempt: u32,
}

impl Default for InvokeOptions {
    fn default() -> Self {
        Self { attempt: 1 }
    }
}

impl InvokeOptions {
    /// Sets the attempt.
    pub fn attempt(mut self, attempt: u32) -> Self {
        self.attempt = attempt;
        self
    }
}

/// Builds a [`LocalRuntime`].
#[derive(Debug)]
pub struct RuntimeBuilder {
    app: App,
    bindings: Bindings,
}

impl RuntimeBuilder {
    /// Serves the context's resource handles with these bindings (the local sources by default).
    pub fn bindings(mut self, bindings: Bindings) -> Self {
        self.bindings = bindings;
        self
    }

    /// Validates the app and builds the runtime.
    ///
    /// # Errors
    /// [`Error::App`] if the app is invalid.
    pub fn build(self) -> Result<LocalRuntime, Error> {
        self.app.validate()?;
        let ids = Arc::new(AtomicU64::new(1));
        let pools = self
            .app
            .functions()
            .iter()
            .map(|f| {
                (
                    f.name().to_owned(),
                    Arc::new(InstancePool::new(f.clone(), ids.clone())),
                )
            })
            .collect();
        let resources = Resources::new(self.app.declared(), self.bindings);
        Ok(LocalRuntime {
            inner: Arc::new(Inner {
                app: self.app,
                pools,
                resources,
                started: Instant::now(),
                requests: AtomicU64::new(1),
                records: Mutex::new(Vec::new()),
            }),
        })
    }
}

#[derive(Debug)]
struct Inner {
    app: App,
    pools: HashMap<String, Arc<InstancePool>>,
    resources: Resources,
    started: Instant,
    requests: AtomicU64,
    records: Mutex<Vec<InvocationRecord>>,
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
            bindings: Bindings::none(),
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
        let pool = self.pool(function)?;
        let f = pool.function();
        let request_id = format!(
            "req-{:08}",
            self.inner.requests.fetch_add(1, Ordering::Relaxed)
        );
        let span = tracing::info_span!("invocation", function = f.name(), request_id = %request_id);
        let arrived = Instant::now();
        let mut record = InvocationRecord {
            function: f.name().to_owned(),
            request_id: request_id.clone(),
            arrived_at: arrived.duration_since(self.inner.started),
            queued: std::time::Duration::ZERO,
            init: std::time::Duration::ZERO,
            duration: std::time::Duration::ZERO,
            memory_mb: f.memory(),
            cold: false,
            instance: None,
            outcome: Outcome::Ok,
            attempt: options.attempt,
        };
        let result = async {
            let lease = match pool.acquire().await {
                Ok(lease) => lease,
                Err((error, init)) => {
                    record.cold = true;
                    record.init = init;
                    return Err(error);
                }
            };
            record.cold = lease.cold;
            record.init = lease.init;
            record.instance = Some(lease.instance.id());
            let cx = Context::new(request_id.clone(), f.name())
                .with_timeout(f.timeout_duration())
                .with_attempt(options.attempt)
                .with_memory_mb(f.memory())
                .with_provider(Provider::Local)
                .with_trace_id(format!("local-{request_id}"))
                .with_state(lease.instance.state().clone())
                .with_resources(self.inner.resources.clone());
            let started = Instant::now();
            let result = match tokio::time::timeout(f.timeout_duration(), f.call(event, cx)).await {
                Ok(result) => result,
                Err(_) => Err(Error::Timeout(f.timeout_duration())),
            };
            record.duration = started.elapsed();
            let healthy = !matches!(result, Err(Error::Timeout(_)));
            pool.release(lease.instance, healthy);
            result
        }
        .instrument(span)
        .await;
        record.outcome = Outcome::of(&result);
        tracing::debug!(function = %record.function, request_id = %record.request_id, outcome = ?record.outcome, cold = record.cold, "invocation finished");
        self.lock_records().push(record.clone());
        Ok(Invocation { result, record })
    }

    /// Every invocation recorded so far, in completion order.
    pub fn records(&self) -> Vec<InvocationRecord> {
        self.lock_records().clone()
    }

    fn pool(&self, function: &str) -> Result<&Arc<InstancePool>, Error> {
        self.inner
            .pools
            .get(function)
            .ok_or_else(|| Error::UnknownFunction {
                name: function.to_owned(),
                available: self.inner.app.function_names(),
            })
    }

    fn lock_records(&self) -> std::sync::MutexGuard<'_, Vec<InvocationRecord>> {
        self.inner
            .records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
