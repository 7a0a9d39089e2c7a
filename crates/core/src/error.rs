//! Typed errors shared by every backend.
//!
//! Every error says whether a retry may help ([`Error::is_retryable`]); adapters map that onto the
//! provider's failure signal (an `/error` call on Lambda, a non-2xx status on Google Cloud and
//! Azure, a dead letter locally).

use std::fmt;
use std::time::Duration;

use crate::app::AppError;

/// A boxed error from a binding or a handler.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The kind of a declared resource, used in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// A publish/subscribe topic.
    Topic,
    /// A point-to-point queue.
    Queue,
    /// An object storage bucket.
    Bucket,
    /// Another function of the app.
    Function,
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResourceKind::Topic => "topic",
            ResourceKind::Queue => "queue",
            ResourceKind::Bucket => "bucket",
            ResourceKind::Function => "function",
        })
    }
}

/// The error a handler returned, kept as plain data so it can cross process and wire boundaries.
///
/// Any `std::error::Error` returned by a handler becomes one of these; if the error is (or wraps)
/// a faasport [`Error`], its retry hint is kept, otherwise the failure counts as retryable, as it
/// does on every cloud.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct HandlerError {
    /// A short type name for the error (the `errorType` on Lambda).
    pub error_type: String,
    /// The error's message, including its sources, joined with `: `.
    pub message: String,
    /// Whether a retry may help.
    pub retryable: bool,
}

impl HandlerError {
    /// Captures an arbitrary handler error.
    pub fn from_error<E>(error: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let boxed: BoxError = Box::new(error);
        match boxed.downcast::<Error>() {
            Ok(own) => Self::from_faasport(*own),
            Err(other) => Self::from_boxed(short_type_name::<E>(), other.as_ref()),
        }
    }

