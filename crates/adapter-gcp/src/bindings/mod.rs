//! Outbound resources through Google's official crates: the core resource traits on Google Cloud.
//!
//! | trait | service | call | cargo feature |
//! |---|---|---|---|
//! | [`TopicPublisher`](faasport_core::resource::TopicPublisher) | Pub/Sub | `Publish` through `google-cloud-pubsub`'s `Publisher` (attributes; the ordering key of [`Message::ordering_key`](faasport_core::resource::Message::ordering_key)) | `pubsub` |
//! | [`QueueSender`](faasport_core::resource::QueueSender) | Pub/Sub | `Publish` to the queue's topic, as above | `pubsub` |
//! | [`ObjectStore`](faasport_core::resource::ObjectStore) | Cloud Storage | `Storage::write_object` (`send_buffered`) and `read_object` (JSON API); `StorageControl::delete_object` and `list_objects` (gRPC) | `storage` |
//! | [`FunctionInvoker`](faasport_core::resource::FunctionInvoker) | Cloud Run | synchronous: an HTTP `POST` of a `faasport.invoke` CloudEvent to the callee's URL; asynchronous: a publish to the callee's invoke topic, which a push subscription delivers to it | `invoke` |
//!
//! # A queue on Google Cloud is a Pub/Sub topic
//!
//! Google Cloud has no queue service with SQS's shape. What a Google Cloud user reaches for to
//! hand work to a consumer is a Pub/Sub topic with a **pull** subscription: messages wait in
//! the subscription (seven days here) until a consumer acknowledges them, with an ack deadline
//! playing the visibility timeout. So a declared queue is a topic plus the pull subscription of
//! the same name (`manifest gcp` creates both; [`crate::manifest`]), and
//! [`QueueSender::send`](faasport_core::resource::QueueSender::send) publishes to that topic.
//! Cloud Tasks was the other candidate; it queues HTTP requests to one target rather than
//! messages for any consumer, which is what asynchronous invoke needs, not a queue. (Consuming
//! a queue from a function is not served on Google Cloud yet; see [`crate::manifest`].)
//!
//! # Asynchronous invoke goes through Pub/Sub
//!
//! A synchronous invoke is a request to the callee's service and its answer. An asynchronous
//! one must be accepted, then retried and dead-lettered by the platform, as Lambda's `Event`
//! invokes are (core's [`InvokeMode::Async`](faasport_core::resource::InvokeMode)); a request
//! left running after the caller answered would be throttled by Cloud Run and lost. So it is
//! published to the callee's invoke topic (`FAASPORT_FUNCTION_<NAME>_TOPIC`) with the attribute
//! [`INVOKE_ATTRIBUTE`], and `manifest gcp` pushes that topic to the callee with the same
//! retries and dead-letter topic as its other events. The callee reads it as core reads any
//! invoke payload ([`Event::try_from_json`](faasport_core::Event::try_from_json)).
//!
//! # Finding resources and endpoints
//!
//! Resources are found through the variables of [`crate::names`]; a missing one is a
//! non-retryable [`Error::Binding`] naming the variable. Clients are built on first use and
//! kept. Credentials are Application Default Credentials (on Cloud Run, the service's own
//! account, which `manifest gcp` grants exactly what the function declares).
//!
//! | service | endpoint override | as Google's other clients | credentials then |
//! |---|---|---|---|
//! | Pub/Sub | [`PUBSUB_ENDPOINT_ENV`] (a URL) | `PUBSUB_EMULATOR_HOST` (`host:port`) | anonymous for `PUBSUB_EMULATOR_HOST` and for a plain `http://` override; ADC for `https://` |
//! | Cloud Storage | [`STORAGE_ENDPOINT_ENV`] (a URL) | `STORAGE_EMULATOR_HOST` (`http://host:port` or `host:port`) | the same rule |
//!
//! The faasport variable wins over Google's. Neither crate reads the emulator variables itself
//! (Google's Go, Java and Python clients do), so the bindings do.
//!
//! # Errors
//!
//! A failed call is [`Error::Binding`] with its cause. It is retryable when a retry may help:
//! time-outs, connection failures, and the gRPC codes `UNAVAILABLE`, `DEADLINE_EXCEEDED`,
//! `RESOURCE_EXHAUSTED`, `ABORTED`, `INTERNAL` and `UNKNOWN`, or HTTP 408, 429 and 5xx.
//! `NOT_FOUND`, `PERMISSION_DENIED`, `INVALID_ARGUMENT` and the other codes are not.

#[cfg(feature = "invoke")]
mod invoke;
#[cfg(feature = "pubsub")]
mod pubsub;
#[cfg(feature = "storage")]
mod storage;

use std::sync::Arc;

use faasport_core::{Bindings, Error, ResourceKind};

use crate::names::ResourceNames;

