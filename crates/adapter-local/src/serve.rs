//! Serve mode: the gateway, queues and schedules of an app, until a shutdown signal.
//!
//! This is what the app binary's `serve [--port N]` runs with the local backend. It stops on
//! Ctrl-C (SIGINT) and on SIGTERM, which is how Cloud Run, Knative and container runtimes ask
//! a process to stop ([`shutdown_signal`]).
//!
//! After the signal the gateway takes no new connections, new requests get 503, and everything
//! in flight (HTTP invocations, asynchronous deliveries, queue batches) has one grace period in
//! total to finish; what is still running then is cancelled and counted in the
//! [`ShutdownReport`].
//!
//! # Examples
//! ```no_run
//! use faasport_adapter_local::serve::{serve_until_signal, ServeOptions};
//! # async fn run(app: faasport_core::App) -> Result<(), Box<dyn std::error::Error>> {
//! let options = ServeOptions::default().port(8080);
//! let report = serve_until_signal(app, options, |addr| println!("listening on http://{addr}")).await?;
//! println!("left undelivered: {}", report.shutdown.undelivered.len());
//! # Ok(()) }
//! ```

pub use faasport_core::contract::shutdown_signal;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use faasport_core::{App, Error};

use crate::gateway::{
    Gateway, GatewayConfig, GatewayError, DEFAULT_BODY_LIMIT, DEFAULT_BODY_READ_TIMEOUT,
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
};
use crate::sources::{DeliveryPolicy, LocalCloud, ShutdownReport};
use crate::{FaultPlan, LocalConfig, Profile, Report};

pub use crate::spawned::{spawn, RunningServer};

/// How long in-flight work may run after a shutdown signal unless set.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

/// Serve-mode settings.
#[derive(Clone)]
#[non_exhaustive]
pub struct ServeOptions {
    /// Where the gateway listens (`127.0.0.1:3000` by default).
    pub addr: SocketAddr,
    /// The largest request body accepted (413 above it).
    pub body_limit: usize,
    /// How long a client may take to send a request's head
    /// ([`DEFAULT_HEADER_READ_TIMEOUT`], 10 s).
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body, 408 past it
    /// ([`DEFAULT_BODY_READ_TIMEOUT`], 30 s).
    pub body_read_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request
    /// ([`DEFAULT_IDLE_TIMEOUT`], 5 s).
    pub idle_timeout: Duration,
    /// How many connections are served at once ([`DEFAULT_MAX_CONNECTIONS`], 512).
    pub max_connections: usize,
    /// The token the admin endpoints require as `Authorization: Bearer` (none by default).
    pub admin_token: Option<String>,
    /// How long in-flight work may finish after the signal.
    pub grace: Duration,
    /// How the local runtime runs: profile, faults, delivery policy, buckets, clock.
    pub config: LocalConfig,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            addr: GatewayConfig::default().addr,
            body_limit: DEFAULT_BODY_LIMIT,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            admin_token: None,
            grace: DEFAULT_GRACE,
            config: LocalConfig::default(),
        }
    }
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("gateway", &self.gateway_config())
            .field("grace", &self.grace)
            .field("config", &self.config)
            .finish()
    }
}

impl ServeOptions {
    /// The gateway's settings.
    fn gateway_config(&self) -> GatewayConfig {
        let mut config = GatewayConfig::default()
            .addr(self.addr)
            .body_limit(self.body_limit)
            .header_read_timeout(self.header_read_timeout)
            .body_read_timeout(self.body_read_timeout)
            .idle_timeout(self.idle_timeout)
            .max_connections(self.max_connections);
        if let Some(token) = &self.admin_token {
            config = config.admin_token(token.clone());
        }
        config
    }

    /// Sets the header read timeout ([`GatewayConfig::header_read_timeout`]).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Sets the body read timeout ([`GatewayConfig::body_read_timeout`]).
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// Sets the idle keep-alive timeout ([`GatewayConfig::idle_timeout`]).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets the connection cap ([`GatewayConfig::max_connections`]).
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// Requires `Authorization: Bearer <token>` on the admin endpoints
    /// ([`GatewayConfig::admin_token`]); set it when binding to an address that is not loopback.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// Listens on `127.0.0.1:port`.
    pub fn port(mut self, port: u16) -> Self {
        self.addr = SocketAddr::from(([127, 0, 0, 1], port));
        self
    }

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

