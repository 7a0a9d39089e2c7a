//! Outbound resources on Azure: the core resource traits through the official SDK crates on
//! `azure_core` 1.x, and function invocation over HTTP.
//!
//! | trait | service | calls | cargo feature |
//! |---|---|---|---|
//! | [`QueueSender`](faasport_core::resource::QueueSender) | Storage queues (`azure_storage_queue`) | `Put Message`, the body base64-encoded | `queue` |
//! | [`ObjectStore`](faasport_core::resource::ObjectStore) | Blob Storage (`azure_storage_blob`) | `Get Blob`, `Put Blob` (block blob), `Delete Blob`, `List Blobs` | `blob` |
//! | [`FunctionInvoker`](faasport_core::resource::FunctionInvoker) | the function app's invoke endpoints; Storage queues | synchronous: `POST /faasport-invoke/<function>`; asynchronous: `Put Message` to `faasport-invoke-<function>` | `invoke` |
//! | [`TopicPublisher`](faasport_core::resource::TopicPublisher) | Service Bus topics ([`service_bus`]: REST on `azure_core`'s pipeline) | `Send Message` (`POST /<topic>/messages`) | `topic` |
//!
//! # Which path does the work
//!
//! Every call goes through the SDK (or, for invoke, HTTP) at the moment the handler makes it,
//! as on AWS and Google Cloud: a send that returned `Ok` has been accepted by the queue, even if
//! the handler fails afterwards. `function.json` output bindings are not used: the host writes
//! their values only after a successful invocation, which would make a send on Azure behave
//! differently from the same send everywhere else, and they cannot read, list or delete. The
//! manifest therefore writes triggers only, and the bindings find their resources through
//! app settings ([`crate::names`], [`storage`]).
//!
//! # Topics
//!
//! A faasport topic is a Service Bus topic on Azure (the manifest's `serviceBusTrigger`, one
//! subscription per subscribing function). There is no official Service Bus crate on
//! `azure_core` 1.x; the community `azure_messaging_servicebus` is built on `azure_core` 0.21,
//! which would put a second, incompatible `azure_core` in every Azure build. Publishing is one
//! documented REST call, so [`service_bus`] sends it through `azure_core` 1.x's own pipeline
//! (retry policy, bearer-token policy) instead; it is tested against a loopback fake of that
//! call, because no Service Bus emulator can be installed from the package registries.
//!
//! # Authentication
//!
//! Storage accepts an Entra ID token or a SAS, never the account key, through these crates
//! ([`storage`]): a service URL that carries a SAS is used as it is; otherwise the credential
//! given to [`AzureBindings::with_credential`], else the function app's managed identity
//! (feature `managed-identity`, `azure_identity` 1.0), signs each request with a token. Service
//! Bus takes the same token (scope `https://servicebus.azure.net/.default`), or a SAS signed
//! with the key of a `ServiceBusConnection` connection string ([`service_bus`]).
//!
//! # Errors
//!
//! Every failed call is [`Error::Binding`] naming the resource: connection and I/O failures,
//! 408, 429 and 5xx answers are retryable (the Storage clients have already retried them with
//! `azure_core`'s default policy; a synchronous invoke is sent once); a missing setting, a refused request
//! (403, 404) and a message Storage queues cannot carry are not.

#[cfg(feature = "blob")]
mod blob;
#[cfg(feature = "invoke")]
mod invoke;
#[cfg(feature = "queue")]
mod queue;
pub mod service_bus;
pub mod storage;

use std::sync::Arc;

use faasport_core::{App, Bindings, Error, ResourceKind};

use self::service_bus::ServiceBusSettings;
use self::storage::StorageSettings;
use crate::names::ResourceNames;

/// A credential that signs Storage requests with an Entra ID token (re-exported from
/// `azure_core`).
#[cfg(feature = "sdk")]
pub use azure_core::credentials::TokenCredential;

/// The app setting with the function key sent as `x-functions-key` to invoke endpoints
/// (`authLevel: function`); the app's host key (`az functionapp keys list`) opens every
/// function's endpoint.
pub const FUNCTION_KEY_ENV: &str = "FAASPORT_AZURE_FUNCTION_KEY";

