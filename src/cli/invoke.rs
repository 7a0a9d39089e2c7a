//! `invoke <function> [--data JSON | --file PATH]`: one event through the local runtime and its
//! sources, so bindings work and asynchronous work it starts is delivered before the command ends.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use faasport_adapter_local::{LocalCloud, Profile, Report};
use faasport_core::{App, Error, Event};

/// Reads the event from `--data`, `--file`, or `{}`.
///
/// # Errors
/// [`Error::InvalidPayload`] if the file cannot be read or a tagged event is malformed;
/// [`Error::Json`] if it is not JSON.
pub fn read_event(data: Option<String>, file: Option<PathBuf>) -> Result<Event, Error> {
    let text = match (data, file) {
        (Some(data), _) => data,
        (None, Some(path)) => std::fs::read_to_string(&path)
            .map_err(|e| Error::invalid_payload(format!("cannot read {}: {e}", path.display())))?,
        (None, None) => "{}".to_owned(),
    };
    let value: serde_json::Value = serde_json::from_str(&text)?;
    Event::try_from_json(value)
}

/// How long `invoke` waits for the asynchronous work it started (publishes, sends, async
/// invokes, their retries) before shutting down and listing what is still pending.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(10);

/// Invokes `function` with `event`, waits up to [`SETTLE_LIMIT`] for the asynchronous work it
/// started, prints `{output, error, record, deliveries, undelivered}` as JSON and returns the
/// run's report. Nothing is dropped silently: what did not finish is listed as `undelivered`.
///
/// # Errors
/// An unknown function or invalid app; a failed invocation is an error after it is printed.
pub async fn invoke(
    app: App,
    profile: Profile,
    function: &str,
    event: Event,
    out: &mut dyn Write,
) -> Result<Report, Error> {
    let sources = LocalCloud::builder(app)
        .runtime(move |runtime| runtime.profile(profile))
        .build()?;
    let invocation = sources.runtime().invoke(function, event).await?;
    if let Err(pending) = sources.settle_within(SETTLE_LIMIT).await {
        tracing::warn!(%pending, "asynchronous work still pending; shutting down");
    }
    let shutdown = sources.shutdown(Duration::from_secs(1)).await;
    let printed = serde_json::json!({
        "output": invocation.result.as_ref().map(|o| o.to_json()).ok(),
        "error": invocation.result.as_ref().err().map(|e| e.to_string()),
        "record": invocation.record,
        "deliveries": shutdown.deliveries,
        "undelivered": shutdown.undelivered,
    });
    writeln!(out, "{}", serde_json::to_string_pretty(&printed)?)?;
    let report = sources.runtime().report();
    invocation.result.map(|_| report)
}
