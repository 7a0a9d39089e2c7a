//! [`App`]: the functions and the resources they share, validated as a whole.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::context::Declared;
use crate::{DeadLetter, Function, ResourceKind, Schedule, Trigger};

/// A queue declared by the app, with its delivery settings. `None` takes the profile default.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueSpec {
    /// The name.
    pub name: String,
    /// How long a received message stays invisible before it is delivered again.
    pub visibility_timeout: Option<Duration>,
    /// Deliveries before a message goes to the dead-letter queue.
    pub max_receive_count: Option<u32>,
    /// The declared queue that takes messages past `max_receive_count`.
    pub dead_letter_queue: Option<String>,
}

impl QueueSpec {
    /// A queue with profile defaults.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            visibility_timeout: None,
            max_receive_count: None,
            dead_letter_queue: None,
        }
    }

    /// Sets the visibility timeout.
    pub fn visibility_timeout(mut self, timeout: Duration) -> Self {
        self.visibility_timeout = Some(timeout);
        self
    }

    /// Sets the maximum receive count.
    pub fn max_receive_count(mut self, count: u32) -> Self {
        self.max_receive_count = Some(count);
        self
    }

    /// Sets the dead-letter queue.
    pub fn dead_letter_queue(mut self, queue: impl Into<String>) -> Self {
        self.dead_letter_queue = Some(queue.into());
        self
    }
}

/// A mistake in an app declaration, found by [`App::validate`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The app has no functions.
    #[error("app `{0}` declares no functions")]
    NoFunctions(String),
    /// A name is empty, too long or has characters no platform accepts.
    #[error("invalid {what} name `{name}`: use 1 to 64 letters, digits, `-` or `_`")]
    InvalidName {
        /// What was being named.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// Two functions share a name.
    #[error("two functions are named `{0}`")]
    DuplicateFunction(String),
    /// A resource is declared twice.
    #[error("{kind} `{name}` is declared twice")]
    DuplicateResource {
        /// The kind.
        kind: ResourceKind,
        /// The name.
        name: String,
    },
    /// A trigger or dead-letter target names a resource the app did not declare.
    #[error("function `{function}` uses {kind} `{name}`, which the app does not declare")]
    Undeclared {
        /// The function (or queue, for a queue's dead-letter queue).
        function: String,
        /// The kind.
        kind: ResourceKind,
        /// The name.
        name: String,
    },
    /// A limit that must be positive is zero.
    #[error("function `{function}` has a zero {limit}")]
    ZeroLimit {
        /// The function.
        function: String,
        /// Which limit: `timeout`, `memory`, `max instances`, `concurrency per instance`, `batch size`.
        limit: &'static str,
    },
    /// More instances kept warm than allowed.
    #[error("function `{function}` keeps {min} instances warm but allows at most {max}")]
    MinAboveMax {
        /// The function.
        function: String,
        /// Min instances.
        min: u32,
        /// Max instances.
        max: u32,
    },
    /// A limit is outside the range the target platform accepts.
    #[error(
        "function `{function}` sets {limit} to {value} {unit}, outside the {platform} profile's range of {min} to {max} {unit}"
    )]
    OutOfPlatformRange {
        /// The function.
        function: String,
        /// Which limit: `memory` or `timeout`.
        limit: &'static str,
        /// The function's value, in `unit`.
        value: u64,
        /// The smallest value the platform accepts.
        min: u64,
        /// The largest value the platform accepts.
        max: u64,
        /// `MB` for memory, `ms` for the timeout.
        unit: &'static str,
        /// The profile (platform) whose range it is: `aws`, `gcp`, `azure`, `custom`.
        platform: String,
    },
    /// A queue's max receive count is zero: every message would be dead-lettered unprocessed.
    #[error("queue `{queue}` has a max receive count of 0: every message would be dead-lettered before any delivery")]
    ZeroReceiveCount {
        /// The queue.
        queue: String,
    },
    /// A queue hides a received message for less time than its consumer may run, so the message
    /// would be delivered again while still being processed (SQS refuses this pairing for a
    /// Lambda event source mapping).
    #[error("queue `{queue}` has a visibility timeout of {visibility:?}, shorter than the {timeout:?} timeout of its consumer `{function}`")]
    VisibilityBelowTimeout {
        /// The queue.
        queue: String,
        /// The consuming function.
        function: String,
        /// The queue's visibility timeout.
        visibility: Duration,
        /// The function's timeout.
        timeout: Duration,
    },
    /// A schedule expression does not parse.
    #[error("function `{function}` has an invalid schedule")]
    InvalidSchedule {
        /// The function.
        function: String,
        /// The parse error.
        #[source]
        source: crate::ScheduleError,
    },
    /// An HTTP path is not a valid route pattern.
    #[error("function `{function}` has an invalid route `{path}`: {reason}")]
    InvalidRoute {
        /// The function.
        function: String,
        /// The path.
        path: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// Two functions claim the same method and path.
    #[error("route {route} is claimed by both `{first}` and `{second}`")]
    DuplicateRoute {
        /// `METHOD /path`.
        route: String,
        /// The first function.
        first: String,
        /// The second function.
        second: String,
    },
    /// A trigger delivers events the handler does not take.
    #[error(
        "function `{function}` has a {trigger} trigger but its handler takes {accepts} events"
    )]
    TriggerMismatch {
        /// The function.
        function: String,
        /// The trigger's event kind.
        trigger: &'static str,
        /// The handler's event kind.
        accepts: &'static str,
    },
}

