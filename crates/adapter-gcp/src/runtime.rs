//! The serve loop: one function of the app behind the Functions Framework / Cloud Run container
//! contract.
//!
//! - Listens on `0.0.0.0:$PORT` (default 8080) and serves every path to the function, except
//!   `/robots.txt` and `/favicon.ico` (404, not invoked).
//! - The function is `FUNCTION_TARGET` (set by Cloud Run functions), else `FAASPORT_FUNCTION`,
//!   else the app's only function. An unknown name fails the start with core's
//!   [`Error::UnknownFunction`], which lists the names.
//! - The initialiser runs once, before the port is opened, so the instance is not ready (the
//!   startup probe waits) until it finishes; it may take [`Limits::max_init`] (240 s, Cloud
//!   Run's default startup probe).
//! - Each request is read ([`crate::event`]), run with [`Function::call_within`] and the
//!   function's timeout, and answered ([`crate::response`]). Requests run concurrently; Cloud
//!   Run's `--concurrency` bounds them.
//! - The context carries `Provider::Gcp`, the function's memory, the trace id (`traceparent`,
//!   else `X-Cloud-Trace-Context`), the Pub/Sub delivery attempt, and the metadata `k_service`,
//!   `k_revision`, `k_configuration` (from the environment), `subscription`, `event_id`,
//!   `event_type` (from the event), and the app's resources through [`crate::bindings`]
//!   (Pub/Sub, Cloud Storage, invoke), found through the variables of [`crate::names`].
//! - A request body is read up to [`MAX_BODY_BYTES`] (Cloud Run's HTTP/1 request limit); a
//!   larger one is answered 413.
//! - SIGTERM (Cloud Run's shutdown signal) or Ctrl-C stops accepting and lets requests in
//!   flight finish.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use bytes::Bytes;
use faasport_core::contract::{error_response, Limits, RouteTable, FUNCTION_ENV};
use faasport_core::http::StatusCode;
use faasport_core::{
    App, Context, Error, Event, Function, HttpResponse, InstanceState, Provider, Resources,
};

use crate::bindings::GcpBindings;
use crate::event::{self, SourceNames};
use crate::names::ResourceNames;
use crate::response;

/// The variable Cloud Run functions set to the function to serve.
pub const TARGET_ENV: &str = "FUNCTION_TARGET";
/// The port variable of the container contract.
pub const PORT_ENV: &str = "PORT";
/// The port when `PORT` is not set.
pub const DEFAULT_PORT: u16 = 8080;
/// The largest request body read (32 MiB, Cloud Run's HTTP/1 limit).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// One function of an app, ready to answer requests: selected, initialised, its event mapping
/// configured.
///
/// [`run`](crate::run) serves it on `$PORT`; tests call [`FunctionServer::handle`] directly or
/// mount [`FunctionServer::router`].
pub struct FunctionServer {
    function: Function,
    state: InstanceState,
    resources: Resources,
    names: SourceNames,
    routes: RouteTable,
    platform: Vec<(&'static str, String)>,
    ids: RequestIds,
}

impl FunctionServer {
    /// Selects the function named by `env` (`FUNCTION_TARGET`, else `FAASPORT_FUNCTION`, else the
    /// only one) and runs its initialiser.
    ///
    /// # Errors
    /// An app Google Cloud would refuse ([`Error::App`], from
    /// [`App::validate_for`]); [`Error::UnknownFunction`]; [`Error::Init`] when the initialiser
    /// fails or outlasts [`Limits::max_init`].
    pub async fn start(app: &App, env: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        app.validate_for(Provider::Gcp)?;
        let var = |name: &str| env(name).filter(|v| !v.is_empty());
        let function = match var(TARGET_ENV).or_else(|| var(FUNCTION_ENV)) {
            Some(name) => app.select(&name)?,
            None => match app.functions() {
                [only] => only,
                _ => app.select("")?,
            },
        }
        .clone();
        let state = match Limits::of(Provider::Gcp).max_init {
            Some(limit) => tokio::time::timeout(limit, function.initialise())
                .await
                .unwrap_or_else(|_| {
                    Err(Error::Init {
                        function: function.name().to_owned(),
                        message: format!("the initialiser did not finish within {limit:?}"),
                    })
                })?,
            None => function.initialise().await?,
        };
        let resources = ResourceNames::from_env(app, var);
        let platform = [
            ("k_service", "K_SERVICE"),
            ("k_revision", "K_REVISION"),
            ("k_configuration", "K_CONFIGURATION"),
        ]
        .into_iter()
        .filter_map(|(key, name)| var(name).map(|v| (key, v)))
        .collect();
        Ok(Self {
            names: SourceNames::for_function(&function, resources.clone()),
            routes: RouteTable::from_app(app),
            resources: Resources::new(
                app.declared(),
                GcpBindings::new(resources.clone(), var).into_bindings(),
            ),
            function,
            state,
            platform,
            ids: RequestIds::new(),
        })
    }

