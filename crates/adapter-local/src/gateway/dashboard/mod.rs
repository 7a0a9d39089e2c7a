//! The live dashboard: a web page under [`ADMIN_PREFIX`] showing, as it happens, what the
//! runtime does.
//!
//! # The stack, and why
//!
//! A server-rendered HTML page (`page.rs`), one small hand-written script and style sheet, and
//! [uPlot](https://github.com/leeoniya/uPlot) 1.6.32 for the scaling chart, copied from the npm
//! package (`npm pack uplot@1.6.32`: `dist/uPlot.iife.min.js`, `dist/uPlot.min.css` and its MIT
//! `LICENSE`) into `crates/adapter-local/assets/dashboard/` and compiled into the binary with
//! `include_bytes!`. No Node step builds the crate and nothing is fetched at run time: the page
//! works with the network off. uPlot draws thousands of points on a canvas in about 50 KB,
//! with no dependencies.
//!
//! # Endpoints
//!
//! | path | what |
//! |---|---|
//! | `GET /_faasport/` | the page (`text/html`) |
//! | `GET /_faasport/dashboard/assets/{file}` | the script, the style sheet, uPlot and its licence |
//! | `GET /_faasport/dashboard/events` | server-sent events: a `snapshot` event at most every [`TICK`](snapshot::TICK) |
//! | `GET /_faasport/dashboard/snapshot` | the latest snapshot as JSON |
//! | `GET /_faasport/dashboard/history` | the sampled instance counts kept ([`HISTORY`](snapshot::HISTORY) samples) |
//! | `POST /_faasport/dashboard/try` | fires a test event at a function: result and log lines (`try_it.rs`) |
//!
//! Everything else the page does goes through the admin API: dead letters (inspect, redrive,
//! purge), topics, queues, and bucket listings and downloads.
//!
//! # Access
//!
//! The dashboard is an admin endpoint like the others and passes the same checks first
//! (`access.rs`): `Host` and `Origin` must name the bound address or `localhost`, and the page's
//! own `POST`s and `DELETE`s send `content-type: application/json`. The page is served with a
//! content security policy allowing only its own scripts, and may not be framed. With an admin
//! token set, a browser cannot send it on a page load, so the page answers 401: the dashboard is
//! for loopback use.
//!
//! # Cost
//!
//! One sampler task per gateway, started by the first dashboard request and ended by the
//! gateway's shutdown, reads the runtime every [`TICK`](snapshot::TICK): the running counters
//! ([`LocalRuntime::metrics`](crate::LocalRuntime::metrics)) and the scaling trace's instance
//! peaks, O(functions) whatever the number of invocations. While a page is open, every
//! [`SLOW_EVERY`](snapshot::SLOW_EVERY) ticks it also reads the duration percentiles, the costs
//! and their month projection, queue depths, topic histories and the latest dead letters (each
//! bounded; the percentiles and costs are computed under the meter's lock, which invocations
//! wait for meanwhile). It serialises one snapshot, shared by every open page through a `watch`
//! channel: a page that reads slowly skips snapshots instead of queueing them, so each
//! connection holds at most one snapshot. Measured in a debug build with 100 functions after
//! 10,000 invocations (`cargo test -p faasport-adapter-local --lib -- a_snapshot_of_100
//! --nocapture`): a 17 KB snapshot, about 6 ms per tick and 33 ms with the slow parts. In
//! chromium, with 100 functions and 1,000 invocations a second
//! (`FAASPORT_REQUIRE_PEERS=1 cargo test -p faasport-adapter-local --test dashboard_browser --
//! --nocapture`), the page applied every snapshot (20 in 10 s) in each of three runs; its main
//! thread spent 0.6 to 3.3 s of the 10 s in long tasks (the longest 126 to 889 ms), on a
//! 2-core machine at a load average of 9 with the server (debug build) and chromium on it.
//!
//! An event stream ends when the gateway shuts down, so open pages never hold
//! [`Gateway::serve`](super::Gateway::serve) open.

mod assets;
mod capture;
mod page;
mod readings;
mod snapshot;
mod try_it;

use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Body as AxumBody;
use axum::extract::Request;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse as _, Response};
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt as _, Limited};
use tokio_util::sync::{CancellationToken, DropGuard};

use super::admin::ADMIN_PREFIX;
use super::GatewayState;
use crate::LocalCloud;

/// The largest "try it" request accepted.
const TRY_BODY_LIMIT: usize = 1024 * 1024;

