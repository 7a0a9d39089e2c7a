//! The serve loop: every function of the app behind one custom handler server.
//!
//! - The server listens on `127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT` (else the legacy
//!   `FUNCTIONS_HTTPWORKER_PORT`); the host polls `GET /` until it answers.
//! - The HTTP mode is the one the app's `host.json` sets (read from `$FUNCTIONS_APP_ROOT_PATH`,
//!   else the working directory, else proxying, which the generated `host.json` sets). With
//!   proxying or forwarding on, the host never sends an HTTP function's request as an
//!   invocation request, so `POST /create` is the `create` route's request, not an invocation
//!   of an Azure function named `create`.
//! - `POST /{AzureFunctionName}` with an invocation request is decoded by that Azure function's
//!   trigger ([`crate::names`], [`crate::event`]) and answered with `{Outputs, Logs,
//!   ReturnValue}` ([`crate::response`]). An unknown name is answered 404, listing the Azure
//!   functions.
//! - Any other request is an HTTP request the host proxies (`enableProxyingHttpRequest`, or
//!   the legacy `enableForwardingHttpRequest`) on its original path: it is routed by the app's
//!   [`RouteTable`] (the local gateway's matcher, so path parameters read the same) or, on
//!   `POST /faasport-invoke/<name>`, to that function's invoke endpoint (every function has
//!   one, [`crate::names`]; its body is the payload, read as core reads it), and answered with
//!   the function's own response.
//! - An invocation of a function's invoke queue (`<name>-async`) runs the function on the
//!   message's payload and answers with core's delivery rule, like any queue message: a failure
//!   is a non-2xx, so the host delivers it again.
//! - A Storage queue or invoke queue message that fails on core's last delivery is forwarded to
//!   its dead-letter target and acknowledged ([`crate::dead_letter`]); if that send fails, the
//!   invocation fails as it would have and the host poisons the message.
//! - Each function's initialiser runs once per process, on its first invocation, bounded by
//!   [`Limits::init_limit`]; a failed initialiser fails that invocation and is tried again on
//!   the next.
//! - The [`Context`] carries the host's invocation id (`X-Azure-Functions-InvocationId`) as the
//!   request id, the function's name, memory and timeout (the deadline), the delivery attempt
//!   (`DequeueCount`, `DeliveryCount`, `RetryContext.RetryCount + 1`), `Provider::Azure`, and
//!   the Azure function's name as the `azure_function` metadata. The handler is cancelled at
//!   its timeout with [`Error::Timeout`](faasport_core::Error::Timeout).
//! - A malformed request is answered 400 with `{"error": why}` and the server keeps serving.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Body as AxumBody;
use axum::extract::{Request, State};
use axum::Router;
use bytes::Bytes;
use faasport_core::contract::{
    error_response, http_response, Delivery, Limits, RouteMatch, RouteTable,
};
use faasport_core::event::PathParams;
use faasport_core::{
    chain_message, App, Body, Context, Error, Event, Function, HttpRequest, InstanceState, Output,
    Provider, Resources,
};
use http::header::ALLOW;
use http::{HeaderValue, Method, StatusCode};
use tokio::sync::OnceCell;

use crate::event::InvocationRequest;
use crate::manifest::HttpMode;
use crate::names::{azure_functions, AzureFunction, Entry, INVOKE_ROUTE_PREFIX};
use crate::response::{
    delivery_answer, delivery_answer_owned, http_answer, protocol_error, proxied, ready,
};

/// The variable that holds the port the host picked.
pub const PORT_ENV: &str = "FUNCTIONS_CUSTOMHANDLER_PORT";
/// The same, under its name before custom handlers were renamed.
const LEGACY_PORT_ENV: &str = "FUNCTIONS_HTTPWORKER_PORT";
/// The header that carries the invocation id.
const INVOCATION_ID_HEADER: &str = "x-azure-functions-invocationid";
/// The largest request body read: Azure's 100 MB HTTP request limit, base64 encoded.
const MAX_BODY: usize = 140 * 1024 * 1024;

/// The custom handler's routes for `app` when the host passes HTTP requests as `mode` says,
/// ready to serve or to call in tests (`tower::ServiceExt::oneshot`).
///
/// # Errors
/// [`Error::App`] if the app is invalid or outside Azure's limits
/// ([`App::validate_for`]).
pub fn router(app: App, mode: HttpMode) -> Result<Router, Error> {
    app.validate_for(Provider::Azure)?;
    let server = Arc::new(Server::new(app, mode));
    Ok(Router::new().fallback(dispatch).with_state(server))
}