/// The Azure implementations of the core resource traits.
pub struct AzureBindings {
    names: ResourceNames,
    #[cfg_attr(not(feature = "sdk"), allow(dead_code))]
    storage: StorageSettings,
    #[cfg_attr(not(feature = "invoke"), allow(dead_code))]
    function_key: Option<String>,
    #[cfg(feature = "sdk")]
    credential: Option<Arc<dyn TokenCredential>>,
    #[cfg(feature = "queue")]
    queues: tokio::sync::OnceCell<azure_storage_queue::QueueServiceClient>,
    #[cfg(feature = "blob")]
    blobs: tokio::sync::OnceCell<azure_storage_blob::BlobServiceClient>,
    #[cfg(feature = "invoke")]
    http: std::sync::OnceLock<Arc<dyn azure_core::http::HttpClient>>,
    #[cfg_attr(not(feature = "topic"), allow(dead_code))]
    service_bus: ServiceBusSettings,
    #[cfg(feature = "topic")]
    service_bus_options: Option<azure_core::http::ClientOptions>,
    #[cfg(feature = "topic")]
    service_bus_pipeline: tokio::sync::OnceCell<(azure_core::http::Pipeline, bool)>,
}

impl std::fmt::Debug for AzureBindings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureBindings")
            .field("names", &self.names)
            .field("storage", &self.storage)
            .field("function_key", &self.function_key.as_ref().map(|_| "<set>"))
            .finish_non_exhaustive()
    }
}

/// A binding's failure: a setting, a credential, the service's answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BindingError {
    /// None of the settings that locate a service is set.
    #[error("none of {variables} is set")]
    MissingSetting {
        /// The settings, in the order they are read.
        variables: String,
    },
    /// A setting is not usable.
    #[error("{variable} is not a usable URL: {reason}")]
    InvalidSetting {
        /// The setting.
        variable: String,
        /// Why.
        reason: String,
    },
    /// The service URL carries no SAS and there is no token credential.
    #[error("{url} carries no SAS and no token credential is available (enable the `managed-identity` feature or give one to `AzureBindings::with_credential`)")]
    NoCredential {
        /// The service URL, without its query.
        url: String,
    },
    /// A message Storage queues cannot carry.
    #[error("{0}")]
    Message(String),
    /// The SDK call failed.
    #[cfg(feature = "sdk")]
    #[error(transparent)]
    Request(#[from] azure_core::Error),
    /// The invoked function answered with an error.
    #[error("the function answered {status}: {message}")]
    Function {
        /// The HTTP status of its answer.
        status: u16,
        /// The `error` of its answer, or the body.
        message: String,
    },
}

impl AzureBindings {
    /// Bindings that find resources through `names` and Storage through `storage`.
    pub fn new(names: ResourceNames, storage: StorageSettings) -> Self {
        Self {
            names,
            storage,
            function_key: None,
            #[cfg(feature = "sdk")]
            credential: None,
            #[cfg(feature = "queue")]
            queues: tokio::sync::OnceCell::new(),
            #[cfg(feature = "blob")]
            blobs: tokio::sync::OnceCell::new(),
            #[cfg(feature = "invoke")]
            http: std::sync::OnceLock::new(),
            service_bus: ServiceBusSettings::default(),
            #[cfg(feature = "topic")]
            service_bus_options: None,
            #[cfg(feature = "topic")]
            service_bus_pipeline: tokio::sync::OnceCell::new(),
        }
    }

    /// Publishes to Service Bus as `settings` say ([`service_bus`]).
    pub fn with_service_bus(mut self, settings: ServiceBusSettings) -> Self {
        self.service_bus = settings;
        self
    }

    /// Sends Service Bus requests through a pipeline built with `options` (its retry policy,
    /// its transport) instead of `azure_core`'s defaults.
    #[cfg(feature = "topic")]
    pub fn with_service_bus_options(mut self, options: azure_core::http::ClientOptions) -> Self {
        self.service_bus_options = Some(options);
        self
    }

