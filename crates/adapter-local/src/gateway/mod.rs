//! The HTTP gateway: a real HTTP/1.1 server (hyper, with axum's request and response types)
//! routing requests to the app's HTTP functions through the runtime's pools.
//!
//! It binds to `127.0.0.1` by default. Routing follows [`RouteTable`] (404 for an unknown path,
//! 405 with `Allow` for a known path under another method). The reserved prefix
//! [`ADMIN_PREFIX`] serves health and Prometheus metrics. Results become statuses this way:
//!
//! | result | status |
//! |---|---|
//! | an HTTP response | the handler's response |
//! | JSON or a batch outcome | 200 with the JSON |
//! | `()` | 204 |
//! | throttled | 429 with `Retry-After` (whole seconds, at least 1) |
//! | timed out | 504 |
//! | a bad request ([`Error::BadRequest`](faasport_core::Error::BadRequest), also from a handler), or a request that does not fit the handler | 400 with the reason |
//! | body over the limit | 413 |
//! | body not received within the body read timeout | 408, and the connection is closed |
//! | an admin request from a foreign `Host` or `Origin`, or a simple request that changes state | 403 (see [`ADMIN_PREFIX`]) |
//! | an admin request without the admin token, when one is set | 401 |
//! | unparsable HTTP | 400 (from hyper) |
//! | shutting down (new requests, and requests still running when the grace period ends) | 503 |
//! | anything else (handler errors, panics, init failures) | 500 with the request id only |
//!
//! A 500 never carries the error's text: that stays in the log under the request id the
//! response gives, so internals do not leak to callers.
//!
//! Each connection has a header read timeout, a body read timeout and an idle keep-alive
//! timeout, and the number of open connections is capped ([`GatewayConfig`] gives the defaults),
//! so slow or idle clients cannot hold the server's sockets. Every response from a function carries
//! that request id in the [`REQUEST_ID_HEADER`] (`x-request-id`) header.
//!
//! # Examples
//! ```no_run
//! use faasport_adapter_local::gateway::{Gateway, GatewayConfig};
//! use faasport_adapter_local::LocalCloud;
//! # async fn run(sources: LocalCloud) -> Result<(), Box<dyn std::error::Error>> {
//! let gateway = Gateway::bind(sources, GatewayConfig::default()).await?;
//! println!("listening on http://{}", gateway.local_addr());
//! gateway.serve(async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```

mod access;
mod admin;
mod dashboard;
mod listen;
mod respond;

pub use self::admin::{ADMIN_HEADER, ADMIN_PREFIX};
pub use self::listen::CAP_WARNING_INTERVAL;
pub use self::respond::REQUEST_ID_HEADER;
pub use faasport_core::contract::{RouteMatch, RouteMiss, RouteTable};

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::response::Response;
use axum::Router;
use futures::future::{Either, FutureExt as _};
use http::header::{ALLOW, CONTENT_LENGTH};
use http::{HeaderValue, StatusCode};
use http_body_util::{BodyExt as _, Limited};
use hyper::body::Body as _;

use faasport_core::{Body, Event, HttpRequest};

use crate::{InvocationSource, InvokeOptions, LocalCloud};

/// The request body limit unless set: 6 MB, Lambda's synchronous payload limit.
pub const DEFAULT_BODY_LIMIT: usize = 6 * 1024 * 1024;

/// How long a client may take to send a request's head unless set: 10 s.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client may take to send a request's body unless set: 30 s.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a keep-alive connection may wait for its next request unless set: 5 s (Node.js's
/// `keepAliveTimeout`).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(5);

