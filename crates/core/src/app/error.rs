//! [`AppError`]: what [`App::validate`](crate::App::validate) reports.

use std::time::Duration;

use crate::ResourceKind;

/// A mistake in an app declaration, found by [`App::validate`](crate::App::validate).
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
    /// A trigger, dead-letter target or per-function access declaration names a resource the
    /// app did not declare.
    #[error("function `{function}` uses {kind} `{name}`, which the app does not declare")]
    Undeclared {
        /// The function (or queue, for a queue's dead-letter queue).
        function: String,
        /// The kind.
        kind: ResourceKind,
        /// The name.
        name: String,
    },
    /// The app's default dead-letter target is not a declared queue or topic.
    #[error("the app's default dead letter is {kind} `{name}`, which the app does not declare")]
    UndeclaredDeadLetter {
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
    /// The functions reserve more of the account's shared concurrency than the provider allows.
    #[error("the functions reserve {reserved} of the account's {account} concurrent executions; at least {floor} must stay unreserved")]
    ReservedConcurrency {
        /// The sum of the functions' reserved concurrency (max instances).
        reserved: u64,
        /// The account's concurrency.
        account: u32,
        /// How much must stay unreserved.
        floor: u32,
    },
    /// Provisioned concurrency set while running would leave the account's shared pool below
    /// the unreserved concurrency the provider keeps (Lambda: "up to the unreserved account
    /// concurrency minus 100").
    #[error("function `{function}` asks for {requested} provisioned instances; the account has room for at most {available}")]
    ProvisionedConcurrency {
        /// The function.
        function: String,
        /// The provisioned concurrency asked for.
        requested: u32,
        /// The most the account allows the function now.
        available: u64,
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
        trigger: crate::EventKind,
        /// The handler's event kind.
        accepts: crate::EventKind,
    },
}
