//! `deploy.sh`: the gcloud commands that deploy an app, section by section.

use std::collections::BTreeSet;
use std::time::Duration;

use faasport_core::{contract, App, Error, Function, StorageEventKind, Trigger};

use super::access::{bindings, invoked, IamResource};
use super::command::Command;
use super::dead_letters::{self, Target};
use super::physical::{refuse, Physical, IMAGE, PROJECT, REGION};
use super::schedule::unix_cron;

/// Pub/Sub's service agent, which pushes, dead-letters and mints push tokens.
const PUBSUB_AGENT: &str = "service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com";
/// Cloud Storage's service agent, which publishes the events Eventarc delivers.
const STORAGE_AGENT: &str = "service-${PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com";
/// How long kept dead letters and queue messages stay (Pub/Sub's longest).
const RETENTION: &str = "7d";

const PRELUDE: &str = r#"set -euo pipefail
: "${PROJECT:?set PROJECT to the Google Cloud project id}"
: "${REGION:?set REGION, e.g. europe-west1}"
: "${IMAGE:?set IMAGE to the container image of the app, see the README}"

# Runs a create command; "already exists" counts as done, so the script can run again.
create() {
  local out
  if out="$("$@" 2>&1)"; then
    printf '%s\n' "$out"
  elif printf '%s' "$out" | grep -qi 'already exists'; then
    echo "exists: ${*:2:4}"
  else
    printf '%s\n' "$out" >&2
    return 1
  fi
}
"#;

/// The script text.
struct Script(String);

impl Script {
    fn section(&mut self, title: &str) {
        self.0.push_str("\n# ");
        self.0.push_str(title);
        self.0.push('\n');
    }
    fn comment(&mut self, text: &str) {
        self.0.push_str("# ");
        self.0.push_str(text);
        self.0.push('\n');
    }
    fn run(&mut self, command: Command) {
        self.0.push_str(&command.render());
    }
}

/// One Eventarc trigger: its name and event filters.
struct EventarcTrigger {
    name: String,
    filters: Vec<String>,
}

