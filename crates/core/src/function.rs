//! [`Function`]: a handler with its triggers, limits, retry policy, dead-letter target and the
//! access it declares to the app's resources.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt as _;
use http::Method;

use crate::access::{Access, Operation};
use crate::trigger::{DeadLetter, RetryPolicy, Trigger};

use crate::handler::{panic_message, BoxHandler};
use crate::{Context, Error, Event, EventKind, Handler, InstanceState, Output, StorageEventKind};

/// The memory a function gets unless it says otherwise (MB), Lambda's default.
pub const DEFAULT_MEMORY_MB: u32 = 128;
/// The timeout a function gets unless it says otherwise. Lambda defaults to 3 s, Cloud Run to
/// 300 s and Azure Consumption to 5 min; 30 s suits most HTTP and queue work and fits them all.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Messages per batch for queue triggers unless set (SQS's default).
pub const DEFAULT_BATCH_SIZE: u32 = 10;

type BoxInit =
    Arc<dyn Fn() -> BoxFuture<'static, Result<Arc<dyn Any + Send + Sync>, Error>> + Send + Sync>;

/// A function: a handler plus everything a platform needs to run it.
///
/// # Examples
/// ```
/// use faasport_core::{Context, Error, Function, QueueBatch, BatchOutcome};
/// use std::time::Duration;
///
/// async fn bill(batch: QueueBatch, _cx: Context) -> Result<BatchOutcome, Error> {
///     Ok(BatchOutcome::success())
/// }
///
/// let f = Function::new("bill", bill)
///     .queue("invoices")
///     .memory_mb(256)
///     .timeout(Duration::from_secs(10))
///     .max_instances(50)
///     .publishes("receipts");
/// assert_eq!(f.name(), "bill");
/// ```
#[derive(Clone)]
pub struct Function {
    name: String,
    handler: BoxHandler,
    init: Option<BoxInit>,
    triggers: Vec<Trigger>,
    spec: FunctionSpec,
    access: Access,
}

/// A function's limits and failure handling, read with [`Function::spec`].
///
/// Each field has the name of the [`Function`] builder method that sets it
/// (`Function::new(..).memory_mb(256)` sets `spec().memory_mb`): one word for setting and
/// reading, as in tower and axum. The local runtime enforces these values and every manifest
/// writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FunctionSpec {
    /// Memory in MB ([`DEFAULT_MEMORY_MB`] unless set).
    pub memory_mb: u32,
    /// How long one invocation may run ([`DEFAULT_TIMEOUT`] unless set).
    pub timeout: Duration,
    /// The instance cap (reserved concurrency), if any.
    pub max_instances: Option<u32>,
    /// Instances kept warm (provisioned concurrency, min instances).
    pub min_instances: u32,
    /// Invocations one instance runs at once, if set (the profile decides otherwise).
    pub concurrency_per_instance: Option<u32>,
    /// How failed asynchronous deliveries are retried.
    pub retry: RetryPolicy,
    /// Where events go when every retry failed, if the function names a target of its own
    /// (otherwise the app's default, see [`App::dead_letter_for`](crate::App::dead_letter_for)).
    pub dead_letter: Option<DeadLetter>,
    /// The instruction set it runs on, if chosen (`None`: the provider's default, x86_64 on
    /// Lambda; the local meter prices it under its default architecture option).
    pub arch: Option<Arch>,
    /// Ephemeral storage (`/tmp`) in MB, if set (`None`: Lambda's free 512 MB).
    pub ephemeral_storage_mb: Option<u32>,
}

/// The instruction set a function runs on (Lambda's `Architectures`). Lambda prices arm64
/// (Graviton) lower than x86_64 (the pricing and scaling notes §1.1, §11.1).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    /// x86_64, Lambda's default.
    #[default]
    X86_64,
    /// arm64 (AWS Graviton).
    Arm64,
}

impl Arch {
    /// The name Lambda and SAM use: `x86_64` or `arm64`.
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }
}

impl Default for FunctionSpec {
    fn default() -> Self {
        Self {
            memory_mb: DEFAULT_MEMORY_MB,
            timeout: DEFAULT_TIMEOUT,
            max_instances: None,
            min_instances: 0,
            concurrency_per_instance: None,
            retry: RetryPolicy::default(),
            dead_letter: None,
            arch: None,
            ephemeral_storage_mb: None,
        }
    }
}

impl Function {
    /// A function named `name` running `handler`, with default limits and no triggers (it can
    /// still be invoked directly).
    pub fn new<H: Handler<M>, M>(name: impl Into<String>, handler: H) -> Self {
        Self {
            name: name.into(),
            handler: BoxHandler::new(handler),
            init: None,
            triggers: Vec::new(),
            spec: FunctionSpec::default(),
            access: Access::new(),
        }
    }