/// An application: functions and the topics, queues and buckets they share.
///
/// # Examples
/// ```
/// use faasport_core::{App, Context, Error, Function, TopicMessage};
///
/// async fn audit(_msg: TopicMessage, _cx: Context) -> Result<(), Error> { Ok(()) }
///
/// let app = App::new("shop").topic("orders").function(Function::new("audit", audit).subscribe("orders"));
/// assert!(app.validate().is_ok());
///
/// let broken = App::new("shop").function(Function::new("audit", audit).subscribe("orderz"));
/// assert_eq!(
///     broken.validate().unwrap_err().to_string(),
///     "function `audit` uses topic `orderz`, which the app does not declare"
/// );
/// ```
#[derive(Debug, Clone)]
pub struct App {
    name: String,
    functions: Vec<Function>,
    topics: Vec<String>,
    queues: Vec<QueueSpec>,
    buckets: Vec<String>,
}

impl App {
    /// An empty app named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            functions: Vec::new(),
            topics: Vec::new(),
            queues: Vec::new(),
            buckets: Vec::new(),
        }
    }

    /// Adds a function.
    pub fn function(mut self, function: Function) -> Self {
        self.functions.push(function);
        self
    }

    /// Declares a topic.
    pub fn topic(mut self, name: impl Into<String>) -> Self {
        self.topics.push(name.into());
        self
    }

    /// Declares a queue with profile defaults.
    pub fn queue(self, name: impl Into<String>) -> Self {
        self.queue_spec(QueueSpec::new(name))
    }

    /// Declares a queue with explicit settings.
    pub fn queue_spec(mut self, spec: QueueSpec) -> Self {
        self.queues.push(spec);
        self
    }

    /// Declares a bucket.
    pub fn bucket(mut self, name: impl Into<String>) -> Self {
        self.buckets.push(name.into());
        self
    }

    /// The app's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The functions, in declaration order.
    pub fn functions(&self) -> &[Function] {
        &self.functions
    }

    /// One function by name.
    pub fn get(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.name() == name)
    }

    /// The function names, comma separated (for error messages).
    pub fn function_names(&self) -> String {
        self.functions
            .iter()
            .map(Function::name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The declared topics.
    pub fn topics(&self) -> &[String] {
        &self.topics
    }

    /// The declared queues.
    pub fn queues(&self) -> &[QueueSpec] {
        &self.queues
    }

    /// The declared buckets.
    pub fn buckets(&self) -> &[String] {
        &self.buckets
    }

    /// The declared names, for [`Context`](crate::Context) checks.
    pub fn declared(&self) -> Declared {
        Declared {
            topics: self.topics.iter().cloned().collect(),
            queues: self.queues.iter().map(|q| q.name.clone()).collect(),
            buckets: self.buckets.iter().cloned().collect(),
            functions: self.functions.iter().map(|f| f.name().to_owned()).collect(),
        }
    }

    /// Checks the whole declaration; every backend calls this before serving.
    ///
    /// # Errors
    /// The first [`AppError`] found.
    pub fn validate(&self) -> Result<(), AppError> {
        check_name("app", &self.name)?;
        if self.functions.is_empty() {
            return Err(AppError::NoFunctions(self.name.clone()));
        }
        self.check_resources()?;
        let declared = self.declared();
        let mut seen = BTreeSet::new();
        let mut routes = BTreeMap::new();
        for f in &self.functions {
            check_name("function", f.name())?;
            if !seen.insert(f.name()) {
                return Err(AppError::DuplicateFunction(f.name().to_owned()));
            }
            check_limits(f)?;
            for trigger in f.triggers() {
                check_trigger(f, trigger, &declared, &mut routes)?;
            }
            if let Some(target) = f.dead_letter_target() {
                let (kind, name) = match target {
                    DeadLetter::Queue(q) => (ResourceKind::Queue, q),
                    DeadLetter::Topic(t) => (ResourceKind::Topic, t),
                };
                require(&declared, f.name(), kind, name)?;
            }
        }
        Ok(())
    }

    fn check_resources(&self) -> Result<(), AppError> {
        let names = [
            (ResourceKind::Topic, self.topics.iter().collect::<Vec<_>>()),
            (
                ResourceKind::Queue,
                self.queues.iter().map(|q| &q.name).collect(),
            ),
            (ResourceKind::Bucket, self.buckets.iter().collect()),
        ];
        for (kind, list) in names {
            let mut seen = BTreeSet::new();
            for name in list {
                check_name(kind_label(kind), name)?;
                if !seen.insert(name) {
                    return Err(AppError::DuplicateResource {
                        kind,
                        name: name.clone(),
                    });
                }
            }
        }
        let queues: BTreeSet<&str> = self.queues.iter().map(|q| q.name.as_str()).collect();
        for q in &self.queues {
            if q.max_receive_count == Some(0) {
                return Err(AppError::ZeroReceiveCount {
                    queue: q.name.clone(),
                });
            }
            if let Some(dlq) = &q.dead_letter_queue {
                if !queues.contains(dlq.as_str()) {
                    return Err(AppError::Undeclared {
                        function: q.name.clone(),
                        kind: ResourceKind::Queue,
                        name: dlq.clone(),
                    });
                }
            }
        }
        Ok(())
    }
}

fn kind_label(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Topic => "topic",
        ResourceKind::Queue => "queue",
        ResourceKind::Bucket => "bucket",
        ResourceKind::Function => "function",
    }
}

