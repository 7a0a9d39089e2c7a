//! One `AWS::Serverless::Function`: limits, events, destinations, policies.

use std::collections::BTreeSet;

use faasport_core::{
    App, Error, Function, Operation, Provider, ResourceKind, StorageEventKind, Trigger,
};
use serde_yaml_ng::{Mapping, Value};

use super::{
    bucket_name, dead_letters, eventbridge_schedule, function_name, get_att, list, map, reference,
    LogicalIds, SamOptions,
};
use crate::names::env_var;

/// The function's timeout in whole seconds, rounded up.
pub(super) fn timeout_secs(f: &Function) -> u64 {
    f.spec().timeout.as_secs_f64().ceil() as u64
}

/// The resource variables every function gets (see [`crate::names`]).
pub(super) fn resource_env(app: &App, ids: &LogicalIds) -> Value {
    let mut vars = Mapping::new();
    for topic in app.topics() {
        vars.insert(
            env_var(ResourceKind::Topic, topic).into(),
            reference(&ids.topic(topic)),
        );
    }
    for queue in app.queues() {
        vars.insert(
            env_var(ResourceKind::Queue, &queue.name).into(),
            reference(&ids.queue(&queue.name)),
        );
    }
    for bucket in app.buckets() {
        vars.insert(
            env_var(ResourceKind::Bucket, bucket).into(),
            bucket_name(bucket),
        );
    }
    for f in app.functions() {
        vars.insert(
            env_var(ResourceKind::Function, f.name()).into(),
            function_name(f.name()),
        );
    }
    Value::Mapping(vars)
}

pub(super) fn resource(
    app: &App,
    f: &Function,
    ids: &LogicalIds,
    options: &SamOptions,
) -> Result<(String, Value), Error> {
    let unsupported = |why: String| Error::Manifest {
        provider: Provider::Aws,
        reason: format!("function `{}`: {why}", f.name()),
    };
    let timeout = timeout_secs(f);
    let mut p = Mapping::new();
    p.insert("FunctionName".into(), function_name(f.name()));
    p.insert("MemorySize".into(), f.spec().memory_mb.into());
    p.insert("Timeout".into(), timeout.into());
    if let Some(arch) = f.spec().arch {
        p.insert(
            "Architectures".into(),
            Value::Sequence(vec![arch.as_str().into()]),
        );
    }
    if let Some(size) = f.spec().ephemeral_storage_mb {
        p.insert("EphemeralStorage".into(), map([("Size", size.into())]));
    }
    p.insert(
        "Environment".into(),
        map([("Variables", map([("FAASPORT_FUNCTION", f.name().into())]))]),
    );
    if let Some(max) = f.spec().max_instances {
        p.insert("ReservedConcurrentExecutions".into(), max.into());
    }
    if f.spec().min_instances > 0 {
        p.insert("AutoPublishAlias".into(), "live".into());
        p.insert(
            "ProvisionedConcurrencyConfig".into(),
            map([(
                "ProvisionedConcurrentExecutions",
                f.spec().min_instances.into(),
            )]),
        );
    }
    if let Some(config) = invoke_config(app, f, ids).map_err(unsupported)? {
        p.insert("EventInvokeConfig".into(), config);
    }
    let policies = policies(app, f, ids);
    if !policies.is_empty() {
        p.insert("Policies".into(), Value::Sequence(policies));
    }
    let events = events(f, ids, options).map_err(unsupported)?;
    if !events.is_empty() {
        p.insert("Events".into(), Value::Mapping(events));
    }
    let resource = map([
        ("Type", "AWS::Serverless::Function".into()),
        ("Properties", Value::Mapping(p)),
    ]);
    Ok((ids.function(f.name()), resource))
}