/// How many connections are served at once unless set: 512, half the common limit of 1,024
/// file descriptors, leaving the rest to the runtime's own files and sockets.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// Gateway settings.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GatewayConfig {
    /// Where to listen (`127.0.0.1:3000` by default; port 0 picks a free one).
    pub addr: SocketAddr,
    /// The largest request body accepted; larger ones get 413.
    pub body_limit: usize,
    /// How long a client may take to send a request's head (request line and headers) before
    /// the connection is closed ([`DEFAULT_HEADER_READ_TIMEOUT`]). The wait for the next
    /// request on a keep-alive connection counts too, so such a connection is closed after the
    /// shorter of this and [`idle_timeout`](Self::idle_timeout).
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body; past it the request gets 408 and
    /// the connection is closed ([`DEFAULT_BODY_READ_TIMEOUT`]).
    pub body_read_timeout: Duration,
    /// How long a keep-alive connection may go without a request before it is closed
    /// ([`DEFAULT_IDLE_TIMEOUT`]).
    pub idle_timeout: Duration,
    /// How many connections are served at once ([`DEFAULT_MAX_CONNECTIONS`]). A client past it
    /// makes room by closing the connection longest without a request in flight (a slow
    /// request head, an idle keep-alive connection); when every connection has a request in
    /// flight, it waits in the listen backlog until one closes. A warning is logged (at most
    /// once a minute).
    pub max_connections: usize,
    /// The token admin endpoints require as `Authorization: Bearer <token>` (none by default;
    /// set it when binding to an address that is not loopback). Health needs no token.
    pub admin_token: Option<String>,
}

impl std::fmt::Debug for GatewayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayConfig")
            .field("addr", &self.addr)
            .field("body_limit", &self.body_limit)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_connections", &self.max_connections)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            body_limit: DEFAULT_BODY_LIMIT,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            admin_token: None,
        }
    }
}

impl GatewayConfig {
    /// Sets the address.
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Sets the body limit.
    pub fn body_limit(mut self, limit: usize) -> Self {
        self.body_limit = limit;
        self
    }

    /// Sets the header read timeout.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Sets the body read timeout.
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// Sets the idle keep-alive timeout.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets the connection cap (at least 1).
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// Requires `Authorization: Bearer <token>` on the admin endpoints.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }
}

/// The gateway could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A function route uses the reserved prefix.
    #[error("route `{route}` uses the reserved prefix {ADMIN_PREFIX}")]
    ReservedRoute {
        /// The route.
        route: String,
    },
    /// The server failed while running.
    #[error("the HTTP server failed")]
    Serve(#[source] std::io::Error),
}

pub(crate) struct GatewayState {
    pub(crate) sources: LocalCloud,
    routes: RouteTable,
    body_limit: usize,
    body_read_timeout: Duration,
    access: access::AdminAccess,
    statuses: StatusCounts,
    dashboard: dashboard::Dashboard,
}

impl GatewayState {
    fn new(sources: LocalCloud, config: &GatewayConfig) -> Result<Arc<Self>, GatewayError> {
        let routes = RouteTable::from_app(sources.app());
        let reserved = ADMIN_PREFIX.trim_end_matches('/');
        if let Some(route) = routes.patterns().into_iter().find(|p| {
            p.split_once(' ')
                .is_some_and(|(_, path)| path.starts_with(reserved))
        }) {
            return Err(GatewayError::ReservedRoute { route });
        }
        Ok(Arc::new(GatewayState {
            dashboard: dashboard::Dashboard::new(sources.clone()),
            sources,
            routes,
            body_limit: config.body_limit,
            body_read_timeout: config.body_read_timeout,
            access: access::AdminAccess::new(config.addr, config.admin_token.clone()),
            statuses: StatusCounts::default(),
        }))
    }

    pub(crate) fn statuses(&self) -> BTreeMap<u16, u64> {
        self.statuses.snapshot()
    }

    fn count(&self, status: StatusCode) {
        self.statuses.add(status);
    }
}

/// Responses counted per status code: one atomic per possible code (100 to 999), so counting a
/// response takes no lock that every connection would contend for.
struct StatusCounts(Box<[AtomicU64]>);

impl Default for StatusCounts {
    fn default() -> Self {
        Self((100..1000).map(|_| AtomicU64::new(0)).collect())
    }
}

