//! [`Context`]: what a handler knows about its invocation, and its door to declared resources.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::resource::{
    FunctionInvoker, InvokeMode, Message, Object, ObjectInfo, ObjectStore, QueueSender,
    TopicPublisher,
};
use crate::{Body, Error, ResourceKind};

/// The platform an invocation runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// The bundled local runtime.
    Local,
    /// AWS Lambda.
    Aws,
    /// Google Cloud (Cloud Run functions, Knative).
    Gcp,
    /// Azure Functions.
    Azure,
}

impl Provider {
    /// The lower-case name used in `FAASPORT_PROVIDER` and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Local => "local",
            Provider::Aws => "aws",
            Provider::Gcp => "gcp",
            Provider::Azure => "azure",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A provider name that is not one of `local`, `aws`, `gcp`, `azure`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider `{0}` (expected local, aws, gcp or azure)")]
pub struct UnknownProvider(pub String);

impl FromStr for Provider {
    type Err = UnknownProvider;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "local" => Ok(Provider::Local),
            "aws" | "lambda" => Ok(Provider::Aws),
            "gcp" | "google" => Ok(Provider::Gcp),
            "azure" => Ok(Provider::Azure),
            _ => Err(UnknownProvider(s.to_owned())),
        }
    }
}

/// The backend's implementations of the resource traits. A missing one makes its operations
/// fail with [`Error::Unsupported`].
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct Bindings {
    /// Topic publishing.
    pub topics: Option<Arc<dyn TopicPublisher>>,
    /// Queue sending.
    pub queues: Option<Arc<dyn QueueSender>>,
    /// Object storage.
    pub objects: Option<Arc<dyn ObjectStore>>,
    /// Function invocation.
    pub invoker: Option<Arc<dyn FunctionInvoker>>,
}

impl Bindings {
    /// No bindings at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// Sets the topic publisher.
    pub fn with_topics(mut self, topics: Arc<dyn TopicPublisher>) -> Self {
        self.topics = Some(topics);
        self
    }

    /// Sets the queue sender.
    pub fn with_queues(mut self, queues: Arc<dyn QueueSender>) -> Self {
        self.queues = Some(queues);
        self
    }

    /// Sets the object store.
    pub fn with_objects(mut self, objects: Arc<dyn ObjectStore>) -> Self {
        self.objects = Some(objects);
        self
    }

    /// Sets the function invoker.
    pub fn with_invoker(mut self, invoker: Arc<dyn FunctionInvoker>) -> Self {
        self.invoker = Some(invoker);
        self
    }
}

impl fmt::Debug for Bindings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bindings")
            .field("topics", &self.topics.is_some())
            .field("queues", &self.queues.is_some())
            .field("objects", &self.objects.is_some())
            .field("invoker", &self.invoker.is_some())
            .finish()
    }
}

/// The resources an app declared; a context refuses anything else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Declared {
    /// Topic names.
    pub topics: BTreeSet<String>,
    /// Queue names.
    pub queues: BTreeSet<String>,
    /// Bucket names.
    pub buckets: BTreeSet<String>,
    /// Function names.
    pub functions: BTreeSet<String>,
}

impl Declared {
    /// Whether a resource of `kind` named `name` was declared.
    pub fn contains(&self, kind: ResourceKind, name: &str) -> bool {
        match kind {
            ResourceKind::Topic => self.topics.contains(name),
            ResourceKind::Queue => self.queues.contains(name),
            ResourceKind::Bucket => self.buckets.contains(name),
            ResourceKind::Function => self.functions.contains(name),
        }
    }

    fn check(&self, kind: ResourceKind, name: &str) -> Result<(), Error> {
        if self.contains(kind, name) {
            Ok(())
        } else {
            Err(Error::Undeclared {
                kind,
                name: name.to_owned(),
            })
        }
    }
}

/// What the runtime shares with every context of an app: declared names and bindings.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    declared: Arc<Declared>,
    bindings: Bindings,
}

impl Resources {
    /// Declared names served by `bindings`.
    pub fn new(declared: Declared, bindings: Bindings) -> Self {
        Self {
            declared: Arc::new(declared),
            bindings,
        }
    }

    /// The declared names.
    pub fn declared(&self) -> &Declared {
        &self.declared
    }
}

/// Per-instance state produced by a function's initialiser.
pub type InstanceState = Option<Arc<dyn Any + Send + Sync>>;

