//! How an invocation's result becomes delivery semantics for the event's source.
//!
//! | result | [`Delivery`] | local queue, stream | local topic, schedule, bucket, async invoke | AWS | push (Google Cloud, Azure; [`Delivery::push_answer`]) |
//! |---|---|---|---|---|---|
//! | `Ok(_)`, or a [`BatchOutcome`] naming nothing | [`Ack`](Delivery::Ack) | deleted | done | success | 204 (200 with the output on Azure) |
//! | a [`BatchOutcome`] naming items of the batch | [`RetryItems`](Delivery::RetryItems) | those items fail, the rest are deleted | (single event) retried | `batchItemFailures` | 500 (a push carries one message: nack) |
//! | a [`BatchOutcome`] naming an item not in the batch | [`Retry`](Delivery::Retry) | the whole batch fails, as on Lambda | retried | the same ids reported, Lambda fails the batch | 500 |
//! | a retryable error | [`Retry`](Delivery::Retry) | every item fails | retried after the back-off | function error | 500 |
//! | [`Error::Throttled`] | [`Throttled`](Delivery::Throttled) | every item fails | back on the internal queue, no retry used | function error | 429 |
//! | an error no retry can help ([`Error::is_retryable`] is false) | [`Reject`](Delivery::Reject) | every item fails (queues have no reject; the max receive count dead-letters it) | dead-lettered at once | function error | 422, which Eventarc does not retry |
//!
//! A failed item of a queue or stream is delivered again until the source's max receive
//! count, then dead-lettered; a failed asynchronous event is retried per the function's
//! [`RetryPolicy`](crate::RetryPolicy) and then dead-lettered. Nothing is dropped silently.

use std::time::Duration;

use http::StatusCode;

use crate::{BatchOutcome, Error, Output, Provider};

/// What the source does with an event once the handler has run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Delivery {
    /// Processed: acknowledge (delete) every item.
    Ack,
    /// These items failed and are delivered again; the others are done. The ids are in batch
    /// order.
    RetryItems(Vec<String>),
    /// The whole event failed and a retry may help.
    Retry,
    /// A concurrency limit refused the event; it waits and is tried again without using a
    /// retry.
    Throttled(Option<Duration>),
    /// The event failed and no retry can help.
    Reject,
}

impl Delivery {
    /// Whether an asynchronous event that got this delivery on its `attempt`-th delivery (the
    /// first is 1) is done with: rejected (no retry can help), or failed with its `max_retries`
    /// used up. It then goes to its dead-letter target. Acknowledged and throttled deliveries
    /// never are (a throttled event is tried again without using a retry). Every backend that
    /// counts an event's deliveries itself decides with this: the local runtime's asynchronous
    /// invokes, and the Azure custom handler where it forwards dead letters.
    ///
    /// # Examples
    /// ```
    /// use faasport_core::contract::Delivery;
    ///
    /// // Two retries: the third delivery is the last.
    /// assert!(!Delivery::Retry.exhausted(2, 2));
    /// assert!(Delivery::Retry.exhausted(3, 2));
    /// assert!(Delivery::Reject.exhausted(1, 2));
    /// assert!(!Delivery::Throttled(None).exhausted(9, 2));
    /// ```
    pub fn exhausted(&self, attempt: u32, max_retries: u32) -> bool {
        match self {
            Delivery::Reject => true,
            Delivery::Retry | Delivery::RetryItems(_) => attempt > max_retries,
            Delivery::Ack | Delivery::Throttled(_) => false,
        }
    }

    /// The delivery for `result`, where `items` are the ids of the batch the event carried
    /// (empty for an event that is not a batch).
    ///
    /// # Examples
    /// ```
    /// use faasport_core::contract::Delivery;
    /// use faasport_core::{BatchOutcome, Error, Output};
    ///
    /// let items = ["m1".to_owned(), "m2".to_owned(), "m3".to_owned()];
    /// let partial = Ok(Output::Batch(BatchOutcome::failed(["m3", "m1"])));
    /// assert_eq!(Delivery::of(&partial, &items), Delivery::RetryItems(vec!["m1".into(), "m3".into()]));
    /// assert_eq!(Delivery::of(&Err(Error::permanent("bad")), &items), Delivery::Reject);
    /// ```
    pub fn of(result: &Result<Output, Error>, items: &[String]) -> Self {
        match result {
            Ok(Output::Batch(outcome)) => Self::of_outcome(outcome, items),
            Ok(_) => Delivery::Ack,
            Err(Error::Throttled { retry_after, .. }) => Delivery::Throttled(*retry_after),
            Err(e) if e.is_retryable() => Delivery::Retry,
            Err(_) => Delivery::Reject,
        }
    }

    fn of_outcome(outcome: &BatchOutcome, items: &[String]) -> Self {
        if outcome.is_success() {
            return Delivery::Ack;
        }
        if items.is_empty() || outcome.failed.iter().any(|id| !items.contains(id)) {
            // An id that is not in the batch makes the whole batch fail, as on Lambda.
            return Delivery::Retry;
        }
        Delivery::RetryItems(
            items
                .iter()
                .filter(|id| outcome.failed.contains(id))
                .cloned()
                .collect(),
        )
    }

    /// The items of `items` that failed: none for [`Ack`](Delivery::Ack), the named ones for
    /// [`RetryItems`](Delivery::RetryItems), all of them otherwise.
    pub fn failed_items(&self, items: &[String]) -> Vec<String> {
        match self {
            Delivery::Ack => Vec::new(),
            Delivery::RetryItems(failed) => failed.clone(),
            _ => items.to_vec(),
        }
    }

