//! [`spawn`]: serve mode in a background task, for tests and for embedding the local runtime.

use std::net::SocketAddr;

use faasport_core::App;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::serve::{serve_with, ServeError, ServeOptions, ServeReport};

/// A serve run in a background task; [`RunningServer::stop`] ends it like a signal would.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<ServeReport, ServeError>>,
}

impl RunningServer {
    /// The address the gateway listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, to prefix paths with.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Shuts the server down (grace period included) and returns its report.
    ///
    /// # Errors
    /// What the serve run failed with, or [`ServeError::Task`] if its task panicked.
    pub async fn stop(self) -> Result<ServeReport, ServeError> {
        // The receiver is gone only if the run already ended; its result says how.
        let _ = self.stop.send(());
        self.task
            .await
            .map_err(|e| ServeError::Task(e.to_string()))?
    }
}

/// Starts serving `app` in a background task and returns once the gateway is bound.
///
/// # Errors
/// [`ServeError::App`] for an invalid app, [`ServeError::Gateway`] if the address cannot be bound.
pub async fn spawn(app: App, options: ServeOptions) -> Result<RunningServer, ServeError> {
    let (ready_tx, ready_rx) = oneshot::channel();
    let (stop, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_with(
        app,
        options,
        move |addr| {
            let _ = ready_tx.send(addr);
        },
        async move {
            let _ = stop_rx.await;
        },
    ));
    match ready_rx.await {
        Ok(addr) => Ok(RunningServer { addr, stop, task }),
        // Never ready: the run ended early, and its result says why.
        Err(_) => match task.await {
            Ok(Err(e)) => Err(e),
            Ok(Ok(_)) => Err(ServeError::Task(
                "the server stopped before it was ready".into(),
            )),
            Err(e) => Err(ServeError::Task(e.to_string())),
        },
    }
}