/// Everything a handler knows about the current invocation.
///
/// Adapters build it with [`Context::new`] and the `with_*` methods; handlers read it and use it
/// to reach the app's declared resources ([`Context::topic`], [`Context::queue`],
/// [`Context::bucket`], [`Context::function`]).
#[derive(Clone)]
pub struct Context {
    request_id: String,
    function_name: Arc<str>,
    deadline: Option<Instant>,
    attempt: u32,
    memory_mb: u32,
    trace_id: Option<String>,
    provider: Provider,
    metadata: Arc<BTreeMap<String, String>>,
    state: InstanceState,
    resources: Resources,
}

impl Context {
    /// A context for `request_id` on `function_name`, attempt 1, no deadline, local provider.
    pub fn new(request_id: impl Into<String>, function_name: impl Into<Arc<str>>) -> Self {
        Self {
            request_id: request_id.into(),
            function_name: function_name.into(),
            deadline: None,
            attempt: 1,
            memory_mb: 0,
            trace_id: None,
            provider: Provider::Local,
            metadata: Arc::default(),
            state: None,
            resources: Resources::default(),
        }
    }

    /// Sets the deadline.
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Sets the deadline `timeout` from now; a timeout beyond the clock's range leaves no
    /// deadline rather than overflowing.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.deadline = Instant::now().checked_add(timeout);
        self
    }

    /// Sets the attempt number (1 on first delivery).
    pub fn with_attempt(mut self, attempt: u32) -> Self {
        self.attempt = attempt;
        self
    }

    /// Sets the configured memory in MB.
    pub fn with_memory_mb(mut self, memory_mb: u32) -> Self {
        self.memory_mb = memory_mb;
        self
    }

    /// Sets the trace id.
    pub fn with_trace_id(mut self, trace_id: impl Into<String>) -> Self {
        self.trace_id = Some(trace_id.into());
        self
    }

    /// Sets the provider.
    pub fn with_provider(mut self, provider: Provider) -> Self {
        self.provider = provider;
        self
    }

    /// Adds a provider-specific detail (for example `invoked_function_arn` on Lambda).
    pub fn with_metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.metadata).insert(name.into(), value.into());
        self
    }

    /// Sets the instance state from the function's initialiser.
    pub fn with_state(mut self, state: InstanceState) -> Self {
        self.state = state;
        self
    }

    /// Sets the declared resources and their bindings.
    pub fn with_resources(mut self, resources: Resources) -> Self {
        self.resources = resources;
        self
    }

    /// The invocation's request id.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The function's name.
    pub fn function_name(&self) -> &str {
        &self.function_name
    }

    /// When the invocation will be cancelled, if there is a deadline.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Time left before the deadline (zero once passed); `None` without a deadline.
    pub fn remaining_time(&self) -> Option<Duration> {
        self.deadline
            .map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }

    /// The delivery attempt, 1 on the first.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The configured memory in MB.
    pub fn memory_mb(&self) -> u32 {
        self.memory_mb
    }

    /// The trace id, when the platform gives one.
    pub fn trace_id(&self) -> Option<&str> {
        self.trace_id.as_deref()
    }

    /// The platform this invocation runs on.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// A provider-specific detail by name.
    pub fn metadata(&self, name: &str) -> Option<&str> {
        self.metadata.get(name).map(String::as_str)
    }

    /// The per-instance state of type `S` created by the function's initialiser.
    pub fn state<S: Any + Send + Sync>(&self) -> Option<&S> {
        self.state.as_deref().and_then(|s| s.downcast_ref::<S>())
    }

    /// A declared topic. Publishing to an undeclared one fails with [`Error::Undeclared`].
    pub fn topic<'a>(&'a self, name: &'a str) -> TopicHandle<'a> {
        TopicHandle { cx: self, name }
    }

    /// A declared queue.
    pub fn queue<'a>(&'a self, name: &'a str) -> QueueHandle<'a> {
        QueueHandle { cx: self, name }
    }

    /// A declared bucket.
    pub fn bucket<'a>(&'a self, name: &'a str) -> BucketHandle<'a> {
        BucketHandle { cx: self, name }
    }

    /// Another function of the app.
    pub fn function<'a>(&'a self, name: &'a str) -> FunctionHandle<'a> {
        FunctionHandle { cx: self, name }
    }

    fn binding<T: ?Sized>(
        &self,
        kind: ResourceKind,
        name: &str,
        pick: impl FnOnce(&Bindings) -> Option<&Arc<T>>,
    ) -> Result<&Arc<T>, Error> {
        self.resources.declared.check(kind, name)?;
        pick(&self.resources.bindings).ok_or_else(|| {
            Error::Unsupported(format!("{kind} bindings on provider {}", self.provider))
        })
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("request_id", &self.request_id)
            .field("function_name", &self.function_name)
            .field("attempt", &self.attempt)
            .field("memory_mb", &self.memory_mb)
            .field("provider", &self.provider)
            .field("remaining_time", &self.remaining_time())
            .finish_non_exhaustive()
    }
}