    /// Declares an initialiser, run once per new instance (the cold start); its value is the
    /// instance's state, read with [`Context::state`].
    pub fn init<F, Fut, S, E>(mut self, init: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<S, E>> + Send + 'static,
        S: Any + Send + Sync,
        E: std::error::Error + Send + Sync + 'static,
    {
        let name = self.name.clone();
        self.init = Some(Arc::new(move || {
            let fut = init();
            let name = name.clone();
            Box::pin(async move {
                fut.await
                    .map(|state| Arc::new(state) as Arc<dyn Any + Send + Sync>)
                    .map_err(|e| Error::Init {
                        function: name,
                        message: crate::error::chain_message(&e),
                    })
            })
        }));
        self
    }

    /// Adds an HTTP route for one method.
    pub fn http(self, method: Method, path: impl Into<String>) -> Self {
        self.trigger(Trigger::Http {
            method: Some(method),
            path: path.into(),
        })
    }

    /// Adds an HTTP route for every method.
    pub fn http_any(self, path: impl Into<String>) -> Self {
        self.trigger(Trigger::Http {
            method: None,
            path: path.into(),
        })
    }

    /// Subscribes to a declared topic.
    pub fn subscribe(self, topic: impl Into<String>) -> Self {
        self.trigger(Trigger::Topic {
            topic: topic.into(),
        })
    }

    /// Consumes a declared queue in batches of up to [`DEFAULT_BATCH_SIZE`].
    pub fn queue(self, queue: impl Into<String>) -> Self {
        self.queue_batched(queue, DEFAULT_BATCH_SIZE, Duration::ZERO)
    }

    /// Consumes a declared queue in batches of up to `batch_size`, waiting up to `batch_window`
    /// to fill one.
    pub fn queue_batched(
        self,
        queue: impl Into<String>,
        batch_size: u32,
        batch_window: Duration,
    ) -> Self {
        self.trigger(Trigger::Queue {
            queue: queue.into(),
            batch_size,
            batch_window,
        })
    }

    /// Runs on a cron or rate schedule.
    pub fn schedule(self, expression: impl Into<String>) -> Self {
        self.trigger(Trigger::Schedule {
            expression: expression.into(),
        })
    }

    /// Runs on object events in a declared bucket (`kinds` empty: all events).
    pub fn storage(self, bucket: impl Into<String>, kinds: &[StorageEventKind]) -> Self {
        self.trigger(Trigger::Storage {
            bucket: bucket.into(),
            kinds: kinds.to_vec(),
            prefix: None,
        })
    }

    /// Runs on changes to a table.
    pub fn change_stream(self, table: impl Into<String>) -> Self {
        self.trigger(Trigger::Change {
            table: table.into(),
            batch_size: 100,
        })
    }

    /// Consumes an external data stream (a Kinesis data stream on AWS) in batches of up to
    /// [`DEFAULT_BATCH_SIZE`] records; see [`Trigger::Stream`]. The handler takes queue events.
    pub fn stream(self, stream: impl Into<String>) -> Self {
        self.stream_batched(stream, DEFAULT_BATCH_SIZE)
    }

    /// Consumes an external data stream in batches of up to `batch_size` records.
    pub fn stream_batched(self, stream: impl Into<String>, batch_size: u32) -> Self {
        self.trigger(Trigger::Stream {
            stream: stream.into(),
            batch_size,
        })
    }

    /// Runs on CloudEvents of one type.
    pub fn cloud_event(self, event_type: impl Into<String>) -> Self {
        self.trigger(Trigger::CloudEvent {
            event_type: event_type.into(),
        })
    }

    /// Adds any trigger.
    pub fn trigger(mut self, trigger: Trigger) -> Self {
        self.triggers.push(trigger);
        self
    }

    /// Sets the memory in MB (billing and the manifests use it).
    pub fn memory_mb(mut self, memory_mb: u32) -> Self {
        self.spec.memory_mb = memory_mb;
        self
    }

    /// Sets the timeout after which an invocation is cancelled.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.spec.timeout = timeout;
        self
    }

    /// Runs on `arch` (Lambda `Architectures`; the meter prices it at that architecture's
    /// rates).
    pub fn arch(mut self, arch: Arch) -> Self {
        self.spec.arch = Some(arch);
        self
    }

    /// Sets the ephemeral storage (`/tmp`) in MB (Lambda: 512 to 10,240; above 512 MB it is
    /// billed per GB-s).
    pub fn ephemeral_storage_mb(mut self, mb: u32) -> Self {
        self.spec.ephemeral_storage_mb = Some(mb);
        self
    }

    /// Caps the instances (Lambda reserved concurrency, Cloud Run max instances).
    pub fn max_instances(mut self, max: u32) -> Self {
        self.spec.max_instances = Some(max);
        self
    }

    /// Keeps instances started ahead and never reaped (provisioned concurrency, min instances).
    pub fn min_instances(mut self, min: u32) -> Self {
        self.spec.min_instances = min;
        self
    }

    /// Sets how many invocations one instance runs at once (the profile decides otherwise).
    pub fn concurrency_per_instance(mut self, concurrency: u32) -> Self {
        self.spec.concurrency_per_instance = Some(concurrency);
        self
    }

