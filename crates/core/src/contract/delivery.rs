//! How an invocation's result becomes delivery semantics for the event's source.
//!
//! | result | [`Delivery`] | local queue, stream | local topic, schedule, bucket, async invoke | AWS | push (Google Cloud, Azure) |
//! |---|---|---|---|---|---|
//! | `Ok(_)`, or a [`BatchOutcome`] naming nothing | [`Ack`](Delivery::Ack) | deleted | done | success | 204 |
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

use crate::{BatchOutcome, Error, Output};

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

    /// The status a push endpoint answers with (a Pub/Sub push subscription, Eventarc, the
    /// Azure Functions host): 2xx acknowledges, anything else asks for redelivery.
    pub fn push_status(&self) -> StatusCode {
        match self {
            Delivery::Ack => StatusCode::NO_CONTENT,
            Delivery::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            Delivery::Reject => StatusCode::UNPROCESSABLE_ENTITY,
            Delivery::RetryItems(_) | Delivery::Retry => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
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
        assert_eq!(
            Delivery::Retry.push_status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
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
        assert_eq!(
            Delivery::Reject.push_status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(Delivery::Ack.push_status(), StatusCode::NO_CONTENT);
    }
}