    /// The function served.
    pub fn function(&self) -> &Function {
        &self.function
    }

    /// Answers one request.
    pub async fn handle(&self, request: http::Request<Bytes>) -> HttpResponse {
        let request_id = self.ids.next();
        if response::NOT_INVOKED.contains(&request.uri().path()) {
            return response::not_invoked(&request_id);
        }
        let trace_id = trace_id(request.headers());
        let mut invocation = match event::from_request(request, &self.names) {
            Ok(invocation) => invocation,
            Err(error) => return response::unreadable(&error, &request_id),
        };
        // Cloud Run passes the path as it came: parameters come from the app's routes.
        if let Event::Http(request) = &mut invocation.event {
            self.routes.fill_path_params(self.function.name(), request);
        }
        let timeout = self.function.spec().timeout;
        let mut cx = Context::new(request_id.clone(), self.function.name())
            .with_timeout(timeout)
            .with_memory_mb(self.function.spec().memory_mb)
            .with_provider(Provider::Gcp)
            .with_attempt(invocation.attempt.unwrap_or(1))
            .with_state(self.state.clone())
            .with_resources(self.resources.clone());
        for (key, value) in self.platform.iter().chain(&invocation.metadata) {
            cx = cx.with_metadata(*key, value.clone());
        }
        if let Some(trace) = trace_id {
            cx = cx.with_trace_id(trace);
        }
        let result = self
            .function
            .call_within(invocation.event, cx, timeout)
            .await;
        response::to_response(invocation.source, self.function.name(), &request_id, result)
    }

    /// An axum router that sends every request to [`FunctionServer::handle`].
    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new().fallback(answer).with_state(self)
    }
}

async fn answer(
    State(server): State<Arc<FunctionServer>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let response = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => server.handle(http::Request::from_parts(parts, bytes)).await,
        Err(_) => error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is larger than 32 MiB, or was cut off",
            None,
        ),
    };
    let (parts, body) = response.into_http().into_parts();
    axum::response::Response::from_parts(parts, axum::body::Body::from(body.into_bytes()))
}

/// Serves `app` on `0.0.0.0:$PORT` until SIGTERM or Ctrl-C.
pub(crate) async fn serve(app: App) -> Result<(), Error> {
    let env = |name: &str| std::env::var(name).ok();
    let port = match env(PORT_ENV).filter(|p| !p.is_empty()) {
        Some(text) => text.trim().parse::<u16>().map_err(|_| Error::Platform {
            provider: Provider::Gcp,
            reason: format!("{PORT_ENV}=`{text}` is not a port number"),
        })?,
        None => DEFAULT_PORT,
    };
    let server = Arc::new(FunctionServer::start(&app, env).await?);
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
    tracing::info!(
        function = server.function.name(),
        port,
        "serving the Functions Framework contract"
    );
    axum::serve(listener, server.router())
        .with_graceful_shutdown(faasport_core::contract::shutdown_signal())
        .await?;
    Ok(())
}

/// The trace id of `traceparent` (`00-<trace>-<span>-<flags>`), else of
/// `X-Cloud-Trace-Context` (`<trace>/<span>;o=1`).
fn trace_id(headers: &http::HeaderMap) -> Option<String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(trace) = header("traceparent").and_then(|t| t.split('-').nth(1)) {
        return Some(trace.to_owned()).filter(|t| !t.is_empty());
    }
    header("x-cloud-trace-context")
        .and_then(|t| t.split('/').next())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Request ids unique per instance: the instance's start time and a counter, in hex.
struct RequestIds {
    instance: u64,
    next: AtomicU64,
}

impl RequestIds {
    fn new() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Self {
            instance: u64::try_from(nanos & u128::from(u64::MAX)).unwrap_or(0),
            next: AtomicU64::new(1),
        }
    }

    fn next(&self) -> String {
        format!(
            "{:x}-{}",
            self.instance,
            self.next.fetch_add(1, Ordering::Relaxed)
        )
    }
}
