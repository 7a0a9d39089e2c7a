//! Dead letters the custom handler forwards itself, where the host's own (`<queue>-poison`
//! after the app-wide `maxDequeueCount`) would differ from what core decides.
//!
//! The host dead-letters a Storage queue message after `host.json`'s `maxDequeueCount`
//! deliveries, one value for the whole app, into `<queue>-poison`, a name it fixes. Core
//! decides per source, as every backend observes it: a queue's messages get that queue's max
//! receive count and go to its dead-letter queue (shared or not); an asynchronous invoke gets
//! its callee's [`delivery_attempts`] and goes to the callee's dead-letter target (queue or
//! topic), at once when no retry can help ([`Delivery::Reject`]). So on the delivery where
//! core's count is reached, a failed message is sent on by the handler and acknowledged:
//!
//! | Azure function | failed on delivery | sent to |
//! |---|---|---|
//! | a Storage queue trigger | its queue's max receive count (`DequeueCount`) | the queue's dead-letter queue ([`App::dead_letter_queue_for`]) when it is not already the host's `<queue>-poison` ([`azure_queue_name`]), else `<queue>-poison` |
//! | an invoke queue (`<name>-async`) | the callee's retries plus one, or any delivery when no retry can help | the callee's dead-letter target ([`App::dead_letter_for`]: a queue, or a Service Bus topic), else `faasport-invoke-<name>-poison` |
//! | a Service Bus topic subscription, when the function has a dead-letter target | the function's retries plus one (`DeliveryCount`), or any delivery when no retry can help | that target; without one the message stays with Service Bus, which dead-letters it into the subscription's dead-letter subqueue after the entity's `MaxDeliveryCount` (10 by default, set where the subscription is created: keep it above the retries) |
//!
//! The message body is sent as it was received (a topic message's application properties are
//! not carried: Storage queue messages have none). If sending fails, the invocation fails as it
//! would have, so the host keeps the message and poisons it itself: nothing is lost. A
//! throttled delivery ([`Delivery::Throttled`]) is never forwarded; the host delivers it again.
//! Event Hubs, blob, timer and Cosmos DB triggers keep their platform's own behaviour
//! ([`crate::manifest`]).

use faasport_core::contract::{delivery_attempts, Delivery, DEFAULT_MAX_RECEIVE_COUNT};
use faasport_core::{App, DeadLetter, Trigger};

use crate::names::{azure_queue_name, AzureFunction, Entry, ResourceNames, POISON_SUFFIX};

/// Where a dead-lettered message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A declared queue (its Azure name from [`ResourceNames`]).
    Queue(String),
    /// A Storage queue by its Azure name (a `-poison` queue).
    AzureQueue(String),
    /// A declared topic.
    Topic(String),
}

