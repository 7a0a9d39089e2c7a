//! The Azure Functions adapter of faasport (not implemented yet).
//!
//! It will be a custom handler listening on `$FUNCTIONS_CUSTOMHANDLER_PORT`: invocation requests
//! with `Data`/`Metadata` in, responses with `Outputs`/`Logs`/`ReturnValue` out, HTTP proxying
//! mode; HTTP, queue, timer, blob and Service Bus triggers; output bindings for publishing; and it
//! will write `host.json` and one `function.json` per function.
//!
//! Today [`run`] refuses with [`Error::Platform`] so an app built with the `azure` feature
//! fails loudly rather than silently doing nothing.
#![warn(missing_docs)]

use faasport_core::{App, Error};

/// Serves `app` as an Azure Functions custom handler.
///
/// # Errors
/// Always [`Error::Platform`] until the adapter lands; an invalid app is reported first.
pub async fn run(app: App) -> Result<(), Error> {
    app.validate()?;
    Err(Error::Platform {
        provider: faasport_core::Provider::Azure,
        reason: "the Azure adapter is not implemented yet".into(),
    })
}