    /// Sets the retry policy for asynchronous deliveries.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.spec.retry = retry;
        self
    }

    /// Sends events that exhausted their retries to a declared queue or topic.
    pub fn dead_letter(mut self, target: DeadLetter) -> Self {
        self.spec.dead_letter = Some(target);
        self
    }

    /// Declares that the handler publishes to a declared topic.
    ///
    /// Once a function declares any access ([`publishes`](Self::publishes),
    /// [`sends`](Self::sends), [`reads`](Self::reads), [`writes`](Self::writes),
    /// [`invokes`](Self::invokes)), it may use only what it declared, and the manifests grant it
    /// only that. A function that declares nothing may use every resource the app declares (the
    /// broader shorthand). Triggers grant nothing: subscribing to a topic does not allow
    /// publishing to it. See [`Access`].
    pub fn publishes(self, topic: impl Into<String>) -> Self {
        self.grant(Operation::Publish, topic)
    }

    /// Declares that the handler sends to a declared queue (see [`Function::publishes`]).
    pub fn sends(self, queue: impl Into<String>) -> Self {
        self.grant(Operation::Send, queue)
    }

    /// Declares that the handler reads (gets and lists objects in) a declared bucket (see
    /// [`Function::publishes`]).
    pub fn reads(self, bucket: impl Into<String>) -> Self {
        self.grant(Operation::Read, bucket)
    }

    /// Declares that the handler writes (puts and deletes objects in) a declared bucket. Writing
    /// does not include reading: declare both to do both (see [`Function::publishes`]).
    pub fn writes(self, bucket: impl Into<String>) -> Self {
        self.grant(Operation::Write, bucket)
    }

    /// Declares that the handler invokes another function of the app, synchronously or
    /// asynchronously (see [`Function::publishes`]).
    pub fn invokes(self, function: impl Into<String>) -> Self {
        self.grant(Operation::Invoke, function)
    }

    fn grant(mut self, operation: Operation, name: impl Into<String>) -> Self {
        self.access = self.access.grant(operation, name);
        self
    }

    /// The access this function declared; empty when it relies on the app-level declarations.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The triggers.
    pub fn triggers(&self) -> &[Trigger] {
        &self.triggers
    }

    /// The limits and failure handling ([`FunctionSpec`]), each field named as the builder
    /// method that sets it.
    pub fn spec(&self) -> &FunctionSpec {
        &self.spec
    }

    /// The kind of event the handler takes.
    pub fn accepts(&self) -> EventKind {
        self.handler.accepts()
    }

    /// Whether the function declares an initialiser.
    pub fn has_init(&self) -> bool {
        self.init.is_some()
    }

    /// Runs the initialiser for a new instance (nothing if there is none). A panic becomes
    /// [`Error::Init`].
    ///
    /// # Errors
    /// [`Error::Init`] if the initialiser fails or panics.
    pub async fn initialise(&self) -> Result<InstanceState, Error> {
        let Some(init) = &self.init else {
            return Ok(None);
        };
        let fut = match std::panic::catch_unwind(AssertUnwindSafe(|| init())) {
            Ok(fut) => fut,
            Err(payload) => return Err(self.init_panic(payload.as_ref())),
        };
        match AssertUnwindSafe(fut).catch_unwind().await {
            Ok(result) => result.map(Some),
            Err(payload) => Err(self.init_panic(payload.as_ref())),
        }
    }

    fn init_panic(&self, payload: &(dyn Any + Send)) -> Error {
        Error::Init {
            function: self.name.clone(),
            message: format!("the initialiser panicked: {}", panic_message(payload)),
        }
    }

    /// Runs the handler on one event. Panics are contained ([`Error::Panic`]); the timeout is
    /// the caller's to enforce (each platform does it its own way).
    ///
    /// The handler's future is boxed and created by this call; the future returned is a few
    /// words, whatever the size of the event and context, and `Unpin`.
    ///
    /// # Errors
    /// Whatever the handler returned, or [`Error::EventMismatch`] / [`Error::Panic`].
    pub fn call(
        &self,
        event: Event,
        cx: Context,
    ) -> impl Future<Output = Result<Output, Error>> + Send + Unpin + 'static {
        self.handler.call(event, cx)
    }

    /// Runs the handler on one event, cancelled after `limit` with [`Error::Timeout`]. Every
    /// runtime calls this with the time left before its deadline, so a timeout looks the same
    /// everywhere.
    ///
    /// # Errors
    /// As [`Function::call`], or [`Error::Timeout`].
    pub async fn call_within(
        &self,
        event: Event,
        cx: Context,
        limit: Duration,
    ) -> Result<Output, Error> {
        tokio::time::timeout(limit, self.call(event, cx))
            .await
            .unwrap_or(Err(Error::Timeout(limit)))
    }
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Function")
            .field("name", &self.name)
            .field("accepts", &self.handler.accepts())
            .field("triggers", &self.triggers)
            .field("spec", &self.spec)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}
