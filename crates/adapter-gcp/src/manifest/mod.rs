//! Deployment descriptions: `deploy.sh` for Google Cloud (`manifest gcp`) and Knative YAML for
//! any Kubernetes cluster with Knative Serving and Eventing (`manifest knative`).
//!
//! # Google Cloud: why a gcloud script of Cloud Run services
//!
//! [`gcloud()`] writes `deploy.sh`, a bash script of `gcloud` commands. One container image holds
//! the app; each function becomes its own Cloud Run service from that image (`gcloud run
//! deploy`, with `FUNCTION_TARGET` naming the function), which is what Cloud Run functions
//! (`gcloud functions deploy --gen2`) build too, minus the source upload and buildpacks a Rust
//! binary does not fit. A script rather than Terraform or Deployment Manager because gcloud is
//! what Google's own guides use and every Google Cloud user has it; it reads `PROJECT`,
//! `REGION` and `IMAGE` from the environment and can run again (`create` skips what exists;
//! deploys and IAM bindings are idempotent).
//!
//! | app declaration | gcloud |
//! |---|---|
//! | `memory_mb`, `timeout` (seconds, rounded up), `min_instances`, `max_instances`, `concurrency_per_instance` | `run deploy --memory=<n>Mi --cpu --timeout --min-instances --max-instances --concurrency` (`--cpu`: the fewest vCPUs Cloud Run allows for the memory; unset concurrency and max instances keep Cloud Run's defaults, 80 and 100) |
//! | the function's name, the app's resources | `--set-env-vars`: `FUNCTION_TARGET`, `GOOGLE_CLOUD_PROJECT` and the variables of [`crate::names`] (a function's URL is Cloud Run's deterministic `https://<service>-<project number>.<region>.run.app`) |
//! | an HTTP route | `--allow-unauthenticated` (the API is public, as on API Gateway); other services `--no-allow-unauthenticated` |
//! | a topic trigger | `pubsub subscriptions create --push-endpoint`, pushed as the delivery account `<app>-triggers` (a Pub/Sub push envelope) |
//! | a schedule | `scheduler jobs create pubsub` publishing to the topic `<service>-schedule`, pushed like a topic, so a failed tick is retried and dead-lettered ([`unix_cron`]) |
//! | a Storage trigger | `eventarc triggers create` on `google.cloud.storage.object.v1.finalized` / `deleted` and the bucket; a prefix is refused (Eventarc cannot filter on it) |
//! | a CloudEvent trigger | `eventarc triggers create --event-filters=type=<type>` (a type Eventarc routes) |
//! | retries and dead letters | the subscription's `--dead-letter-topic`, `--max-delivery-attempts` and backoff (see the `dead_letters` module) |
//! | topics, queues, buckets | `pubsub topics create`; a queue is a topic with a pull subscription; `storage buckets create` in the region |
//! | a function some function `invokes` | its invoke topic `<app>-<function>-invoke` and a push subscription to its service, retried and dead-lettered like a topic trigger (asynchronous invokes; synchronous ones call the URL) |
//! | declared access | one service account per function with only its declared roles ([`bindings`]) |
//!
//! Queue, table-change and data-stream triggers are [`Error::Manifest`]: the adapter serves no
//! queue batches. Limits come from core ([`App::validate_for`] with
//! [`Limits`](faasport_core::contract::Limits) for `gcp`), as for the local `gcp` profile.
//!
//! # Knative
//!
//! [`knative()`] writes one YAML file per function: a Serving `Service`, then an Eventing
//! `Trigger` per topic or Storage trigger and a `PingSource` per schedule (see the `knative`
//! module).
//!
//! # Not written (yet)
//!
//! A load balancer or API Gateway putting every HTTP function behind one host (each has its own
//! URL; its routes are served by path), asynchronous `invoke` on Knative (the invoke topic and
//! its push subscription are Google Cloud's; on Knative a synchronous invoke works), Knative
//! dead-letter sinks, and per-function access on Knative (Kubernetes RBAC does not
//! govern Pub/Sub or buckets).

mod access;
mod command;
mod dead_letters;
mod gcloud;
mod knative;
mod physical;
mod schedule;

use faasport_core::{App, Error, Provider};

pub use self::access::{
    bindings, Binding, IamResource, OBJECT_USER, OBJECT_VIEWER, PUBLISHER, RUN_INVOKER,
};
pub use self::knative::KnativeOptions;
pub use self::schedule::unix_cron;

/// One file of a deployment description.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManifestFile {
    /// The path relative to the output folder, with `/` separators.
    pub path: String,
    /// The file's text.
    pub contents: String,
}

/// The Google Cloud deployment of `app`: `deploy.sh`.
///
/// # Errors
/// [`Error::App`] when the app is invalid or outside Google Cloud's limits; [`Error::Manifest`]
/// for what Google Cloud cannot express (a name it refuses, a queue trigger, a Storage prefix, a
/// schedule outside unix-cron, more than 100 delivery attempts).
pub fn gcloud(app: &App) -> Result<Vec<ManifestFile>, Error> {
    app.validate_for(Provider::Gcp)?;
    let names = physical::Physical::new(app)?;
    Ok(vec![ManifestFile {
        path: "deploy.sh".into(),
        contents: gcloud::deploy_script(app, &names)?,
    }])
}

/// The Knative deployment of `app`: `<app>-<function>.yaml` per function.
///
/// # Errors
/// As [`gcloud()`].
pub fn knative(app: &App, options: &KnativeOptions) -> Result<Vec<ManifestFile>, Error> {
    app.validate_for(Provider::Gcp)?;
    let names = physical::Physical::new(app)?;
    knative::files(app, &names, options)
}