impl StatusCounts {
    fn add(&self, status: StatusCode) {
        if let Some(count) = self.0.get(usize::from(status.as_u16()).wrapping_sub(100)) {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The codes answered at least once, with their counts.
    fn snapshot(&self) -> BTreeMap<u16, u64> {
        (100u16..)
            .zip(self.0.iter())
            .filter_map(|(code, count)| {
                let n = count.load(Ordering::Relaxed);
                (n > 0).then_some((code, n))
            })
            .collect()
    }
}

/// A bound gateway, ready to serve.
pub struct Gateway {
    listener: tokio::net::TcpListener,
    state: Arc<GatewayState>,
    limits: listen::ConnectionLimits,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("addr", &self.listener.local_addr().ok())
            .finish()
    }
}

impl Gateway {
    /// Binds the listener for `sources`' HTTP functions.
    ///
    /// # Errors
    /// [`GatewayError::Bind`], or [`GatewayError::ReservedRoute`] if a route starts with
    /// [`ADMIN_PREFIX`].
    /// Binding to an address that is not loopback logs a warning: the admin endpoints are then
    /// reachable from the network, and only [`GatewayConfig::admin_token`] guards them.
    pub async fn bind(sources: LocalCloud, config: GatewayConfig) -> Result<Self, GatewayError> {
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|source| GatewayError::Bind {
                addr: config.addr,
                source,
            })?;
        let addr = listener.local_addr().unwrap_or(config.addr);
        if !addr.ip().is_loopback() {
            tracing::warn!(
                %addr,
                admin_token = config.admin_token.is_some(),
                "listening on an address that is not loopback: the admin endpoints under {ADMIN_PREFIX} are reachable from the network; set an admin token"
            );
        }
        let limits = listen::ConnectionLimits::of(&config);
        let state = GatewayState::new(sources, &config.addr(addr))?;
        Ok(Self {
            listener,
            state,
            limits,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until `shutdown` completes, then stops accepting connections and waits for the
    /// requests in flight. The timeouts and the connection cap of the [`GatewayConfig`] apply
    /// to every connection.
    ///
    /// # Errors
    /// [`GatewayError::Serve`] if the server fails.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), GatewayError> {
        // The dashboard's event streams end with the shutdown signal, so they do not hold
        // their connections open through the graceful shutdown.
        let closing = self.state.dashboard.closing();
        let shutdown = async move {
            shutdown.await;
            closing.cancel();
        };
        listen::serve(self.listener, self.state, self.limits, shutdown)
            .await
            .map_err(GatewayError::Serve)
    }
}

/// The gateway's routing, status mapping and admin endpoints as an axum [`Router`], without a
/// socket: the code [`Gateway::serve`] answers each request with (its listener calls it
/// without the `Router`), for tests to call in-process with `tower::ServiceExt::oneshot` (or
/// with `TestApp::http` of the facade's `faasport::testing`). `config.addr` is not used.
///
/// Requests run through `sources` exactly as served ones do: routes, path parameters, the
/// status of each result ([`faasport_core::contract::http_response`]), the body limit, the
/// request id header and the admin endpoints under [`ADMIN_PREFIX`]. It needs no listener, so
/// it works on a paused clock.
///
/// # Examples
/// ```
/// use faasport_adapter_local::gateway::{router, GatewayConfig};
/// use faasport_adapter_local::LocalCloud;
/// use faasport_core::{http, App, Context, Error, Function, HttpRequest, HttpResponse};
/// use tower::ServiceExt as _;
///
/// async fn hello(req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
///     Ok(HttpResponse::text(http::StatusCode::OK, format!("hello {}", req.path_param("name").unwrap_or("?"))))
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let app = App::new("hi").function(Function::new("hello", hello).http(http::Method::GET, "/hello/{name}"));
/// let router = router(LocalCloud::builder(app).build()?, GatewayConfig::default())?;
/// let request = http::Request::get("/hello/ada").body(axum::body::Body::empty())?;
/// let response = router.oneshot(request).await?;
/// assert_eq!(response.status(), http::StatusCode::OK);
/// assert!(response.headers().contains_key("x-request-id"));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// [`GatewayError::ReservedRoute`] if a route starts with [`ADMIN_PREFIX`].
pub fn router(sources: LocalCloud, config: GatewayConfig) -> Result<Router, GatewayError> {
    Ok(router_of(GatewayState::new(sources, &config)?))
}

fn router_of(state: Arc<GatewayState>) -> Router {
    Router::new()
        .fallback(|State(state): State<Arc<GatewayState>>, request| answer(state, request))
        .with_state(state)
}

/// One request, answered and counted by status: all the gateway does, for [`router`] to wrap
/// and for the listener to call directly.
///
/// The listener does not go through an axum [`Router`]: the routes are the app's
/// [`RouteTable`], which every platform shares, so axum's own routing (its path lookup, the
/// fallback's extractors, the boxed future per request) would only be done and undone. What
/// axum adds to a response on the way out (`Content-Length` from an exact body size, no body
/// for `HEAD`) hyper does itself.
pub(crate) async fn answer(state: Arc<GatewayState>, request: Request) -> Response {
    let response = route(&state, request).await;
    state.count(response.status());
    response
}

/// What answering a request takes, found without awaiting.
enum Prepared<'a> {
    /// Answered without a function (404, 405, 413, 503).
    Answer(Response),
    /// An admin endpoint, or a function's request whose body is still to be read: boxed, so
    /// that neither makes the future of a function's request larger.
    Later(Pin<Box<dyn Future<Output = Response> + Send + 'a>>),
    /// A function's request, whole.
    Invoke(&'a str, HttpRequest),
}

/// Answers `request`. Everything up to the invocation is done before the first await (see
/// [`prepare`]), so the future of a function's request is the running invocation and little
/// else.
fn route(state: &GatewayState, request: Request) -> impl Future<Output = Response> + Send + '_ {
    if request.uri().path().starts_with(ADMIN_PREFIX) {
        return finish(
            state,
            Prepared::Later(Box::pin(admin_or_function(state, request))),
        );
    }
    finish(state, prepare(state, request))
}

/// The rest of a [`Prepared`] request: its answer, or the future that gives it.
fn finish<'a>(
    state: &'a GatewayState,
    prepared: Prepared<'a>,
) -> impl Future<Output = Response> + Send + 'a {
    match prepared {
        Prepared::Answer(response) => Either::Left(std::future::ready(response)),
        Prepared::Later(answer) => Either::Right(Either::Left(answer)),
        Prepared::Invoke(function, request) => {
            Either::Right(Either::Right(invoke(state, function, request)))
        }
    }
}

