//! The serve loop: one function of the app under `lambda_runtime`.
//!
//! - The function is `FAASPORT_FUNCTION` if set, else `AWS_LAMBDA_FUNCTION_NAME`. An unknown
//!   name, or a failing initialiser, is reported to the Runtime API's `/runtime/init/error`
//!   (errorType `UnknownFunction` / `InitError`, the message listing the available names) and
//!   ends the process.
//! - The initialiser runs once per process, before the first event (the cold start).
//! - Each event is mapped ([`crate::event`]), run with a [`Context`] carrying the request id,
//!   deadline, invoked ARN, trace id and memory, and answered ([`crate::response`]).
//! - A payload that is not JSON never reaches `lambda_runtime`'s deserializer: a layer replaces
//!   it with a marker, so it fails that invocation with errorType `InvalidPayload` and the next
//!   one is served.
//! - The deadline comes from `Lambda-Runtime-Deadline-Ms`. Emulators such as cargo-lambda send a
//!   constant there (`600000`, i.e. 1970); a deadline in the past is ignored and the function's
//!   own timeout applies instead. The handler is cancelled at the deadline with `Timeout`, so
//!   the error is reported before Lambda kills the process.

use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use faasport_core::contract::{http_response, RouteMatch, RouteTable};
use faasport_core::event::PathParams;
use faasport_core::{
    App, Context, Error, Event, Function, InstanceState, Output, Provider, Resources, Trigger,
};
use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent, LambdaInvocation, Runtime};
use serde_json::Value;

use crate::event::{LambdaPayload, SourceNames};
use crate::names::ResourceNames;
use crate::response::{diagnostic, to_response};

pub use faasport_core::contract::FUNCTION_ENV;

/// The variables `lambda_runtime` requires (it panics without them).
const REQUIRED_ENV: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

const MALFORMED_MARKER: &str = "faasport.malformed-event";

pub(crate) async fn serve(app: App) -> Result<(), Error> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let missing: Vec<&str> = REQUIRED_ENV
        .into_iter()
        .filter(|v| env(v).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(Error::Platform {
            provider: Provider::Aws,
            reason: format!(
                "not running under the Lambda Runtime API: {} not set",
                missing.join(", ")
            ),
        });
    }
    if env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        .and_then(|m| m.parse::<i32>().ok())
        .is_none()
    {
        return Err(Error::invalid_payload(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE is not a number",
        ));
    }
    let name = env(FUNCTION_ENV)
        .or_else(|| env("AWS_LAMBDA_FUNCTION_NAME"))
        .unwrap_or_default();
    let function = match app.select(&name) {
        Ok(function) => function.clone(),
        Err(error) => return Err(report_init_error(error).await),
    };
    let state = match function.initialise().await {
        Ok(state) => state,
        Err(error) => return Err(report_init_error(error).await),
    };
    let resources = ResourceNames::from_env(&app, env);
    let bindings = crate::bindings::AwsBindings::new(resources.clone()).into_bindings();
    let server = Arc::new(FunctionServer {
        routes: RouteTable::from_app(&app),
        names: SourceNames {
            resources,
            schedule: single_schedule(&function),
        },
        function,
        state,
        resources: Resources::new(app.declared(), bindings),
    });
    tracing::debug!(
        function = server.function.name(),
        "serving under the Lambda Runtime API"
    );
    Runtime::new(service_fn(move |event| Arc::clone(&server).handle(event)))
        .layer(MalformedEventLayer)
        .run()
        .await
        .map_err(|e| Error::Platform {
            provider: Provider::Aws,
            reason: format!("the Lambda runtime stopped: {e}"),
        })
}

