//! Function invocation: over HTTP to the callee's invoke endpoint, or through its invoke
//! queue ([`crate::names`]: every function has an endpoint, every function another may invoke
//! has a queue).
//!
//! **Synchronous** ([`InvokeMode::Sync`]): `POST <function app>/faasport-invoke/<function>`
//! with the JSON payload as the body ([`crate::names::invoke_path`]; the generated `host.json`
//! sets `routePrefix: ""` and the endpoint's `function.json` `authLevel: function`).
//! - The URL is `FAASPORT_FUNCTION_<NAME>_URL`, else `FAASPORT_AZURE_FUNCTION_APP_URL` (else
//!   `https://$WEBSITE_HOSTNAME`, the app itself) followed by the path
//!   ([`ResourceNames::invoke_url`](crate::names::ResourceNames::invoke_url)).
//! - The key is [`FUNCTION_KEY_ENV`](super::FUNCTION_KEY_ENV), sent as `x-functions-key`.
//! - The callee answers with core's [`http_response`](faasport_core::contract::http_response)
//!   of its result, and the caller reads it with core's
//!   [`invoke_answer`](faasport_core::contract::invoke_answer): the JSON, `null` for `()`, or
//!   [`Error::Binding`] with [`BindingError::Function`], retryable for 408, 429 and 5xx. The
//!   request is sent once: a retry would run the callee again.
//!
//! **Asynchronous** ([`InvokeMode::Async`]): `Put Message` of the JSON payload (base64, as every
//! queue send) to the callee's invoke queue `faasport-invoke-<function>`
//! ([`ResourceNames::invoke_queue`](crate::names::ResourceNames::invoke_queue),
//! `FAASPORT_FUNCTION_<NAME>_QUEUE` overrides it), through the same Storage client and
//! credentials as queue sends. It returns once Storage has accepted the message. The manifest's
//! `<function>-async` queue trigger runs the callee on it; a failure is retried by the host up
//! to `maxDequeueCount` and then moved to `faasport-invoke-<function>-poison`, Azure's dead
//! letter for it ([`crate::manifest`]). A payload over 64 KiB of base64 text is refused.

use azure_core::http::{new_http_client, Method, Request, Url};
use faasport_core::resource::{FunctionInvoker, InvokeMode};
use faasport_core::{Body, Error, ResourceKind};
use futures::future::BoxFuture;
use serde_json::Value;

use super::{failure, sdk_failure, AzureBindings, BindingError};
use crate::names::{env_var, FUNCTION_APP_URL_ENV, WEBSITE_HOSTNAME_ENV};

/// The header that carries the function key.
const FUNCTION_KEY_HEADER: &str = "x-functions-key";

impl FunctionInvoker for AzureBindings {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Value,
        mode: InvokeMode,
    ) -> BoxFuture<'a, Result<Option<Value>, Error>> {
        Box::pin(async move {
            let kind = ResourceKind::Function;
            if mode == InvokeMode::Async {
                let queue = self.names.invoke_queue(function);
                let body = Body::from(payload.to_string());
                return self
                    .put_message(kind, function, &queue, &body)
                    .await
                    .map(|_| None);
            }
            let own = env_var(kind, function);
            let url = self.names.invoke_url(function).ok_or_else(|| {
                let variables = format!("{own}, {FUNCTION_APP_URL_ENV} or {WEBSITE_HOSTNAME_ENV}");
                failure(
                    kind,
                    function,
                    false,
                    BindingError::MissingSetting { variables },
                )
            })?;
            let url = Url::parse(&url).map_err(|e| {
                let reason = format!("`{url}`: {e}");
                let variable = format!("{own} or {FUNCTION_APP_URL_ENV}");
                failure(
                    kind,
                    function,
                    false,
                    BindingError::InvalidSetting { variable, reason },
                )
            })?;
            let mut request = Request::new(url, Method::Post);
            request.insert_header("content-type", "application/json");
            if let Some(key) = &self.function_key {
                request.insert_header(FUNCTION_KEY_HEADER, key.clone());
            }
            request.set_body(payload.to_string().into_bytes());
            let client = self.http.get_or_init(|| new_http_client(None));
            let response = client
                .execute_request(&request)
                .await
                .map_err(|e| sdk_failure(kind, function, e))?;
            let status = u16::from(response.status());
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| sdk_failure(kind, function, e))?;
            faasport_core::contract::invoke_answer(status, &body)
                .map(Some)
                .map_err(|e| {
                    let retryable = e.is_retryable();
                    let error = BindingError::Function {
                        status: e.status,
                        message: e.message,
                    };
                    failure(kind, function, retryable, error)
                })
        })
    }
}