/// `deploy.sh` for `app`.
pub(super) fn deploy_script(app: &App, names: &Physical) -> Result<String, Error> {
    let mut script = Script(format!(
        "#!/usr/bin/env bash\n# Deploys the faasport app `{}` to Google Cloud (written by `manifest gcp`; change the app, not this file).\n#\n#   PROJECT=my-project REGION=europe-west1 IMAGE=europe-west1-docker.pkg.dev/my-project/apps/{}:1 ./deploy.sh\n#\n# Needs gcloud, logged in as someone who may create the resources below.\n{PRELUDE}",
        app.name(),
        app.name()
    ));
    script.run(
        Command::gcloud(&["services", "enable"])
            .arg("run.googleapis.com")
            .arg("pubsub.googleapis.com")
            .arg("storage.googleapis.com")
            .arg("eventarc.googleapis.com")
            .arg("cloudscheduler.googleapis.com")
            .arg("iam.googleapis.com"),
    );
    script.run(
        Command::gcloud(&["projects", "describe"])
            .arg(PROJECT)
            .flag("format", "value(projectNumber)")
            .capture("PROJECT_NUMBER"),
    );

    let targets: BTreeSet<(String, bool)> = app
        .functions()
        .iter()
        .filter_map(|f| dead_letters::for_function(app, f))
        .map(|t| (t.topic(names), t.needs_keeping()))
        .collect();
    let triggers_account = names.triggers_account();
    let invoked = invoked(app);
    let delivers_events = !invoked.is_empty()
        || app.functions().iter().any(|f| {
            f.triggers()
                .iter()
                .any(|t| !matches!(t, Trigger::Http { .. }))
        });

    script.section("Service accounts: one per function, and one that delivers events to them.");
    for f in app.functions() {
        script.run(
            Command::gcloud(&["iam", "service-accounts", "create"])
                .arg(names.service(f.name()))
                .flag(
                    "display-name",
                    format!("faasport {}/{}", app.name(), f.name()),
                )
                .creating(),
        );
    }
    if delivers_events {
        script.run(
            Command::gcloud(&["iam", "service-accounts", "create"])
                .arg(names.triggers_account_id())
                .flag(
                    "display-name",
                    format!("faasport {} event delivery", app.name()),
                )
                .creating(),
        );
        script.run(
            Command::gcloud(&["iam", "service-accounts", "add-iam-policy-binding"])
                .arg(triggers_account.clone())
                .flag("member", format!("serviceAccount:{PUBSUB_AGENT}"))
                .flag("role", "roles/iam.serviceAccountTokenCreator"),
        );
    }

    script.section(
        "Topics and queues (a queue is a topic and the pull subscription that holds its messages).",
    );
    for topic in app.topics() {
        script.run(
            Command::gcloud(&["pubsub", "topics", "create"])
                .arg(names.topic(topic))
                .creating(),
        );
    }
    for queue in app.queues() {
        let topic = names.topic(&queue.name);
        let visibility = contract::visibility_timeout(app, queue, Duration::from_secs(10))?;
        script.run(
            Command::gcloud(&["pubsub", "topics", "create"])
                .arg(topic.clone())
                .creating(),
        );
        script.run(
            Command::gcloud(&["pubsub", "subscriptions", "create"])
                .arg(topic.clone())
                .flag("topic", topic)
                .flag("ack-deadline", ack_deadline(visibility))
                .flag("message-retention-duration", RETENTION)
                .creating(),
        );
    }
    for callee in &invoked {
        script.run(
            Command::gcloud(&["pubsub", "topics", "create"])
                .arg(names.invoke_topic(callee))
                .creating(),
        );
    }
    for (topic, keep) in &targets {
        if *topic == names.generated_dead_letters() {
            script.run(
                Command::gcloud(&["pubsub", "topics", "create"])
                    .arg(topic.clone())
                    .creating(),
            );
        }
        if *keep {
            script.run(
                Command::gcloud(&["pubsub", "subscriptions", "create"])
                    .arg(format!("{topic}-kept"))
                    .flag("topic", topic.clone())
                    .flag("message-retention-duration", RETENTION)
                    .creating(),
            );
        }
        script.run(
            Command::gcloud(&["pubsub", "topics", "add-iam-policy-binding"])
                .arg(topic.clone())
                .flag("member", format!("serviceAccount:{PUBSUB_AGENT}"))
                .flag("role", "roles/pubsub.publisher"),
        );
    }

    if !app.buckets().is_empty() {
        script.section("Buckets.");
    }
    for bucket in app.buckets() {
        script.run(
            Command::gcloud(&["storage", "buckets", "create"])
                .arg(format!("gs://{}", names.bucket(bucket)))
                .flag("location", REGION)
                .switch("uniform-bucket-level-access")
                .creating(),
        );
    }

    script.section("Access: each function's account gets what the function declares (all of the app's resources when it declares nothing).");
    let mut invokes = Vec::new();
    for f in app.functions() {
        let member = format!("serviceAccount:{}", names.service_account(f.name()));
        for binding in bindings(app, f) {
            let command = match &binding.resource {
                IamResource::Topic(name) | IamResource::Queue(name) => {
                    Command::gcloud(&["pubsub", "topics", "add-iam-policy-binding"])
                        .arg(names.topic(name))
                }
                IamResource::InvokeTopic(name) => {
                    Command::gcloud(&["pubsub", "topics", "add-iam-policy-binding"])
                        .arg(names.invoke_topic(name))
                }
                IamResource::Bucket(name) => {
                    Command::gcloud(&["storage", "buckets", "add-iam-policy-binding"])
                        .arg(format!("gs://{}", names.bucket(name)))
                }
                IamResource::Service(name) => {
                    // The callee's service exists only after the deploys below.
                    invokes.push(
                        Command::gcloud(&["run", "services", "add-iam-policy-binding"])
                            .arg(names.service(name))
                            .flag("region", REGION)
                            .flag("member", member.clone())
                            .flag("role", binding.role),
                    );
                    continue;
                }
                #[allow(unreachable_patterns)]
                other => return Err(refuse(format!("no IAM binding for {other:?}"))),
            };
            script.run(
                command
                    .flag("member", member.clone())
                    .flag("role", binding.role),
            );
        }
    }

    script.section("Services: one Cloud Run service per function, all from one image; FUNCTION_TARGET picks the function.");
    let resource_env = names.resource_env(app);
    for f in app.functions() {
        script.run(deploy(f, names, &resource_env, app.name()));
    }
    for command in invokes {
        script.run(command);
    }

    let mut eventarc_used = false;
    let mut storage_used = false;
    for f in app.functions() {
        let event_triggers: Vec<&Trigger> = f
            .triggers()
            .iter()
            .filter(|t| !matches!(t, Trigger::Http { .. }))
            .collect();
        let is_invoked = invoked.contains(f.name());
        if event_triggers.is_empty() && !is_invoked {
            continue;
        }
        script.section(&format!("Triggers of `{}`.", f.name()));
        let service = names.service(f.name());
        let url = names.service_url(f.name());
        let target = dead_letters::for_function(app, f).unwrap_or(Target::Generated);
        let attempts = dead_letters::delivery_attempts(f)?;
        script.comment(&format!(
            "Retried with backoff from 10s to 600s; after {attempts} delivery attempts an event goes to the topic {}.",
            target.topic(names)
        ));
        script.run(
            Command::gcloud(&["run", "services", "add-iam-policy-binding"])
                .arg(service.clone())
                .flag("region", REGION)
                .flag("member", format!("serviceAccount:{triggers_account}"))
                .flag("role", "roles/run.invoker"),
        );
        let delivery = |command: Command| {
            command
                .flag("dead-letter-topic", target.topic(names))
                .flag("max-delivery-attempts", attempts)
                .flag("min-retry-delay", "10s")
                .flag("max-retry-delay", "600s")
        };
        let push = |subscription: &str, topic: &str| {
            delivery(
                Command::gcloud(&["pubsub", "subscriptions", "create"])
                    .arg(subscription)
                    .flag("topic", topic)
                    .flag("push-endpoint", url.clone())
                    .flag("push-auth-service-account", triggers_account.clone())
                    .flag("ack-deadline", ack_deadline(f.spec().timeout)),
            )
            .creating()
        };
        let subscriber = |subscription: &str| {
            Command::gcloud(&["pubsub", "subscriptions", "add-iam-policy-binding"])
                .arg(subscription)
                .flag("member", format!("serviceAccount:{PUBSUB_AGENT}"))
                .flag("role", "roles/pubsub.subscriber")
        };
        let schedules = event_triggers
            .iter()
            .filter(|t| matches!(t, Trigger::Schedule { .. }))
            .count();
        let mut schedule_index = 0;
        let mut eventarc = Vec::new();
        for trigger in event_triggers {
            match trigger {
                Trigger::Topic { topic } => {
                    let subscription = format!("{service}-{}", topic.to_ascii_lowercase());
                    script.run(push(&subscription, &names.topic(topic)));
                    script.run(subscriber(&subscription));
                }
                Trigger::Schedule { expression } => {
                    let cron = unix_cron(expression).map_err(|why| {
                        refuse(format!(
                            "function `{}`: the schedule `{expression}` cannot be written for Cloud Scheduler: {why}",
                            f.name()
                        ))
                    })?;
                    schedule_index += 1;
                    let job = if schedules == 1 {
                        format!("{service}-schedule")
                    } else {
                        format!("{service}-schedule-{schedule_index}")
                    };
                    // Through a topic, so a failed tick is retried and dead-lettered like any
                    // event (an HTTP-target job only retries, then drops it).
                    script.run(
                        Command::gcloud(&["pubsub", "topics", "create"])
                            .arg(job.clone())
                            .creating(),
                    );
                    script.run(push(&job, &job));
                    script.run(subscriber(&job));
                    script.run(
                        Command::gcloud(&["scheduler", "jobs", "create", "pubsub"])
                            .arg(job.clone())
                            .flag("location", REGION)
                            .flag("schedule", cron)
                            .flag("time-zone", "Etc/UTC")
                            .flag("topic", job.clone())
                            .flag("message-body", expression.clone())
                            .creating(),
                    );
                }
                Trigger::Storage {
                    bucket,
                    kinds,
                    prefix,
                } => {
                    if prefix.is_some() {
                        return Err(refuse(format!(
                            "function `{}`: Eventarc cannot filter Cloud Storage events by object name prefix",
                            f.name()
                        )));
                    }
                    storage_used = true;
                    for kind in [StorageEventKind::Created, StorageEventKind::Deleted] {
                        if !kinds.is_empty() && !kinds.contains(&kind) {
                            continue;
                        }
                        let suffix = if kind == StorageEventKind::Created {
                            "finalized"
                        } else {
                            "deleted"
                        };
                        eventarc.push(EventarcTrigger {
                            name: format!("{service}-{}-{suffix}", bucket.to_ascii_lowercase()),
                            filters: vec![
                                format!("type=google.cloud.storage.object.v1.{suffix}"),
                                format!("bucket={}", names.bucket(bucket)),
                            ],
                        });
                    }
                }
                Trigger::CloudEvent { event_type } => eventarc.push(EventarcTrigger {
                    name: format!("{service}-event-{}", eventarc.len() + 1),
                    filters: vec![format!("type={event_type}")],
                }),
                other => return Err(unsupported(f, other)),
            }
        }
        if is_invoked {
            // Asynchronous invokes: published by callers, pushed like any event.
            let subscription = format!("{service}-invoke");
            script.run(push(&subscription, &names.invoke_topic(f.name())));
            script.run(subscriber(&subscription));
        }
        for trigger in eventarc {
            eventarc_used = true;
            let mut create = Command::gcloud(&["eventarc", "triggers", "create"])
                .arg(trigger.name.clone())
                .flag("location", REGION)
                .flag("destination-run-service", service.clone())
                .flag("destination-run-region", REGION);
            for filter in trigger.filters {
                create = create.flag("event-filters", filter);
            }
            script.run(
                create
                    .flag("service-account", triggers_account.clone())
                    .creating(),
            );
            script.comment("Dead letters and backoff go on the subscription Eventarc made.");
            script.run(
                Command::gcloud(&["eventarc", "triggers", "describe"])
                    .arg(trigger.name)
                    .flag("location", REGION)
                    .flag("format", "value(transport.pubsub.subscription)")
                    .capture("SUBSCRIPTION"),
            );
            script.run(delivery(
                Command::gcloud(&["pubsub", "subscriptions", "update"]).arg("${SUBSCRIPTION}"),
            ));
            script.run(subscriber("${SUBSCRIPTION}"));
        }
    }
    if eventarc_used {
        script.section(
            "Eventarc: the delivery account receives events; Cloud Storage publishes them.",
        );
        script.run(
            Command::gcloud(&["projects", "add-iam-policy-binding"])
                .arg(PROJECT)
                .flag("member", format!("serviceAccount:{triggers_account}"))
                .flag("role", "roles/eventarc.eventReceiver"),
        );
    }
    if storage_used {
        script.run(
            Command::gcloud(&["projects", "add-iam-policy-binding"])
                .arg(PROJECT)
                .flag("member", format!("serviceAccount:{STORAGE_AGENT}"))
                .flag("role", "roles/pubsub.publisher"),
        );
    }
    Ok(script.0)
}