fn check_name(what: &'static str, name: &str) -> Result<(), AppError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(AppError::InvalidName {
            what,
            name: name.to_owned(),
        })
    }
}

fn check_limits(f: &Function) -> Result<(), AppError> {
    let zero = |limit| {
        Err(AppError::ZeroLimit {
            function: f.name().to_owned(),
            limit,
        })
    };
    if f.timeout_duration().is_zero() {
        return zero("timeout");
    }
    if f.memory() == 0 {
        return zero("memory");
    }
    if f.instance_concurrency() == Some(0) {
        return zero("concurrency per instance");
    }
    if let Some(max) = f.instance_limit() {
        if max == 0 {
            return zero("max instances");
        }
        if f.min_instance_count() > max {
            return Err(AppError::MinAboveMax {
                function: f.name().to_owned(),
                min: f.min_instance_count(),
                max,
            });
        }
    }
    Ok(())
}

fn require(
    declared: &Declared,
    function: &str,
    kind: ResourceKind,
    name: &str,
) -> Result<(), AppError> {
    if declared.contains(kind, name) {
        Ok(())
    } else {
        Err(AppError::Undeclared {
            function: function.to_owned(),
            kind,
            name: name.to_owned(),
        })
    }
}

fn check_trigger(
    f: &Function,
    trigger: &Trigger,
    declared: &Declared,
    routes: &mut BTreeMap<String, String>,
) -> Result<(), AppError> {
    let kind = trigger.event_kind();
    let accepted = match f.accepts() {
        "any" => true,
        "json" => matches!(kind, "http" | "topic" | "cloud_event"),
        own => own == kind,
    };
    if !accepted {
        return Err(AppError::TriggerMismatch {
            function: f.name().to_owned(),
            trigger: kind,
            accepts: f.accepts(),
        });
    }
    match trigger {
        Trigger::Http { method, path } => {
            check_route(f.name(), path)?;
            // Parameter names do not matter for matching: `/o/{id}` and `/o/{oid}` collide.
            let route = format!(
                "{} {}",
                method.as_ref().map_or("ANY", |m| m.as_str()),
                route_shape(path)
            );
            if let Some(first) = routes.insert(route.clone(), f.name().to_owned()) {
                return Err(AppError::DuplicateRoute {
                    route,
                    first,
                    second: f.name().to_owned(),
                });
            }
        }
        Trigger::Topic { topic } => require(declared, f.name(), ResourceKind::Topic, topic)?,
        Trigger::Queue {
            queue, batch_size, ..
        } => {
            require(declared, f.name(), ResourceKind::Queue, queue)?;
            if *batch_size == 0 {
                return Err(AppError::ZeroLimit {
                    function: f.name().to_owned(),
                    limit: "batch size",
                });
            }
        }
        Trigger::Storage { bucket, .. } => {
            require(declared, f.name(), ResourceKind::Bucket, bucket)?
        }
        Trigger::Schedule { expression } => {
            Schedule::parse(expression).map_err(|source| AppError::InvalidSchedule {
                function: f.name().to_owned(),
                source,
            })?;
        }
        Trigger::Change { batch_size, .. } if *batch_size == 0 => {
            return Err(AppError::ZeroLimit {
                function: f.name().to_owned(),
                limit: "batch size",
            })
        }
        Trigger::Change { .. } | Trigger::CloudEvent { .. } => {}
    }
    Ok(())
}

/// A path with its parameter names erased, for collision checks.
fn route_shape(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.strip_prefix('{') {
            Some(inner) if inner.starts_with('*') => "{*}",
            Some(_) => "{}",
            None => segment,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn check_route(function: &str, path: &str) -> Result<(), AppError> {
    let fail = |reason| {
        Err(AppError::InvalidRoute {
            function: function.to_owned(),
            path: path.to_owned(),
            reason,
        })
    };
    if !path.starts_with('/') {
        return fail("it must start with `/`");
    }
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    for (i, segment) in segments.iter().enumerate() {
        if let Some(inner) = segment.strip_prefix('{') {
            let Some(name) = inner.strip_suffix('}') else {
                return fail("a `{` segment must end with `}`");
            };
            let name = name.strip_prefix('*').map_or(name, |rest| {
                if i + 1 != segments.len() {
                    ""
                } else {
                    rest
                }
            });
            if name.is_empty() {
                return fail("parameters need a name, and `{*rest}` must come last");
            }
        } else if segment.contains(['{', '}']) {
            return fail("braces must enclose a whole segment");
        }
    }
    Ok(())
}