/// The target of a failed delivery of `azure` on delivery `attempt`, if the handler forwards
/// it now ([module docs](self)). `storage_queue` says whether a queue trigger's message came
/// from a Storage queue (not Service Bus).
pub fn target(
    app: &App,
    names: &ResourceNames,
    azure: &AzureFunction,
    delivery: &Delivery,
    attempt: u32,
    storage_queue: bool,
) -> Option<Target> {
    if matches!(delivery, Delivery::Ack | Delivery::Throttled(_)) {
        return None;
    }
    match &azure.entry {
        Entry::InvokeQueue => {
            let callee = app.get(&azure.function)?;
            let retries = delivery_attempts(&callee.spec().retry).saturating_sub(1);
            if !delivery.exhausted(attempt, retries) {
                return None;
            }
            Some(match app.dead_letter_for(callee) {
                Some(DeadLetter::Queue(queue)) => Target::Queue(queue.clone()),
                Some(DeadLetter::Topic(topic)) => Target::Topic(topic.clone()),
                _ => Target::AzureQueue(format!(
                    "{}{POISON_SUFFIX}",
                    names.invoke_queue(&azure.function)
                )),
            })
        }
        Entry::Trigger(Trigger::Topic { .. }) => {
            // A topic message is an asynchronous event: retried per the function's policy,
            // then sent to its target. Without one, Service Bus's own dead-letter subqueue.
            let function = app.get(&azure.function)?;
            let target = match app.dead_letter_for(function)? {
                DeadLetter::Queue(queue) => Target::Queue(queue.clone()),
                DeadLetter::Topic(topic) => Target::Topic(topic.clone()),
                #[allow(unreachable_patterns)]
                _ => return None,
            };
            let retries = delivery_attempts(&function.spec().retry).saturating_sub(1);
            delivery.exhausted(attempt, retries).then_some(target)
        }
        Entry::Trigger(Trigger::Queue { queue, .. }) if storage_queue => {
            let spec = app.queues().iter().find(|q| q.name == *queue)?;
            let max = spec.max_receive_count.unwrap_or(DEFAULT_MAX_RECEIVE_COUNT);
            if attempt < max {
                return None;
            }
            let poison = format!(
                "{}{POISON_SUFFIX}",
                names.id(faasport_core::ResourceKind::Queue, queue)
            );
            Some(match app.dead_letter_queue_for(spec) {
                Some(dlq) if azure_queue_name(app, dlq) != poison => Target::Queue(dlq.to_owned()),
                _ => Target::AzureQueue(poison),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faasport_core::{Context, Error, Function, Json, QueueBatch, QueueSpec, RetryPolicy};

    async fn consume(_: QueueBatch, _: Context) -> Result<(), Error> {
        Ok(())
    }

    async fn callee(_: Json<serde_json::Value>, _: Context) -> Result<(), Error> {
        Ok(())
    }

    fn app() -> App {
        App::new("shop")
            .queue_spec(QueueSpec::new("orders").max_receive_count(3))
            .queue("invoices")
            .queue("failed")
            .queue_spec(QueueSpec::new("solo").dead_letter_queue("solo-dlq"))
            .queue("solo-dlq")
            .topic("alerts")
            .dead_letter(DeadLetter::Queue("failed".into()))
            .function(
                Function::new("bill", consume)
                    .queue("orders")
                    .invokes("pack"),
            )
            .function(
                Function::new("file", consume)
                    .queue("invoices")
                    .invokes("ship"),
            )
            .function(Function::new("solo", consume).queue("solo"))
            .function(
                Function::new("pack", callee)
                    .retry(RetryPolicy::default().with_max_retries(1))
                    .dead_letter(DeadLetter::Topic("alerts".into()))
                    .sends("failed"),
            )
            .function(Function::new("ship", callee).sends("failed"))
    }

    fn entry(app: &App, name: &str) -> AzureFunction {
        crate::names::azure_functions(app)
            .into_iter()
            .find(|a| a.name == name)
            .expect(name)
    }

    #[test]
    fn a_shared_dead_letter_queue_gets_a_queue_message_at_its_own_max_receive_count() {
        let app = app();
        let names = ResourceNames::from_env(&app, |_| None);
        let bill = entry(&app, "bill");
        let at = |attempt| target(&app, &names, &bill, &Delivery::Retry, attempt, true);
        assert_eq!(at(2), None);
        assert_eq!(at(3), Some(Target::Queue("failed".into())));
        // A permanent error is no different for a queue: it is delivered again.
        assert_eq!(
            target(&app, &names, &bill, &Delivery::Reject, 1, true),
            None
        );
        assert_eq!(target(&app, &names, &bill, &Delivery::Ack, 3, true), None);
        assert_eq!(
            target(&app, &names, &bill, &Delivery::Throttled(None), 3, true),
            None
        );
        // Service Bus messages keep their entity's own dead-lettering.
        assert_eq!(
            target(&app, &names, &bill, &Delivery::Retry, 3, false),
            None
        );
    }

    #[test]
    fn a_topic_message_goes_to_its_functions_target_after_its_retries_and_otherwise_stays() {
        async fn on_alert(_: faasport_core::TopicMessage, _: Context) -> Result<(), Error> {
            Ok(())
        }
        let app = App::new("shop")
            .topic("alerts")
            .queue("failed")
            .function(
                Function::new("page", on_alert)
                    .subscribe("alerts")
                    .retry(RetryPolicy::default().with_max_retries(2))
                    .dead_letter(DeadLetter::Queue("failed".into())),
            )
            .function(Function::new("log", on_alert).subscribe("alerts"));
        let names = ResourceNames::from_env(&app, |_| None);
        let page = entry(&app, "page");
        let at =
            |delivery: &Delivery, attempt| target(&app, &names, &page, delivery, attempt, false);
        assert_eq!(at(&Delivery::Retry, 2), None);
        assert_eq!(
            at(&Delivery::Retry, 3),
            Some(Target::Queue("failed".into()))
        );
        assert_eq!(
            at(&Delivery::Reject, 1),
            Some(Target::Queue("failed".into()))
        );
        let log = entry(&app, "log");
        assert_eq!(
            target(&app, &names, &log, &Delivery::Reject, 10, false),
            None
        );
    }

    #[test]
    fn a_dead_letter_queue_of_one_queue_is_its_poison_queue_and_is_written_as_such() {
        let app = app();
        let names = ResourceNames::from_env(&app, |_| None);
        let solo = entry(&app, "solo");
        assert_eq!(
            target(&app, &names, &solo, &Delivery::Retry, 5, true),
            Some(Target::AzureQueue("solo-poison".into()))
        );
    }

    #[test]
    fn an_async_invoke_goes_to_its_callees_target_after_its_retries_or_at_once_when_rejected() {
        let app = app();
        let names = ResourceNames::from_env(&app, |_| None);
        let pack = entry(&app, "pack-async");
        assert_eq!(target(&app, &names, &pack, &Delivery::Retry, 1, true), None);
        assert_eq!(
            target(&app, &names, &pack, &Delivery::Retry, 2, true),
            Some(Target::Topic("alerts".into()))
        );
        assert_eq!(
            target(&app, &names, &pack, &Delivery::Reject, 1, true),
            Some(Target::Topic("alerts".into()))
        );
        // The app's default dead-letter queue, after the default five deliveries.
        let ship = entry(&app, "ship-async");
        assert_eq!(target(&app, &names, &ship, &Delivery::Retry, 4, true), None);
        assert_eq!(
            target(&app, &names, &ship, &Delivery::Retry, 5, true),
            Some(Target::Queue("failed".into()))
        );
        // With no target at all: the invoke queue's poison queue.
        let bare = App::new("a")
            .function(Function::new("caller", callee).invokes("callee"))
            .function(Function::new("callee", callee).invokes("caller"));
        let names = ResourceNames::from_env(&bare, |_| None);
        assert_eq!(
            target(
                &bare,
                &names,
                &entry(&bare, "callee-async"),
                &Delivery::Reject,
                1,
                true
            ),
            Some(Target::AzureQueue("faasport-invoke-callee-poison".into()))
        );
    }
}