/// `gcloud run deploy` for one function.
fn deploy(f: &Function, names: &Physical, resource_env: &[(String, String)], app: &str) -> Command {
    let spec = f.spec();
    let mut env = vec![("FUNCTION_TARGET".to_owned(), f.name().to_owned())];
    env.extend(resource_env.iter().cloned());
    let env: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut command = Command::gcloud(&["run", "deploy"])
        .arg(names.service(f.name()))
        .flag("image", IMAGE)
        .flag("region", REGION)
        .flag("service-account", names.service_account(f.name()))
        .flag("memory", format!("{}Mi", spec.memory_mb))
        .flag("cpu", cpu_for(spec.memory_mb))
        .flag("timeout", format!("{}s", timeout_secs(f)))
        .flag("min-instances", spec.min_instances);
    if let Some(max) = spec.max_instances {
        command = command.flag("max-instances", max);
    }
    if let Some(concurrency) = spec.concurrency_per_instance {
        command = command.flag("concurrency", concurrency);
    }
    command = command.flag("set-env-vars", env.join(",")).flag(
        "labels",
        format!(
            "faasport-app={},faasport-function={}",
            app.to_ascii_lowercase(),
            f.name().to_ascii_lowercase()
        ),
    );
    let public = f
        .triggers()
        .iter()
        .any(|t| matches!(t, Trigger::Http { .. }));
    command.switch(if public {
        "allow-unauthenticated"
    } else {
        "no-allow-unauthenticated"
    })
}

