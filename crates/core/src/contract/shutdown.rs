//! When a runtime stops: the shutdown signal every backend listens for.
//!
//! Cloud Run, Knative and the Azure Functions host send SIGTERM and allow a grace period;
//! Lambda's runtime is frozen or sent SIGTERM; a person presses Ctrl-C. Every backend's server
//! stops taking work on the first of these and finishes what it has.

use std::future::Future;

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM. On Unix the handlers are installed when
/// this is called, not when it is first polled, so a signal that arrives in between is not lost
/// (nor does it kill the process). Call it inside a tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let streams = [
            (SignalKind::interrupt(), "SIGINT"),
            (SignalKind::terminate(), "SIGTERM"),
        ]
        .map(|(kind, name)| {
            signal(kind)
                .map_err(|e| tracing::error!(error = %e, "cannot listen for {name}"))
                .ok()
                .map(|stream| (stream, name))
        });
        async move {
            let [interrupt, terminate] = streams;
            if interrupt.is_none() && terminate.is_none() {
                tracing::error!("no shutdown signal can be received; stopping");
                return;
            }
            let received = tokio::select! {
                name = wait_for(interrupt) => name,
                name = wait_for(terminate) => name,
            };
            tracing::info!(signal = received, "shutdown signal received");
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C; stopping");
        }
    }
}

#[cfg(unix)]
async fn wait_for(stream: Option<(tokio::signal::unix::Signal, &'static str)>) -> &'static str {
    match stream {
        Some((mut stream, name)) => {
            stream.recv().await;
            name
        }
        None => std::future::pending().await,
    }
}
