//! [`App`]: the functions and the resources they share, validated as a whole.

mod error;
mod validate;

use std::time::Duration;

use crate::context::Declared;
use crate::Function;

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

    /// The declared names, for [`Context`](crate::Context) checks.
    pub fn declared(&self) -> Declared {
        Declared {
            topics: self.topics.iter().cloned().collect(),
            queues: self.queues.iter().map(|q| q.name.clone()).collect(),
            buckets: self.buckets.iter().cloned().collect(),
            functions: self.functions.iter().map(|f| f.name().to_owned()).collect(),
        }
    }
}