    /// The bindings of `app` as the function app's settings describe them
    /// ([`ResourceNames::from_env`], [`StorageSettings::from_env`], [`FUNCTION_KEY_ENV`]).
    pub fn from_env(app: &App) -> Self {
        let env = |name: &str| std::env::var(name).ok();
        let key = env(FUNCTION_KEY_ENV).filter(|k| !k.trim().is_empty());
        let bindings = Self::new(
            ResourceNames::from_env(app, env),
            StorageSettings::from_env(env),
        )
        .with_service_bus(ServiceBusSettings::from_env(env));
        match key {
            Some(key) => bindings.with_function_key(key),
            None => bindings,
        }
    }

    /// Signs Storage requests whose URL carries no SAS with `credential` instead of the
    /// managed identity.
    #[cfg(feature = "sdk")]
    pub fn with_credential(mut self, credential: Arc<dyn TokenCredential>) -> Self {
        self.credential = Some(credential);
        self
    }

    /// Sends `key` as `x-functions-key` with every invocation.
    pub fn with_function_key(mut self, key: impl Into<String>) -> Self {
        self.function_key = Some(key.into());
        self
    }

    /// The core [`Bindings`] backed by these clients (the ones whose features are enabled).
    pub fn into_bindings(self) -> Bindings {
        Self::shared_bindings(&Arc::new(self))
    }

    /// The core [`Bindings`] backed by `this`, which the caller keeps using.
    pub fn shared_bindings(this: &Arc<Self>) -> Bindings {
        let this = this.clone();
        let bindings = Bindings::none();
        #[cfg(feature = "queue")]
        let bindings = bindings.with_queues(this.clone());
        #[cfg(feature = "blob")]
        let bindings = bindings.with_objects(this.clone());
        #[cfg(feature = "invoke")]
        let bindings = bindings.with_invoker(this.clone());
        #[cfg(feature = "topic")]
        let bindings = bindings.with_topics(this.clone());
        drop(this);
        bindings
    }
}

#[cfg(any(feature = "queue", feature = "blob"))]
impl AzureBindings {
    /// The service URL of `service` and the credential its requests need: none for a SAS URL,
    /// else the given one, else the managed identity.
    fn endpoint(
        &self,
        service: storage::Service,
    ) -> Result<(azure_core::http::Url, Option<Arc<dyn TokenCredential>>), BindingError> {
        let endpoint = self.storage.endpoint(service)?;
        if endpoint.sas {
            return Ok((endpoint.url, None));
        }
        let credential = self.token_credential(self.storage.client_id(), &endpoint.url)?;
        Ok((endpoint.url, Some(credential)))
    }
}

#[cfg(feature = "sdk")]
impl AzureBindings {
    /// The credential for token-signed requests: the one given to
    /// [`with_credential`](Self::with_credential), else the managed identity (the user-assigned
    /// one with `client_id`); `url` names the service in the error when there is none.
    #[cfg_attr(
        not(any(feature = "queue", feature = "blob", feature = "topic")),
        allow(dead_code)
    )]
    fn token_credential(
        &self,
        client_id: Option<&str>,
        url: &azure_core::http::Url,
    ) -> Result<Arc<dyn TokenCredential>, BindingError> {
        if let Some(credential) = &self.credential {
            return Ok(credential.clone());
        }
        #[cfg(feature = "managed-identity")]
        {
            use azure_identity::{
                ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
            };
            let _ = url; // names the service only when there is no credential at all
            let options = ManagedIdentityCredentialOptions {
                user_assigned_id: client_id.map(|id| UserAssignedId::ClientId(id.to_owned())),
                ..Default::default()
            };
            let credential: Arc<dyn TokenCredential> =
                ManagedIdentityCredential::new(Some(options))?;
            Ok(credential)
        }
        #[cfg(not(feature = "managed-identity"))]
        {
            let _ = client_id;
            let mut url = url.clone();
            url.set_query(None);
            Err(BindingError::NoCredential {
                url: url.to_string(),
            })
        }
    }
}

impl AzureBindings {
    /// The Azure names these bindings resolve resources with.
    pub fn names(&self) -> &ResourceNames {
        &self.names
    }