/// Google's Pub/Sub crate, for building publishers and subscribers next to the bindings.
#[cfg(feature = "pubsub")]
pub use google_cloud_pubsub;
/// Google's Cloud Storage crate.
#[cfg(feature = "storage")]
pub use google_cloud_storage;

/// Overrides the Pub/Sub endpoint (a URL, e.g. `http://127.0.0.1:8085`); wins over
/// `PUBSUB_EMULATOR_HOST`.
pub const PUBSUB_ENDPOINT_ENV: &str = "FAASPORT_PUBSUB_ENDPOINT";
/// The Pub/Sub emulator's `host:port`, as the emulator and Google's other clients name it.
pub const PUBSUB_EMULATOR_ENV: &str = "PUBSUB_EMULATOR_HOST";
/// Overrides the Cloud Storage endpoint (a URL, e.g. `http://127.0.0.1:4443`); wins over
/// `STORAGE_EMULATOR_HOST`.
pub const STORAGE_ENDPOINT_ENV: &str = "FAASPORT_STORAGE_ENDPOINT";
/// The Cloud Storage emulator, as fake-gcs-server and Google's other clients name it.
pub const STORAGE_EMULATOR_ENV: &str = "STORAGE_EMULATOR_HOST";
/// The message attribute that marks an asynchronous invoke on the callee's invoke topic.
pub const INVOKE_ATTRIBUTE: &str = "faasport-invoke";
/// The CloudEvent type of a synchronous invoke request (core's invoke event type).
pub const INVOKE_EVENT_TYPE: &str = faasport_core::event::INVOKE_EVENT_TYPE;

/// Where a client sends its requests, and whether it sends credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The URL, or `None` for Google's default.
    pub url: Option<String>,
    /// Whether requests go without credentials (an emulator).
    pub anonymous: bool,
}

impl Endpoint {
    /// The endpoint from a faasport override (a URL) and Google's emulator variable
    /// (`host:port`, or a URL).
    pub fn from_vars(faasport: Option<String>, emulator: Option<String>) -> Self {
        let faasport = faasport.filter(|v| !v.trim().is_empty());
        let emulator = emulator.filter(|v| !v.trim().is_empty());
        match (faasport, emulator) {
            (Some(url), _) => {
                let url = url.trim().trim_end_matches('/').to_owned();
                Self {
                    anonymous: url.starts_with("http://"),
                    url: Some(url),
                }
            }
            (None, Some(host)) => {
                let host = host.trim().trim_end_matches('/');
                let url = if host.contains("://") {
                    host.to_owned()
                } else {
                    format!("http://{host}")
                };
                Self {
                    url: Some(url),
                    anonymous: true,
                }
            }
            (None, None) => Self {
                url: None,
                anonymous: false,
            },
        }
    }

    /// The Pub/Sub endpoint from `env` (usually `std::env::var`).
    pub fn pubsub(env: impl Fn(&str) -> Option<String>) -> Self {
        Self::from_vars(env(PUBSUB_ENDPOINT_ENV), env(PUBSUB_EMULATOR_ENV))
    }

    /// The Cloud Storage endpoint from `env` (usually `std::env::var`).
    pub fn storage(env: impl Fn(&str) -> Option<String>) -> Self {
        Self::from_vars(env(STORAGE_ENDPOINT_ENV), env(STORAGE_EMULATOR_ENV))
    }
}

/// A binding's failure that has no typed source of its own.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BindingError {
    /// The environment variable that names the resource is not set.
    #[error("{variable} is not set (`manifest gcp` and `manifest knative` set it for each declared resource)")]
    MissingSetting {
        /// The variable.
        variable: String,
    },
    /// A topic is given by id and no variable names its project.
    #[error("the topic `{topic}` is given without its project: set GOOGLE_CLOUD_PROJECT, or give the full name projects/<project>/topics/{topic}")]
    NoProject {
        /// The topic id.
        topic: String,
    },
    /// The Google Cloud call failed.
    #[error("{0}")]
    Request(String),
    /// The invoked function answered with an error status.
    #[error("the function answered {status}: {message}")]
    Function {
        /// The HTTP status.
        status: u16,
        /// The `error` of its JSON answer, or the answer's text.
        message: String,
    },
}

/// The Google Cloud implementations of the core resource traits.
pub struct GcpBindings {
    names: ResourceNames,
    #[cfg(feature = "pubsub")]
    pubsub: pubsub::Clients,
    #[cfg(feature = "storage")]
    storage: storage::Clients,
    #[cfg(feature = "invoke")]
    invoke: invoke::Clients,
}

impl std::fmt::Debug for GcpBindings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcpBindings")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

impl GcpBindings {
    /// Bindings that find resources through `names` and endpoints through `env`
    /// ([`Endpoint::pubsub`], [`Endpoint::storage`]), building clients on first use.
    pub fn new(names: ResourceNames, env: impl Fn(&str) -> Option<String>) -> Self {
        Self::with_endpoints(names, Endpoint::pubsub(&env), Endpoint::storage(&env))
    }

