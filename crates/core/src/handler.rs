//! The [`Handler`] trait: what a function runs.
//!
//! Plain async functions are handlers:
//!
//! ```
//! use faasport_core::{Context, Error, HttpRequest, HttpResponse};
//!
//! async fn hello(req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
//!     Ok(HttpResponse::text(http::StatusCode::OK, format!("hello {}", req.path())))
//! }
//! # fn assert_handler<H: faasport_core::Handler<M>, M>(_: H) {}
//! # assert_handler(hello);
//! ```
//!
//! The first argument is any [`FromEvent`] type, the second the [`Context`]; the success type is
//! any [`IntoOutput`]; the error type is any `std::error::Error + Send + Sync + 'static`, whose
//! retry hint is kept when it is a faasport [`Error`].

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::FutureExt as _;

use crate::{Context, Error, Event, EventKind, FromEvent, IntoOutput, Output};

/// Something that turns an event and a context into an output.
///
/// `M` is a marker that lets several blanket implementations coexist; callers never name it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a faasport handler",
    label = "not a handler",
    note = "a handler is an `async fn(E, Context) -> Result<O, Err>` where E is an event type (HttpRequest, QueueBatch, TopicMessage, ScheduleTick, StorageEvent, ChangeBatch, CloudEvent, Event or Json<T>), O is an output (HttpResponse, (), BatchOutcome, Json<T>, serde_json::Value) and Err: std::error::Error + Send + Sync + 'static"
)]
pub trait Handler<M>: Clone + Send + Sync + Sized + 'static {
    /// The kind of event the handler accepts (`http`, `queue`, ..., `any`, `json`), used to check
    /// triggers when the app is validated.
    const ACCEPTS: EventKind;

    /// Runs the handler.
    fn call(&self, event: Event, cx: Context) -> BoxFuture<'static, Result<Output, Error>>;
}

/// The marker for `async fn(E, Context) -> Result<O, Err>` handlers.
#[derive(Debug)]
pub struct AsyncFnMarker<E, O, Err>(std::marker::PhantomData<fn(E) -> (O, Err)>);

impl<F, Fut, E, O, Err> Handler<AsyncFnMarker<E, O, Err>> for F
where
    F: Fn(E, Context) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<O, Err>> + Send + 'static,
    E: FromEvent,
    O: IntoOutput + 'static,
    Err: std::error::Error + Send + Sync + 'static,
{
    const ACCEPTS: EventKind = E::KIND;

    fn call(&self, event: Event, cx: Context) -> BoxFuture<'static, Result<Output, Error>> {
        let input = match E::from_event(event) {
            Ok(input) => input,
            Err(e) => return Box::pin(std::future::ready(Err(e))),
        };
        // A combinator, not an `async` block: the block would keep the handler's future twice
        // (as the value it captured and as the future it awaits), doubling the box and its copy.
        Box::pin((self)(input, cx).map(|result| match result {
            Ok(out) => out.into_output(),
            Err(e) => Err(Error::from_handler(e)),
        }))
    }
}

type ErasedFn = dyn Fn(Event, Context) -> BoxFuture<'static, Result<Output, Error>> + Send + Sync;

/// A type-erased handler, as stored in a [`Function`](crate::Function).
#[derive(Clone)]
pub struct BoxHandler {
    inner: Arc<ErasedFn>,
    accepts: EventKind,
}

impl BoxHandler {
    /// Erases a handler.
    pub fn new<H: Handler<M>, M>(handler: H) -> Self {
        Self {
            inner: Arc::new(move |event, cx| handler.call(event, cx)),
            accepts: H::ACCEPTS,
        }
    }

    /// The kind of event the handler accepts.
    pub fn accepts(&self) -> EventKind {
        self.accepts
    }

    /// Runs the handler; a panic (while creating or polling its future) becomes
    /// [`Error::Panic`] and fails this invocation only.
    ///
    /// The handler's future is created here and boxed, so the future returned holds a pointer
    /// and not the event and context: runtimes that wrap it (in a timeout, a span) move a few
    /// bytes, not the whole invocation. It is `Unpin`, so a runtime may poll it once and only
    /// then decide to wrap it.
    pub fn call(
        &self,
        event: Event,
        cx: Context,
    ) -> impl Future<Output = Result<Output, Error>> + Send + Unpin + 'static {
        // A panic while creating the future is answered by a boxed ready one (a rare path), so
        // the future returned is one pointer wide, not as wide as the error it could hold.
        let fut = std::panic::catch_unwind(AssertUnwindSafe(|| (self.inner)(event, cx)))
            .unwrap_or_else(|payload| {
                let panicked = Err(Error::Panic(panic_message(payload.as_ref())));
                Box::pin(std::future::ready(panicked))
            });
        AssertUnwindSafe(fut).catch_unwind().map(|polled| {
            polled.unwrap_or_else(|payload| Err(Error::Panic(panic_message(payload.as_ref()))))
        })
    }
}