fn invoke_config(app: &App, f: &Function, ids: &LogicalIds) -> Result<Option<Value>, String> {
    let retry = f.spec().retry;
    let mut config = Mapping::new();
    // The ranges were checked against core's `Limits` for AWS (`App::validate_for`).
    if let Some(retries) = retry.max_retries {
        config.insert("MaximumRetryAttempts".into(), retries.into());
    }
    if let Some(age) = retry.max_event_age {
        config.insert("MaximumEventAgeInSeconds".into(), age.as_secs().into());
    }
    if let Some(target) = dead_letters::for_function(app, f)? {
        config.insert(
            "DestinationConfig".into(),
            map([("OnFailure", dead_letters::on_failure(app, target, ids))]),
        );
    }
    Ok((!config.is_empty()).then_some(Value::Mapping(config)))
}

/// Policies for exactly what `f` may use ([`Declared::access_of`]): its own declarations, or every
/// app resource when it declares none. A bucket it writes gets `S3CrudPolicy` (no SAM policy
/// template writes without reading), one it only reads `S3ReadPolicy`.
fn policies(app: &App, f: &Function, ids: &LogicalIds) -> Vec<Value> {
    let access = app.declared().access_of(f.name());
    let mut out = Vec::new();
    for topic in access.names(Operation::Publish) {
        let name = get_att(&ids.topic(topic), "TopicName");
        out.push(map([(
            "SNSPublishMessagePolicy",
            map([("TopicName", name)]),
        )]));
    }
    for queue in access.names(Operation::Send) {
        let name = get_att(&ids.queue(queue), "QueueName");
        out.push(map([("SQSSendMessagePolicy", map([("QueueName", name)]))]));
    }
    let buckets: BTreeSet<&str> = access
        .names(Operation::Read)
        .chain(access.names(Operation::Write))
        .collect();
    for bucket in buckets {
        let policy = if access.allows(Operation::Write, bucket) {
            "S3CrudPolicy"
        } else {
            "S3ReadPolicy"
        };
        out.push(map([(policy, map([("BucketName", bucket_name(bucket))]))]));
    }
    for callee in access.names(Operation::Invoke) {
        out.push(map([(
            "LambdaInvokePolicy",
            map([("FunctionName", function_name(callee))]),
        )]));
    }
    out
}

