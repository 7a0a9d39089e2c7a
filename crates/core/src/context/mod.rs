//! [`Context`]: what a handler knows about its invocation, and its door to declared resources.

mod bindings;
mod handles;
mod provider;

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

pub use self::bindings::{Bindings, Declared, Resources};
pub use self::handles::{BucketHandle, FunctionHandle, QueueHandle, TopicHandle};
pub use self::provider::{Provider, UnknownProvider};
use crate::{Error, Operation};

/// Per-instance state produced by a function's initialiser.
pub type InstanceState = Option<Arc<dyn Any + Send + Sync>>;

/// Everything a handler knows about the current invocation.
///
/// Adapters build it with [`Context::new`] and the `with_*` methods; handlers read it and use it
/// to reach the resources their function may use ([`Context::topic`], [`Context::queue`],
/// [`Context::bucket`], [`Context::function`]).
///
/// Building one is cheap: the request id is shared (an `Arc<str>`, which the caller may keep
/// too), no metadata allocates nothing, and a derived trace id
/// ([`Context::with_trace_id_prefix`]) is only written out when it is read.
#[derive(Clone)]
pub struct Context {
    request_id: Arc<str>,
    function_name: Arc<str>,
    deadline: Option<Instant>,
    attempt: u32,
    memory_mb: u32,
    trace_id: TraceId,
    provider: Provider,
    metadata: Option<Arc<BTreeMap<String, String>>>,
    state: InstanceState,
    resources: Resources,
}

/// A context's trace id: none, given, or the request id behind a prefix, written on first read.
#[derive(Clone)]
enum TraceId {
    None,
    Given(Arc<str>),
    Prefixed {
        prefix: &'static str,
        text: OnceLock<Box<str>>,
    },
}

impl Context {
    /// A context for `request_id` on `function_name`, attempt 1, no deadline, local provider.
    ///
    /// Both names are shared: pass an `Arc<str>` to keep a copy of the id without allocating
    /// again.
    #[inline]
    pub fn new(request_id: impl Into<Arc<str>>, function_name: impl Into<Arc<str>>) -> Self {
        Self {
            request_id: request_id.into(),
            function_name: function_name.into(),
            deadline: None,
            attempt: 1,
            memory_mb: 0,
            trace_id: TraceId::None,
            provider: Provider::Local,
            metadata: None,
            state: None,
            resources: Resources::default(),
        }
    }

    /// Sets the deadline.
    #[inline]
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Sets the deadline `timeout` from now; a timeout beyond the clock's range leaves no
    /// deadline rather than overflowing.
    #[inline]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.deadline = Instant::now().checked_add(timeout);
        self
    }

    /// Sets the attempt number (1 on first delivery).
    #[inline]
    pub fn with_attempt(mut self, attempt: u32) -> Self {
        self.attempt = attempt;
        self
    }

    /// Sets the configured memory in MB.
    #[inline]
    pub fn with_memory_mb(mut self, memory_mb: u32) -> Self {
        self.memory_mb = memory_mb;
        self
    }

    /// Sets the trace id.
    #[inline]
    pub fn with_trace_id(mut self, trace_id: impl Into<Arc<str>>) -> Self {
        self.trace_id = TraceId::Given(trace_id.into());
        self
    }

    /// Sets the trace id to `prefix` followed by the request id (`local-req-00000001`), written
    /// out the first time [`Context::trace_id`] reads it, so a handler that never reads it costs
    /// no formatting.
    #[inline]
    pub fn with_trace_id_prefix(mut self, prefix: &'static str) -> Self {
        self.trace_id = TraceId::Prefixed {
            prefix,
            text: OnceLock::new(),
        };
        self
    }

    /// Sets the provider.
    #[inline]
    pub fn with_provider(mut self, provider: Provider) -> Self {
        self.provider = provider;
        self
    }

    /// Adds a provider-specific detail (for example `invoked_function_arn` on Lambda).
    pub fn with_metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        Arc::make_mut(self.metadata.get_or_insert_with(Arc::default))
            .insert(name.into(), value.into());
        self
    }

    /// Sets the instance state from the function's initialiser.
    #[inline]
    pub fn with_state(mut self, state: InstanceState) -> Self {
        self.state = state;
        self
    }

    /// Sets the declared resources and their bindings. The context checks each use against the
    /// access of the function it was created for ([`Context::function_name`]).
    #[inline]
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
        match &self.trace_id {
            TraceId::None => None,
            TraceId::Given(id) => Some(id),
            TraceId::Prefixed { prefix, text } => {
                Some(text.get_or_init(|| format!("{prefix}{}", self.request_id).into()))
            }
        }
    }

    /// The platform this invocation runs on.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// A provider-specific detail by name.
    pub fn metadata(&self, name: &str) -> Option<&str> {
        self.metadata.as_ref()?.get(name).map(String::as_str)
    }

    /// The per-instance state of type `S` created by the function's initialiser.
    pub fn state<S: Any + Send + Sync>(&self) -> Option<&S> {
        self.state.as_deref().and_then(|s| s.downcast_ref::<S>())
    }

    /// A topic. Publishing fails with [`Error::Undeclared`] unless the function declares
    /// [`publishes`](crate::Function::publishes) to it, or declares no access at all and the app
    /// declares the topic (see [`Access`](crate::Access) for the rule, which every handle
    /// follows).
    pub fn topic<'a>(&'a self, name: &'a str) -> TopicHandle<'a> {
        TopicHandle { cx: self, name }
    }

    /// A queue the function [`sends`](crate::Function::sends) to.
    pub fn queue<'a>(&'a self, name: &'a str) -> QueueHandle<'a> {
        QueueHandle { cx: self, name }
    }

    /// A bucket the function [`reads`](crate::Function::reads) or
    /// [`writes`](crate::Function::writes).
    pub fn bucket<'a>(&'a self, name: &'a str) -> BucketHandle<'a> {
        BucketHandle { cx: self, name }
    }

    /// Another function of the app, which this one [`invokes`](crate::Function::invokes).
    pub fn function<'a>(&'a self, name: &'a str) -> FunctionHandle<'a> {
        FunctionHandle { cx: self, name }
    }

    /// The binding for `operation` on `name`, once the function's access allows it.
    fn binding<T: ?Sized>(
        &self,
        operation: Operation,
        name: &str,
        pick: impl FnOnce(&Bindings) -> Option<&Arc<T>>,
    ) -> Result<&Arc<T>, Error> {
        self.resources
            .declared()
            .check(&self.function_name, operation, name)?;
        pick(self.resources.bindings()).ok_or_else(|| Error::NoBinding {
            kind: operation.kind(),
            name: name.to_owned(),
            provider: self.provider,
            fix: "this backend was built without that kind of binding (see its crate features)"
                .to_owned(),
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