/// The whole seconds of `f`'s timeout, rounded up.
pub(super) fn timeout_secs(f: &Function) -> u64 {
    f.spec().timeout.as_secs_f64().ceil() as u64
}

/// The fewest vCPUs Cloud Run allows with `memory_mb` (4 GiB per vCPU up to 8 vCPUs).
fn cpu_for(memory_mb: u32) -> u32 {
    match memory_mb {
        0..=4096 => 1,
        4097..=8192 => 2,
        8193..=16384 => 4,
        _ => 8,
    }
}

/// A Pub/Sub ack deadline covering `timeout`, within Pub/Sub's 10-600 s.
fn ack_deadline(timeout: Duration) -> u64 {
    (timeout.as_secs_f64().ceil() as u64).clamp(10, 600)
}

/// The error for a trigger Google Cloud has no delivery for here.
pub(super) fn unsupported(f: &Function, trigger: &Trigger) -> Error {
    let why = match trigger {
        Trigger::Queue { queue, .. } => format!(
            "consuming the queue `{queue}`: the Google Cloud adapter serves no queue batches (publish to a topic and subscribe instead)"
        ),
        Trigger::Change { table, .. } => format!("the change stream of `{table}`: Google Cloud has no table change trigger here"),
        Trigger::Stream { stream, .. } => format!("the data stream `{stream}`: Google Cloud has no data stream trigger here"),
        other => format!("{} triggers are not deployable on Google Cloud", other.event_kind()),
    };
    refuse(format!("function `{}`: {why}", f.name()))
}
