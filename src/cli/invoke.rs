//! `invoke [<function>] [--http 'METHOD /path'] [--data JSON | --file PATH]`: one event through
//! the local runtime and its sources, so bindings work and asynchronous work it starts is
//! delivered before the command ends.
//!
//! Buckets live in `STATE_DIR/buckets`, and what the queues no function consumes (an outbox, a
//! dead-letter queue) hold at the end is saved in `STATE_DIR/queues.json` and sent again at the
//! start of the next `invoke`, so consecutive calls share buckets and those queues. (`invoke`
//! runs no queue consumers: a message for a consumed queue is listed as undelivered, and
//! `serve` delivers it.)

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use faasport_adapter_local::gateway::{RouteMatch, RouteTable, DEFAULT_BODY_LIMIT};
use faasport_adapter_local::{BucketBackend, LocalCloud, Profile, Report};
use faasport_core::http::Method;
use faasport_core::{App, Error, Event, HttpRequest};

/// The `--help` text on the event format of `invoke`.
pub const EVENT_FORMAT_HELP: &str = "\
EVENTS:
  --data takes the tagged form of an event, {\"kind\": KIND, \"event\": {...}}, with KIND one of
  http, queue, topic, schedule, storage, change, cloud_event. For example:
    {\"kind\": \"http\", \"event\": {\"method\": \"POST\", \"uri\": \"/orders\", \"headers\": [[\"content-type\", \"application/json\"]], \"body\": \"{}\"}}
    {\"kind\": \"queue\", \"event\": {\"queue\": \"jobs\", \"messages\": [{\"id\": \"1\", \"body\": \"hello\"}]}}
    {\"kind\": \"topic\", \"event\": {\"topic\": \"orders\", \"id\": \"m1\", \"body\": \"hello\"}}
  Any other JSON arrives as a CloudEvent of type faasport.invoke, which handlers taking
  Json<T>, CloudEvent or Event read.

  --http 'METHOD /path?query' builds the HTTP request instead, with --data as its body; the
  function is the one the route names (path parameters filled in), so it may be left out.

STATE:
  Buckets are kept in STATE_DIR/buckets, and the messages of queues no function consumes in
  STATE_DIR/queues.json, so the next invoke sees what this one wrote.";

/// Reads the event from `--http`, `--data`, `--file`, or `{}`; with `--http`, also returns
/// the function its route names.
///
/// # Errors
/// [`Error::PayloadTooLarge`] if the file is larger than the gateway's body limit
/// ([`DEFAULT_BODY_LIMIT`]), as a request with it would be refused by `serve`;
/// [`Error::InvalidPayload`] if the file cannot be read, a tagged event is malformed, or the
/// `--http` line is not `METHOD /path` or matches no route; [`Error::Json`] if `--data` is not
/// JSON where JSON is expected.
pub fn read_event(
    app: &App,
    http: Option<&str>,
    data: Option<String>,
    file: Option<PathBuf>,
) -> Result<(Event, Option<String>), Error> {
    let text = match (data, file) {
        (Some(data), _) => Some(data),
        (None, Some(path)) => Some(read_file(&path, DEFAULT_BODY_LIMIT)?),
        (None, None) => None,
    };
    if let Some(line) = http {
        let (request, function) = http_request(app, line, text)?;
        return Ok((Event::Http(request), Some(function)));
    }
    let value: serde_json::Value = serde_json::from_str(text.as_deref().unwrap_or("{}"))?;
    Ok((Event::try_from_json(value)?, None))
}

/// The request `METHOD /path` with `body`, routed like the gateway routes it.
/// The file at `path` as text, refusing more than `limit` bytes. It reads at most one byte past
/// the limit, so a pipe or device that never ends is refused too.
fn read_file(path: &Path, limit: usize) -> Result<String, Error> {
    use std::io::Read as _;
    let cannot_read =
        |e: std::io::Error| Error::invalid_payload(format!("cannot read {}: {e}", path.display()));
    let limit = limit as u64;
    let file = std::fs::File::open(path).map_err(cannot_read)?;
    if let Some(size) = file.metadata().ok().map(|m| m.len()).filter(|&n| n > limit) {
        return Err(Error::PayloadTooLarge { size, limit });
    }
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() as u64 > limit {
        return Err(Error::PayloadTooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    String::from_utf8(bytes)
        .map_err(|_| Error::invalid_payload(format!("{} is not UTF-8 text", path.display())))
}

fn http_request(
    app: &App,
    line: &str,
    body: Option<String>,
) -> Result<(HttpRequest, String), Error> {
    let bad = || {
        Error::invalid_payload(format!(
            "`--http {line}`: expected `METHOD /path`, e.g. `--http 'POST /orders'`"
        ))
    };
    let (method, uri) = line
        .trim()
        .split_once(char::is_whitespace)
        .ok_or_else(bad)?;
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).map_err(|_| bad())?;
    let uri = uri.trim();
    if !uri.starts_with('/') {
        return Err(bad());
    }
    let mut request = HttpRequest::new(method.clone(), uri)?;
    let path = request.path().to_owned();
    let (function, params) = match RouteTable::from_app(app).find(&method, &path) {
        RouteMatch::Found { function, params } => (function, params),
        _ => {
            return Err(Error::invalid_payload(format!(
                "no route for {method} {path} (routes: {})",
                RouteTable::from_app(app).patterns().join(", ")
            )))
        }
    };
    if let Some(body) = body {
        if serde_json::from_str::<serde_json::Value>(&body).is_ok() {
            request = request.with_header("content-type", "application/json")?;
        }
        request = request.with_body(body);
    }
    Ok((request.with_path_params(params), function))
}

/// How long `invoke` waits for the asynchronous work it started (publishes, sends, async
/// invokes, their retries) before shutting down and listing what is still pending.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(10);

/// Invokes `function` with `event`, waits up to [`SETTLE_LIMIT`] for the asynchronous work it
/// started, prints `{output, error, hint, record, deliveries, undelivered}` as JSON and returns
/// the run's report. Nothing is dropped silently: what did not finish is listed as
/// `undelivered`. With `state`, buckets and queue contents are kept there between calls.
///
/// # Errors
/// An unknown function or invalid app; a failed invocation is an error after it is printed. A
/// plain payload sent to a handler of another kind is an [`Error::InvalidPayload`] that shows
/// the tagged form to use instead.
pub async fn invoke(
    app: App,
    profile: Profile,
    function: &str,
    event: Event,
    state: Option<&Path>,
    out: &mut dyn Write,
) -> Result<Report, Error> {
    let mut builder = LocalCloud::builder(app).profile(profile);
    if let Some(dir) = state {
        builder = builder.buckets(BucketBackend::Directory(dir.join("buckets")));
    }
    let sources = builder.build()?;
    if let Some(dir) = state {
        super::state::restore_queues(dir, &sources).await?;
    }
    let plain_payload =
        matches!(&event, Event::CloudEvent(c) if c.ty == faasport_core::event::INVOKE_EVENT_TYPE);
    let invocation = sources.runtime().invoke(function, event).await?;
    if let Err(pending) = sources.settle_within(SETTLE_LIMIT).await {
        tracing::warn!(%pending, "asynchronous work still pending; shutting down");
    }
    let shutdown = sources.shutdown(Duration::from_secs(1)).await;
    if let Some(dir) = state {
        super::state::save_queues(dir, &sources)?;
    }
    let hint = match &invocation.result {
        Err(Error::EventMismatch { expected, .. }) if plain_payload => Some(tagged_hint(*expected)),
        _ => None,
    };
    let printed = serde_json::json!({
        "output": invocation.result.as_ref().map(|o| o.to_json()).ok(),
        "error": invocation.result.as_ref().err().map(|e| e.to_string()),
        "hint": hint,
        "record": invocation.record,
        "deliveries": shutdown.deliveries,
        "undelivered": shutdown.undelivered,
    });
    writeln!(out, "{}", serde_json::to_string_pretty(&printed)?)?;
    let report = sources.runtime().report();
    match (invocation.result, hint) {
        (Err(e), Some(hint)) => Err(Error::invalid_payload(format!("{e}; {hint}"))),
        (result, _) => result.map(|_| report),
    }
}

/// What to send instead of a plain payload to a handler that takes `expected` events.
fn tagged_hint(expected: faasport_core::EventKind) -> String {
    let tagged = format!(
        "--data '{{\"kind\": \"{expected}\", \"event\": {{...}}}}' (the formats are in `invoke --help`)"
    );
    if expected == faasport_core::EventKind::Http {
        format!("send an HTTP request with `--http 'METHOD /path' --data BODY`, or {tagged}")
    } else {
        format!("send the tagged form, {tagged}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_larger_than_the_body_limit_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("event.json");
        std::fs::write(&path, "{\"a\": 1}").expect("write");
        assert_eq!(read_file(&path, 8).expect("fits"), "{\"a\": 1}");
        assert!(matches!(
            read_file(&path, 7),
            Err(Error::PayloadTooLarge { size: 8, limit: 7 })
        ));
    }
}
