//! What a context reaches resources through: the declared names and the backend's bindings.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use crate::resource::{FunctionInvoker, ObjectStore, QueueSender, TopicPublisher};
use crate::{Error, ResourceKind};

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

    pub(super) fn check(&self, kind: ResourceKind, name: &str) -> Result<(), Error> {
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
    pub(super) declared: Arc<Declared>,
    pub(super) bindings: Bindings,
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