    /// Bindings with the given Pub/Sub and Cloud Storage endpoints (for tests against
    /// emulators).
    #[cfg_attr(
        not(all(feature = "pubsub", feature = "storage")),
        allow(unused_variables)
    )]
    pub fn with_endpoints(names: ResourceNames, pubsub: Endpoint, storage: Endpoint) -> Self {
        Self {
            names,
            #[cfg(feature = "pubsub")]
            pubsub: pubsub::Clients::new(pubsub),
            #[cfg(feature = "storage")]
            storage: storage::Clients::new(storage),
            #[cfg(feature = "invoke")]
            invoke: invoke::Clients::default(),
        }
    }

    /// The core [`Bindings`] backed by these clients (the ones whose features are enabled).
    pub fn into_bindings(self) -> Bindings {
        let this = Arc::new(self);
        let bindings = Bindings::none();
        #[cfg(feature = "pubsub")]
        let bindings = bindings.with_topics(this.clone()).with_queues(this.clone());
        #[cfg(feature = "storage")]
        let bindings = bindings.with_objects(this.clone());
        #[cfg(feature = "invoke")]
        let bindings = bindings.with_invoker(this.clone());
        drop(this);
        bindings
    }

    /// The variable's value for a declared resource, or the error naming the variable.
    #[cfg(feature = "invoke")]
    fn resolve(&self, kind: ResourceKind, name: &str) -> Result<&str, Error> {
        self.names
            .id(kind, name)
            .ok_or_else(|| missing(kind, name, crate::names::env_var(kind, name)))
    }
}

/// The non-retryable error for an unset variable.
#[cfg(feature = "invoke")]
pub(crate) fn missing(kind: ResourceKind, name: &str, variable: String) -> Error {
    failure(kind, name, false, BindingError::MissingSetting { variable })
}

/// An [`Error::Binding`] with `source`.
#[cfg_attr(
    not(any(feature = "pubsub", feature = "storage", feature = "invoke")),
    allow(dead_code)
)]
pub(crate) fn failure(
    kind: ResourceKind,
    name: &str,
    retryable: bool,
    source: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    Error::Binding {
        kind,
        name: name.to_owned(),
        retryable,
        source: Box::new(source),
    }
}

/// Whether a Google Cloud client error may go away on a retry.
#[cfg(any(feature = "pubsub", feature = "storage"))]
pub(crate) fn retryable(error: &google_cloud_gax::error::Error) -> bool {
    use google_cloud_gax::error::rpc::Code;
    if error.is_timeout() || error.is_io() || error.is_connect() || error.is_transport() {
        return true;
    }
    if let Some(status) = error.status() {
        return matches!(
            status.code,
            Code::Unavailable
                | Code::DeadlineExceeded
                | Code::ResourceExhausted
                | Code::Aborted
                | Code::Internal
                | Code::Unknown
        );
    }
    error.http_status_code().is_some_and(retryable_status)
}

/// Core's rule: 408, 429 and 5xx.
#[cfg(any(feature = "pubsub", feature = "storage", feature = "invoke"))]
pub(crate) use faasport_core::contract::retryable_status;

/// Whether a Google Cloud client error says the resource does not exist.
#[cfg(feature = "storage")]
pub(crate) fn not_found(error: &google_cloud_gax::error::Error) -> bool {
    use google_cloud_gax::error::rpc::Code;
    error.status().is_some_and(|s| s.code == Code::NotFound)
        || error.http_status_code() == Some(404)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_faasport_override_wins_and_plain_http_means_an_emulator() {
        let both = Endpoint::from_vars(
            Some("http://127.0.0.1:9000/".into()),
            Some("localhost:8085".into()),
        );
        assert_eq!(both.url.as_deref(), Some("http://127.0.0.1:9000"));
        assert!(both.anonymous);
        let secure = Endpoint::from_vars(Some("https://pubsub.example.com".into()), None);
        assert!(!secure.anonymous);
    }

    #[test]
    fn an_emulator_host_without_a_scheme_becomes_an_anonymous_http_url() {
        let emulator = Endpoint::from_vars(None, Some("localhost:8085".into()));
        assert_eq!(emulator.url.as_deref(), Some("http://localhost:8085"));
        assert!(emulator.anonymous);
        let with_scheme = Endpoint::from_vars(Some(" ".into()), Some("http://h:1".into()));
        assert_eq!(with_scheme.url.as_deref(), Some("http://h:1"));
        let none = Endpoint::from_vars(Some(String::new()), None);
        assert_eq!(
            none,
            Endpoint {
                url: None,
                anonymous: false
            }
        );
    }

    #[test]
    fn only_timeouts_throttles_and_server_errors_are_retryable_statuses() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(retryable_status(status), "{status}");
        }
        for status in [200, 400, 401, 403, 404, 409, 412, 422] {
            assert!(!retryable_status(status), "{status}");
        }
    }
}