fn single_schedule(function: &Function) -> Option<String> {
    let mut schedules = function.triggers().iter().filter_map(|t| match t {
        Trigger::Schedule { expression } => Some(expression.clone()),
        _ => None,
    });
    match (schedules.next(), schedules.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// Posts `error` to `/runtime/init/error` (Lambda returns it to the first invoke) and gives it
/// back. cargo-lambda answers that call only once an invocation is waiting.
async fn report_init_error(error: Error) -> Error {
    let report = diagnostic(&error);
    let sent = async {
        let client = lambda_runtime_api_client::Client::builder().build()?;
        let body = serde_json::to_vec(&report)?;
        let request = http::Request::builder()
            .method("POST")
            .uri("/2018-06-01/runtime/init/error")
            .header(
                "lambda-runtime-function-error-type",
                report.error_type.as_str(),
            )
            .header("content-type", "application/json")
            .body(lambda_runtime_api_client::body::Body::from(body))?;
        client.call(request).await.map(drop)
    };
    if let Err(e) = sent.await {
        tracing::error!("could not report the init error to the Runtime API: {e}");
    }
    error
}

struct FunctionServer {
    function: Function,
    routes: RouteTable,
    state: InstanceState,
    resources: Resources,
    names: SourceNames,
}

impl FunctionServer {
    async fn handle(self: Arc<Self>, event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
        let (payload, lambda) = event.into_parts();
        if let Some(reason) = payload.get(MALFORMED_MARKER).and_then(Value::as_str) {
            return Err(diagnostic(&Error::invalid_payload(reason)));
        }
        let mut invocation = LambdaPayload::from_value(payload)
            .and_then(|p| p.into_invocation(&self.names))
            .map_err(|e| diagnostic(&e.into()))?;
        for event in &mut invocation.events {
            self.fill_path_params(event);
        }
        let remaining = remaining_time(lambda.deadline, self.function.spec().timeout);
        let cx = Context::new(lambda.request_id.clone(), self.function.name())
            .with_timeout(remaining)
            .with_memory_mb(u32::try_from(lambda.env_config.memory).unwrap_or(0))
            .with_provider(Provider::Aws)
            .with_metadata("invoked_function_arn", lambda.invoked_function_arn.clone())
            .with_metadata("function_version", lambda.env_config.version.clone())
            .with_state(self.state.clone())
            .with_resources(self.resources.clone());
        let cx = match &lambda.xray_trace_id {
            Some(trace) => cx.with_trace_id(trace.clone()),
            None => cx,
        };
        let mut outputs: Vec<Output> = Vec::with_capacity(invocation.events.len());
        for event in invocation.events {
            let left = cx.remaining_time().unwrap_or(remaining);
            let result = self.function.call_within(event, cx.clone(), left).await;
            if invocation.source.is_http() {
                // Every result of an HTTP request is an HTTP response (core's contract), never
                // a function error, which API Gateway would turn into a 502 with its own body.
                let response = http_response(self.function.name(), &lambda.request_id, result);
                outputs.push(Output::Http(response));
                continue;
            }
            outputs.push(result.map_err(|e| diagnostic(&e))?);
        }
        Ok(to_response(&invocation.source, outputs))
    }
}

impl FunctionServer {
    /// Function URLs and ALB carry no path parameters; they come from the function's own
    /// routes ([`RouteTable`], the local gateway's matcher), so `path_param` reads the same as
    /// behind API Gateway or locally.
    fn fill_path_params(&self, event: &mut Event) {
        let Event::Http(request) = event else {
            return;
        };
        if !request.path_params().is_empty() {
            return;
        }
        if let RouteMatch::Found { function, params } =
            self.routes.find(request.method(), request.path())
        {
            if function == self.function.name() && !params.is_empty() {
                request.extensions_mut().insert(PathParams(params));
            }
        }
    }
}

/// Time left before `deadline_ms` (Unix epoch milliseconds), or `timeout` when the deadline is
/// already past (emulators send a constant).
pub fn remaining_time(deadline_ms: u64, timeout: Duration) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let deadline = Duration::from_millis(deadline_ms);
    if deadline > now {
        deadline - now
    } else {
        timeout
    }
}

/// Replaces a body that is not JSON with a marker the handler turns into `InvalidPayload`,
/// instead of `lambda_runtime`'s own deserialization error.
#[derive(Clone, Copy)]
struct MalformedEventLayer;

impl<S> Layer<S> for MalformedEventLayer {
    type Service = MalformedEvents<S>;
    fn layer(&self, inner: S) -> Self::Service {
        MalformedEvents { inner }
    }
}

struct MalformedEvents<S> {
    inner: S,
}

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for MalformedEvents<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> Self::Future {
        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&invocation.body) {
            let reason = format!("the event is not valid JSON: {e}");
            let marker = serde_json::json!({ MALFORMED_MARKER: reason });
            invocation.body = bytes::Bytes::from(marker.to_string());
        }
        self.inner.call(invocation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_in_the_past_falls_back_to_the_function_timeout() {
        let timeout = Duration::from_secs(30);
        assert_eq!(remaining_time(600_000, timeout), timeout);
        let soon = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            + Duration::from_secs(3600);
        let left = remaining_time(u64::try_from(soon.as_millis()).unwrap_or(u64::MAX), timeout);
        assert!(
            left > Duration::from_secs(3500) && left <= Duration::from_secs(3600),
            "{left:?}"
        );
    }
}
