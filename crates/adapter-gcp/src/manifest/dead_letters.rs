//! Where failed events go on Google Cloud, so that nothing the local runtime would dead-letter
//! is dropped.
//!
//! Every event trigger is delivered through a Pub/Sub subscription: a push subscription for a
//! topic, a schedule or an invoke topic, the subscription Eventarc creates for a Storage or
//! CloudEvent trigger.
//! Each gets a dead-letter policy:
//!
//! - the topic: the function's own dead letter, else the app's default
//!   ([`App::dead_letter_for`]) — a declared topic, or a declared queue's topic — else the
//!   generated topic `<app>-dead-letters`, as the SAM template generates `<App>DeadLetters`;
//! - `--max-delivery-attempts`: the declared retries plus one, else
//!   [`contract::DEFAULT_MAX_RECEIVE_COUNT`]. Pub/Sub takes 5 to 100: fewer declared attempts
//!   are raised to 5 (delivery is at least once anyway, and dead-lettering later loses
//!   nothing), more are an [`Error::Manifest`] (they would dead-letter earlier than locally);
//! - retries back off from 10 s to 600 s (`--min-retry-delay`, `--max-retry-delay`).
//!
//! A topic used as a dead-letter target gets a pull subscription `<topic>-kept` that keeps
//! messages for 7 days (a Pub/Sub topic without subscriptions drops what is published to it);
//! a queue's topic has its own pull subscription already. Pub/Sub's service agent gets
//! `roles/pubsub.publisher` on each target and `roles/pubsub.subscriber` on each source
//! subscription, as dead-lettering requires.
//!
//! The maximum event age is not written: Pub/Sub's message retention drops, rather than
//! dead-letters, what outlives it, so the delivery attempts bound a message's life instead.

use faasport_core::{contract, App, DeadLetter, Error, Function};

use super::physical::{refuse, Physical};

/// Pub/Sub's range of delivery attempts with a dead-letter policy.
const ATTEMPTS: std::ops::RangeInclusive<u32> = 5..=100;

/// Where one function's failed events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target<'a> {
    /// A declared topic.
    Topic(&'a str),
    /// A declared queue's topic.
    Queue(&'a str),
    /// The generated `<app>-dead-letters` topic.
    Generated,
}

impl Target<'_> {
    /// The Pub/Sub topic id.
    pub(super) fn topic(&self, names: &Physical) -> String {
        match self {
            Target::Topic(name) | Target::Queue(name) => names.topic(name),
            Target::Generated => names.generated_dead_letters(),
        }
    }

    /// Whether the target needs a `-kept` subscription to keep what it receives.
    pub(super) fn needs_keeping(&self) -> bool {
        !matches!(self, Target::Queue(_))
    }
}

/// The dead-letter target of `f`'s event deliveries, if it has event triggers or is invoked
/// (asynchronous invokes are pushed like events, [`super::access::invoked`]).
pub(super) fn for_function<'a>(app: &'a App, f: &'a Function) -> Option<Target<'a>> {
    let asynchronous = f.triggers().iter().any(|t| t.is_asynchronous());
    if !asynchronous && !super::access::invoked(app).contains(f.name()) {
        return None;
    }
    Some(match app.dead_letter_for(f) {
        Some(DeadLetter::Topic(t)) => Target::Topic(t),
        Some(DeadLetter::Queue(q)) => Target::Queue(q),
        #[allow(unreachable_patterns)]
        Some(_) | None => Target::Generated,
    })
}

/// `--max-delivery-attempts` for `f`: core's [`contract::delivery_attempts`], at least 5.
///
/// # Errors
/// [`Error::Manifest`] for more than 99 retries.
pub(super) fn delivery_attempts(f: &Function) -> Result<u32, Error> {
    let attempts = contract::delivery_attempts(&f.spec().retry);
    if attempts > *ATTEMPTS.end() {
        return Err(refuse(format!(
            "function `{}`: Pub/Sub dead-letters after at most 100 delivery attempts, and {attempts} are declared",
            f.name()
        )));
    }
    Ok(attempts.max(*ATTEMPTS.start()))
}
