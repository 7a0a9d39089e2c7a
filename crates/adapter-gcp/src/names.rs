//! Resource names: how a faasport name becomes a Google Cloud identifier, and back.
//!
//! The deployment sets one environment variable per declared resource whose physical name
//! differs from the faasport name; without it the faasport name is the Google Cloud name.
//!
//! | resource | variable | value |
//! |---|---|---|
//! | topic `orders` | `FAASPORT_TOPIC_ORDERS` | the Pub/Sub topic id (`orders-prod`) or resource name (`projects/p/topics/orders-prod`) |
//! | bucket `uploads` | `FAASPORT_BUCKET_UPLOADS` | the Cloud Storage bucket name |
//!
//! The name part is the faasport name in upper case with `-` turned into `_`. Events name the
//! physical resource; [`ResourceNames::topic_for`] and [`ResourceNames::bucket_for`] give them
//! the faasport name back, falling back to the topic id or bucket name itself.

use std::collections::BTreeMap;

use faasport_core::{App, ResourceKind};

/// The environment variable that holds the Google Cloud name of a declared topic or bucket.
pub fn env_var(kind: ResourceKind, name: &str) -> String {
    let upper = faasport_core::contract::env_name(name);
    match kind {
        ResourceKind::Topic => format!("FAASPORT_TOPIC_{upper}"),
        ResourceKind::Queue => format!("FAASPORT_QUEUE_{upper}"),
        ResourceKind::Bucket => format!("FAASPORT_BUCKET_{upper}"),
        ResourceKind::Function => format!("FAASPORT_FUNCTION_{upper}_URL"),
    }
}

/// The Google Cloud names of an app's topics and buckets, as the environment gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceNames {
    /// Topic id → faasport name.
    topics: BTreeMap<String, String>,
    /// Bucket name → faasport name.
    buckets: BTreeMap<String, String>,
}

impl ResourceNames {
    /// Reads the names of `app`'s topics and buckets through `env` (usually `std::env::var`).
    pub fn from_env(app: &App, env: impl Fn(&str) -> Option<String>) -> Self {
        let declared = app.declared();
        let mut names = Self::default();
        for topic in &declared.topics {
            if let Some(id) = env(&env_var(ResourceKind::Topic, topic)).filter(|v| !v.is_empty()) {
                names = names.with_topic(topic, &id);
            }
        }
        for bucket in &declared.buckets {
            if let Some(id) = env(&env_var(ResourceKind::Bucket, bucket)).filter(|v| !v.is_empty())
            {
                names = names.with_bucket(bucket, &id);
            }
        }
        names
    }

    /// Names the Pub/Sub topic (id or resource name) of faasport topic `name`.
    pub fn with_topic(mut self, name: &str, id: &str) -> Self {
        self.topics.insert(
            crate::event::pubsub::last_segment(id).to_owned(),
            name.to_owned(),
        );
        self
    }

    /// Names the bucket of faasport bucket `name`.
    pub fn with_bucket(mut self, name: &str, bucket: &str) -> Self {
        self.buckets.insert(bucket.to_owned(), name.to_owned());
        self
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

#[cfg(test)]
mod tests {
    use super::*;

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
