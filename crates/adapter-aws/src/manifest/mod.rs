//! The SAM template (`template.yaml`) for an app.
//!
//! One `AWS::Serverless::Function` per function, plus the declared topics (`AWS::SNS::Topic`),
//! queues (`AWS::SQS::Queue`, with a redrive policy when consumed or given a dead-letter queue),
//! buckets (`AWS::S3::Bucket`) and, when something would otherwise drop failed events, the app's
//! dead-letter queue (`<App>DeadLetters`). Each function gets:
//!
//! - `MemorySize`, `Timeout` (whole seconds, rounded up), `Architectures` (`[arm64]` or
//!   `[x86_64]`) and `EphemeralStorage.Size` when the function sets them,
//!   `ReservedConcurrentExecutions` from
//!   its instance cap, and `ProvisionedConcurrencyConfig` with `AutoPublishAlias: live` from its
//!   minimum instances;
//! - its events: HTTP routes as `HttpApi` (or `Api` with [`SamOptions::rest_api`]; `{*rest}`
//!   becomes `{rest+}`), queues as `SQS` with `ReportBatchItemFailures`, topics as `SNS`,
//!   buckets as `S3`, schedules as `Schedule` (see [`eventbridge_schedule`]), change streams as
//!   `DynamoDB` (the table lives outside the stack: its stream ARN is a template parameter
//!   `<Table>StreamArn`), data streams as `Kinesis` (external too: the stream's ARN is the
//!   parameter `<Stream>StreamArn`; `StartingPosition: TRIM_HORIZON` as for tables, so records
//!   put before the mapping exists are not skipped; `ReportBatchItemFailures`, so a failed
//!   record's sequence number is retried from), CloudEvent types as `EventBridgeRule` on
//!   `detail-type`;
//! - `EventInvokeConfig` with its retry policy and, when it can receive asynchronous
//!   invocations, an `OnFailure` destination: its own dead letter, the app's default, or the
//!   app's generated dead-letter queue (see the `dead_letters` module, which also gives every consumed
//!   queue a redrive policy), so the cloud keeps what the local runtime dead-letters;
//! - the environment variables of [`crate::names`] for every declared resource (in
//!   `Globals`), and `FAASPORT_FUNCTION` with its name;
//! - policies for exactly what the function may use, as [`Access`](faasport_core::Access)
//!   defines it: a function that declares access gets `SNSPublishMessagePolicy` for each topic
//!   it publishes to, `SQSSendMessagePolicy` for each queue it sends to, `S3ReadPolicy` for each
//!   bucket it only reads, `S3CrudPolicy` for each bucket it writes (no SAM policy template
//!   writes without reading) and `LambdaInvokePolicy` for each function it invokes, and nothing
//!   else; a function that declares nothing gets all of them for every app resource (the
//!   broader shorthand). Triggers need no policy here: SAM adds the event source's own (the
//!   SQS poller, `AWSLambdaDynamoDBExecutionRole`, `AWSLambdaKinesisExecutionRole`), and the
//!   permission an `OnFailure` destination needs.
//!
//! Functions and buckets get names derived from the stack (`${AWS::StackName}-<name>`,
//! `${AWS::StackName}-${AWS::AccountId}-<name>`), so policies and variables can name them
//! without a `!Ref`, which would make a dependency cycle through S3 notifications and
//! function-to-function invoke policies. Bucket names must be lower case, so use a lower-case
//! stack name; function names stay under Lambda's 64 characters with a short stack name.
//!
//! Limits Lambda cannot take are errors, not a template that fails to deploy: memory outside
//! 128-10240 MB, a timeout over 900 s, more than 2 retries, a maximum event age outside
//! 60 s-6 h and a queue visibility timeout shorter than its consumer's timeout
//! ([`App::validate_for`] with core's [`Limits`](faasport_core::contract::Limits), the same
//! table the local `aws` profile enforces, so [`Error::App`]), and a cron both day fields
//! restrict. A queue without its own visibility timeout gets the one the local queue uses
//! ([`contract::visibility_timeout`]: SQS's 30 s, raised to the longest consumer timeout). `cfn-lint` 1.53.3 (which runs the SAM transform) passes the output.

mod dead_letters;
mod function;
mod schedule;

use std::collections::BTreeMap;

use std::time::Duration;

use faasport_core::contract;
use faasport_core::{App, Error, Provider, QueueSpec, Trigger};
use serde_yaml_ng::{Mapping, Value};

pub use self::schedule::eventbridge_schedule;

/// SQS's default visibility timeout.
const SQS_VISIBILITY: Duration = Duration::from_secs(30);

