//! Knative YAML: per function, a Serving `Service`, then its Eventing `Trigger`s and
//! `PingSource`s, in one file `<app>-<function>.yaml` (`kubectl apply -f DIR` takes them all).
//!
//! | app declaration | Knative |
//! |---|---|
//! | `concurrency_per_instance` | `containerConcurrency` (unset: Knative's default, no hard limit) |
//! | `min_instances`, `max_instances` | `autoscaling.knative.dev/min-scale`, `max-scale` on the revision template |
//! | `timeout` | `timeoutSeconds` (a cluster caps it at `max-revision-timeout-seconds`, 600 by default) |
//! | `memory_mb` | the container's memory request and limit, in Mi |
//! | the function and the app's resources | `env`: `FUNCTION_TARGET` and the variables of [`crate::names`]; a function's URL is its in-cluster address (synchronous invokes work; asynchronous ones need the invoke topic of `manifest gcp`, not written here), buckets are `<app>-<bucket>`; topics are given by id, so the bindings need `GOOGLE_CLOUD_PROJECT` and Google credentials (e.g. Workload Identity on GKE), which the cluster's operator sets |
//! | no HTTP route | the label `networking.knative.dev/visibility: cluster-local` (no public route) |
//! | a topic trigger | a `Trigger` on the broker (`default` unless set) filtered on `type: google.cloud.pubsub.topic.v1.messagePublished` and the topic at the end of `source` |
//! | a Storage trigger | a `Trigger` per event kind on `type: google.cloud.storage.object.v1.finalized` / `deleted`, the bucket at the end of `source`, the prefix at the start of `subject` (`objects/<prefix>`) |
//! | a CloudEvent trigger | a `Trigger` on its `type` |
//! | a schedule | a `PingSource` (unix-cron, `Etc/UTC`) sinking to the service; the adapter reads its `dev.knative.sources.ping` events as ticks |
//! | retries | the `Trigger`'s `delivery`: `retry` (the delivery attempts of the gcloud script, less one), exponential backoff from 10 s |
//!
//! Each `Trigger` carries both the classic `filter.attributes` (exact `type`) and the newer
//! `filters` (exact `type`, `suffix` on `source`, `prefix` on `subject`), which Knative
//! Eventing uses instead when the `new-trigger-filters` feature is on (the default since 1.14);
//! an older cluster filters on the type alone. Events reach the broker from a source the
//! cluster runs (for Pub/Sub and Cloud Storage, Google's Knative sources or Eventarc for GKE).

use faasport_core::{App, Error, Function, ResourceKind, StorageEventKind, Trigger};
use serde_json::{json, Map, Value};

use super::dead_letters;
use super::gcloud::{timeout_secs, unsupported};
use super::physical::{refuse, Physical};
use super::schedule::unix_cron;
use super::ManifestFile;
use crate::event::MESSAGE_PUBLISHED;

/// Choices the app declaration does not make.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KnativeOptions {
    /// The app's container image.
    pub image: String,
    /// The namespace of every object.
    pub namespace: String,
    /// The Eventing broker the triggers subscribe to.
    pub broker: String,
}

impl KnativeOptions {
    /// `image`, in the `default` namespace, on the `default` broker.
    pub fn new(image: impl Into<String>) -> Self {
        Self {
            image: image.into(),
            namespace: "default".into(),
            broker: "default".into(),
        }
    }

    /// Sets the namespace.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Sets the broker.
    pub fn broker(mut self, broker: impl Into<String>) -> Self {
        self.broker = broker.into();
        self
    }
}

/// The files for `app`.
pub(super) fn files(
    app: &App,
    names: &Physical,
    options: &KnativeOptions,
) -> Result<Vec<ManifestFile>, Error> {
    let env = environment(app, names, options);
    let mut files = Vec::new();
    for f in app.functions() {
        let mut documents = vec![service(app, f, names, options, &env)];
        documents.extend(event_sources(f, names, options)?);
        let mut contents = String::new();
        for document in documents {
            let yaml = serde_yaml_ng::to_string(&document)
                .map_err(|e| refuse(format!("cannot write the Knative YAML: {e}")))?;
            contents.push_str("---\n");
            contents.push_str(&yaml);
        }
        files.push(ManifestFile {
            path: format!("{}.yaml", names.service(f.name())),
            contents,
        });
    }
    Ok(files)
}

/// The resource variables every service gets.
fn environment(app: &App, names: &Physical, options: &KnativeOptions) -> Vec<Value> {
    let var = |name: String, value: String| json!({ "name": name, "value": value });
    let mut env = Vec::new();
    for topic in app.topics() {
        env.push(var(
            crate::names::env_var(ResourceKind::Topic, topic),
            names.topic(topic),
        ));
    }
    for queue in app.queues() {
        let name = crate::names::env_var(ResourceKind::Queue, &queue.name);
        env.push(var(name, names.topic(&queue.name)));
    }
    for bucket in app.buckets() {
        env.push(var(
            crate::names::env_var(ResourceKind::Bucket, bucket),
            names.topic(bucket),
        ));
    }
    for f in app.functions() {
        let url = format!(
            "http://{}.{}.svc.cluster.local",
            names.service(f.name()),
            options.namespace
        );
        env.push(var(
            crate::names::env_var(ResourceKind::Function, f.name()),
            url,
        ));
    }
    env
}

