//! The Azure Functions project folder: `host.json`, `local.settings.json` and one
//! `<AzureFunctionName>/function.json` per Azure function ([`names`](crate::names)).
//!
//! | file | what it holds |
//! |---|---|
//! | `host.json` | `version: "2.0"`; `customHandler` (the executable, `enableProxyingHttpRequest`); the extension bundle `[4.*, 5.0.0)`; `functionTimeout`, the longest function timeout (each function is still cancelled at its own); `extensions.http.routePrefix: ""` so public paths are the app's own; `extensions.queues.maxDequeueCount`, the largest of the queues' max receive counts and the invoke queues' deliveries |
//! | `local.settings.json` | for `func start` against Azurite on its default ports: `FUNCTIONS_WORKER_RUNTIME: custom`, `AzureWebJobsStorage: UseDevelopmentStorage=true` (the triggers), `FAASPORT_AZURE_QUEUE_URL` / `FAASPORT_AZURE_BLOB_URL` with an account SAS for the development account ([`AZURITE_ACCOUNT_SAS`]; the bindings take no shared key), `FAASPORT_AZURE_FUNCTION_APP_URL: http://localhost:7071`; and a `ServiceBusConnection` placeholder when the app uses topics (no Service Bus emulator exists to point it at) |
//! | `<name>/function.json` | the trigger binding (named `trigger`) and, for HTTP, the `http` output `res`; a `retry` policy where Azure reads one ([`function`]); one per trigger, one per invoke endpoint and one per invoke queue ([`crate::names`]) |
//!
//! The app is checked against Azure's limits first ([`App::validate_for`]).
//!
//! # App settings the bindings read
//!
//! App settings are per function app, so they are not in these files; set them with
//! `az functionapp config appsettings set` (or in `local.settings.json` for `func start`):
//!
//! | setting | needed for | default |
//! |---|---|---|
//! | `AzureWebJobsStorage__queueServiceUri`, `AzureWebJobsStorage__blobServiceUri` (or `AzureWebJobsStorage__accountName`) | queue sends and bucket access with the managed identity; the same identity-based connection the triggers use | none |
//! | `FAASPORT_AZURE_QUEUE_URL`, `FAASPORT_AZURE_BLOB_URL` | a service URL with a SAS instead (read first) | none |
//! | `FAASPORT_QUEUE_<NAME>`, `FAASPORT_BUCKET_<NAME>` | a queue or container whose Azure name differs | the names these files use ([`crate::names::azure_queue_name`], [`crate::names::resource_name`]) |
//! | `FAASPORT_AZURE_FUNCTION_APP_URL`, `FAASPORT_AZURE_FUNCTION_KEY` | invoking a function synchronously | `https://$WEBSITE_HOSTNAME`, none |
//! | `FAASPORT_FUNCTION_<NAME>_QUEUE` | an invoke queue whose name differs | `faasport-invoke-<name>` ([`crate::names::invoke_queue_name`]); asynchronous invokes use the queue service URL above |
//! | `ServiceBusConnection__fullyQualifiedNamespace` (managed identity), or the `ServiceBusConnection` connection string (SAS), or `FAASPORT_AZURE_SERVICEBUS_URL` | publishing to topics; the same connection the `serviceBusTrigger`s use | none ([`crate::bindings::service_bus`]) |
//! | `FAASPORT_TOPIC_<NAME>` | a topic whose Service Bus name differs | the faasport name in lower case |
//!
//! See [`crate::bindings`] and [`crate::bindings::storage`].
//!
//! # Per-function access
//!
//! Azure grants access per function app (its managed identity, its settings), not per
//! function, so these files cannot narrow what one function reaches. Each function is held to
//! what it declares at run time instead, by core's access check, as on every backend: an
//! undeclared send, publish or invoke fails with [`Error::Undeclared`] before any call to
//! Azure, so only a declared caller puts messages on a function's invoke queue. The identity
//! needs *Storage Queue Data Message Sender* on the queues some function declares and on the
//! invoke queues, *Storage Blob Data Reader* / *Contributor* on the containers, and *Azure
//! Service Bus Data Sender* on the topics.
//!
//! # Dead letters
//!
//! The host moves a Storage queue's exhausted messages to `<queue>-poison`, a name it fixes, so
//! a queue declared as the dead-letter queue of exactly one queue is mapped onto that poison
//! queue ([`crate::names::azure_queue_name`]): its triggers and sends use `<queue>-poison`. An
//! asynchronous invoke is a message on the callee's invoke queue, whose poison queue is
//! `faasport-invoke-<name>-poison`. `host.json`'s `maxDequeueCount` is one value for every
//! queue trigger of the app, the largest of the queues' receive counts and the callees'
//! deliveries (core's [`delivery_attempts`](faasport_core::contract::delivery_attempts): the
//! retries plus one), so the host never poisons a message before core's count. On the delivery
//! where core's count is reached, the custom handler forwards a failed message itself
//! ([`crate::dead_letter`]): to a dead-letter queue that several queues share, to the queue's
//! `<queue>-poison` when its own count is lower than the app's, and an async invoke's or a
//! topic subscription's message to the function's declared target ([`App::dead_letter_for`],
//! queue or topic), at once when no retry can help. What stays in Azure's own dead-letter
//! stores:
//! - a topic subscription's message when its function has no target (the subscription's
//!   dead-letter subqueue, after the entity's `MaxDeliveryCount`, set where the subscription
//!   is created), and blob triggers (the shared `webjobs-blobtrigger-poison` queue);
//! - Timer, Event Hubs and Cosmos DB triggers, which have a retry policy and no dead letter.
//!
//! Not written: output bindings (the SDK bindings send at once instead, [`crate::bindings`]),
//! Event Grid subscriptions (the event type filter lives on the subscription), and scale
//! settings (`max_instances` is the app-wide `WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT`
//! setting, outside these files).