    /// Sends a dead-lettered message `body` to `target` as it was received
    /// ([`crate::dead_letter`]); a dead-letter target needs no access declaration.
    ///
    /// # Errors
    /// [`Error::Binding`] when the send fails; [`Error::NoBinding`] when the feature that
    /// reaches the target (`queue`, `topic`) is off.
    pub async fn dead_letter(
        &self,
        target: &crate::dead_letter::Target,
        body: &faasport_core::Body,
    ) -> Result<(), Error> {
        use crate::dead_letter::Target;
        match target {
            #[cfg(feature = "queue")]
            Target::Queue(queue) => {
                let id = self.names.id(ResourceKind::Queue, queue);
                self.put_message(ResourceKind::Queue, queue, &id, body)
                    .await
                    .map(drop)
            }
            #[cfg(feature = "queue")]
            Target::AzureQueue(id) => self
                .put_message(ResourceKind::Queue, id, id, body)
                .await
                .map(drop),
            #[cfg(feature = "topic")]
            Target::Topic(topic) => {
                use faasport_core::resource::TopicPublisher;
                let message = faasport_core::Message::new(body.clone());
                self.publish(topic, message).await.map(drop)
            }
            #[allow(unreachable_patterns)]
            other => {
                let _ = body;
                let (kind, name, feature) = match other {
                    Target::Topic(name) => (ResourceKind::Topic, name, "topic"),
                    Target::Queue(name) | Target::AzureQueue(name) => {
                        (ResourceKind::Queue, name, "queue")
                    }
                };
                Err(Error::NoBinding {
                    kind,
                    name: name.clone(),
                    provider: faasport_core::Provider::Azure,
                    fix: format!(
                        "enable the `{feature}` feature of faasport-adapter-azure to forward dead letters"
                    ),
                })
            }
        }
    }
}

/// The bindings a [`Context`](faasport_core::Context) gets on Azure: [`AzureBindings::from_env`].
pub fn azure_bindings(app: &App) -> Bindings {
    AzureBindings::from_env(app).into_bindings()
}

/// A failure of `kind` `name` as [`Error::Binding`].
#[cfg_attr(
    not(any(feature = "queue", feature = "blob", feature = "invoke")),
    allow(dead_code)
)]
pub(crate) fn failure(
    kind: ResourceKind,
    name: &str,
    retryable: bool,
    error: BindingError,
) -> Error {
    Error::Binding {
        kind,
        name: name.to_owned(),
        retryable,
        source: Box::new(error),
    }
}

/// An SDK failure as [`Error::Binding`]: connection and I/O failures, 408, 429 and 5xx are
/// retryable.
#[cfg(feature = "sdk")]
#[cfg_attr(
    not(any(feature = "queue", feature = "blob", feature = "invoke")),
    allow(dead_code)
)]
pub(crate) fn sdk_failure(kind: ResourceKind, name: &str, error: azure_core::Error) -> Error {
    let retryable = match error.kind() {
        azure_core::error::ErrorKind::Connection | azure_core::error::ErrorKind::Io => true,
        _ => error
            .http_status()
            .is_some_and(|s| retryable_status(u16::from(s))),
    };
    failure(kind, name, retryable, BindingError::Request(error))
}

/// Core's rule: 408, 429 and 5xx.
#[cfg(feature = "sdk")]
pub(crate) use faasport_core::contract::retryable_status;

/// The Storage error code of a failed call (`BlobNotFound`, `ContainerNotFound`, ...).
#[cfg(feature = "blob")]
pub(crate) fn error_code(error: &azure_core::Error) -> Option<&str> {
    match error.kind() {
        azure_core::error::ErrorKind::HttpResponse { error_code, .. } => error_code.as_deref(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_time_outs_and_server_errors_are_retryable() {
        for status in [408, 429, 500, 503] {
            assert!(retryable_status(status), "{status}");
        }
        for status in [400, 403, 404, 409] {
            assert!(!retryable_status(status), "{status}");
        }
    }

    #[test]
    fn a_missing_setting_names_every_variable_read() {
        let error = BindingError::MissingSetting {
            variables: "A, B or C".into(),
        };
        assert_eq!(error.to_string(), "none of A, B or C is set");
    }
}