    fn from_boxed(error_type: &str, error: &(dyn std::error::Error + 'static)) -> Self {
        Self {
            error_type: error_type.to_owned(),
            message: chain_message(error),
            retryable: true,
        }
    }

    fn from_faasport(error: Error) -> Self {
        match error {
            Error::Handler(inner) => inner,
            Error::Custom { message, retryable } => Self {
                error_type: custom_type(retryable).to_owned(),
                message,
                retryable,
            },
            other => Self {
                error_type: other.error_type().to_owned(),
                message: chain_message(&other),
                retryable: other.is_retryable(),
            },
        }
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

/// Joins an error and its sources into one line.
pub fn chain_message(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

fn custom_type(retryable: bool) -> &'static str {
    if retryable {
        "TransientError"
    } else {
        "PermanentError"
    }
}

fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

/// The error type of faasport.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The app declaration is invalid.
    #[error(transparent)]
    App(#[from] AppError),
    /// A handler received an event of a kind it does not accept.
    #[error("the handler expects {expected} events but received a {actual} event")]
    EventMismatch {
        /// The kind of event the handler takes.
        expected: crate::EventKind,
        /// The kind of event that arrived.
        actual: crate::EventKind,
    },
    /// A resource was used without the declaration it needs: the function declares access but
    /// not this use, or the app does not declare the resource (see [`Access`](crate::Access)).
    #[error("{}", crate::access::undeclared_message(function.as_deref(), *operation, name, *scope))]
    Undeclared {
        /// The function that tried; `None` for a use from outside any function (a test
        /// publishing straight into the local sources).
        function: Option<String>,
        /// What it tried to do; [`Operation::kind`](crate::Operation::kind) is the resource's kind.
        operation: crate::Operation,
        /// The resource's name.
        name: String,
        /// Which declaration is missing: the function's or the app's.
        scope: crate::Scope,
    },
    /// A function name that the app does not have.
    #[error("no function named `{name}` (available: {available})")]
    UnknownFunction {
        /// The requested name.
        name: String,
        /// The names the app has, comma separated.
        available: String,
    },
    /// An incoming payload could not be understood.
    #[error("invalid payload: {reason}")]
    InvalidPayload {
        /// What was wrong, for the caller.
        reason: String,
    },
    /// A payload is larger than the limit it must fit (an `invoke --file` larger than the
    /// gateway's body limit, say).
    #[error("payload of {size} bytes is larger than the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The payload's size, in bytes (at least `limit + 1` when it was not read to the end).
        size: u64,
        /// The limit, in bytes.
        limit: u64,
    },
    /// JSON could not be read or written.
    #[error("invalid JSON")]
    Json(#[from] serde_json::Error),
    /// The caller's request is wrong (a body that does not parse, say): a retry of the same
    /// request cannot help, and the reason is meant for the caller (an HTTP 400).
    #[error("bad request: {reason}")]
    BadRequest {
        /// What is wrong with the request, for the caller.
        reason: String,
    },
    /// The handler returned an error.
    #[error("{0}")]
    Handler(HandlerError),
    /// The handler panicked; the panic was contained to this invocation.
    #[error("the handler panicked: {0}")]
    Panic(String),
    /// The invocation ran past the function's timeout and was cancelled.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The invocation was refused because a concurrency or rate limit was reached.
    #[error("throttled: {reason}")]
    Throttled {
        /// Which limit was hit.
        reason: String,
        /// When a retry may succeed, if known.
        retry_after: Option<Duration>,
    },
    /// The per-instance initialiser failed.
    #[error("initialisation of function `{function}` failed: {message}")]
    Init {
        /// The function whose initialiser failed.
        function: String,
        /// The initialiser's error message.
        message: String,
    },
    /// A call to a resource binding (topic, queue, bucket, invoke) failed.
    #[error("{kind} `{name}` binding failed")]
    Binding {
        /// The kind of resource.
        kind: ResourceKind,
        /// The resource's name.
        name: String,
        /// Whether a retry may help.
        retryable: bool,
        /// The underlying failure.
        #[source]
        source: BoxError,
    },
    /// No backend can be chosen, or the one asked for is not compiled into this binary.
    #[error("no backend to run on: {reason}")]
    NoBackend {
        /// Why, and what to set or build.
        reason: String,
    },
    /// The process is not on the platform its backend serves (its environment is missing or
    /// wrong), or the platform's runtime interface stopped.
    #[error("{provider} platform: {reason}")]
    Platform {
        /// The backend.
        provider: crate::Provider,
        /// What is missing or what failed.
        reason: String,
    },
    /// A deployment manifest cannot express the app as declared.
    #[error("the {provider} manifest cannot express this app: {reason}")]
    Manifest {
        /// Whose manifest.
        provider: crate::Provider,
        /// What it cannot express, naming the function or resource.
        reason: String,
    },
    /// The backend has no binding for this kind of resource (a crate feature left out, or a
    /// local runtime built without its event sources).
    #[error("no {kind} binding for `{name}` on {provider}: {fix}")]
    NoBinding {
        /// The kind of resource.
        kind: ResourceKind,
        /// The resource.
        name: String,
        /// The backend.
        provider: crate::Provider,
        /// How to get one.
        fix: String,
    },
    /// The local runtime cannot do what was asked as it is set up (a clock it cannot pause, a
    /// price table that does not load, a stream nobody consumes, a replay that fails).
    #[error("local runtime: {reason}")]
    Local {
        /// What is wrong, and the fix where there is one.
        reason: String,
    },
    /// A file or socket operation failed.
    #[error("I/O failed")]
    Io(#[from] std::io::Error),
    /// The runtime is shutting down and takes no new work.
    #[error("the runtime is shutting down")]
    ShuttingDown,
    /// An error raised by application code with an explicit retry hint. It displays as
    /// `TransientError: message` or `PermanentError: message`, its [`Error::error_type`] first.
    #[error("{}: {message}", custom_type(*.retryable))]
    Custom {
        /// The message.
        message: String,
        /// Whether a retry may help.
        retryable: bool,
    },
}

impl Error {
    /// The error a handler returned, as the invocation's error.
    ///
    /// A faasport [`Error`] comes back as itself, so `matches!(e, Error::BadRequest { .. })`
    /// holds for a handler that returned [`Error::bad_request`]. The exceptions are the
    /// runtime's own verdicts about an invocation ([`Error::Timeout`], [`Error::Panic`],
    /// [`Error::Throttled`], [`Error::Init`]): a handler that relays one from a call it made
    /// did run, so it becomes an [`Error::Handler`] keeping the type name and retry hint, and
    /// is metered and delivered as a handler failure. Any other error type becomes an
    /// [`Error::Handler`] too ([`HandlerError::from_error`]).
    pub fn from_handler<E>(error: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let boxed: BoxError = Box::new(error);
        match boxed.downcast::<Error>() {
            Ok(own) => match *own {
                verdict @ (Error::Timeout(_)
                | Error::Panic(_)
                | Error::Throttled { .. }
                | Error::Init { .. }) => Error::Handler(HandlerError::from_faasport(verdict)),
                other => other,
            },
            Err(other) => Error::Handler(HandlerError::from_boxed(
                short_type_name::<E>(),
                other.as_ref(),
            )),
        }
    }

    /// An application error that a retry may fix (a dependency was down, say).
    pub fn transient(message: impl Into<String>) -> Self {
        Error::Custom {
            message: message.into(),
            retryable: true,
        }
    }

    /// An application error that no retry will fix (the input is wrong, say).
    pub fn permanent(message: impl Into<String>) -> Self {
        Error::Custom {
            message: message.into(),
            retryable: false,
        }
    }

    /// A payload the adapter or handler could not understand.
    pub fn invalid_payload(reason: impl Into<String>) -> Self {
        Error::InvalidPayload {
            reason: reason.into(),
        }
    }

    /// A request the caller got wrong; the reason is shown to the caller.
    pub fn bad_request(reason: impl Into<String>) -> Self {
        Error::BadRequest {
            reason: reason.into(),
        }
    }

    /// Whether a retry of the same event may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Handler(e) => e.retryable,
            Error::Panic(_) | Error::Timeout(_) | Error::Throttled { .. } => true,
            Error::Init { .. } | Error::ShuttingDown | Error::Io(_) => true,
            Error::Binding { retryable, .. } | Error::Custom { retryable, .. } => *retryable,
            Error::App(_)
            | Error::EventMismatch { .. }
            | Error::Undeclared { .. }
            | Error::UnknownFunction { .. }
            | Error::InvalidPayload { .. }
            | Error::PayloadTooLarge { .. }
            | Error::Json(_)
            | Error::BadRequest { .. }
            | Error::NoBackend { .. }
            | Error::Platform { .. }
            | Error::Manifest { .. }
            | Error::NoBinding { .. }
            | Error::Local { .. } => false,
        }
    }

    /// A stable, short name for the error's kind (Lambda's `errorType`, a log field).
    pub fn error_type(&self) -> &str {
        match self {
            Error::App(_) => "InvalidApp",
            Error::EventMismatch { .. } => "EventMismatch",
            Error::Undeclared { .. } => "UndeclaredResource",
            Error::UnknownFunction { .. } => "UnknownFunction",
            Error::InvalidPayload { .. } => "InvalidPayload",
            Error::PayloadTooLarge { .. } => "PayloadTooLarge",
            Error::Json(_) => "InvalidJson",
            Error::BadRequest { .. } => "BadRequest",
            Error::Handler(e) => &e.error_type,
            Error::Panic(_) => "Panic",
            Error::Timeout(_) => "Timeout",
            Error::Throttled { .. } => "Throttled",
            Error::Init { .. } => "InitError",
            Error::Binding { .. } => "BindingError",
            Error::NoBackend { .. } => "NoBackend",
            Error::Platform { .. } => "PlatformError",
            Error::Manifest { .. } => "ManifestError",
            Error::NoBinding { .. } => "NoBinding",
            Error::Local { .. } => "LocalRuntimeError",
            Error::ShuttingDown => "ShuttingDown",
            Error::Io(_) => "IoError",
            Error::Custom { retryable, .. } => custom_type(*retryable),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("database unavailable")]
    struct DbDown;

    #[test]
    fn foreign_errors_become_retryable_handler_errors_named_after_their_type() {
        let e = HandlerError::from_error(DbDown);
        assert_eq!(e.error_type, "DbDown");
        assert_eq!(e.message, "database unavailable");
        assert!(e.retryable);
    }

    #[test]
    fn faasport_errors_keep_their_retry_hint() {
        let e = HandlerError::from_error(Error::permanent("bad order"));
        assert_eq!(e.error_type, "PermanentError");
        assert!(!e.retryable);
        assert!(Error::transient("x").is_retryable());
    }

    #[test]
    fn an_application_error_displays_its_kind_first_as_it_did_through_a_handler() {
        assert_eq!(
            Error::transient("db down").to_string(),
            "TransientError: db down"
        );
        let wrapped = Error::Handler(HandlerError::from_error(Error::permanent("bad order")));
        assert_eq!(
            wrapped.to_string(),
            Error::permanent("bad order").to_string()
        );
    }
}