/// A request under [`ADMIN_PREFIX`]: the admin endpoints, else the function routes (which
/// answer 404, since no function route may use the prefix).
async fn admin_or_function(state: &GatewayState, request: Request) -> Response {
    if let Err(refusal) = state.access.check(&request) {
        return refusal.into_response();
    }
    let request = match dashboard::handle(state, request).await {
        Ok(response) => return response,
        Err(request) => request,
    };
    let (method, uri) = (request.method(), request.uri());
    if let Some(response) = admin::handle(state, method, uri.path(), uri.query()).await {
        return response;
    }
    finish(state, prepare(state, request)).await
}

/// A function's request: its route, the checks that need no body (shutting down, a declared
/// length over the limit), and its body if it has none to wait for.
fn prepare(state: &GatewayState, request: Request) -> Prepared<'_> {
    let (function, params) = match state
        .routes
        .find_function(request.method(), request.uri().path())
    {
        Ok(found) => found,
        Err(RouteMiss::MethodNotAllowed(methods)) => {
            let mut response =
                respond::error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed", None);
            let allow: Vec<&str> = methods.iter().map(http::Method::as_str).collect();
            if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
                response.headers_mut().insert(ALLOW, value);
            }
            return Prepared::Answer(response);
        }
        Err(RouteMiss::NotFound) => {
            let message = format!("no route for {} {}", request.method(), request.uri().path());
            return Prepared::Answer(respond::error(StatusCode::NOT_FOUND, &message, None));
        }
    };
    if state.sources.is_closing() {
        return Prepared::Answer(respond::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting down",
            None,
        ));
    }
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > state.body_limit as u64) {
        return Prepared::Answer(too_large(state.body_limit));
    }
    let whole = |bytes| {
        HttpRequest::from_http(http::Request::from_parts(parts, Body::from(bytes)))
            .with_path_params(params)
    };
    if body.is_end_stream() {
        // No body (a GET): nothing to wait for, so no deadline to set.
        return Prepared::Invoke(function, whole(bytes::Bytes::new()));
    }
    Prepared::Later(Box::pin(async move {
        match read_body(body, state.body_limit, state.body_read_timeout).await {
            Ok(bytes) => invoke(state, function, whole(bytes)).await,
            Err(refusal) => refusal,
        }
    }))
}

