//! The Google Cloud names the deployment gives an app's functions and resources.
//!
//! | faasport | Google Cloud | where the runtime reads it |
//! |---|---|---|
//! | function `bill` of app `shop` | Cloud Run service `shop-bill`, service account `shop-bill@${PROJECT}.iam.gserviceaccount.com` | `FUNCTION_TARGET=bill`; `FAASPORT_FUNCTION_BILL_URL` for callers |
//! | function `bill`, when some function may invoke it | Pub/Sub topic `shop-bill-invoke`, pushed to `shop-bill` by the subscription `shop-bill-invoke` | `FAASPORT_FUNCTION_BILL_TOPIC` for asynchronous callers |
//! | the project | | `GOOGLE_CLOUD_PROJECT` (topics are given by id) |
//! | topic `orders` | Pub/Sub topic `shop-orders` | `FAASPORT_TOPIC_ORDERS` |
//! | queue `failed` | Pub/Sub topic `shop-failed` with the pull subscription `shop-failed` that holds its messages | `FAASPORT_QUEUE_FAILED` |
//! | bucket `receipts` | Cloud Storage bucket `${PROJECT}-shop-receipts` (bucket names are global) | `FAASPORT_BUCKET_RECEIPTS` |
//! | (none declared) | Pub/Sub topic `shop-dead-letters` | |
//! | (event delivery) | service account `shop-triggers`, which Pub/Sub push, Eventarc and Cloud Scheduler use to call the services | |
//!
//! Names are lower case. Cloud Run service names have at most 49 characters and service account
//! ids 6 to 30: a longer `<app>-<function>` is an [`Error::Manifest`], not a script that fails
//! half-way.

use std::collections::BTreeMap;

use faasport_core::{App, Error, Provider, ResourceKind};

/// The project id, from the script's environment.
pub(super) const PROJECT: &str = "${PROJECT}";
/// The region, from the script's environment.
pub(super) const REGION: &str = "${REGION}";
/// The container image, from the script's environment.
pub(super) const IMAGE: &str = "${IMAGE}";

/// The suffix of the delivery service account, `<app>-triggers`.
const TRIGGERS: &str = "triggers";
/// The suffix of the generated dead-letter topic, `<app>-dead-letters`.
const DEAD_LETTERS: &str = "dead-letters";

/// The physical names of one app.
#[derive(Debug, Clone)]
pub(super) struct Physical {
    app: String,
}

impl Physical {
    /// The names of `app`, checked for what Google Cloud refuses and for collisions.
    ///
    /// # Errors
    /// [`Error::Manifest`] for a name Cloud Run or IAM refuses, or two resources with one name.
    pub(super) fn new(app: &App) -> Result<Self, Error> {
        let physical = Self {
            app: app.name().to_ascii_lowercase(),
        };
        let mut topics = BTreeMap::<String, String>::new();
        let mut claim =
            |name: String, owner: String| match topics.insert(name.clone(), owner.clone()) {
                Some(other) => Err(refuse(format!(
                    "{other} and {owner} both become the Pub/Sub topic `{name}`; rename one"
                ))),
                None => Ok(()),
            };
        for topic in app.topics() {
            claim(physical.topic(topic), format!("topic `{topic}`"))?;
        }
        for queue in app.queues() {
            claim(
                physical.topic(&queue.name),
                format!("queue `{}`", queue.name),
            )?;
        }
        claim(
            physical.generated_dead_letters(),
            "the generated dead-letter topic".into(),
        )?;
        for callee in super::access::invoked(app) {
            claim(
                physical.invoke_topic(&callee),
                format!("the invoke topic of function `{callee}`"),
            )?;
        }
        for f in app.functions() {
            if f.name().eq_ignore_ascii_case(TRIGGERS) {
                return Err(refuse(format!(
                    "function `{}` would take the name of the delivery service account `{}`; rename it",
                    f.name(),
                    physical.service(TRIGGERS)
                )));
            }
            let service = physical.service(f.name());
            let valid = service.len() <= 49
                && service.starts_with(|c: char| c.is_ascii_lowercase())
                && !service.ends_with('-')
                && service
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid {
                return Err(refuse(format!(
                    "function `{}` becomes the Cloud Run service `{service}`, which is not a lower-case name of letters, digits and hyphens of at most 49 characters",
                    f.name()
                )));
            }
            if !(6..=30).contains(&service.len()) {
                return Err(refuse(format!(
                    "function `{}` becomes the service account `{service}`, and service account ids have 6 to 30 characters; shorten the app or function name",
                    f.name()
                )));
            }
        }
        Ok(physical)
    }