fn service(
    app: &App,
    f: &Function,
    names: &Physical,
    options: &KnativeOptions,
    env: &[Value],
) -> Value {
    let spec = f.spec();
    let mut annotations = Map::new();
    annotations.insert(
        "autoscaling.knative.dev/min-scale".into(),
        spec.min_instances.to_string().into(),
    );
    if let Some(max) = spec.max_instances {
        annotations.insert(
            "autoscaling.knative.dev/max-scale".into(),
            max.to_string().into(),
        );
    }
    let memory = format!("{}Mi", spec.memory_mb);
    let mut container_env = vec![json!({ "name": "FUNCTION_TARGET", "value": f.name() })];
    container_env.extend(env.iter().cloned());
    let mut revision = json!({
        "timeoutSeconds": timeout_secs(f),
        "containers": [{
            "image": options.image,
            "env": container_env,
            "resources": {
                "requests": { "memory": memory },
                "limits": { "memory": memory },
            },
        }],
    });
    if let (Some(concurrency), Some(map)) =
        (spec.concurrency_per_instance, revision.as_object_mut())
    {
        map.insert("containerConcurrency".into(), concurrency.into());
    }
    let mut labels = Map::new();
    labels.insert(
        "app.kubernetes.io/part-of".into(),
        app.name().to_ascii_lowercase().into(),
    );
    labels.insert(
        "faasport.dev/function".into(),
        f.name().to_ascii_lowercase().into(),
    );
    if !f
        .triggers()
        .iter()
        .any(|t| matches!(t, Trigger::Http { .. }))
    {
        labels.insert(
            "networking.knative.dev/visibility".into(),
            "cluster-local".into(),
        );
    }
    json!({
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {
            "name": names.service(f.name()),
            "namespace": options.namespace,
            "labels": labels,
        },
        "spec": {
            "template": {
                "metadata": { "annotations": annotations },
                "spec": revision,
            },
        },
    })
}

/// The `Trigger`s and `PingSource`s that deliver `f`'s events.
fn event_sources(
    f: &Function,
    names: &Physical,
    options: &KnativeOptions,
) -> Result<Vec<Value>, Error> {
    let service = names.service(f.name());
    let sink = json!({ "ref": { "apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": service } });
    let retries = dead_letters::delivery_attempts(f)? - 1;
    let metadata = |name: String| json!({ "name": name, "namespace": options.namespace });
    let trigger = |name: String, event_type: &str, extra: Vec<Value>| {
        let mut filters = vec![json!({ "exact": { "type": event_type } })];
        filters.extend(extra);
        json!({
            "apiVersion": "eventing.knative.dev/v1",
            "kind": "Trigger",
            "metadata": metadata(name),
            "spec": {
                "broker": options.broker,
                "filter": { "attributes": { "type": event_type } },
                "filters": filters,
                "subscriber": sink,
                "delivery": { "retry": retries, "backoffPolicy": "exponential", "backoffDelay": "PT10S" },
            },
        })
    };
    let schedules = f
        .triggers()
        .iter()
        .filter(|t| matches!(t, Trigger::Schedule { .. }))
        .count();
    let mut out = Vec::new();
    let mut cloud_events = 0;
    for t in f.triggers() {
        match t {
            Trigger::Http { .. } => {}
            Trigger::Topic { topic } => out.push(trigger(
                format!("{service}-{}", topic.to_ascii_lowercase()),
                MESSAGE_PUBLISHED,
                vec![json!({ "suffix": { "source": format!("/topics/{}", names.topic(topic)) } })],
            )),
            Trigger::Storage {
                bucket,
                kinds,
                prefix,
            } => {
                for (kind, suffix) in [
                    (StorageEventKind::Created, "finalized"),
                    (StorageEventKind::Deleted, "deleted"),
                ] {
                    if !kinds.is_empty() && !kinds.contains(&kind) {
                        continue;
                    }
                    let mut extra = vec![
                        json!({ "suffix": { "source": format!("/buckets/{}", names.topic(bucket)) } }),
                    ];
                    if let Some(prefix) = prefix {
                        extra.push(json!({ "prefix": { "subject": format!("objects/{prefix}") } }));
                    }
                    out.push(trigger(
                        format!("{service}-{}-{suffix}", bucket.to_ascii_lowercase()),
                        &format!("google.cloud.storage.object.v1.{suffix}"),
                        extra,
                    ));
                }
            }
            Trigger::CloudEvent { event_type } => {
                cloud_events += 1;
                out.push(trigger(
                    format!("{service}-event-{cloud_events}"),
                    event_type,
                    Vec::new(),
                ));
            }
            Trigger::Schedule { expression } => {
                let cron = unix_cron(expression).map_err(|why| {
                    refuse(format!(
                        "function `{}`: the schedule `{expression}` cannot be written for a PingSource: {why}",
                        f.name()
                    ))
                })?;
                let index = out.iter().filter(|d| d["kind"] == "PingSource").count() + 1;
                let name = if schedules == 1 {
                    format!("{service}-schedule")
                } else {
                    format!("{service}-schedule-{index}")
                };
                out.push(json!({
                    "apiVersion": "sources.knative.dev/v1",
                    "kind": "PingSource",
                    "metadata": metadata(name),
                    "spec": {
                        "schedule": cron,
                        "timezone": "Etc/UTC",
                        "contentType": "application/json",
                        "data": json!({ "schedule": expression }).to_string(),
                        "sink": sink,
                    },
                }));
            }
            other => return Err(unsupported(f, other)),
        }
    }
    Ok(out)
}
