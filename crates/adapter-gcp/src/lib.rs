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
//! | [`bindings`] | topics and queues (Pub/Sub), buckets (Cloud Storage) and invoke, through Google's official crates |
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
//! # Features
//!
//! | feature | default | adds |
//! |---|---|---|
//! | `pubsub` | yes | [`TopicPublisher`](faasport_core::resource::TopicPublisher) and [`QueueSender`](faasport_core::resource::QueueSender) on `google-cloud-pubsub` |
//! | `storage` | yes | [`ObjectStore`](faasport_core::resource::ObjectStore) on `google-cloud-storage` |
//! | `invoke` | yes | [`FunctionInvoker`](faasport_core::resource::FunctionInvoker) over HTTP (sync) and Pub/Sub (async); implies `pubsub` |
//!
//! Without one of them, using that kind of resource fails with [`Error::NoBinding`]. The
//! Google crates need Rust 1.91.
//!
//! # Testing against emulators
//!
//! Set `PUBSUB_EMULATOR_HOST` (the Pub/Sub emulator) and `STORAGE_EMULATOR_HOST`
//! (fake-gcs-server), or faasport's `FAASPORT_PUBSUB_ENDPOINT` / `FAASPORT_STORAGE_ENDPOINT`;
//! see [`bindings`].
#![warn(missing_docs)]

pub mod bindings;
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