    /// Sets the grace period.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Takes the local runtime's settings from `config` (replacing any set before).
    pub fn config(mut self, config: LocalConfig) -> Self {
        self.config = config;
        self
    }

    /// Sets the delivery policy ([`LocalConfig::policy`]).
    pub fn policy(mut self, policy: DeliveryPolicy) -> Self {
        self.config.policy = Some(policy);
        self
    }

    /// Injects faults ([`LocalConfig::faults`]).
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.config.faults = Some(plan);
        self
    }

    /// Scales and bills like this provider ([`LocalConfig::profile`]).
    pub fn profile(mut self, profile: Profile) -> Self {
        self.config.profile = profile;
        self
    }

    /// Keeps bucket objects in `dir` ([`LocalConfig::bucket_dir`]).
    pub fn bucket_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config = self.config.bucket_dir(dir);
        self
    }
}

/// What a serve run ended with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServeReport {
    /// The address the gateway listened on.
    pub addr: SocketAddr,
    /// What shutdown found.
    pub shutdown: ShutdownReport,
    /// What the run measured and would cost, taken after shutdown.
    pub report: Report,
}

/// Serve mode failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The app is invalid.
    #[error(transparent)]
    App(#[from] Error),
    /// The gateway failed.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// The background task of a server started with [`spawn`] failed.
    #[error("the server task failed: {0}")]
    Task(String),
}

/// Serves `app` until `shutdown` completes; `on_ready` is told the bound address first.
///
/// From the moment `shutdown` completes, the run ends within `options.grace` (plus the time to
/// take the report): in-flight work that has not finished by then is cancelled and counted.
///
/// # Errors
/// [`ServeError::App`] for an invalid app, [`ServeError::Gateway`] if the port cannot be bound.
pub async fn serve_with(
    app: App,
    options: ServeOptions,
    on_ready: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<ServeReport, ServeError> {
    let config = options.gateway_config();
    let sources = LocalCloud::builder(app).config(options.config).build()?;
    let gateway = Gateway::bind(sources.clone(), config).await?;
    let addr = gateway.local_addr();
    sources.start();
    tracing::info!(%addr, app = sources.app().name(), "serving");
    on_ready(addr);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gateway.serve(async move {
        let _ = stop_rx.await;
    }));
    shutdown.await;
    // One grace period for everything: the sources' wait (which covers HTTP invocations) and
    // the server's closing of its connections share the same deadline.
    let deadline = tokio::time::Instant::now() + options.grace;
    let _ = stop_tx.send(());
    let report = sources.shutdown(options.grace).await;
    let mut server = server;
    match tokio::time::timeout_at(deadline, &mut server).await {
        Ok(Ok(Err(e))) => return Err(e.into()),
        Ok(_) => {}
        Err(_) => {
            tracing::warn!("HTTP connections still open after the grace period: closing them");
            server.abort();
        }
    }
    Ok(ServeReport {
        addr,
        shutdown: report,
        report: sources.runtime().report(),
    })
}

/// Serves `app` until `shutdown` completes.
///
/// # Errors
/// As [`serve_with`].
pub async fn serve(
    app: App,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<ServeReport, ServeError> {
    serve_with(app, options, |_| {}, shutdown).await
}

/// Serves `app` until Ctrl-C (SIGINT) or SIGTERM; `on_ready` is told the bound address first.
///
/// # Errors
/// As [`serve_with`].
pub async fn serve_until_signal(
    app: App,
    options: ServeOptions,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<ServeReport, ServeError> {
    serve_with(app, options, on_ready, shutdown_signal()).await
}

/// Serves `app` until Ctrl-C or SIGTERM: [`serve_until_signal`] without a ready callback, kept
/// under its old name.
///
/// # Errors
/// As [`serve_with`].
pub async fn serve_until_ctrl_c(
    app: App,
    options: ServeOptions,
) -> Result<ServeReport, ServeError> {
    serve_until_signal(app, options, |_| {}).await
}
