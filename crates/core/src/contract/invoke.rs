//! Invoking one function from another where the platform carries the call: how the callee's
//! HTTP answer reads to a synchronous caller, and how many deliveries an asynchronous invoke
//! gets before it is dead-lettered where the platform redelivers it (a Pub/Sub push
//! subscription, an Azure Storage queue).
//!
//! The callee answers through [`http_response`](super::http_response), so its caller reads the
//! answer back with [`invoke_answer`]:
//!
//! | callee's answer | caller's result |
//! |---|---|
//! | 2xx with a JSON body | that JSON |
//! | 2xx with an empty (or blank) body: a handler returning `()` | `null` |
//! | 2xx with a body that is not JSON (an HTTP function's text) | the body as a JSON string |
//! | any other status | [`CalleeError`]: the status and the answer's `error` text (else the body); retryable for 408, 429 and 5xx ([`retryable_status`](super::retryable_status)) |

use crate::RetryPolicy;

/// A synchronous invoke whose callee answered with an error status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the function answered {status}: {message}")]
pub struct CalleeError {
    /// The HTTP status of its answer.
    pub status: u16,
    /// The `error` of its JSON answer, or the body.
    pub message: String,
}

impl CalleeError {
    /// Whether calling again may help: 408, 429 and 5xx.
    pub fn is_retryable(&self) -> bool {
        super::retryable_status(self.status)
    }
}

/// The caller's result for the callee's answer `status` and `body`.
///
/// # Errors
/// [`CalleeError`] for a status outside 2xx.
///
/// # Examples
/// ```
/// use faasport_core::contract::invoke_answer;
/// use serde_json::json;
///
/// assert_eq!(invoke_answer(200, br#"{"qty":4}"#), Ok(json!({"qty": 4})));
/// assert_eq!(invoke_answer(204, b""), Ok(json!(null)));
/// assert_eq!(invoke_answer(200, b"plain"), Ok(json!("plain")));
/// let error = invoke_answer(503, br#"{"error":"shutting down"}"#).unwrap_err();
/// assert_eq!((error.status, error.message.as_str(), error.is_retryable()), (503, "shutting down", true));
/// ```
pub fn invoke_answer(status: u16, body: &[u8]) -> Result<serde_json::Value, CalleeError> {
    let json = || serde_json::from_slice::<serde_json::Value>(body).ok();
    if (200..300).contains(&status) {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(serde_json::Value::Null);
        }
        return Ok(json().unwrap_or_else(|| String::from_utf8_lossy(body).into_owned().into()));
    }
    let message = json()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    Err(CalleeError { status, message })
}

/// The deliveries an asynchronous event gets where the platform redelivers it, the first
/// included: the declared retries plus one, else [`DEFAULT_MAX_RECEIVE_COUNT`](super::DEFAULT_MAX_RECEIVE_COUNT).
/// The manifests write it as Pub/Sub's `--max-delivery-attempts` and Azure's
/// `maxDequeueCount`.
///
/// # Examples
/// ```
/// use faasport_core::contract::delivery_attempts;
/// use faasport_core::RetryPolicy;
///
/// assert_eq!(delivery_attempts(&RetryPolicy::default().with_max_retries(2)), 3);
/// assert_eq!(delivery_attempts(&RetryPolicy::default()), 5);
/// ```
pub fn delivery_attempts(retry: &RetryPolicy) -> u32 {
    retry
        .max_retries
        .map_or(super::DEFAULT_MAX_RECEIVE_COUNT, |r| r.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_answer_without_json_keeps_its_body_as_the_message() {
        let error = invoke_answer(400, b"no sku").expect_err("400");
        assert_eq!(error.to_string(), "the function answered 400: no sku");
        assert!(!error.is_retryable());
        assert!(invoke_answer(504, b"").expect_err("504").is_retryable());
    }

    #[test]
    fn retries_as_large_as_the_type_do_not_overflow() {
        let retry = RetryPolicy::default().with_max_retries(u32::MAX);
        assert_eq!(delivery_attempts(&retry), u32::MAX);
    }
}
