//! # faasport
//!
//! Write serverless functions once; run them unchanged on AWS Lambda, Google Cloud, Azure
//! Functions, or the bundled local runtime, which performs the scaling, metering and execution
//! itself and tells you what the workload would cost on each cloud.
//!
//! ```no_run
//! use faasport::prelude::*;
//!
//! async fn hello(req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
//!     Ok(HttpResponse::text(StatusCode::OK, format!("hello from {}", req.path())))
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Error> {
//!     faasport::run(App::new("hello").function(Function::new("hello", hello).http(Method::GET, "/hello"))).await
//! }
//! ```
//!
//! ## Testing
//!
//! [`testing::TestApp`] runs an app on the local runtime in-process and on a virtual clock:
//! invoke functions, call the HTTP API through the real gateway, publish, settle, travel in
//! time, inject faults, and read what was published, stored, dead-lettered and billed. The
//! local runtime itself is [`local`] ([`local::LocalCloud`], [`local::FaultPlan`],
//! [`local::gateway::router`], ...).
//!
//! ## Features
//!
//! | feature | backend | what [`run`] does |
//! |---|---|---|
//! | `local` (default) | the local runtime | the binary becomes its own CLI: `serve`, `invoke`, `report`, `replay`, `dead-letters`, `manifest` |
//! | `aws` | AWS Lambda | serves one function under the Lambda Runtime API; `manifest aws` writes a SAM template |
//! | `gcp` | Cloud Run functions / Knative | serves one function on `$PORT` under the Functions Framework contract (HTTP, CloudEvents, Pub/Sub push, Storage, Scheduler); writes `deploy.sh` (`manifest gcp`) and Knative YAML (`manifest knative`); no resource bindings yet |
//! | `azure` | Azure Functions custom handler | serves every function on `$FUNCTIONS_CUSTOMHANDLER_PORT` (invocation requests and proxied HTTP); `manifest azure` writes `host.json` and one `function.json` per trigger |
//!
//! Features are additive. With several enabled, [`run`] picks the platform from the environment
//! (`AWS_LAMBDA_RUNTIME_API`, `FUNCTIONS_CUSTOMHANDLER_PORT`, `K_SERVICE` / `FUNCTION_TARGET`,
//! else local); `FAASPORT_PROVIDER` (`local`, `aws`, `gcp`, `azure`) overrides the detection and
//! `FAASPORT_FUNCTION` names the function to serve where the platform does not.
#![warn(missing_docs)]

#[cfg(feature = "local")]
pub mod cli;
mod platform;

pub use faasport_core as core;
pub use faasport_core::{
    http, Access, App, BatchOutcome, Body, ChangeBatch, CloudEvent, Context, DeadLetter, Error,
    Event, Function, HttpRequest, HttpResponse, Json, Message, Object, ObjectInfo, Operation,
    Output, Provider, QueueBatch, QueueMessage, QueueSpec, RetryPolicy, ScheduleTick, StorageEvent,
    StorageEventKind, TopicMessage,
};

#[cfg(feature = "local")]
#[doc(inline)]
pub use faasport_adapter_local as local;

#[cfg(feature = "local")]
pub mod testing;

#[cfg(feature = "aws")]
pub use faasport_adapter_aws as aws;

#[cfg(feature = "azure")]
pub use faasport_adapter_azure as azure;
#[cfg(feature = "gcp")]
pub use faasport_adapter_gcp as gcp;

pub use crate::platform::{detect_provider, run, FUNCTION_ENV, PROVIDER_ENV};

/// Everything a function author needs in scope.
pub mod prelude {
    pub use faasport_core::http::{Method, StatusCode};
    pub use faasport_core::{
        App, BatchOutcome, Body, ChangeBatch, ChangeOperation, ChangeRecord, CloudEvent, Context,
        DeadLetter, Error, Event, Function, HttpRequest, HttpResponse, Json, Message, Object,
        ObjectInfo, Output, Provider, QueueBatch, QueueMessage, QueueSpec, RetryPolicy,
        ScheduleTick, StorageEvent, StorageEventKind, TopicMessage,
    };
}
