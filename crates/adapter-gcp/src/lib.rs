//! The Google Cloud adapter of faasport (not implemented yet).
//!
//! It will serve the Functions Framework contract on `$PORT`, which is also the Cloud Run and
//! Knative container contract: HTTP functions, CloudEvents in binary and structured mode, Pub/Sub
//! push envelopes, Cloud Storage and Cloud Scheduler events; publish with `google-cloud-pubsub`;
//! and write the deployment description (gcloud commands or service YAML and triggers).
//!
//! Today [`run`] refuses with [`Error::Platform`] so an app built with the `gcp` feature fails
//! loudly rather than silently doing nothing.
#![warn(missing_docs)]

use faasport_core::{App, Error};

/// Serves `app` on Google Cloud.
///
/// # Errors
/// Always [`Error::Platform`] until the adapter lands; an invalid app is reported first.
pub async fn run(app: App) -> Result<(), Error> {
    app.validate()?;
    Err(Error::Platform {
        provider: faasport_core::Provider::Gcp,
        reason: "the Google Cloud adapter is not implemented yet".into(),
    })
}