fn events(f: &Function, ids: &LogicalIds, options: &SamOptions) -> Result<Mapping, String> {
    let mut events = Mapping::new();
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let batch_responses = || list(["ReportBatchItemFailures".into()]);
    for trigger in f.triggers() {
        let (kind, properties) = match trigger {
            Trigger::Http { method, path } => {
                let method = method
                    .as_ref()
                    .map_or("any".to_owned(), |m| m.as_str().to_ascii_lowercase());
                let kind = if options.rest_api { "Api" } else { "HttpApi" };
                (
                    kind,
                    map([("Path", sam_path(path).into()), ("Method", method.into())]),
                )
            }
            Trigger::Topic { topic } => ("SNS", map([("Topic", reference(&ids.topic(topic)))])),
            Trigger::Queue {
                queue,
                batch_size,
                batch_window,
            } => {
                // 1-10,000 was checked against core's `Limits` (`App::validate_for`).
                // Lambda requires a batching window for batches over 10.
                let window = batch_window.as_secs_f64().ceil() as u64;
                let window = if *batch_size > 10 {
                    window.max(1)
                } else {
                    window
                };
                let mut p = Mapping::new();
                p.insert("Queue".into(), get_att(&ids.queue(queue), "Arn"));
                p.insert("BatchSize".into(), (*batch_size).into());
                if window > 0 {
                    p.insert(
                        "MaximumBatchingWindowInSeconds".into(),
                        window.min(300).into(),
                    );
                }
                p.insert("FunctionResponseTypes".into(), batch_responses());
                ("SQS", Value::Mapping(p))
            }
            Trigger::Schedule { expression } => {
                let schedule = eventbridge_schedule(expression).map_err(|e| e.to_string())?;
                ("Schedule", map([("Schedule", schedule.into())]))
            }
            Trigger::Storage {
                bucket,
                kinds,
                prefix,
            } => {
                let mut s3_events: Vec<Value> = Vec::new();
                let all = kinds.is_empty();
                if all || kinds.contains(&StorageEventKind::Created) {
                    s3_events.push("s3:ObjectCreated:*".into());
                }
                if all || kinds.contains(&StorageEventKind::Deleted) {
                    s3_events.push("s3:ObjectRemoved:*".into());
                }
                let mut p = Mapping::new();
                p.insert("Bucket".into(), reference(&ids.bucket(bucket)));
                p.insert("Events".into(), Value::Sequence(s3_events));
                if let Some(prefix) = prefix {
                    let rule = map([("Name", "prefix".into()), ("Value", prefix.as_str().into())]);
                    p.insert(
                        "Filter".into(),
                        map([("S3Key", map([("Rules", list([rule]))]))]),
                    );
                }
                ("S3", Value::Mapping(p))
            }
            Trigger::Change { table, batch_size } => (
                "DynamoDB",
                map([
                    ("Stream", reference(&ids.stream_parameter(table))),
                    ("StartingPosition", "TRIM_HORIZON".into()),
                    ("BatchSize", (*batch_size).into()),
                    ("FunctionResponseTypes", batch_responses()),
                ]),
            ),
            // A Kinesis data stream: external like a table, so its ARN is a template parameter.
            // TRIM_HORIZON, as for DynamoDB: records written before the mapping exists are
            // delivered too (as the local runtime delivers every record put), at the price of
            // replaying the stream's retention on first deploy.
            Trigger::Stream { stream, batch_size } => (
                "Kinesis",
                map([
                    ("Stream", reference(&ids.kinesis_parameter(stream))),
                    ("StartingPosition", "TRIM_HORIZON".into()),
                    ("BatchSize", (*batch_size).into()),
                    ("FunctionResponseTypes", batch_responses()),
                ]),
            ),
            Trigger::CloudEvent { event_type } => (
                "EventBridgeRule",
                map([(
                    "Pattern",
                    map([("detail-type", list([event_type.as_str().into()]))]),
                )]),
            ),
            #[allow(unreachable_patterns)]
            other => {
                return Err(format!(
                    "no Lambda event source for {} triggers",
                    other.event_kind()
                ))
            }
        };
        let n = counts.entry(kind).or_default();
        *n += 1;
        events.insert(
            format!("{kind}{n}").into(),
            map([("Type", kind.into()), ("Properties", properties)]),
        );
    }
    Ok(events)
}

/// faasport route syntax in API Gateway's: `{*rest}` → `{rest+}`.
fn sam_path(path: &str) -> String {
    path.split('/')
        .map(
            |segment| match segment.strip_prefix("{*").and_then(|s| s.strip_suffix('}')) {
                Some(name) => format!("{{{name}+}}"),
                None => segment.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// The stack's outputs: the API's URL when the app has HTTP routes, and the generated
/// dead-letter queue's URL when there is one.
pub(super) fn outputs(app: &App, options: &SamOptions) -> Option<Value> {
    let mut outputs = Mapping::new();
    let has_http = app.functions().iter().any(|f| {
        f.triggers()
            .iter()
            .any(|t| matches!(t, Trigger::Http { .. }))
    });
    if has_http {
        let (api, path) = if options.rest_api {
            ("ServerlessRestApi", "Prod/")
        } else {
            ("ServerlessHttpApi", "")
        };
        let url =
            format!("https://${{{api}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{path}");
        outputs.insert(
            "ApiUrl".into(),
            map([
                ("Description", "The HTTP endpoint".into()),
                ("Value", super::sub(&url)),
            ]),
        );
    }
    if dead_letters::needs_generated_queue(app) {
        outputs.insert(
            "DeadLettersUrl".into(),
            map([
                (
                    "Description",
                    "Events that exhausted their retries without a declared dead letter".into(),
                ),
                ("Value", reference(&dead_letters::generated_queue_id(app))),
            ]),
        );
    }
    (!outputs.is_empty()).then_some(Value::Mapping(outputs))
}