/// How often an idle event stream sends a comment, so proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The dashboard of one gateway.
pub(crate) struct Dashboard {
    sources: LocalCloud,
    closing: CancellationToken,
    feed: Mutex<Option<Arc<snapshot::Feed>>>,
    /// Ends the sampler when the gateway's state goes away without a shutdown (a router
    /// dropped by a test).
    _drop: DropGuard,
}

impl Dashboard {
    pub(crate) fn new(sources: LocalCloud) -> Self {
        let closing = CancellationToken::new();
        Self {
            sources,
            _drop: closing.clone().drop_guard(),
            closing,
            feed: Mutex::new(None),
        }
    }

    /// Cancelled when the gateway shuts down: the sampler and every event stream end.
    pub(crate) fn closing(&self) -> CancellationToken {
        self.closing.clone()
    }

    /// The sampler, started on first use.
    fn feed(&self) -> Arc<snapshot::Feed> {
        let mut feed = self.feed.lock().unwrap_or_else(PoisonError::into_inner);
        feed.get_or_insert_with(|| {
            snapshot::Feed::start(self.sources.clone(), self.closing.clone())
        })
        .clone()
    }
}

/// Serves the dashboard's paths; any other request is handed back.
pub(crate) async fn handle(state: &GatewayState, request: Request) -> Result<Response, Request> {
    let path = request.uri().path();
    let Some(rest) = path.strip_prefix(ADMIN_PREFIX) else {
        return Err(request);
    };
    let dashboard = &state.dashboard;
    let method = request.method().clone();
    let response = match (&method, rest) {
        (&Method::GET, "" | "dashboard" | "dashboard/") => page::render(&state.sources),
        (&Method::GET, "dashboard/events") => events(dashboard),
        (&Method::GET, "dashboard/snapshot") => {
            json_text(dashboard.feed().latest(&dashboard.sources))
        }
        (&Method::GET, "dashboard/history") => json_text(dashboard.feed().history()),
        (&Method::POST, "dashboard/try") => try_it(state, request).await,
        (&Method::GET, asset) if asset.starts_with("dashboard/assets/") => {
            assets::serve(&asset["dashboard/assets/".len()..])
        }
        (_, other) if other == "dashboard" || other.starts_with("dashboard/") => {
            super::respond::error(StatusCode::NOT_FOUND, "no such dashboard endpoint", None)
        }
        _ => return Err(request),
    };
    Ok(response)
}

/// One `snapshot` event per snapshot the sampler takes, the latest first; a slow reader skips
/// to the newest. Ends when the gateway shuts down.
fn events(dashboard: &Dashboard) -> Response {
    let feed = dashboard.feed();
    let first = feed.latest(&dashboard.sources);
    let receiver = feed.subscribe();
    let closing = dashboard.closing.clone();
    let state = (Some(first), receiver, closing);
    let stream = futures::stream::unfold(state, |(first, mut receiver, closing)| async move {
        if let Some(first) = first {
            let event = SseEvent::default().event("snapshot").data(&*first);
            return Some((Ok::<_, Infallible>(event), (None, receiver, closing)));
        }
        tokio::select! {
            () = closing.cancelled() => None,
            changed = receiver.changed() => {
                changed.ok()?;
                let data = receiver.borrow_and_update().clone();
                let event = SseEvent::default().event("snapshot").data(&*data);
                Some((Ok(event), (None, receiver, closing)))
            }
        }
    });
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn try_it(state: &GatewayState, request: Request) -> Response {
    let collect = Limited::new(request.into_body(), TRY_BODY_LIMIT).collect();
    let bytes = match collect.await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let message = format!("a test event must be JSON of at most {TRY_BODY_LIMIT} bytes");
            return super::respond::error(StatusCode::PAYLOAD_TOO_LARGE, &message, None);
        }
    };
    let test: try_it::TestEvent = match serde_json::from_slice(&bytes) {
        Ok(test) => test,
        Err(e) => {
            let message = format!("not a test event: {e}");
            return super::respond::error(StatusCode::BAD_REQUEST, &message, None);
        }
    };
    match try_it::fire(&state.sources, &state.routes, test).await {
        Ok(result) => json_value(&result),
        Err(try_it::Refused { status, message }) => super::respond::error(status, &message, None),
    }
}

fn json_text(text: Arc<str>) -> Response {
    let mut response = Response::new(AxumBody::from(text.to_string()));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn json_value<T: serde::Serialize>(value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(text) => json_text(Arc::from(text)),
        Err(_) => super::respond::error(StatusCode::INTERNAL_SERVER_ERROR, "cannot encode", None),
    }
}
