//! The Azure Functions adapter of faasport: a custom handler.
//!
//! [`run`] serves every function of an [`App`] on `127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT`,
//! the port the Functions host picked. The host sends each invocation as
//! `POST /{AzureFunctionName}` with `{"Data", "Metadata"}` (every non-HTTP trigger, and HTTP
//! when proxying is off) and expects `{"Outputs", "Logs", "ReturnValue"}` back; with
//! `enableProxyingHttpRequest` (or the legacy `enableForwardingHttpRequest`) it sends an HTTP
//! trigger's request as it came, on its original path, and returns the handler's response as
//! it is. An Azure function has exactly one trigger, so each faasport function becomes one
//! Azure function per trigger ([`names`]); [`project`] writes the matching `host.json` and
//! `function.json` files.
//!
//! | module | what it does |
//! |---|---|
//! | [`event`] | invocation requests in: `Data`/`Metadata` decoded by the trigger, into neutral events |
//! | [`response`] | outputs back: `Outputs.res`, `ReturnValue`, statuses that make the host retry, proxied responses |
//! | `runtime` | the server ([`run`], [`router`]) |
//! | [`bindings`] | outbound resources: Storage queues and blobs through the official SDK crates, Service Bus topics over REST, invoke over HTTP and Storage queues |
//! | [`dead_letter`] | failed messages the handler forwards itself: shared dead-letter queues, per-queue receive counts, async invoke targets |
//! | [`names`] | Azure function names for each (function, trigger), and back |
//! | [`manifest`] | `host.json` and one `function.json` per Azure function |
//!
//! What a user observes is core's ([`faasport_core::contract`]): the HTTP response of every
//! result, the delivery status of every event, Azure's limits.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `queue` | yes | queue sends through `azure_storage_queue` |
//! | `blob` | yes | bucket access through `azure_storage_blob` |
//! | `invoke` | yes | function invocation: over HTTP (`azure_core`'s client), and asynchronously through each callee's invoke queue (turns on `queue`) |
//! | `topic` | yes | topic publishing to Service Bus (the REST *Send Message* call on `azure_core`'s pipeline) |
//! | `managed-identity` | yes | the function app's managed identity for Storage (`azure_identity`); without it, a SAS URL or [`AzureBindings::with_credential`](bindings::AzureBindings::with_credential) |
//! | `sdk` | with any of the above | `azure_core` itself |
//!
//! Without them the custom handler and the manifest work as before and every binding answers
//! [`Error::NoBinding`].
//!
//! # Building and deploying
//!
//! ```text
//! cargo build --release --features azure --example echo --target x86_64-unknown-linux-musl
//! app manifest azure --out functions/            # host.json + one folder per Azure function (local backend CLI)
//! cp target/x86_64-unknown-linux-musl/release/examples/echo functions/handler
//! cd functions && func azure functionapp publish <app-name> --custom
//! ```
#![warn(missing_docs)]

pub mod bindings;
pub mod dead_letter;
pub mod event;
pub mod manifest;
pub mod names;
pub mod response;
mod runtime;

use faasport_core::{App, Error, Provider};

pub use crate::manifest::{project, ProjectFile, ProjectOptions};
pub use crate::runtime::{router, PORT_ENV};

/// Serves `app` as an Azure Functions custom handler until the process is stopped (SIGTERM or
/// Ctrl-C end it gracefully).
///
/// # Errors
/// An invalid app, or one outside Azure's limits ([`Error::App`]); [`Error::Platform`]
/// when `FUNCTIONS_CUSTOMHANDLER_PORT` is not set (not under the Functions host);
/// [`Error::Io`] if the port cannot be bound.
pub async fn run(app: App) -> Result<(), Error> {
    app.validate_for(Provider::Azure)?;
    runtime::serve(app).await
}
