//! Where failed events go on AWS, so that nothing the local runtime would dead-letter is dropped.
//!
//! Locally, an asynchronous event that exhausts its retries and a queue message past its max
//! receive count always end in the dead-letter list, and are forwarded to a target when one is
//! declared. The template makes Lambda and SQS do the same:
//!
//! - every function that can receive asynchronous invocations
//!   ([`App::receives_async_events`]: a topic, schedule, storage or CloudEvent trigger, or another
//!   function that may invoke it) gets an `EventInvokeConfig.DestinationConfig.OnFailure`: its
//!   own dead letter, else the app's default ([`App::dead_letter_for`]), else the app's generated
//!   dead-letter queue;
//! - every consumed queue gets a `RedrivePolicy` with the max receive count local uses: to its own
//!   dead-letter queue, else the app's default when that is a queue
//!   ([`App::dead_letter_queue_for`]), else the generated queue (SQS cannot redrive to a topic);
//! - the generated queue, `<App>DeadLetters`, exists only when something routes to it; it keeps
//!   messages for 14 days (SQS's longest) and its URL is the stack output `DeadLettersUrl`.
//!
//! Generating the queue, rather than refusing an app without a dead letter, mirrors local, where
//! such events are visible in the dead-letter list. SAM adds the `sqs:SendMessage` or
//! `sns:Publish` permission a destination needs to the function's role by itself.

use faasport_core::{App, DeadLetter, Function, QueueSpec, Trigger};
use serde_yaml_ng::Value;

use super::{get_att, map, pascal, reference, LogicalIds};

/// SQS's longest retention, for the generated dead-letter queue.
const RETENTION_SECS: u32 = 14 * 24 * 3600;

/// Where one function's or queue's failures go in the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target<'a> {
    /// A declared topic (`SNS`).
    Topic(&'a str),
    /// A declared queue (`SQS`).
    Queue(&'a str),
    /// The generated `<App>DeadLetters` queue.
    Generated,
}

impl<'a> Target<'a> {
    fn declared(target: &'a DeadLetter) -> Result<Self, String> {
        match target {
            DeadLetter::Topic(t) => Ok(Target::Topic(t)),
            DeadLetter::Queue(q) => Ok(Target::Queue(q)),
            #[allow(unreachable_patterns)]
            other => Err(format!(
                "no Lambda destination for the dead letter {other:?}"
            )),
        }
    }
}

/// The `OnFailure` target of `f`, if it can receive asynchronous invocations.
///
/// # Errors
/// A dead-letter target Lambda cannot take, as a message.
pub(super) fn for_function<'a>(
    app: &'a App,
    f: &'a Function,
) -> Result<Option<Target<'a>>, String> {
    if !app.receives_async_events(f) {
        return Ok(None);
    }
    match app.dead_letter_for(f) {
        Some(target) => Target::declared(target).map(Some),
        None => Ok(Some(Target::Generated)),
    }
}

/// The redrive target of `queue`'s messages; `None` for a queue that nothing consumes and that
/// declares no dead-letter queue (nothing receives its messages, so none can fail).
pub(super) fn for_queue<'a>(app: &'a App, queue: &'a QueueSpec) -> Option<Target<'a>> {
    let consumed = app.functions().iter().any(|f| {
        f.triggers()
            .iter()
            .any(|t| matches!(t, Trigger::Queue { queue: q, .. } if *q == queue.name))
    });
    match app.dead_letter_queue_for(queue) {
        Some(dlq) if consumed || queue.dead_letter_queue.is_some() => Some(Target::Queue(dlq)),
        None if consumed => Some(Target::Generated),
        _ => None,
    }
}

/// Whether anything routes to the generated queue.
pub(super) fn needs_generated_queue(app: &App) -> bool {
    app.functions()
        .iter()
        .any(|f| for_function(app, f) == Ok(Some(Target::Generated)))
        || app
            .queues()
            .iter()
            .any(|q| for_queue(app, q) == Some(Target::Generated))
}

/// The generated queue's logical id: `<App>DeadLetters` (no declared resource's id ends so).
pub(super) fn generated_queue_id(app: &App) -> String {
    format!("{}DeadLetters", pascal(app.name()))
}

/// The generated queue resource.
pub(super) fn generated_queue() -> Value {
    map([
        ("Type", "AWS::SQS::Queue".into()),
        (
            "Properties",
            map([("MessageRetentionPeriod", RETENTION_SECS.into())]),
        ),
    ])
}

/// The queue ARN of a redrive target (`None` for a topic, which SQS cannot redrive to).
pub(super) fn queue_arn(app: &App, target: Target<'_>, ids: &LogicalIds) -> Option<Value> {
    match target {
        Target::Queue(q) => Some(get_att(&ids.queue(q), "Arn")),
        Target::Generated => Some(get_att(&generated_queue_id(app), "Arn")),
        Target::Topic(_) => None,
    }
}

/// The `OnFailure` destination for `target`.
pub(super) fn on_failure(app: &App, target: Target<'_>, ids: &LogicalIds) -> Value {
    let (kind, destination) = match target {
        Target::Topic(t) => ("SNS", reference(&ids.topic(t))),
        Target::Queue(q) => ("SQS", get_att(&ids.queue(q), "Arn")),
        Target::Generated => ("SQS", get_att(&generated_queue_id(app), "Arn")),
    };
    map([("Type", kind.into()), ("Destination", destination)])
}
