//! Function invocation through Lambda `Invoke`.
//!
//! A function error reaches the caller as a non-retryable-by-SDK [`Error::Binding`] whose
//! source is [`BindingError::Function`] with the callee's `errorType` and `errorMessage`: AWS
//! reports it as a 200 with `X-Amz-Function-Error`, emulators such as cargo-lambda as a 500
//! carrying the same JSON body; both are handled.

use aws_sdk_lambda::config::retry::RetryConfig;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use faasport_core::resource::{FunctionInvoker, InvokeMode};
use faasport_core::{Error, ResourceKind};
use futures::future::BoxFuture;
use serde_json::Value;

use super::{sdk_failure, AwsBindings, BindingError};

impl AwsBindings {
    async fn lambda(&self) -> &aws_sdk_lambda::Client {
        let config = self.sdk_config().await;
        self.lambda
            .get_or_init(|| async {
                let conf = aws_sdk_lambda::config::Builder::from(config)
                    .retry_config(RetryConfig::disabled())
                    .build();
                aws_sdk_lambda::Client::from_conf(conf)
            })
            .await
    }
}

fn function_error(function: &str, payload: &[u8], retryable: bool) -> Error {
    let value: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    Error::Binding {
        kind: ResourceKind::Function,
        name: function.to_owned(),
        retryable,
        source: Box::new(BindingError::Function {
            error_type: text("errorType").unwrap_or_else(|| "Unhandled".into()),
            message: text("errorMessage")
                .unwrap_or_else(|| String::from_utf8_lossy(payload).into_owned()),
        }),
    }
}

impl FunctionInvoker for AwsBindings {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Value,
        mode: InvokeMode,
    ) -> BoxFuture<'a, Result<Option<Value>, Error>> {
        Box::pin(async move {
            let target = self.resolve(ResourceKind::Function, function)?;
            let invocation_type = match mode {
                InvokeMode::Sync => InvocationType::RequestResponse,
                InvokeMode::Async => InvocationType::Event,
            };
            let sent = self
                .lambda()
                .await
                .invoke()
                .function_name(target)
                .invocation_type(invocation_type)
                .payload(Blob::new(payload.to_string()))
                .send()
                .await;
            let out = match sent {
                Ok(out) => out,
                Err(e) => {
                    // An emulator's function error: a 500 whose body is the error document.
                    if let Some(raw) = e.raw_response() {
                        if let Some(body) = raw.body().bytes() {
                            if serde_json::from_slice::<Value>(body)
                                .is_ok_and(|v| v.get("errorType").is_some())
                            {
                                return Err(function_error(function, body, true));
                            }
                        }
                    }
                    return Err(sdk_failure(ResourceKind::Function, function, e));
                }
            };
            let body = out
                .payload()
                .map(|b| b.as_ref().to_vec())
                .unwrap_or_default();
            if out.function_error().is_some() {
                return Err(function_error(function, &body, true));
            }
            match mode {
                InvokeMode::Async => Ok(None),
                InvokeMode::Sync if body.is_empty() => Ok(Some(Value::Null)),
                InvokeMode::Sync => {
                    serde_json::from_slice(&body)
                        .map(Some)
                        .map_err(|e| Error::Binding {
                            kind: ResourceKind::Function,
                            name: function.to_owned(),
                            retryable: false,
                            source: Box::new(e),
                        })
                }
            }
        })
    }
}