pub mod function;
mod host;

pub use self::host::{AZURITE_ACCOUNT_SAS, AZURITE_BLOB_URL, AZURITE_QUEUE_URL};
mod schedule;

use faasport_core::{App, Error, Provider};
use serde_json::Value;

pub use self::schedule::ncrontab;

/// How the host passes HTTP requests to the handler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpMode {
    /// `enableProxyingHttpRequest` (current hosts): raw requests, streamed.
    #[default]
    Proxying,
    /// `enableForwardingHttpRequest` (older hosts and Core Tools).
    Forwarding,
    /// Neither: HTTP requests come as invocation requests too.
    Json,
}

impl HttpMode {
    /// The mode set by the `host.json` in `app_root` (the host passes it as
    /// `FUNCTIONS_APP_ROOT_PATH` and starts the handler there), or `None` when there is no
    /// readable `host.json`.
    pub fn from_app_root(app_root: &std::path::Path) -> Option<Self> {
        let text = std::fs::read_to_string(app_root.join("host.json")).ok()?;
        let host: Value = serde_json::from_str(&text).ok()?;
        Some(host::http_mode_of(&host))
    }
}

/// Options for [`project`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProjectOptions {
    /// The handler executable, relative to the project folder (`defaultExecutablePath`).
    pub executable: String,
    /// How HTTP requests reach the handler.
    pub http_mode: HttpMode,
}

impl Default for ProjectOptions {
    /// `handler`, proxying.
    fn default() -> Self {
        Self {
            executable: "handler".into(),
            http_mode: HttpMode::Proxying,
        }
    }
}

impl ProjectOptions {
    /// Sets the executable path.
    pub fn executable(mut self, path: impl Into<String>) -> Self {
        self.executable = path.into();
        self
    }

    /// Sets how HTTP requests reach the handler.
    pub fn http_mode(mut self, mode: HttpMode) -> Self {
        self.http_mode = mode;
        self
    }
}

/// One file of the project folder.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectFile {
    /// The path relative to the project folder, with `/` separators.
    pub path: String,
    /// The JSON document.
    pub json: Value,
}

impl ProjectFile {
    /// The document as pretty-printed JSON text with a final newline.
    pub fn contents(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.json).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// Why a project could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// An Azure function name Azure refuses.
    #[error(transparent)]
    Name(#[from] crate::names::InvalidName),
    /// A schedule Azure's NCRONTAB cannot express.
    #[error(
        "function `{function}`: the schedule `{expression}` cannot be written for Azure: {reason}"
    )]
    Schedule {
        /// The function.
        function: String,
        /// The expression.
        expression: String,
        /// Why.
        reason: &'static str,
    },
    /// A storage trigger on deletions only (blob triggers see new and updated blobs).
    #[error("function `{function}`: Azure blob triggers fire for new and updated blobs only, not for deletions (that needs an Event Grid subscription)")]
    DeletionsOnly {
        /// The function.
        function: String,
    },
}

impl From<ManifestError> for Error {
    fn from(error: ManifestError) -> Self {
        Error::Manifest {
            provider: Provider::Azure,
            reason: error.to_string(),
        }
    }
}

/// The project files for `app`, `host.json` first, then `local.settings.json`, then each
/// Azure function's `function.json` in declaration order.
///
/// # Errors
/// [`Error::App`] when the app is invalid or outside Azure's limits; [`Error::Manifest`]
/// for a [`ManifestError`].
pub fn project(app: &App, options: &ProjectOptions) -> Result<Vec<ProjectFile>, Error> {
    app.validate_for(Provider::Azure)?;
    let mut files = vec![
        ProjectFile {
            path: "host.json".into(),
            json: host::host_json(app, options),
        },
        ProjectFile {
            path: "local.settings.json".into(),
            json: host::local_settings(app),
        },
    ];
    let functions = crate::names::azure_functions(app);
    crate::names::check_unique(&functions).map_err(ManifestError::from)?;
    for azure in functions {
        crate::names::check_name(&azure.name).map_err(ManifestError::from)?;
        let function = app.select(&azure.function)?;
        files.push(ProjectFile {
            path: format!("{}/function.json", azure.name),
            json: function::function_json(app, function, &azure)?,
        });
    }
    Ok(files)
}
