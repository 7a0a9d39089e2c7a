//! The contract: every rule a user can observe, written once and read by every backend.
//!
//! An adapter translates bytes between its platform and these rules, and decides nothing a
//! user could see. The conformance matrix (`tests/conformance/`) runs one table of scenarios
//! through every backend to prove it.
//!
//! | rule | where | read by |
//! |---|---|---|
//! | how a result becomes an HTTP response: status per error kind, body, `x-request-id` | [`http_response`] | the local gateway, API Gateway / ALB / Function URL responses on AWS, the Google Cloud and Azure servers |
//! | how a result becomes delivery: ack, retry, dead letter, partial batch | [`Delivery`], [`Delivery::exhausted`] (retries used up: dead-letter now) | local topics, queues, streams and asynchronous invokes; `batchItemFailures` on AWS; push status codes on Google Cloud and Azure; the dead letters the Azure custom handler forwards |
//! | provider limits: memory, timeout, start-up, retries, event age | [`Limits`] | the local profiles, every manifest writer, [`App::validate_for`](crate::App::validate_for) |
//! | a queue's visibility timeout | [`visibility_timeout`] | local queues, the SAM template |
//! | which function an HTTP method and path reach, and the path parameters | [`RouteTable`] | the local gateway, adapters whose platform gives no path parameters |
//! | which function a process serves | [`FUNCTION_ENV`], [`App::select`](crate::App::select) | every runtime |
//! | when a server stops: SIGTERM or Ctrl-C, then the grace period | [`shutdown_signal`] | the local `serve`, the Google Cloud and Azure servers |
//! | how a callee's HTTP answer reads to its synchronous caller; the deliveries an asynchronous invoke gets | [`invoke_answer`], [`delivery_attempts`] | the Google Cloud and Azure invoke bindings and manifests |
//! | panic containment | [`Function::call`](crate::Function::call) | every runtime (one catching path) |

mod delivery;
mod http;
mod invoke;
mod limits;
mod routes;
mod scaling;
mod shutdown;
mod visibility;

pub use self::delivery::{Delivery, PushAnswer};
pub use self::http::{
    error_response, http_response, output_response, retryable_status, REQUEST_ID_HEADER,
};
pub use self::invoke::{delivery_attempts, invoke_answer, CalleeError};
pub use self::limits::Limits;
pub use self::routes::{RouteMatch, RouteMiss, RouteTable};
pub use self::scaling::QueueScaling;
pub use self::shutdown::shutdown_signal;
pub use self::visibility::visibility_timeout;

/// The part of an environment variable's name that names a resource: upper case, with `-` as
/// `_` (`create-order` is `CREATE_ORDER`). Every adapter names its resource variables with it
/// (`FAASPORT_TOPIC_ORDERS_ARN` on AWS, `FAASPORT_TOPIC_ORDERS` on Google Cloud).
pub fn env_name(resource: &str) -> String {
    resource
        .chars()
        .map(|c| match c {
            '-' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// Receives of a queue message, the first included, before it is dead-lettered, where the queue
/// sets none: the local queues and the redrive policy of every deployed queue use it. SQS has
/// no maximum without a redrive policy (a poison message would circulate for the 4-day
/// retention); 5 is Azure Storage queues' `maxDequeueCount` and Pub/Sub's default maximum
/// delivery attempts.
pub const DEFAULT_MAX_RECEIVE_COUNT: u32 = 5;

/// The environment variable that names the function a process serves, where the platform does
/// not (emulators call every function `_`; one container image serves many Cloud Run services).
pub const FUNCTION_ENV: &str = "FAASPORT_FUNCTION";
