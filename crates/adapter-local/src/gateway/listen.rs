//! The accept loop: hyper's HTTP/1.1 connections with a timer, so the header read timeout takes
//! effect, an idle keep-alive timeout, a cap on open connections, and graceful shutdown.
//!
//! `axum::serve` gives hyper no timer, so a client that never finishes its request head would
//! hold its connection for ever; this loop is what the gateway serves with instead.
//!
//! - **Connection cap.** A connection is served only with a permit of a semaphore sized by
//!   [`GatewayConfig::max_connections`]. When a client connects and none is left, the connection
//!   that has gone longest without a request in flight (one still sending its request head or
//!   body, or an idle keep-alive one) is closed to make room, so slow-header and slow-body
//!   clients cannot lock others out; when every connection has a request in flight, the client
//!   waits (its request is queued, not refused). A request is in flight from the moment its
//!   body has fully arrived (at once without a body) until its response is ready. A warning is
//!   logged, at most once per [`CAP_WARNING_INTERVAL`].
//! - **Body read timeout.** The gateway's own ([`GatewayConfig::body_read_timeout`]): a body
//!   that has not fully arrived in time, a truncated chunked body included, gets 408 and the
//!   connection is closed.
//! - **Header read timeout.** hyper's own, driven by a coarse timer ([`CoarseTimer`]): hyper
//!   asks for a new sleep for every request head it reads, and a tokio timer per request (an
//!   allocation, a timer-wheel insert and a removal) was about 3 % of the gateway's CPU. Its
//!   sleeps only compare the clock with their deadline when polled; the connection's task is
//!   woken at least every eighth of the timeout, so a head that has not arrived is refused
//!   within 1/8 of the timeout after its deadline. It also covers the wait for the next request
//!   head on a keep-alive connection.
//! - **Idle timeout.** A connection with no request in flight and none started for
//!   [`GatewayConfig::idle_timeout`] is shut down gracefully (hyper finishes any exchange first).
//! - **Shutdown.** Accepting stops, every connection is asked to close after its current
//!   request, and the loop returns when the last one has.
//! - **Requests.** Each one goes to the gateway's `answer` directly, not through an axum
//!   `Router`: the gateway routes by the app's `RouteTable`, so a router holding only a
//!   fallback would look up, extract and box for nothing.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::task::AtomicWaker;

use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::task::TaskTracker;

use super::{answer, GatewayConfig, GatewayState};

/// The shortest time between two warnings that the connection cap is reached.
pub const CAP_WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// How often a client waiting past the cap looks again for a connection to close.
const EVICT_RECHECK: Duration = Duration::from_millis(100);

/// The per-connection settings of the accept loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    header_read_timeout: Duration,
    idle_timeout: Duration,
    max_connections: usize,
}

impl ConnectionLimits {
    pub(crate) fn of(config: &GatewayConfig) -> Self {
        Self {
            header_read_timeout: config.header_read_timeout,
            idle_timeout: config.idle_timeout,
            max_connections: config.max_connections.max(1),
        }
    }
}