/// Invokes `function` with `request` as in-flight work ([`LocalCloud::track_request`]) and
/// turns what it gives into the response.
fn invoke<'a>(
    state: &'a GatewayState,
    function: &'a str,
    request: HttpRequest,
) -> impl Future<Output = Response> + Send + 'a {
    // Started here rather than on its first poll: it is awaited at once, and the future
    // wrapped below then holds the running invocation, not the event.
    let invocation = state.sources.runtime().invoke_now(
        function,
        Event::Http(request),
        InvokeOptions::default().source(InvocationSource::Http),
    );
    state
        .sources
        .track_request(invocation)
        .map(move |tracked| match tracked {
            Some(Ok(invocation)) => {
                respond::respond(function, &invocation.record.request_id, invocation.result)
            }
            None => {
                tracing::warn!(
                    function,
                    "HTTP invocation abandoned at the end of the grace period"
                );
                respond::error(StatusCode::SERVICE_UNAVAILABLE, "shutting down", None)
            }
            Some(Err(e)) => {
                tracing::error!(function, error = %e, "routed to a function the runtime does not have");
                respond::error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal server error",
                    None,
                )
            }
        })
}

/// A request's body, at most `limit` bytes, received within `timeout`; else the response that
/// refuses it (413, 400 or 408).
async fn read_body(
    body: axum::body::Body,
    limit: usize,
    timeout: Duration,
) -> Result<bytes::Bytes, Response> {
    match tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large(limit)),
        Ok(Err(_)) => Err(respond::error(
            StatusCode::BAD_REQUEST,
            "malformed request body",
            None,
        )),
        Err(_) => Err(body_timed_out(timeout)),
    }
}

/// 408, closing the connection: the rest of the body may never come.
fn body_timed_out(timeout: Duration) -> Response {
    let message = format!(
        "request body not received within {} ms",
        timeout.as_millis()
    );
    let mut response = respond::error(StatusCode::REQUEST_TIMEOUT, &message, None);
    response
        .headers_mut()
        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn too_large(limit: usize) -> Response {
    let message = format!("request body larger than {limit} bytes");
    respond::error(StatusCode::PAYLOAD_TOO_LARGE, &message, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use faasport_core::{App, Context, Error, Function};

    async fn ok(_: HttpRequest, _: Context) -> Result<(), Error> {
        Ok(())
    }

    /// A function's request future holds the running invocation and little else: reading a
    /// body and the admin endpoints are boxed, and nothing waits in it that the invocation
    /// already holds. (It was 1,176 bytes against the invocation's 416 when the body was read
    /// inline.)
    #[tokio::test]
    async fn a_function_request_future_is_the_invocation_and_little_else() {
        let app = App::new("a").function(Function::new("f", ok).http(http::Method::GET, "/f"));
        let sources = LocalCloud::builder(app).build().expect("valid app");
        let state = GatewayState::new(sources, &GatewayConfig::default()).expect("state");
        let request = || {
            http::Request::get("/f")
                .body(axum::body::Body::empty())
                .expect("request")
        };
        let event = Event::Http(HttpRequest::from_http(http::Request::new(Body::empty())));
        let invocation = state
            .sources
            .track_request(state.sources.runtime().invoke_now(
                "f",
                event,
                InvokeOptions::default(),
            ));
        let invocation = std::mem::size_of_val(&invocation);
        let route = std::mem::size_of_val(&route(&state, request()));
        let answer = std::mem::size_of_val(&answer(state.clone(), request()));
        assert!(
            route <= invocation + 64,
            "route {route} B, invocation {invocation} B"
        );
        let request = std::mem::size_of::<Request>();
        assert!(
            answer <= route + request + 64,
            "answer {answer} B, route {route} B"
        );
    }
}