pub(crate) async fn serve(app: App) -> Result<(), Error> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let port = env(PORT_ENV)
        .or_else(|| env(LEGACY_PORT_ENV))
        .ok_or_else(|| Error::Platform {
            provider: Provider::Azure,
            reason: format!("not running under the Azure Functions host: {PORT_ENV} is not set"),
        })?;
    let port: u16 = port.trim().parse().map_err(|_| Error::Platform {
        provider: Provider::Azure,
        reason: format!("{PORT_ENV}=`{port}` is not a port number"),
    })?;
    let app_root =
        env("FUNCTIONS_APP_ROOT_PATH").map_or_else(|| ".".into(), std::path::PathBuf::from);
    let mode = HttpMode::from_app_root(&app_root).unwrap_or_default();
    let router = router(app, mode)?;
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    tracing::debug!(port, ?mode, "serving as an Azure Functions custom handler");
    axum::serve(listener, router)
        .with_graceful_shutdown(faasport_core::contract::shutdown_signal())
        .await?;
    Ok(())
}

struct Slot {
    function: Function,
    state: OnceCell<InstanceState>,
}

struct Server {
    app: App,
    mode: HttpMode,
    slots: BTreeMap<String, Slot>,
    azure: BTreeMap<String, AzureFunction>,
    routes: RouteTable,
    resources: Resources,
    bindings: Arc<crate::bindings::AzureBindings>,
}

impl Server {
    fn new(app: App, mode: HttpMode) -> Self {
        let slots = app
            .functions()
            .iter()
            .map(|f| {
                let slot = Slot {
                    function: f.clone(),
                    state: OnceCell::new(),
                };
                (f.name().to_owned(), slot)
            })
            .collect();
        let azure = azure_functions(&app)
            .into_iter()
            .map(|a| (a.name.clone(), a))
            .collect();
        let bindings = Arc::new(crate::bindings::AzureBindings::from_env(&app));
        let resources = Resources::new(
            app.declared(),
            crate::bindings::AzureBindings::shared_bindings(&bindings),
        );
        Self {
            bindings,
            routes: RouteTable::from_app(&app),
            slots,
            azure,
            resources,
            app,
            mode,
        }
    }

    /// Runs `function` on `event` with its instance state and a fresh [`Context`].
    async fn run(&self, slot: &Slot, event: Event, call: Call<'_>) -> Result<Output, Error> {
        let function = &slot.function;
        let limit = Limits::of(Provider::Azure).init_limit(function);
        let state = slot
            .state
            .get_or_try_init(|| async {
                match tokio::time::timeout(limit, function.initialise()).await {
                    Ok(result) => result,
                    Err(_) => Err(Error::Init {
                        function: function.name().to_owned(),
                        message: format!("the initialiser did not finish within {limit:?}"),
                    }),
                }
            })
            .await?
            .clone();
        let timeout = function.spec().timeout;
        let mut cx = Context::new(call.request_id, function.name())
            .with_timeout(timeout)
            .with_memory_mb(function.spec().memory_mb)
            .with_attempt(call.attempt)
            .with_provider(Provider::Azure)
            .with_metadata("azure_function", call.azure_function)
            .with_state(state)
            .with_resources(self.resources.clone());
        for (name, value) in call.metadata {
            cx = cx.with_metadata(name, value);
        }
        function.call_within(event, cx, timeout).await
    }
}

/// What one call needs besides the event.
struct Call<'a> {
    request_id: &'a str,
    azure_function: &'a str,
    attempt: u32,
    metadata: Vec<(&'static str, String)>,
}

async fn dispatch(State(server): State<Arc<Server>>, request: Request) -> http::Response<AxumBody> {
    let (parts, body) = request.into_parts();
    let request_id = parts
        .headers
        .get(INVOCATION_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map_or_else(next_request_id, str::to_owned);
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let message = format!("the request body could not be read: {e}");
            return protocol_error(StatusCode::PAYLOAD_TOO_LARGE, &message);
        }
    };
    let path = parts.uri.path().to_owned();
    let invoked = path
        .strip_prefix('/')
        .filter(|_| parts.method == Method::POST)
        .and_then(|name| server.azure.get(name))
        .filter(|azure| server.mode == HttpMode::Json || !azure.is_http());
    if let Some(azure) = invoked {
        return invocation(&server, azure, bytes, &request_id).await;
    }
    let request = HttpRequest::from_http(http::Request::from_parts(parts, Body::from(bytes)));
    if path == "/" && request.method() == Method::GET {
        if let RouteMatch::NotFound = server.routes.find(&Method::GET, "/") {
            return ready();
        }
    }
    proxied_http(&server, request, &request_id).await
}