/// Choices the app declaration does not make.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SamOptions {
    /// HTTP routes on an API Gateway REST API (`Api`, payload 1.0) instead of an HTTP API.
    pub rest_api: bool,
    /// Where the built `bootstrap` is (`cargo lambda build` puts it in
    /// `target/lambda/<binary>/`); defaults to `target/lambda/<app name>/`.
    pub code_uri: Option<String>,
}

impl SamOptions {
    /// Uses a REST API for HTTP routes.
    pub fn rest_api(mut self) -> Self {
        self.rest_api = true;
        self
    }

    /// Sets the code location.
    pub fn code_uri(mut self, uri: impl Into<String>) -> Self {
        self.code_uri = Some(uri.into());
        self
    }
}

/// The SAM template for `app`, as YAML, with default [`SamOptions`].
///
/// # Errors
/// An invalid app ([`Error::App`]) or a limit Lambda cannot take ([`Error::App`]), or what SAM cannot express ([`Error::Manifest`]).
pub fn sam_template(app: &App) -> Result<String, Error> {
    sam_template_with(app, &SamOptions::default())
}

/// The SAM template for `app`, as YAML.
///
/// # Errors
/// As [`sam_template`].
pub fn sam_template_with(app: &App, options: &SamOptions) -> Result<String, Error> {
    app.validate_for(Provider::Aws)?;
    let ids = LogicalIds::new(app)?;
    let mut resources = Mapping::new();
    for topic in app.topics() {
        resources.insert(
            ids.topic(topic).into(),
            map([("Type", "AWS::SNS::Topic".into())]),
        );
    }
    for queue in app.queues() {
        resources.insert(
            ids.queue(&queue.name).into(),
            queue_resource(app, queue, &ids)?,
        );
    }
    if dead_letters::needs_generated_queue(app) {
        resources.insert(
            dead_letters::generated_queue_id(app).into(),
            dead_letters::generated_queue(),
        );
    }
    for bucket in app.buckets() {
        let properties = map([("BucketName", bucket_name(bucket))]);
        resources.insert(
            ids.bucket(bucket).into(),
            map([
                ("Type", "AWS::S3::Bucket".into()),
                ("Properties", properties),
            ]),
        );
    }
    let mut parameters = Mapping::new();
    let mut parameter_owners = BTreeMap::<String, String>::new();
    for f in app.functions() {
        let (id, resource) = function::resource(app, f, &ids, options)?;
        resources.insert(id.into(), resource);
        for trigger in f.triggers() {
            let (id, description, kind) = match trigger {
                Trigger::Change { table, .. } => (
                    ids.stream_parameter(table),
                    format!("Stream ARN of the DynamoDB table `{table}` (StreamSpecification on)"),
                    format!("table `{table}`"),
                ),
                Trigger::Stream { stream, .. } => (
                    ids.kinesis_parameter(stream),
                    format!("ARN of the Kinesis data stream `{stream}`"),
                    format!("stream `{stream}`"),
                ),
                _ => continue,
            };
            if let Some(other) = parameter_owners.insert(id.clone(), kind.clone()) {
                if other != kind {
                    return Err(Error::Manifest {
                        provider: Provider::Aws,
                        reason: format!(
                        "{other} and {kind} both become the template parameter `{id}`; rename one"
                    ),
                    });
                }
            }
            parameters.insert(
                id.into(),
                map([
                    ("Type", "String".into()),
                    ("Description", description.into()),
                ]),
            );
        }
    }
    let code_uri = options
        .code_uri
        .clone()
        .unwrap_or_else(|| format!("target/lambda/{}/", app.name()));
    let globals = map([(
        "Function",
        map([
            ("Runtime", "provided.al2023".into()),
            ("Handler", "bootstrap".into()),
            ("Architectures", list(["x86_64".into()])),
            ("CodeUri", code_uri.into()),
            (
                "Environment",
                map([("Variables", function::resource_env(app, &ids))]),
            ),
        ]),
    )]);
    let mut template = Mapping::new();
    template.insert("AWSTemplateFormatVersion".into(), "2010-09-09".into());
    template.insert("Transform".into(), "AWS::Serverless-2016-10-31".into());
    template.insert(
        "Description".into(),
        format!(
            "faasport app `{}` (generated by `manifest aws`)",
            app.name()
        )
        .into(),
    );
    if !parameters.is_empty() {
        template.insert("Parameters".into(), Value::Mapping(parameters));
    }
    template.insert("Globals".into(), globals);
    template.insert("Resources".into(), Value::Mapping(resources));
    if let Some(outputs) = function::outputs(app, options) {
        template.insert("Outputs".into(), outputs);
    }
    serde_yaml_ng::to_string(&Value::Mapping(template)).map_err(|e| Error::Manifest {
        provider: Provider::Aws,
        reason: format!("cannot write the SAM template: {e}"),
    })
}

