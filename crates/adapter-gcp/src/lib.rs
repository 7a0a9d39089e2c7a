//! The Google Cloud adapter of faasport.
//!
//! [`run`] serves one function of an [`App`] under the Functions Framework contract, which is
//! also the Cloud Run and Knative container contract: it listens on `0.0.0.0:$PORT`, picks the
//! function from `FUNCTION_TARGET` (else `FAASPORT_FUNCTION`, else the only one), runs its
//! initialiser once, turns each request into a neutral [`Event`](faasport_core::Event) (plain
//! HTTP, CloudEvents in binary and structured mode, Pub/Sub push envelopes, Cloud Storage and
//! Cloud Scheduler events, legacy background events), runs the handler with a
//! [`Context`](faasport_core::Context), and answers with core's status rules.
//!
//! | module | what it does |
//! |---|---|
//! | [`event`] | request shape detection; CloudEvents, Pub/Sub, Storage, Scheduler and legacy events in, neutral events out |
//! | [`response`] | HTTP responses for HTTP functions, push statuses for events |
//! | `runtime` | the serve loop ([`run`], [`FunctionServer`]) |
//! | [`names`] | the environment variables that name each resource |
//! | [`manifest`] | `deploy.sh` for Google Cloud (gcloud, Cloud Run) and Knative YAML, with per-function service accounts and dead letters |
//!
//! # Running it
//!
//! ```text
//! PORT=8080 FAASPORT_PROVIDER=gcp cargo run --example echo --features gcp
//! curl -s localhost:8080/hello                                       # an HTTP request
//! curl -s localhost:8080/ -H 'ce-specversion: 1.0' -H 'ce-id: 1' \
//!      -H 'ce-source: //pubsub.googleapis.com/projects/p/topics/echo-topic' \
//!      -H 'ce-type: google.cloud.pubsub.topic.v1.messagePublished' \
//!      -H 'content-type: application/json' -d '{"message": {"data": "aGk=", "messageId": "1"}}'
//! ```
//!
//! # Not yet
//!
//! Resource bindings (publishing with `google-cloud-pubsub`, objects with
//! `google-cloud-storage`) are not implemented: using a declared resource from the context
//! fails with [`Error::NoBinding`].
#![warn(missing_docs)]

pub mod event;
pub mod manifest;
pub mod names;
pub mod response;
mod runtime;

use faasport_core::{App, Error};

pub use crate::runtime::{FunctionServer, DEFAULT_PORT, MAX_BODY_BYTES, PORT_ENV, TARGET_ENV};

/// Serves the app's function named by `FUNCTION_TARGET` (else `FAASPORT_FUNCTION`, else the
/// only one) on `0.0.0.0:$PORT` until SIGTERM.
///
/// # Errors
/// An app Google Cloud would refuse ([`Error::App`]), a bad `PORT`
/// ([`Error::Platform`]), [`Error::UnknownFunction`] listing the names, [`Error::Init`], or
/// the listener's [`Error::Io`].
pub async fn run(app: App) -> Result<(), Error> {
    runtime::serve(app).await
}