    /// How a push endpoint on `provider` answers this delivery (a Pub/Sub push subscription,
    /// Eventarc or Knative Eventing on [`Gcp`](Provider::Gcp), the Functions host on
    /// [`Azure`](Provider::Azure)): 2xx acknowledges, anything else asks for redelivery.
    ///
    /// | delivery | status | `Retry-After` | output in the body |
    /// |---|---|---|---|
    /// | [`Ack`](Delivery::Ack) | 204 on Google Cloud (Pub/Sub and Eventarc ignore a body, and Knative would take one for a reply event); 200 on Azure (the host parses every 2xx body as the invocation's result) | | only on Azure, as `ReturnValue` |
    /// | [`Throttled`](Delivery::Throttled) | 429 | whole seconds, at least 1 | |
    /// | [`Reject`](Delivery::Reject) | 422, which Eventarc does not retry | | |
    /// | [`Retry`](Delivery::Retry), [`RetryItems`](Delivery::RetryItems) | 500 (a push carries one message: a partial failure is a nack) | | |
    ///
    /// # Examples
    /// ```
    /// use faasport_core::contract::Delivery;
    /// use faasport_core::http::StatusCode;
    /// use faasport_core::Provider;
    ///
    /// assert_eq!(Delivery::Ack.push_answer(Provider::Gcp).status, StatusCode::NO_CONTENT);
    /// assert!(Delivery::Ack.push_answer(Provider::Azure).returns_output);
    /// let throttled = Delivery::Throttled(Some(std::time::Duration::from_millis(1500)));
    /// assert_eq!(throttled.push_answer(Provider::Gcp).retry_after, Some(2));
    /// ```
    pub fn push_answer(&self, provider: Provider) -> PushAnswer {
        let (status, retry_after) = match self {
            Delivery::Ack if provider == Provider::Azure => (StatusCode::OK, None),
            Delivery::Ack => (StatusCode::NO_CONTENT, None),
            Delivery::Throttled(after) => (
                StatusCode::TOO_MANY_REQUESTS,
                Some(retry_after_seconds(*after)),
            ),
            Delivery::Reject => (StatusCode::UNPROCESSABLE_ENTITY, None),
            Delivery::RetryItems(_) | Delivery::Retry => (StatusCode::INTERNAL_SERVER_ERROR, None),
        };
        PushAnswer {
            status,
            retry_after,
            returns_output: status == StatusCode::OK,
        }
    }
}

/// A push endpoint's answer to one delivery, from [`Delivery::push_answer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushAnswer {
    /// The status: 2xx acknowledges.
    pub status: StatusCode,
    /// The `Retry-After` header's value in seconds, for a throttled delivery.
    pub retry_after: Option<u64>,
    /// Whether the function's output goes back in the body (the Azure Functions host reads it
    /// as `ReturnValue`).
    pub returns_output: bool,
}

/// A `Retry-After` value in whole seconds, rounded up, at least 1 (1 when no delay is known).
pub(crate) fn retry_after_seconds(after: Option<Duration>) -> u64 {
    after.map_or(1, |d| d.as_secs_f64().ceil().max(1.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_batch_outcome_naming_a_stranger_fails_the_whole_batch() {
        let result = Ok(Output::Batch(BatchOutcome::failed(["zz"])));
        assert_eq!(Delivery::of(&result, &ids(&["a", "b"])), Delivery::Retry);
        assert_eq!(
            Delivery::Retry.failed_items(&ids(&["a", "b"])),
            ids(&["a", "b"])
        );
    }

    #[test]
    fn a_single_event_with_a_failed_outcome_is_retried() {
        let result = Ok(Output::Batch(BatchOutcome::failed(["a"])));
        assert_eq!(Delivery::of(&result, &[]), Delivery::Retry);
        for provider in [Provider::Gcp, Provider::Azure] {
            assert_eq!(
                Delivery::Retry.push_answer(provider).status,
                StatusCode::INTERNAL_SERVER_ERROR
            );
        }
    }

    #[test]
    fn successes_are_acknowledged_and_errors_keep_their_retry_hint() {
        assert_eq!(Delivery::of(&Ok(Output::Empty), &[]), Delivery::Ack);
        let empty = Ok(Output::Batch(BatchOutcome::success()));
        assert_eq!(Delivery::of(&empty, &ids(&["a"])), Delivery::Ack);
        assert_eq!(
            Delivery::of(&Err(Error::transient("down")), &[]),
            Delivery::Retry
        );
        assert_eq!(
            Delivery::of(&Err(Error::Panic("x".into())), &[]),
            Delivery::Retry
        );
        let throttled = Error::Throttled {
            reason: "max".into(),
            retry_after: None,
        };
        assert_eq!(
            Delivery::of(&Err(throttled), &[]),
            Delivery::Throttled(None)
        );
    }

    #[test]
    fn each_provider_acknowledges_as_its_push_source_expects() {
        let gcp = Delivery::Ack.push_answer(Provider::Gcp);
        assert_eq!(
            (gcp.status, gcp.returns_output),
            (StatusCode::NO_CONTENT, false)
        );
        let azure = Delivery::Ack.push_answer(Provider::Azure);
        assert_eq!((azure.status, azure.returns_output), (StatusCode::OK, true));
        for provider in [Provider::Gcp, Provider::Azure] {
            let rejected = Delivery::Reject.push_answer(provider);
            assert_eq!(rejected.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(!rejected.returns_output);
            let throttled = Delivery::Throttled(None).push_answer(provider);
            assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(throttled.retry_after, Some(1), "no known delay: 1 s");
            let later =
                Delivery::Throttled(Some(Duration::from_millis(2001))).push_answer(provider);
            assert_eq!(later.retry_after, Some(3), "rounded up to whole seconds");
        }
    }
}