/// A declared topic, from [`Context::topic`].
#[derive(Debug, Clone, Copy)]
pub struct TopicHandle<'a> {
    cx: &'a Context,
    name: &'a str,
}

impl TopicHandle<'_> {
    /// Publishes a message; returns its id.
    ///
    /// # Errors
    /// [`Error::Undeclared`] for an undeclared topic; [`Error::Binding`] if the backend fails.
    pub async fn publish(&self, message: Message) -> Result<String, Error> {
        let topics = self
            .cx
            .binding(ResourceKind::Topic, self.name, |b| b.topics.as_ref())?;
        topics.publish(self.name, message).await
    }
}

/// A declared queue, from [`Context::queue`].
#[derive(Debug, Clone, Copy)]
pub struct QueueHandle<'a> {
    cx: &'a Context,
    name: &'a str,
}

impl QueueHandle<'_> {
    /// Sends a message; returns its id.
    ///
    /// # Errors
    /// [`Error::Undeclared`] for an undeclared queue; [`Error::Binding`] if the backend fails.
    pub async fn send(&self, message: Message) -> Result<String, Error> {
        let queues = self
            .cx
            .binding(ResourceKind::Queue, self.name, |b| b.queues.as_ref())?;
        queues.send(self.name, message).await
    }
}

/// A declared bucket, from [`Context::bucket`].
#[derive(Debug, Clone, Copy)]
pub struct BucketHandle<'a> {
    cx: &'a Context,
    name: &'a str,
}

impl BucketHandle<'_> {
    fn store(&self) -> Result<&Arc<dyn ObjectStore>, Error> {
        self.cx
            .binding(ResourceKind::Bucket, self.name, |b| b.objects.as_ref())
    }

    /// Reads an object; `None` if the key does not exist.
    ///
    /// # Errors
    /// [`Error::Undeclared`] for an undeclared bucket; [`Error::Binding`] if the backend fails.
    pub async fn get(&self, key: &str) -> Result<Option<Object>, Error> {
        self.store()?.get(self.name, key).await
    }

    /// Writes an object.
    ///
    /// # Errors
    /// As [`BucketHandle::get`].
    pub async fn put(&self, key: &str, body: impl Into<Body>) -> Result<ObjectInfo, Error> {
        self.put_object(key, Object::new(body)).await
    }

    /// Writes an object with its media type.
    ///
    /// # Errors
    /// As [`BucketHandle::get`].
    pub async fn put_object(&self, key: &str, object: Object) -> Result<ObjectInfo, Error> {
        self.store()?.put(self.name, key, object).await
    }

    /// Deletes an object (a missing key is not an error).
    ///
    /// # Errors
    /// As [`BucketHandle::get`].
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        self.store()?.delete(self.name, key).await
    }

    /// Lists objects whose keys start with `prefix`.
    ///
    /// # Errors
    /// As [`BucketHandle::get`].
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, Error> {
        self.store()?.list(self.name, prefix).await
    }
}

/// Another function of the app, from [`Context::function`].
#[derive(Debug, Clone, Copy)]
pub struct FunctionHandle<'a> {
    cx: &'a Context,
    name: &'a str,
}

impl FunctionHandle<'_> {
    /// Invokes the function and waits for its JSON result.
    ///
    /// # Errors
    /// [`Error::Undeclared`] for an unknown function; the callee's error otherwise.
    pub async fn invoke(&self, payload: serde_json::Value) -> Result<serde_json::Value, Error> {
        let invoker = self
            .cx
            .binding(ResourceKind::Function, self.name, |b| b.invoker.as_ref())?;
        let result = invoker.invoke(self.name, payload, InvokeMode::Sync).await?;
        Ok(result.unwrap_or(serde_json::Value::Null))
    }

    /// Queues an asynchronous invocation and returns once it is accepted.
    ///
    /// # Errors
    /// [`Error::Undeclared`] for an unknown function; [`Error::Binding`] if it was not accepted.
    pub async fn invoke_async(&self, payload: serde_json::Value) -> Result<(), Error> {
        let invoker = self
            .cx
            .binding(ResourceKind::Function, self.name, |b| b.invoker.as_ref())?;
        invoker
            .invoke(self.name, payload, InvokeMode::Async)
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_too_large_for_the_clock_leaves_no_deadline_instead_of_panicking() {
        let cx = Context::new("req-1", "f").with_timeout(Duration::MAX);
        assert_eq!(cx.deadline(), None);
        let cx = cx.with_timeout(Duration::from_secs(3));
        assert!(cx
            .remaining_time()
            .is_some_and(|left| left <= Duration::from_secs(3)));
    }
}
