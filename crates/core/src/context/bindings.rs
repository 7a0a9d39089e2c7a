//! What a context reaches resources through: the declared names, each function's access, and
//! the backend's bindings.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use crate::resource::{FunctionInvoker, ObjectStore, QueueSender, TopicPublisher};
use crate::{Access, Error, Operation, ResourceKind, Scope};

/// The backend's implementations of the resource traits. A missing one makes its operations
/// fail with [`Error::NoBinding`].
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

/// The resources an app declared, and what each function declared it uses; a context refuses
/// anything else (the rule is in [`Access`]).
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
    /// Per-function access, by function name. A function that is absent (or whose access is
    /// empty) may use every declared resource.
    pub access: BTreeMap<String, Access>,
}

impl Declared {
    /// Whether a resource of `kind` named `name` was declared by the app.
    pub fn contains(&self, kind: ResourceKind, name: &str) -> bool {
        match kind {
            ResourceKind::Topic => self.topics.contains(name),
            ResourceKind::Queue => self.queues.contains(name),
            ResourceKind::Bucket => self.buckets.contains(name),
            ResourceKind::Function => self.functions.contains(name),
        }
    }

    /// The function's own declarations, when it has any.
    fn own(&self, function: &str) -> Option<&Access> {
        self.access.get(function).filter(|a| !a.is_empty())
    }

    /// Whether `function` may do `operation` on `name`: what it declared if it declared
    /// anything, otherwise anything the app declares.
    pub fn allows(&self, function: &str, operation: Operation, name: &str) -> bool {
        match self.own(function) {
            Some(access) => access.allows(operation, name),
            None => self.contains(operation.kind(), name),
        }
    }

    /// Everything `function` may do, spelled out: its own declarations, or, when it has none,
    /// every operation on every resource of the app (the broader shorthand). Manifest writers
    /// grant exactly this.
    pub fn access_of(&self, function: &str) -> Access {
        if let Some(access) = self.own(function) {
            return access.clone();
        }
        let uses = [
            (Operation::Publish, &self.topics),
            (Operation::Send, &self.queues),
            (Operation::Read, &self.buckets),
            (Operation::Write, &self.buckets),
            (Operation::Invoke, &self.functions),
        ];
        uses.into_iter()
            .flat_map(|(op, names)| names.iter().map(move |name| (op, name)))
            .fold(Access::new(), |access, (op, name)| {
                access.grant(op, name.as_str())
            })
    }

    /// [`Declared::allows`], as the error a context returns.
    ///
    /// # Errors
    /// [`Error::Undeclared`] naming the function, the operation and the resource.
    pub fn check(&self, function: &str, operation: Operation, name: &str) -> Result<(), Error> {
        if self.allows(function, operation, name) {
            return Ok(());
        }
        let scope = if self.own(function).is_some() {
            Scope::Function
        } else {
            Scope::App
        };
        Err(Error::Undeclared {
            function: Some(function.to_owned()),
            operation,
            name: name.to_owned(),
            scope,
        })
    }
}

/// What the runtime shares with every context of an app: declared names and bindings.
///
/// One shared allocation: a context's copy costs one reference count, and the default (nothing
/// declared, no bindings) allocates nothing.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    shared: Option<Arc<Shared>>,
}

#[derive(Debug)]
struct Shared {
    declared: Declared,
    bindings: Bindings,
}

/// What a context without resources reads: nothing declared, no bindings.
static NOTHING: Shared = Shared {
    declared: Declared {
        topics: BTreeSet::new(),
        queues: BTreeSet::new(),
        buckets: BTreeSet::new(),
        functions: BTreeSet::new(),
        access: BTreeMap::new(),
    },
    bindings: Bindings {
        topics: None,
        queues: None,
        objects: None,
        invoker: None,
    },
};

impl Resources {
    /// Declared names served by `bindings`.
    pub fn new(declared: Declared, bindings: Bindings) -> Self {
        Self {
            shared: Some(Arc::new(Shared { declared, bindings })),
        }
    }

    /// The declared names.
    pub fn declared(&self) -> &Declared {
        &self.shared().declared
    }

    /// The backend's bindings.
    pub(super) fn bindings(&self) -> &Bindings {
        &self.shared().bindings
    }

    fn shared(&self) -> &Shared {
        self.shared.as_deref().unwrap_or(&NOTHING)
    }
}