/// `POST /{AzureFunctionName}`: the JSON protocol.
async fn invocation(
    server: &Server,
    azure: &AzureFunction,
    body: Bytes,
    request_id: &str,
) -> http::Response<AxumBody> {
    let request = InvocationRequest::from_bytes(body);
    let storage_queue = request
        .as_ref()
        .is_ok_and(|r| r.meta("MessageId").is_none() && r.meta("DeliveryCount").is_none());
    let decoded = request.and_then(|request| request.decode(&azure.entry));
    let decoded = match decoded {
        Ok(decoded) => decoded,
        Err(e) => {
            let message = chain_message(&e);
            tracing::warn!(function = azure.name, request_id, error = %message, "malformed invocation request");
            return protocol_error(StatusCode::BAD_REQUEST, &message);
        }
    };
    let Some(slot) = server.slots.get(&azure.function) else {
        let error = server.app.unknown_function(&azure.function);
        return protocol_error(StatusCode::NOT_FOUND, &error.to_string());
    };
    let mut event = decoded.event;
    let attempt = decoded.attempt;
    let received = decoded.body;
    fill_path_params(&server.routes, &azure.function, &mut event);
    // An invoke carries one event, as it does locally, whatever its payload.
    let items = match azure.entry {
        Entry::InvokeQueue => Vec::new(),
        _ => item_ids(&event),
    };
    let call = Call {
        request_id,
        azure_function: &azure.name,
        attempt: decoded.attempt,
        metadata: decoded.metadata,
    };
    let result = server.run(slot, event, call).await;
    if azure.is_http() {
        let response = http_response(slot.function.name(), request_id, result);
        return http_answer(&response).into_response();
    }
    if let Err(e) = &result {
        tracing::warn!(function = azure.name, request_id, error = %chain_message(e), "invocation failed");
    }
    let delivery = Delivery::of(&result, &items);
    let names = server.bindings.names();
    let target =
        crate::dead_letter::target(&server.app, names, azure, &delivery, attempt, storage_queue);
    if let (Some(target), Some(body)) = (target, received) {
        match server.bindings.dead_letter(&target, &body).await {
            Ok(()) => {
                tracing::warn!(function = azure.name, request_id, ?target, "dead-lettered");
                return delivery_answer(&Ok(Output::Empty), &[]).into_response();
            }
            Err(e) => {
                // The host keeps the message and poisons it itself.
                tracing::error!(function = azure.name, request_id, ?target, error = %chain_message(&e), "could not dead-letter");
            }
        }
    }
    delivery_answer_owned(result, &items).into_response()
}

/// A proxied HTTP request on its original path.
async fn proxied_http(
    server: &Server,
    request: HttpRequest,
    request_id: &str,
) -> http::Response<AxumBody> {
    let path = request.path().to_owned();
    let invoke_target = path
        .strip_prefix(&format!("/{INVOKE_ROUTE_PREFIX}/"))
        .filter(|_| request.method() == Method::POST)
        .and_then(|name| {
            server
                .azure
                .values()
                .find(|a| a.function == name && a.entry == Entry::Invoke)
        });
    let mut azure_function = None;
    let (function, event) = if let Some(azure) = invoke_target {
        azure_function = Some(azure.name.as_str());
        match crate::event::invoke_event(request.body()) {
            Ok(event) => (azure.function.clone(), event),
            // A malformed invoke event (`InvalidPayload`): core's answer, 400 with the reason.
            Err(error) => return proxied(http_response(&azure.function, request_id, Err(error))),
        }
    } else {
        match server.routes.find(request.method(), &path) {
            RouteMatch::Found { function, params } => {
                (function, Event::Http(request.with_path_params(params)))
            }
            RouteMatch::MethodNotAllowed(methods) => {
                let mut response = error_response(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method not allowed",
                    Some(request_id),
                );
                let allow: Vec<&str> = methods.iter().map(Method::as_str).collect();
                if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
                    response.headers_mut().insert(ALLOW, value);
                }
                return proxied(response);
            }
            RouteMatch::NotFound => {
                let message = format!("no route for {} {path}", request.method());
                return proxied(error_response(
                    StatusCode::NOT_FOUND,
                    &message,
                    Some(request_id),
                ));
            }
        }
    };
    let Some(slot) = server.slots.get(&function) else {
        let error = server.app.unknown_function(&function);
        return proxied(error_response(
            StatusCode::NOT_FOUND,
            &error.to_string(),
            Some(request_id),
        ));
    };
    let call = Call {
        request_id,
        azure_function: azure_function.unwrap_or(&function),
        attempt: 1,
        metadata: Vec::new(),
    };
    let result = server.run(slot, event, call).await;
    proxied(http_response(&function, request_id, result))
}

/// The JSON protocol gives the host's route parameters; fill them from the app's routes when
/// the host gave none, so `path_param` reads the same as locally.
fn fill_path_params(routes: &RouteTable, function: &str, event: &mut Event) {
    let Event::Http(request) = event else {
        return;
    };
    if !request.path_params().is_empty() {
        return;
    }
    if let RouteMatch::Found {
        function: found,
        params,
    } = routes.find(request.method(), request.path())
    {
        if found == function && !params.is_empty() {
            request.extensions_mut().insert(PathParams(params));
        }
    }
}

/// The ids of the items a batch event carries (for partial failure), none for other events.
fn item_ids(event: &Event) -> Vec<String> {
    match event {
        Event::Queue(batch) => batch.messages.iter().map(|m| m.id.clone()).collect(),
        Event::Change(batch) => batch.records.iter().map(|r| r.id.clone()).collect(),
        _ => Vec::new(),
    }
}

/// A request id for requests without the host's invocation id (direct calls in tests).
fn next_request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("azure-local-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}