impl std::fmt::Debug for BoxHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoxHandler")
            .field("accepts", &self.accepts)
            .finish()
    }
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BatchOutcome, HttpRequest, HttpResponse, Json, QueueBatch, QueueMessage};

    #[derive(Debug, thiserror::Error)]
    #[error("boom")]
    struct Boom;

    async fn http_ok(req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
        HttpResponse::json(
            http::StatusCode::OK,
            &serde_json::json!({"path": req.path()}),
        )
    }

    async fn batch_fails_odd(batch: QueueBatch, _cx: Context) -> Result<BatchOutcome, Boom> {
        Ok(BatchOutcome::failed(
            batch
                .messages
                .iter()
                .filter(|m| m.body.as_str() == Some("odd"))
                .map(|m| m.id.clone()),
        ))
    }

    async fn always_fails(_: Event, _cx: Context) -> Result<(), Boom> {
        Err(Boom)
    }

    async fn panics(_: Event, _cx: Context) -> Result<(), Error> {
        panic!("handler bug")
    }

    async fn echo_json(
        Json(v): Json<serde_json::Value>,
        _cx: Context,
    ) -> Result<Json<serde_json::Value>, Error> {
        Ok(Json(v))
    }

    fn cx() -> Context {
        Context::new("r1", "f")
    }

    #[tokio::test]
    async fn async_fns_with_any_error_type_are_handlers() {
        let h = BoxHandler::new(http_ok);
        assert_eq!(h.accepts(), EventKind::Http);
        let req = HttpRequest::new(http::Method::GET, "/x").expect("req");
        let Ok(Output::Http(resp)) = h.call(Event::Http(req), cx()).await else {
            panic!("expected http output")
        };
        assert_eq!(resp.body().as_str(), Some(r#"{"path":"/x"}"#));

        let h = BoxHandler::new(batch_fails_odd);
        let batch = QueueBatch::new(
            "q",
            vec![
                QueueMessage::new("1", "odd"),
                QueueMessage::new("2", "even"),
            ],
        );
        assert_eq!(
            h.call(batch.into(), cx()).await.ok(),
            Some(Output::Batch(BatchOutcome::failed(["1"])))
        );

        let h = BoxHandler::new(echo_json);
        assert_eq!(h.accepts(), EventKind::Json);
        let out = h
            .call(Event::from_json(serde_json::json!([1, 2])), cx())
            .await
            .expect("ok");
        assert_eq!(out, Output::Json(serde_json::json!([1, 2])));
    }

    #[tokio::test]
    async fn handler_errors_keep_their_type_name_and_are_retryable() {
        let err = BoxHandler::new(always_fails)
            .call(Event::from_json(serde_json::json!(1)), cx())
            .await
            .expect_err("fails");
        let Error::Handler(e) = err else {
            panic!("expected a handler error")
        };
        assert_eq!(
            (e.error_type.as_str(), e.message.as_str(), e.retryable),
            ("Boom", "boom", true)
        );
    }

    async fn rejects(_: Event, _cx: Context) -> Result<(), Error> {
        Err(Error::bad_request("no `sku`"))
    }

    async fn relays_a_throttle(_: Event, _cx: Context) -> Result<(), Error> {
        Err(Error::Throttled {
            reason: "downstream".into(),
            retry_after: None,
        })
    }

    #[tokio::test]
    async fn a_faasport_error_from_a_handler_comes_back_as_itself() {
        let err = BoxHandler::new(rejects)
            .call(Event::from_json(serde_json::json!(1)), cx())
            .await
            .expect_err("rejects");
        assert!(
            matches!(&err, Error::BadRequest { reason } if reason == "no `sku`"),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_runtime_verdict_returned_by_a_handler_stays_a_handler_error() {
        let err = BoxHandler::new(relays_a_throttle)
            .call(Event::from_json(serde_json::json!(1)), cx())
            .await
            .expect_err("fails");
        let Error::Handler(e) = err else {
            panic!("expected a handler error, got {err:?}")
        };
        assert_eq!((e.error_type.as_str(), e.retryable), ("Throttled", true));
    }

    #[tokio::test]
    async fn a_panicking_handler_fails_only_its_invocation() {
        let h = BoxHandler::new(panics);
        let err = h
            .call(Event::from_json(serde_json::json!(1)), cx())
            .await
            .expect_err("panics");
        assert!(
            matches!(&err, Error::Panic(m) if m == "handler bug"),
            "{err:?}"
        );
        let again = h
            .call(Event::from_json(serde_json::json!(1)), cx())
            .await
            .expect_err("panics again");
        assert!(matches!(again, Error::Panic(_)));
    }

    #[tokio::test]
    async fn a_wrong_event_kind_is_a_mismatch_not_a_panic() {
        let err = BoxHandler::new(http_ok)
            .call(Event::from_json(serde_json::json!(1)), cx())
            .await
            .expect_err("mismatch");
        assert!(matches!(
            err,
            Error::EventMismatch {
                expected: EventKind::Http,
                actual: EventKind::CloudEvent
            }
        ));
    }
}
