//! Resource names: how a faasport name becomes a Google Cloud identifier, and back.
//!
//! The deployment (`manifest gcp`, `manifest knative`) sets one environment variable per
//! declared resource; the bindings read them to find the resource, and the event mapping reads
//! them to give events the faasport name rather than the physical one. Without a variable, the
//! faasport name is taken as the Google Cloud name (topics and buckets).
//!
//! | resource | variable | value |
//! |---|---|---|
//! | topic `orders` | `FAASPORT_TOPIC_ORDERS` | the Pub/Sub topic id (`shop-orders`) or resource name (`projects/p/topics/shop-orders`) |
//! | queue `jobs` | `FAASPORT_QUEUE_JOBS` | the Pub/Sub topic of the queue, as for topics (a queue is a topic with a pull subscription, see [`crate::bindings`]) |
//! | bucket `uploads` | `FAASPORT_BUCKET_UPLOADS` | the Cloud Storage bucket name (or `projects/_/buckets/<name>`) |
//! | function `resize` | `FAASPORT_FUNCTION_RESIZE_URL` | the URL of its Cloud Run (or Knative) service, for synchronous invokes |
//! | function `resize` | `FAASPORT_FUNCTION_RESIZE_TOPIC` | the Pub/Sub topic pushed to its service, for asynchronous invokes |
//! | (the project) | `GOOGLE_CLOUD_PROJECT` (else `GCLOUD_PROJECT`, `CLOUDSDK_CORE_PROJECT`) | the project of topics given by id |
//!
//! The name part is the faasport name in upper case with `-` turned into `_`. Events name the
//! physical resource; [`ResourceNames::topic_for`] and [`ResourceNames::bucket_for`] give them
//! the faasport name back, falling back to the topic id or bucket name itself.

use std::collections::BTreeMap;

use faasport_core::{App, ResourceKind};

/// The environment variable that holds the Google Cloud name of a declared resource (a
/// function's URL for [`ResourceKind::Function`]).
pub fn env_var(kind: ResourceKind, name: &str) -> String {
    let upper = faasport_core::contract::env_name(name);
    match kind {
        ResourceKind::Topic => format!("FAASPORT_TOPIC_{upper}"),
        ResourceKind::Queue => format!("FAASPORT_QUEUE_{upper}"),
        ResourceKind::Bucket => format!("FAASPORT_BUCKET_{upper}"),
        ResourceKind::Function => format!("FAASPORT_FUNCTION_{upper}_URL"),
    }
}

/// The environment variable that holds the Pub/Sub topic through which function `name` is
/// invoked asynchronously.
pub fn invoke_topic_env_var(name: &str) -> String {
    format!(
        "FAASPORT_FUNCTION_{}_TOPIC",
        faasport_core::contract::env_name(name)
    )
}

/// The variables the project of a topic given by id is read from, in order.
pub const PROJECT_ENV: [&str; 3] = [
    "GOOGLE_CLOUD_PROJECT",
    "GCLOUD_PROJECT",
    "CLOUDSDK_CORE_PROJECT",
];

/// The Google Cloud names of an app's resources, as the environment gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceNames {
    /// Topic id → faasport name.
    topics: BTreeMap<String, String>,
    /// Bucket name → faasport name.
    buckets: BTreeMap<String, String>,
    /// (kind, faasport name) → the variable's value, as given.
    ids: BTreeMap<(u8, String), String>,
    /// Function name → its asynchronous invoke topic.
    invoke_topics: BTreeMap<String, String>,
    /// The project of topics given by id.
    project: Option<String>,
}

fn key(kind: ResourceKind) -> u8 {
    match kind {
        ResourceKind::Topic => 0,
        ResourceKind::Queue => 1,
        ResourceKind::Bucket => 2,
        ResourceKind::Function => 3,
    }
}

impl ResourceNames {
    /// Reads the names of `app`'s resources through `env` (usually `std::env::var`).
    pub fn from_env(app: &App, env: impl Fn(&str) -> Option<String>) -> Self {
        let declared = app.declared();
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let mut names = Self::default();
        for topic in &declared.topics {
            if let Some(id) = env(&env_var(ResourceKind::Topic, topic)) {
                names = names.with_topic(topic, &id);
            }
        }
        for queue in &declared.queues {
            if let Some(id) = env(&env_var(ResourceKind::Queue, queue)) {
                names = names.with(ResourceKind::Queue, queue, id);
            }
        }
        for bucket in &declared.buckets {
            if let Some(id) = env(&env_var(ResourceKind::Bucket, bucket)) {
                names = names.with_bucket(bucket, &id);
            }
        }
        for function in &declared.functions {
            if let Some(url) = env(&env_var(ResourceKind::Function, function)) {
                names = names.with(ResourceKind::Function, function, url);
            }
            if let Some(topic) = env(&invoke_topic_env_var(function)) {
                names = names.with_invoke_topic(function, &topic);
            }
        }
        if let Some(project) = PROJECT_ENV.iter().find_map(|v| env(v)) {
            names = names.with_project(project);
        }
        names
    }