fn queue_resource(app: &App, queue: &QueueSpec, ids: &LogicalIds) -> Result<Value, Error> {
    // The same visibility as the local queue: core's rule, from SQS's 30 s default.
    let visibility = contract::visibility_timeout(app, queue, SQS_VISIBILITY)?;
    let visibility = Some(visibility.as_secs_f64().ceil() as u64);
    let mut properties = Mapping::new();
    if let Some(v) = visibility {
        properties.insert("VisibilityTimeout".into(), v.into());
    }
    if let Some(arn) = dead_letters::for_queue(app, queue)
        .and_then(|target| dead_letters::queue_arn(app, target, ids))
    {
        properties.insert(
            "RedrivePolicy".into(),
            map([
                ("deadLetterTargetArn", arn),
                (
                    "maxReceiveCount",
                    queue
                        .max_receive_count
                        .unwrap_or(contract::DEFAULT_MAX_RECEIVE_COUNT)
                        .into(),
                ),
            ]),
        );
    }
    let mut resource = map([("Type", "AWS::SQS::Queue".into())]);
    if !properties.is_empty() {
        if let Value::Mapping(m) = &mut resource {
            m.insert("Properties".into(), Value::Mapping(properties));
        }
    }
    Ok(resource)
}

/// CloudFormation logical ids: letters and digits only, unique across the template.
struct LogicalIds {
    bases: BTreeMap<String, String>,
}

impl LogicalIds {
    fn new(app: &App) -> Result<Self, Error> {
        let mut bases = BTreeMap::new();
        let mut taken: BTreeMap<String, String> = BTreeMap::new();
        let names = app
            .topics()
            .iter()
            .map(|t| ("topic", t.as_str()))
            .chain(app.queues().iter().map(|q| ("queue", q.name.as_str())))
            .chain(app.buckets().iter().map(|b| ("bucket", b.as_str())))
            .chain(app.functions().iter().map(|f| ("function", f.name())));
        for (kind, name) in names {
            let id = format!("{}{}", pascal(name), pascal(kind));
            if let Some(other) = taken.insert(id.clone(), format!("{kind} `{name}`")) {
                return Err(Error::Manifest {
                    provider: Provider::Aws,
                    reason: format!(
                        "{other} and {kind} `{name}` both become the logical id `{id}`; rename one"
                    ),
                });
            }
            bases.insert(format!("{kind}:{name}"), id);
        }
        Ok(Self { bases })
    }

    fn get(&self, kind: &str, name: &str) -> String {
        self.bases
            .get(&format!("{kind}:{name}"))
            .cloned()
            .unwrap_or_else(|| format!("{}{}", pascal(name), pascal(kind)))
    }

    fn topic(&self, name: &str) -> String {
        self.get("topic", name)
    }
    fn queue(&self, name: &str) -> String {
        self.get("queue", name)
    }
    fn bucket(&self, name: &str) -> String {
        self.get("bucket", name)
    }
    fn function(&self, name: &str) -> String {
        self.get("function", name)
    }
    fn stream_parameter(&self, table: &str) -> String {
        format!("{}StreamArn", pascal(table))
    }
    /// The parameter holding a Kinesis stream's ARN: `<Stream>StreamArn`, as for a table's
    /// stream (a table and a Kinesis stream of the same name are refused).
    fn kinesis_parameter(&self, stream: &str) -> String {
        format!("{}StreamArn", pascal(stream))
    }
}

/// `create-order` → `CreateOrder`.
fn pascal(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut chars = p.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn bucket_name(bucket: &str) -> Value {
    sub(&format!(
        "${{AWS::StackName}}-${{AWS::AccountId}}-{}",
        bucket.to_ascii_lowercase()
    ))
}

fn function_name(function: &str) -> Value {
    sub(&format!("${{AWS::StackName}}-{function}"))
}

fn map<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Mapping(
        pairs
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect(),
    )
}

fn list<const N: usize>(items: [Value; N]) -> Value {
    Value::Sequence(items.into())
}

fn reference(id: &str) -> Value {
    map([("Ref", id.into())])
}

fn get_att(id: &str, attribute: &str) -> Value {
    map([("Fn::GetAtt", list([id.into(), attribute.into()]))])
}

fn sub(text: &str) -> Value {
    map([("Fn::Sub", text.into())])
}
