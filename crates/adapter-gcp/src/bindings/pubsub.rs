//! Topic publishing and queue sending through `google-cloud-pubsub`.
//!
//! One [`BasePublisher`] (one gRPC channel) is built on first use; each topic gets its own
//! [`Publisher`] from it, kept for the life of the instance. Publishers batch for at most
//! [`BATCH_DELAY`] so a handler's publish returns quickly.
//!
//! A message keeps its body as bytes (Pub/Sub data is binary), its attributes, and its
//! ordering key. After a publish with an ordering key fails, the crate pauses that key so later
//! messages cannot overtake the failed one; the binding resumes the key at once, so the
//! handler's error (retryable for transient failures) is the only effect and its retry can
//! publish again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use faasport_core::resource::{Message, QueueSender, TopicPublisher};
use faasport_core::{Error, ResourceKind};
use futures::future::BoxFuture;
use google_cloud_pubsub::client::{BasePublisher, Publisher};
use google_cloud_pubsub::error::PublishError;
use tokio::sync::OnceCell;

use super::{failure, retryable, BindingError, Endpoint, GcpBindings};

/// How long a publisher waits to batch messages before sending.
pub const BATCH_DELAY: Duration = Duration::from_millis(5);

/// The lazily built Pub/Sub clients.
pub(super) struct Clients {
    endpoint: Endpoint,
    base: OnceCell<BasePublisher>,
    publishers: Mutex<HashMap<String, Publisher>>,
}

impl Clients {
    pub(super) fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            base: OnceCell::new(),
            publishers: Mutex::new(HashMap::new()),
        }
    }

    async fn base(&self) -> Result<&BasePublisher, google_cloud_gax::client_builder::Error> {
        self.base
            .get_or_try_init(|| async {
                let mut builder = BasePublisher::builder();
                if let Some(url) = &self.endpoint.url {
                    builder = builder.with_endpoint(url.clone());
                }
                if self.endpoint.anonymous {
                    builder = builder.with_credentials(
                        google_cloud_auth::credentials::anonymous::Builder::new().build(),
                    );
                }
                builder.build().await
            })
            .await
    }

    /// The publisher of `topic` (a full resource name).
    async fn publisher(
        &self,
        topic: &str,
    ) -> Result<Publisher, google_cloud_gax::client_builder::Error> {
        if let Some(found) = self.lock().get(topic) {
            return Ok(found.clone());
        }
        let base = self.base().await?;
        let mut publishers = self.lock();
        let publisher = publishers.entry(topic.to_owned()).or_insert_with(|| {
            base.publisher(topic.to_owned())
                .set_delay_threshold(BATCH_DELAY)
                .build()
        });
        Ok(publisher.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Publisher>> {
        // A panic while holding the lock leaves the map whole (inserts are single calls).
        self.publishers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The full resource name of a topic given as `projects/p/topics/t` or as the id `t`.
pub(crate) fn topic_resource(given: &str, project: Option<&str>) -> Result<String, BindingError> {
    if given.starts_with("projects/") {
        return Ok(given.to_owned());
    }
    match project {
        Some(project) => Ok(format!("projects/{project}/topics/{given}")),
        None => Err(BindingError::NoProject {
            topic: given.to_owned(),
        }),
    }
}

impl GcpBindings {
    /// Publishes `message` to the Pub/Sub topic `given` (the variable's value, else the
    /// faasport name) on behalf of resource `name` of `kind`.
    pub(super) async fn publish_to(
        &self,
        kind: ResourceKind,
        name: &str,
        given: &str,
        message: Message,
    ) -> Result<String, Error> {
        let topic = topic_resource(given, self.names.project())
            .map_err(|e| failure(kind, name, false, e))?;
        let publisher = self
            .pubsub
            .publisher(&topic)
            .await
            .map_err(|e| failure(kind, name, false, BindingError::Request(e.to_string())))?;
        let ordering_key = message.ordering_key.clone().unwrap_or_default();
        let mut out = google_cloud_pubsub::model::Message::new()
            .set_data(message.body.into_bytes())
            .set_attributes(message.attributes);
        if !ordering_key.is_empty() {
            out = out.set_ordering_key(ordering_key.clone());
        }
        match publisher.publish(out).await {
            Ok(id) => Ok(id),
            Err(error) => {
                if !ordering_key.is_empty() {
                    publisher.resume_publish(ordering_key);
                }
                Err(publish_failure(kind, name, error))
            }
        }
    }
}

/// A failed publish as [`Error::Binding`].
fn publish_failure(kind: ResourceKind, name: &str, error: PublishError) -> Error {
    let retry = match &error {
        PublishError::Rpc(rpc) => retryable(rpc),
        // Paused by an earlier failure on the key (resumed now), or shut down mid-publish.
        _ => true,
    };
    failure(kind, name, retry, error)
}

impl TopicPublisher for GcpBindings {
    fn publish<'a>(
        &'a self,
        topic: &'a str,
        message: Message,
    ) -> BoxFuture<'a, Result<String, Error>> {
        Box::pin(async move {
            let given = self.names.id(ResourceKind::Topic, topic).unwrap_or(topic);
            self.publish_to(ResourceKind::Topic, topic, given, message)
                .await
        })
    }
}

impl QueueSender for GcpBindings {
    fn send<'a>(
        &'a self,
        queue: &'a str,
        message: Message,
    ) -> BoxFuture<'a, Result<String, Error>> {
        Box::pin(async move {
            let given = self.names.id(ResourceKind::Queue, queue).unwrap_or(queue);
            self.publish_to(ResourceKind::Queue, queue, given, message)
                .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_id_takes_the_project_and_a_resource_name_is_kept() {
        assert_eq!(
            topic_resource("shop-orders", Some("p1")).expect("with project"),
            "projects/p1/topics/shop-orders"
        );
        assert_eq!(
            topic_resource("projects/p2/topics/t", Some("p1")).expect("full"),
            "projects/p2/topics/t"
        );
        let error = topic_resource("shop-orders", None).expect_err("no project");
        assert!(
            error.to_string().contains("GOOGLE_CLOUD_PROJECT"),
            "{error}"
        );
    }
}