/// Serves the gateway (`state`) on `listener` until `shutdown` completes and every connection
/// has closed.
pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<GatewayState>,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let connections = TaskTracker::new();
    let open = Arc::new(OpenConnections::default());
    let base = Instant::now();
    let mut last_warning: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors and the like: the listener itself is fine, so wait a
                    // little rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                let evicted = open.evict_longest_idle();
                if last_warning.is_none_or(|at| at.elapsed() >= CAP_WARNING_INTERVAL) {
                    last_warning = Some(Instant::now());
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        evicted,
                        "connection cap reached: closing the connection longest without a request, or waiting for one to close"
                    );
                }
                // A connection may finish its request and go idle while this one waits.
                let permit = loop {
                    tokio::select! {
                        permit = permits.clone().acquire_owned() => break permit.ok(),
                        () = &mut shutdown => break None,
                        () = tokio::time::sleep(EVICT_RECHECK) => {
                            open.evict_longest_idle();
                        }
                    }
                };
                let Some(permit) = permit else {
                    break;
                };
                permit
            }
        };
        let state = state.clone();
        let activity = Arc::new(Activity::new(base));
        let id = open.insert(activity.clone());
        let open = open.clone();
        connections.spawn(async move {
            serve_connection(stream, state, limits, activity).await;
            open.remove(id);
            drop(permit);
        });
    }
    drop(listener);
    open.close_all();
    connections.close();
    connections.wait().await;
    Ok(())
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    state: Arc<GatewayState>,
    limits: ConnectionLimits,
    activity: Arc<Activity>,
) {
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |request: http::Request<Incoming>| {
            activity.start();
            let request = request.map(|body| axum::body::Body::new(Arriving::new(body, &activity)));
            // Marks the end of the request when the response is ready (or the request is
            // dropped unanswered).
            let finished = Finished(activity.clone());
            let response = answer(state.clone(), request);
            async move {
                let response = response.await;
                drop(finished);
                Ok::<_, Infallible>(response)
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(CoarseTimer)
        .header_read_timeout(limits.header_read_timeout);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut closing = false;
    // hyper's header read timeout is only looked at when the connection is polled.
    let tick = (limits.header_read_timeout / 8).max(Duration::from_millis(1));
    loop {
        let wake_at = activity
            .idle_deadline(limits.idle_timeout)
            .min(Instant::now() + tick);
        // Once closing, only an eviction is still news.
        let wanted = if closing {
            Close::Now
        } else {
            Close::AfterRequest
        };
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection closed with an error");
                }
                return;
            }
            close = poll_fn(|cx| activity.close.poll(cx, wanted)) => match close {
                // Closed at once to make room past the cap (it had no request in flight).
                Close::Now => return,
                Close::AfterRequest => {
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
            },
            () = tokio::time::sleep_until(wake_at) => {
                if !closing && activity.is_idle(limits.idle_timeout) {
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// hyper's [`Timer`](hyper::rt::Timer) for the header read timeout, without a tokio timer per
/// request: its sleeps are ready once the clock (tokio's, so a paused clock applies) has passed
/// their deadline when they are polled, and register no wake-up. The connection's task polls
/// its connection at least every eighth of the timeout ([`serve_connection`]), so a sleep is
/// seen to end at most that late.
#[derive(Debug, Clone, Copy)]
struct CoarseTimer;

impl hyper::rt::Timer for CoarseTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until(self.now() + duration)
    }

    fn sleep_until(&self, deadline: std::time::Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(CoarseSleep { deadline })
    }

    fn now(&self) -> std::time::Instant {
        Instant::now().into_std()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: std::time::Instant) {
        match sleep.as_mut().downcast_mut_pin::<CoarseSleep>() {
            Some(mut sleep) => sleep.deadline = new_deadline,
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// A [`CoarseTimer`] sleep.
struct CoarseSleep {
    deadline: std::time::Instant,
}

impl Future for CoarseSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now().into_std() >= self.deadline {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl hyper::rt::Sleep for CoarseSleep {}

/// The connections being served, so the one longest without a request in flight can be closed
/// when the cap is reached.
#[derive(Debug, Default)]
struct OpenConnections {
    next: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Activity>>>,
}

impl OpenConnections {
    fn insert(&self, activity: Arc<Activity>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, activity);
        id
    }

    /// Asks every connection to close after its current request (shutdown).
    fn close_all(&self) {
        for activity in self.lock().values() {
            activity.close.send(Close::AfterRequest);
        }
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Closes the connection without a request in flight whose last request started or ended
    /// (or which opened) longest ago; whether there was one.
    fn evict_longest_idle(&self) -> bool {
        let open = self.lock();
        let longest = open
            .values()
            .filter(|activity| !activity.close.is(Close::Now) && !activity.in_flight())
            .min_by_key(|activity| activity.last());
        match longest {
            Some(activity) => {
                activity.close.send(Close::Now);
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Activity>>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where a connection's current request is, and when its last request started or finished.
///
/// HTTP/1.1 serves one request at a time per connection, so one phase per connection is enough.
#[derive(Debug)]
struct Activity {
    /// [`IDLE`], [`RECEIVING`] or [`IN_FLIGHT`].
    phase: AtomicU8,
    /// When the last request started or ended (or the connection opened), in nanoseconds
    /// since `base`.
    last: AtomicU64,
    /// The accept loop's start, which every connection's `last` counts from.
    base: Instant,
    close: CloseSignal,
}

/// No request: waiting for the next head (or reading it), or idle.
const IDLE: u8 = 0;
/// A request head has been read and its body is arriving.
const RECEIVING: u8 = 1;
/// The request's body has arrived and its response is not ready yet.
const IN_FLIGHT: u8 = 2;

impl Activity {
    fn new(base: Instant) -> Self {
        let activity = Self {
            phase: AtomicU8::new(IDLE),
            last: AtomicU64::new(0),
            base,
            close: CloseSignal::default(),
        };
        activity.touch();
        activity
    }

    fn last(&self) -> Instant {
        self.base + Duration::from_nanos(self.last.load(Ordering::Relaxed))
    }

    fn touch(&self) {
        let since = Instant::now().saturating_duration_since(self.base);
        let nanos = u64::try_from(since.as_nanos()).unwrap_or(u64::MAX);
        self.last.store(nanos, Ordering::Relaxed);
    }

    /// A request head has been read.
    fn start(&self) {
        self.touch();
        self.phase.store(RECEIVING, Ordering::SeqCst);
    }

    /// The current request's body has arrived.
    fn arrived(&self) {
        let _ =
            self.phase
                .compare_exchange(RECEIVING, IN_FLIGHT, Ordering::SeqCst, Ordering::SeqCst);
    }

    fn in_flight(&self) -> bool {
        self.phase.load(Ordering::SeqCst) == IN_FLIGHT
    }

    /// When the connection becomes idle if nothing happens; a connection with a request (its
    /// body arriving, or in flight) is looked at again one `idle` later.
    fn idle_deadline(&self, idle: Duration) -> Instant {
        if self.phase.load(Ordering::SeqCst) != IDLE {
            return Instant::now() + idle;
        }
        self.last() + idle
    }

    fn is_idle(&self, idle: Duration) -> bool {
        self.phase.load(Ordering::SeqCst) == IDLE && Instant::now() >= self.idle_deadline(idle)
    }
}

/// A request body that puts its request in flight once it has fully arrived: until then the
/// connection is still receiving, as one sending its head is, and may be closed past the cap.
struct Arriving {
    body: Incoming,
    /// The connection, until the body has arrived.
    activity: Option<Arc<Activity>>,
}

impl Arriving {
    fn new(body: Incoming, activity: &Arc<Activity>) -> Self {
        if hyper::body::Body::is_end_stream(&body) {
            activity.arrived();
            return Self {
                body,
                activity: None,
            };
        }
        Self {
            body,
            activity: Some(activity.clone()),
        }
    }

    fn arrived(&mut self) {
        if let Some(activity) = self.activity.take() {
            activity.arrived();
        }
    }
}

impl hyper::body::Body for Arriving {
    type Data = bytes::Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        let polled = std::pin::Pin::new(&mut self.body).poll_frame(cx);
        if matches!(polled, std::task::Poll::Ready(None)) || self.body.is_end_stream() {
            self.arrived();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// The connection's current request; dropping it (with the response ready, or the request
/// abandoned) marks the end of the request.
struct Finished(Arc<Activity>);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.touch();
        self.0.phase.store(IDLE, Ordering::SeqCst);
    }
}

/// How a connection is asked to close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Close {
    /// After its current request, if any (shutdown, or idle).
    AfterRequest = 1,
    /// At once: evicted to make room past the cap (it had no request in flight).
    Now = 2,
}

/// The accept loop's request that a connection close, the strongest one sent so far.
///
/// The connection's task looks at it on every wake-up, that is several times per request: an
/// atomic and the task's waker, rather than a cancellation token shared by every connection,
/// whose lock all of them would take on each look.
#[derive(Debug, Default)]
struct CloseSignal {
    /// 0 while open, else a [`Close`] as `u8`.
    state: AtomicU8,
    waker: AtomicWaker,
}

impl CloseSignal {
    fn send(&self, close: Close) {
        self.state.fetch_max(close as u8, Ordering::SeqCst);
        self.waker.wake();
    }

    fn is(&self, close: Close) -> bool {
        self.state.load(Ordering::SeqCst) >= close as u8
    }

    /// Ready with the request once one at least as strong as `wanted` has been sent.
    fn poll(&self, cx: &mut Context<'_>, wanted: Close) -> Poll<Close> {
        let sent = |state: u8| match state {
            2 => Some(Close::Now),
            1 => Some(Close::AfterRequest),
            _ => None,
        };
        let ready = |state| sent(state).filter(|close| *close >= wanted);
        if let Some(close) = ready(self.state.load(Ordering::SeqCst)) {
            return Poll::Ready(close);
        }
        self.waker.register(cx.waker());
        match ready(self.state.load(Ordering::SeqCst)) {
            Some(close) => Poll::Ready(close),
            None => Poll::Pending,
        }
    }
}
