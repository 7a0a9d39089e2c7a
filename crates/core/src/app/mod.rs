//! [`App`]: the functions and the resources they share, validated as a whole.

mod error;
mod validate;

use std::time::Duration;

use crate::context::Declared;
use crate::{DeadLetter, Function, Operation};

pub use self::error::AppError;

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
    /// The most messages the queue holds before a send is throttled (the local runtime's
    /// default when `None`; providers' queues have no such limit, so manifests ignore it).
    pub max_depth: Option<usize>,
}

impl QueueSpec {
    /// A queue with profile defaults.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            visibility_timeout: None,
            max_receive_count: None,
            dead_letter_queue: None,
            max_depth: None,
        }
    }

    /// Sets the most messages the queue holds before a send is throttled.
    pub fn max_depth(mut self, max: usize) -> Self {
        self.max_depth = Some(max);
        self
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
/// An application: functions and the topics, queues and buckets they share.
///
/// Resources are declared once here; each function then declares which of them it uses
/// ([`Function::publishes`] and its siblings). A function that declares nothing may use every
/// resource of the app: a shorthand that is broader than least privilege (see
/// [`Access`](crate::Access)).
///
/// # Examples
/// ```
/// use faasport_core::{App, Context, Error, Function, TopicMessage};
///
/// async fn audit(_msg: TopicMessage, _cx: Context) -> Result<(), Error> { Ok(()) }
///
/// let app = App::new("shop")
///     .topic("orders")
///     .topic("audited")
///     .function(Function::new("audit", audit).subscribe("orders").publishes("audited"));
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
    dead_letter: Option<DeadLetter>,
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
            dead_letter: None,
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

    /// Sets the default dead-letter target: where an asynchronous event (topic, schedule,
    /// storage event, CloudEvent, `invoke_async`) goes once it has exhausted its retries, for
    /// every function without its own [`Function::dead_letter`], and where a consumed queue
    /// without its own dead-letter queue sends messages past their max receive count (when the
    /// target is a queue; see [`App::dead_letter_queue_for`]).
    ///
    /// Without one, the local runtime still keeps such events in its dead-letter list, and the
    /// manifests create a dead-letter queue for the app so the cloud keeps them too.
    pub fn dead_letter(mut self, target: DeadLetter) -> Self {
        self.dead_letter = Some(target);
        self
    }

    /// Where `function`'s exhausted asynchronous events go: its own target, else the app's
    /// default, else nowhere but the backend's own dead-letter store.
    pub fn dead_letter_for<'a>(&'a self, function: &'a Function) -> Option<&'a DeadLetter> {
        function
            .spec()
            .dead_letter
            .as_ref()
            .or(self.dead_letter.as_ref())
    }

    /// The queue that takes `queue`'s messages past their max receive count: its own
    /// dead-letter queue, else the app's default when that is a queue (other than `queue`
    /// itself; a queue cannot redrive to a topic or to itself).
    pub fn dead_letter_queue_for<'a>(&'a self, queue: &'a QueueSpec) -> Option<&'a str> {
        queue
            .dead_letter_queue
            .as_deref()
            .or(match &self.dead_letter {
                Some(DeadLetter::Queue(q)) if *q != queue.name => Some(q.as_str()),
                _ => None,
            })
    }

    /// Whether `function` can receive asynchronous invocations: it has an asynchronous trigger
    /// ([`Trigger::is_asynchronous`](crate::Trigger::is_asynchronous)) or some function of the
    /// app may invoke it (a function may be invoked with `invoke_async`).
    pub fn receives_async_events(&self, function: &Function) -> bool {
        let declared = self.declared();
        function.triggers().iter().any(|t| t.is_asynchronous())
            || self
                .functions
                .iter()
                .any(|caller| declared.allows(caller.name(), Operation::Invoke, function.name()))
    }

    /// The functions some function of the app may invoke, by core's access rule (what each
    /// declares with [`Function::invokes`], every function for one that declares nothing): the
    /// manifests give each one its asynchronous invoke channel (a Pub/Sub topic on Google
    /// Cloud, a Storage queue on Azure).
    ///
    /// # Examples
    /// ```
    /// use faasport_core::{App, Context, Error, Event, Function};
    ///
    /// async fn f(_: Event, _: Context) -> Result<(), Error> { Ok(()) }
    /// let declared = App::new("shop")
    ///     .queue("jobs")
    ///     .function(Function::new("bill", f).invokes("pack"))
    ///     .function(Function::new("pack", f).sends("jobs"));
    /// assert_eq!(declared.invoked().into_iter().collect::<Vec<_>>(), ["pack"]);
    /// let shorthand = App::new("shop")
    ///     .function(Function::new("bill", f))
    ///     .function(Function::new("pack", f));
    /// assert_eq!(shorthand.invoked().len(), 2);
    /// ```
    pub fn invoked(&self) -> std::collections::BTreeSet<String> {
        let declared = self.declared();
        self.functions
            .iter()
            .flat_map(|caller| {
                let access = declared.access_of(caller.name());
                access
                    .names(Operation::Invoke)
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
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

    /// The function named `name`, for a runtime choosing what to serve or a call by name.
    ///
    /// This is the one lookup every backend uses, so an unknown name fails the same way
    /// everywhere.
    ///
    /// # Errors
    /// [`Error::UnknownFunction`](crate::Error::UnknownFunction) listing the app's functions.
    ///
    /// # Examples
    /// ```
    /// use faasport_core::{App, Context, Error, Event, Function};
    ///
    /// async fn f(_: Event, _: Context) -> Result<(), Error> { Ok(()) }
    /// let app = App::new("shop").function(Function::new("bill", f)).function(Function::new("ship", f));
    /// assert_eq!(app.select("bill").map(Function::name).ok(), Some("bill"));
    /// assert_eq!(
    ///     app.select("refund").unwrap_err().to_string(),
    ///     "no function named `refund` (available: bill, ship)"
    /// );
    /// ```
    pub fn select(&self, name: &str) -> Result<&Function, crate::Error> {
        self.get(name).ok_or_else(|| self.unknown_function(name))
    }

    /// The error for a function name the app does not have, listing the names it has; what
    /// [`App::select`] returns, for runtimes that look functions up in their own tables.
    pub fn unknown_function(&self, name: &str) -> crate::Error {
        crate::Error::UnknownFunction {
            name: name.to_owned(),
            available: self.function_names(),
        }
    }

    /// Validates the app as a whole ([`App::validate`]) and against what `provider` accepts
    /// ([`Limits::of`](crate::contract::Limits::of)): memory, timeout, retries and event age of
    /// every function, and the visibility timeout of every queue.
    ///
    /// Manifest writers and the local profiles call this, so an app that a provider would
    /// refuse fails before it is deployed, and the local run refuses it too.
    ///
    /// # Errors
    /// The first [`AppError`] found.
    pub fn validate_for(&self, provider: crate::Provider) -> Result<(), AppError> {
        self.validate()?;
        let limits = crate::contract::Limits::of(provider);
        for function in &self.functions {
            limits.check(function, provider.as_str())?;
        }
        for queue in &self.queues {
            crate::contract::visibility_timeout(self, queue, Duration::ZERO)?;
        }
        Ok(())
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

    /// The declared names and each function's access, for [`Context`](crate::Context) checks
    /// and the manifests' grants ([`Declared::access_of`]).
    pub fn declared(&self) -> Declared {
        Declared {
            topics: self.topics.iter().cloned().collect(),
            queues: self.queues.iter().map(|q| q.name.clone()).collect(),
            buckets: self.buckets.iter().cloned().collect(),
            functions: self.functions.iter().map(|f| f.name().to_owned()).collect(),
            access: self
                .functions
                .iter()
                .filter(|f| !f.access().is_empty())
                .map(|f| (f.name().to_owned(), f.access().clone()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod dead_letter_tests {
    use crate::{App, AppError, Context, DeadLetter, Error, Function, QueueSpec, TopicMessage};

    async fn on_message(_msg: TopicMessage, _cx: Context) -> Result<(), Error> {
        Ok(())
    }

    fn app() -> App {
        App::new("shop")
            .topic("orders")
            .queue("failed")
            .queue("own")
            .queue("jobs")
            .dead_letter(DeadLetter::Queue("failed".into()))
            .function(Function::new("bill", on_message).subscribe("orders"))
            .function(
                Function::new("refund", on_message)
                    .subscribe("orders")
                    .dead_letter(DeadLetter::Queue("own".into()))
                    .sends("jobs"),
            )
    }

    #[test]
    fn a_function_without_its_own_dead_letter_takes_the_app_default() {
        let app = app();
        app.validate().expect("valid");
        let target = |name| app.get(name).and_then(|f| app.dead_letter_for(f)).cloned();
        assert_eq!(target("bill"), Some(DeadLetter::Queue("failed".into())));
        assert_eq!(target("refund"), Some(DeadLetter::Queue("own".into())));
    }

    #[test]
    fn a_queue_takes_the_app_default_unless_it_is_that_queue_or_a_topic() {
        let app = app();
        let jobs = QueueSpec::new("jobs");
        assert_eq!(app.dead_letter_queue_for(&jobs), Some("failed"));
        assert_eq!(app.dead_letter_queue_for(&QueueSpec::new("failed")), None);
        let own = QueueSpec::new("jobs").dead_letter_queue("own");
        assert_eq!(app.dead_letter_queue_for(&own), Some("own"));
        let topic_default = app.dead_letter(DeadLetter::Topic("orders".into()));
        assert_eq!(topic_default.dead_letter_queue_for(&jobs), None);
    }

    #[test]
    fn an_undeclared_default_dead_letter_is_refused() {
        let err = app()
            .dead_letter(DeadLetter::Topic("lost".into()))
            .validate()
            .expect_err("undeclared");
        assert_eq!(
            err.to_string(),
            "the app's default dead letter is topic `lost`, which the app does not declare"
        );
        assert!(matches!(err, AppError::UndeclaredDeadLetter { .. }));
    }

    #[test]
    fn a_function_receives_async_events_from_its_triggers_or_from_functions_that_may_invoke_it() {
        let app = App::new("a")
            .topic("t")
            .function(
                Function::new("sub", on_message)
                    .subscribe("t")
                    .publishes("t"),
            )
            .function(Function::new("callee", on_message).publishes("t"))
            .function(Function::new("caller", on_message).invokes("callee"));
        let receives = |name| app.get(name).is_some_and(|f| app.receives_async_events(f));
        assert!(receives("sub"));
        assert!(receives("callee"));
        assert!(!receives("caller"));
        // A function that declares nothing may invoke every function, itself included.
        let open = app.function(Function::new("open", on_message));
        assert!(open
            .get("caller")
            .is_some_and(|f| open.receives_async_events(f)));
    }
}
