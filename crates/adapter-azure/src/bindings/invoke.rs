//! Function invocation over HTTP, to the invoke endpoint the manifest gives every triggerless
//! function: `POST <function app>/faasport-invoke/<function>` with the JSON payload as the body
//! ([`crate::names::invoke_path`]; the generated `host.json` sets `routePrefix: ""` and its
//! `function.json` `authLevel: function`).
//!
//! - The URL is `FAASPORT_FUNCTION_<NAME>_URL`, else `FAASPORT_AZURE_FUNCTION_APP_URL` (else
//!   `https://$WEBSITE_HOSTNAME`, the app itself) followed by the path
//!   ([`ResourceNames::invoke_url`](crate::names::ResourceNames::invoke_url)).
//! - The key is [`FUNCTION_KEY_ENV`](super::FUNCTION_KEY_ENV), sent as `x-functions-key`.
//! - [`InvokeMode::Sync`] waits for the answer, which is core's
//!   [`http_response`](faasport_core::contract::http_response) of the callee's result: 200 with
//!   its JSON, 204 for `()` (`null`), or an error status with `{"error": ..}`. An error answer is
//!   [`Error::Binding`] with [`BindingError::Function`], retryable for 408, 429 and 5xx. The
//!   request is sent once: a retry would run the callee again.
//! - [`InvokeMode::Async`] is refused ([`BindingError::AsyncInvoke`]): an HTTP-triggered Azure
//!   function runs while its caller waits, and Azure has no event-style invoke that would apply
//!   the callee's retry policy and dead-letter target.
//! - Only a function without triggers has an invoke endpoint; invoking one that has triggers
//!   reaches no route (404).

use azure_core::http::{new_http_client, Method, Request, Url};
use faasport_core::resource::{FunctionInvoker, InvokeMode};
use faasport_core::{Error, ResourceKind};
use futures::future::BoxFuture;
use serde_json::Value;

use super::{failure, retryable_status, sdk_failure, AzureBindings, BindingError};
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
                return Err(failure(kind, function, false, BindingError::AsyncInvoke));
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
            if !(200..300).contains(&status) {
                let parsed: Option<Value> = serde_json::from_slice(&body).ok();
                let message = parsed
                    .as_ref()
                    .and_then(|v| v.get("error"))
                    .and_then(Value::as_str)
                    .map_or_else(
                        || String::from_utf8_lossy(&body).into_owned(),
                        str::to_owned,
                    );
                let error = BindingError::Function { status, message };
                return Err(failure(kind, function, retryable_status(status), error));
            }
            if body.is_empty() {
                return Ok(Some(Value::Null));
            }
            serde_json::from_slice(&body)
                .map(Some)
                .map_err(|e| Error::Binding {
                    kind,
                    name: function.to_owned(),
                    retryable: false,
                    source: Box::new(e),
                })
        })
    }
}