    /// Names the Pub/Sub topic (id or resource name) of faasport topic `name`.
    pub fn with_topic(mut self, name: &str, id: &str) -> Self {
        self.topics.insert(
            crate::event::pubsub::last_segment(id).to_owned(),
            name.to_owned(),
        );
        self.with(ResourceKind::Topic, name, id)
    }

    /// Names the bucket of faasport bucket `name` (`projects/_/buckets/` is taken off).
    pub fn with_bucket(mut self, name: &str, bucket: &str) -> Self {
        let bucket = bucket.strip_prefix(BUCKET_PREFIX).unwrap_or(bucket);
        self.buckets.insert(bucket.to_owned(), name.to_owned());
        self.with(ResourceKind::Bucket, name, bucket)
    }

    /// Sets the Google Cloud name of one resource as its variable would: a topic or queue's
    /// topic, a bucket, a function's URL.
    pub fn with(mut self, kind: ResourceKind, name: &str, id: impl Into<String>) -> Self {
        self.ids.insert((key(kind), name.to_owned()), id.into());
        self
    }

    /// Names the topic through which function `name` is invoked asynchronously.
    pub fn with_invoke_topic(mut self, name: &str, topic: &str) -> Self {
        self.invoke_topics.insert(name.to_owned(), topic.to_owned());
        self
    }

    /// Sets the project of topics given by id.
    pub fn with_project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// The Google Cloud name of a declared resource as the environment gave it, if it did.
    pub fn id(&self, kind: ResourceKind, name: &str) -> Option<&str> {
        self.ids
            .get(&(key(kind), name.to_owned()))
            .map(String::as_str)
    }

    /// The Pub/Sub topic through which function `name` is invoked asynchronously, if given.
    pub fn invoke_topic(&self, name: &str) -> Option<&str> {
        self.invoke_topics.get(name).map(String::as_str)
    }

    /// The project of topics given by id, if the environment names one.
    pub fn project(&self) -> Option<&str> {
        self.project.as_deref()
    }

    /// The faasport name of a Pub/Sub topic (`projects/p/topics/t` or `t`).
    pub fn topic_for(&self, resource: &str) -> String {
        let id = crate::event::pubsub::last_segment(resource);
        self.topics
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    }

    /// The faasport name of a Cloud Storage bucket.
    pub fn bucket_for(&self, bucket: &str) -> String {
        self.buckets
            .get(bucket)
            .cloned()
            .unwrap_or_else(|| bucket.to_owned())
    }
}

/// The prefix the Cloud Storage crate wants on bucket names.
pub const BUCKET_PREFIX: &str = "projects/_/buckets/";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bindings_read_every_declared_resource_and_the_project() {
        async fn noop(
            _: faasport_core::TopicMessage,
            _: faasport_core::Context,
        ) -> Result<(), faasport_core::Error> {
            Ok(())
        }
        let app = App::new("shop")
            .queue("jobs")
            .bucket("uploads")
            .function(faasport_core::Function::new("resize", noop));
        let env = |name: &str| match name {
            "FAASPORT_QUEUE_JOBS" => Some("shop-jobs".to_owned()),
            "FAASPORT_BUCKET_UPLOADS" => Some("projects/_/buckets/shop-uploads".to_owned()),
            "FAASPORT_FUNCTION_RESIZE_URL" => Some("https://shop-resize-1.a.run.app".to_owned()),
            "FAASPORT_FUNCTION_RESIZE_TOPIC" => Some("shop-resize-invoke".to_owned()),
            "GOOGLE_CLOUD_PROJECT" => Some(" ".to_owned()),
            "GCLOUD_PROJECT" => Some("p1".to_owned()),
            _ => None,
        };
        let names = ResourceNames::from_env(&app, env);
        assert_eq!(names.id(ResourceKind::Queue, "jobs"), Some("shop-jobs"));
        assert_eq!(
            names.id(ResourceKind::Bucket, "uploads"),
            Some("shop-uploads")
        );
        assert_eq!(names.bucket_for("shop-uploads"), "uploads");
        assert_eq!(
            names.id(ResourceKind::Function, "resize"),
            Some("https://shop-resize-1.a.run.app")
        );
        assert_eq!(names.invoke_topic("resize"), Some("shop-resize-invoke"));
        assert_eq!(
            names.project(),
            Some("p1"),
            "a blank variable counts as unset"
        );
        assert_eq!(names.id(ResourceKind::Topic, "orders"), None);
    }

    #[test]
    fn physical_names_map_back_to_faasport_names_and_fall_back_to_themselves() {
        let app = App::new("shop").topic("orders").bucket("uploads");
        let env = |name: &str| match name {
            "FAASPORT_TOPIC_ORDERS" => Some("projects/p/topics/orders-prod".to_owned()),
            "FAASPORT_BUCKET_UPLOADS" => Some("shop-uploads-123".to_owned()),
            _ => None,
        };
        let names = ResourceNames::from_env(&app, env);
        assert_eq!(names.topic_for("projects/p/topics/orders-prod"), "orders");
        assert_eq!(names.topic_for("orders-prod"), "orders");
        assert_eq!(names.topic_for("projects/p/topics/other"), "other");
        assert_eq!(names.bucket_for("shop-uploads-123"), "uploads");
        assert_eq!(names.bucket_for("elsewhere"), "elsewhere");
    }
}