    /// The Cloud Run service (and service account id) of function `name`: `<app>-<name>`.
    pub(super) fn service(&self, name: &str) -> String {
        format!("{}-{}", self.app, name.to_ascii_lowercase())
    }

    /// The service account email of function `name`.
    pub(super) fn service_account(&self, name: &str) -> String {
        email(&self.service(name))
    }

    /// The service account Pub/Sub push, Eventarc and Cloud Scheduler call the services as.
    pub(super) fn triggers_account(&self) -> String {
        email(&self.service(TRIGGERS))
    }

    /// The service account id of [`Self::triggers_account`].
    pub(super) fn triggers_account_id(&self) -> String {
        self.service(TRIGGERS)
    }

    /// The Pub/Sub topic of a declared topic or queue: `<app>-<name>`.
    pub(super) fn topic(&self, name: &str) -> String {
        format!("{}-{}", self.app, name.to_ascii_lowercase())
    }

    /// The topic through which function `name` is invoked asynchronously: `<app>-<name>-invoke`.
    pub(super) fn invoke_topic(&self, name: &str) -> String {
        format!("{}-invoke", self.topic(name))
    }

    /// The generated dead-letter topic: `<app>-dead-letters`.
    pub(super) fn generated_dead_letters(&self) -> String {
        self.topic(DEAD_LETTERS)
    }

    /// The bucket of a declared bucket: `${PROJECT}-<app>-<name>`.
    pub(super) fn bucket(&self, name: &str) -> String {
        format!("{PROJECT}-{}-{}", self.app, name.to_ascii_lowercase())
    }

    /// The URL Cloud Run gives function `name`'s service (its deterministic URL).
    pub(super) fn service_url(&self, name: &str) -> String {
        format!(
            "https://{}-${{PROJECT_NUMBER}}.{REGION}.run.app",
            self.service(name)
        )
    }

    /// The environment every service gets: the project and the name of each declared resource
    /// ([`crate::names`]).
    pub(super) fn resource_env(&self, app: &App) -> Vec<(String, String)> {
        let mut env = vec![(crate::names::PROJECT_ENV[0].to_owned(), PROJECT.to_owned())];
        for topic in app.topics() {
            env.push((
                crate::names::env_var(ResourceKind::Topic, topic),
                self.topic(topic),
            ));
        }
        for queue in app.queues() {
            env.push((
                crate::names::env_var(ResourceKind::Queue, &queue.name),
                self.topic(&queue.name),
            ));
        }
        for bucket in app.buckets() {
            env.push((
                crate::names::env_var(ResourceKind::Bucket, bucket),
                self.bucket(bucket),
            ));
        }
        for f in app.functions() {
            env.push((
                crate::names::env_var(ResourceKind::Function, f.name()),
                self.service_url(f.name()),
            ));
        }
        for callee in super::access::invoked(app) {
            env.push((
                crate::names::invoke_topic_env_var(&callee),
                self.invoke_topic(&callee),
            ));
        }
        env
    }
}

fn email(id: &str) -> String {
    format!("{id}@{PROJECT}.iam.gserviceaccount.com")
}

/// An [`Error::Manifest`] for Google Cloud.
pub(super) fn refuse(reason: String) -> Error {
    Error::Manifest {
        provider: Provider::Gcp,
        reason,
    }
}
