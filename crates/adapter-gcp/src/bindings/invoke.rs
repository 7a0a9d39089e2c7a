//! Invoking another function of the app.
//!
//! **Synchronous** ([`InvokeMode::Sync`]): a `POST` to the callee's URL
//! (`FAASPORT_FUNCTION_<NAME>_URL`, which `manifest gcp` sets to the callee's Cloud Run URL and
//! `manifest knative` to its cluster-local URL) carrying a binary-mode CloudEvent of type
//! [`INVOKE_EVENT_TYPE`] whose data is the payload. The callee's server reads it as core reads
//! any invoke payload and answers with core's HTTP rules ([`faasport_core::contract`]): 200
//! with the handler's JSON, 204 for no output (the caller gets `null`), and an error status
//! otherwise.
//! - An error status becomes [`Error::Binding`] with [`BindingError::Function`] (the status and
//!   the answer's `error` text; a 500 does not carry the handler's internals, as for any HTTP
//!   caller). It is retryable for 408, 429 and 5xx, like Lambda's function errors, whose retry
//!   belongs to the caller.
//! - An HTTP function called this way gets the request as it is and its response body comes
//!   back as JSON (or as a JSON string when it is not JSON).
//! - `https` URLs get an OIDC ID token for the URL as audience (Cloud Run's service-to-service
//!   authentication, from Application Default Credentials: the metadata server on Cloud Run);
//!   `http` URLs (Knative in the cluster, tests) get none.
//! - Nothing retries inside the binding: a retried call would run the callee twice.
//!
//! **Asynchronous** ([`InvokeMode::Async`]): a publish of the payload to the callee's invoke
//! topic (`FAASPORT_FUNCTION_<NAME>_TOPIC`) with the attribute [`INVOKE_ATTRIBUTE`]; it returns
//! once Pub/Sub has accepted it. The push subscription `manifest gcp` creates delivers it with
//! the callee's retries and dead-letter topic. See [`super`] for why.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use faasport_core::resource::{FunctionInvoker, InvokeMode, Message};
use faasport_core::{Error, ResourceKind};
use futures::future::BoxFuture;
use google_cloud_auth::credentials::idtoken::{self, IDTokenCredentials};
use serde_json::Value;

use super::INVOKE_EVENT_TYPE;
use super::{failure, missing, BindingError, GcpBindings, INVOKE_ATTRIBUTE};

/// The `ce-source` of an invoke request.
pub const INVOKE_SOURCE: &str = "faasport";

/// The HTTP client and ID-token sources, built on first use.
#[derive(Default)]
pub(super) struct Clients {
    http: std::sync::OnceLock<reqwest::Client>,
    tokens: Mutex<HashMap<String, IDTokenCredentials>>,
    next: AtomicU64,
}

impl Clients {
    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(reqwest::Client::new)
    }

    /// An ID token whose audience is `url`.
    async fn id_token(&self, url: &str) -> Result<String, String> {
        let credentials = {
            let mut tokens = self
                .tokens
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match tokens.get(url) {
                Some(found) => found.clone(),
                None => {
                    let built = idtoken::Builder::new(url)
                        .build()
                        .map_err(|e| e.to_string())?;
                    tokens.insert(url.to_owned(), built.clone());
                    built
                }
            }
        };
        credentials.id_token().await.map_err(|e| e.to_string())
    }

    fn event_id(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!("invoke-{nanos:x}-{n}")
    }
}

impl GcpBindings {
    async fn invoke_sync(&self, function: &str, payload: Value) -> Result<Value, Error> {
        let kind = ResourceKind::Function;
        let url = self.resolve(kind, function)?.to_owned();
        let clients = &self.invoke;
        let mut request = clients
            .http()
            .post(&url)
            .header("ce-specversion", "1.0")
            .header("ce-id", clients.event_id())
            .header("ce-source", INVOKE_SOURCE)
            .header("ce-type", INVOKE_EVENT_TYPE)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(payload.to_string());
        if url.starts_with("https://") {
            let token = clients.id_token(&url).await.map_err(|e| {
                failure(
                    kind,
                    function,
                    false,
                    BindingError::Request(format!("no ID token for {url}: {e}")),
                )
            })?;
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| {
            let retry = e.is_connect() || e.is_timeout() || e.is_request();
            failure(kind, function, retry, BindingError::Request(e.to_string()))
        })?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| failure(kind, function, true, BindingError::Request(e.to_string())))?;
        answer(function, status, &body)
    }
}

/// The caller's result for the callee's answer (core's [`invoke_answer`](faasport_core::contract::invoke_answer)).
pub(crate) fn answer(function: &str, status: u16, body: &[u8]) -> Result<Value, Error> {
    faasport_core::contract::invoke_answer(status, body).map_err(|e| {
        let retryable = e.is_retryable();
        let error = BindingError::Function {
            status: e.status,
            message: e.message,
        };
        failure(ResourceKind::Function, function, retryable, error)
    })
}

impl FunctionInvoker for GcpBindings {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Value,
        mode: InvokeMode,
    ) -> BoxFuture<'a, Result<Option<Value>, Error>> {
        Box::pin(async move {
            match mode {
                InvokeMode::Sync => self.invoke_sync(function, payload).await.map(Some),
                InvokeMode::Async => {
                    let kind = ResourceKind::Function;
                    let topic = self.names.invoke_topic(function).ok_or_else(|| {
                        missing(kind, function, crate::names::invoke_topic_env_var(function))
                    })?;
                    let message = Message::new(payload.to_string())
                        .with_attribute(INVOKE_ATTRIBUTE, "async")
                        .with_attribute("content-type", "application/json");
                    self.publish_to(kind, function, topic, message)
                        .await
                        .map(|_| None)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding_error(error: Error) -> (bool, String) {
        match error {
            Error::Binding {
                retryable, source, ..
            } => (retryable, source.to_string()),
            other => panic!("not a binding error: {other:?}"),
        }
    }

    #[test]
    fn a_success_gives_the_json_and_no_content_gives_null() {
        assert_eq!(
            answer("f", 200, br#"{"total": 3}"#).expect("ok"),
            serde_json::json!({"total": 3})
        );
        assert_eq!(answer("f", 204, b"").expect("ok"), Value::Null);
        assert_eq!(
            answer("f", 200, b"plain").expect("ok"),
            Value::String("plain".into())
        );
    }

    #[test]
    fn an_error_status_names_the_error_and_only_server_side_ones_are_retryable() {
        let (retry, text) = binding_error(
            answer(
                "f",
                400,
                br#"{"error":"bad request: no sku","request_id":"r"}"#,
            )
            .expect_err("400"),
        );
        assert!(!retry);
        assert_eq!(text, "the function answered 400: bad request: no sku");
        let (retry, _) = binding_error(
            answer("f", 500, br#"{"error":"internal server error"}"#).expect_err("500"),
        );
        assert!(retry);
        let (retry, _) = binding_error(answer("f", 504, b"").expect_err("504"));
        assert!(retry);
    }
}
