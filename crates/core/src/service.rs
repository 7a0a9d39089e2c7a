//! Tower services as HTTP functions: mount an axum `Router` (or any
//! [`tower_service::Service`] on `http` types) as a [`Function`].
//!
//! The service receives the request exactly as the gateway or the provider delivered it: the
//! original URI (so an axum `Router` routes on the full path), the headers, and the body as
//! [`http_body_util::Full<Bytes>`]. The route's path parameters are in the request's extensions
//! as [`PathParams`](crate::event::PathParams). Its response body is collected into the
//! [`HttpResponse`].
//!
//! # Examples
//! ```
//! use faasport_core::{App, Function};
//!
//! let api = axum::Router::new().route("/api/ping", axum::routing::get(|| async { "pong" }));
//! let app = App::new("shop").function(Function::service("api", api).http_any("/api/{*rest}"));
//! assert!(app.validate().is_ok());
//! ```

use std::future::poll_fn;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use futures::future::BoxFuture;
use http_body_util::{BodyExt as _, Full};

use crate::error::BoxError;
use crate::{Context, Error, Event, Function, Handler, HandlerError, HttpRequest, HttpResponse};
use crate::{EventKind, FromEvent as _, Output};

/// The marker for [`ServiceHandler`]; callers never name it.
#[derive(Debug)]
pub struct ServiceMarker;

/// A tower service on `http` types, usable as a [`Handler`] of HTTP events.
///
/// The service is cloned for each request (the tower convention), so it needs `Clone` and
/// `Send` but not `Sync`.
pub struct ServiceHandler<S> {
    service: Arc<Mutex<S>>,
}

impl<S> ServiceHandler<S> {
    /// Wraps `service`.
    pub fn new(service: S) -> Self {
        Self {
            service: Arc::new(Mutex::new(service)),
        }
    }
}

impl<S> Clone for ServiceHandler<S> {
    fn clone(&self) -> Self {
        Self {
            service: self.service.clone(),
        }
    }
}

impl<S> std::fmt::Debug for ServiceHandler<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceHandler").finish_non_exhaustive()
    }
}

impl<S, RB> Handler<ServiceMarker> for ServiceHandler<S>
where
    S: tower_service::Service<http::Request<Full<Bytes>>, Response = http::Response<RB>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    RB: http_body::Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    const ACCEPTS: EventKind = EventKind::Http;

    fn call(&self, event: Event, _cx: Context) -> BoxFuture<'static, Result<Output, Error>> {
        let mut service = self
            .service
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        Box::pin(async move {
            let request = HttpRequest::from_event(event)?
                .into_http()
                .map(|body| Full::new(body.into_bytes()));
            poll_fn(|cx| service.poll_ready(cx))
                .await
                .map_err(|e| service_error(e.into()))?;
            let response = service
                .call(request)
                .await
                .map_err(|e| service_error(e.into()))?;
            let (parts, body) = response.into_parts();
            let bytes = body
                .collect()
                .await
                .map_err(|e| service_error(e.into()))?
                .to_bytes();
            let response = http::Response::from_parts(parts, crate::Body::from(bytes));
            Ok(Output::Http(HttpResponse::from_http(response)))
        })
    }
}

fn service_error(error: BoxError) -> Error {
    Error::Handler(HandlerError::from_error(ServiceFailed(error)))
}

/// The mounted service failed (rather than answering with an error status).
#[derive(Debug, thiserror::Error)]
#[error("the HTTP service failed")]
struct ServiceFailed(#[source] BoxError);

impl Function {
    /// A function that serves HTTP with a tower service, such as an axum `Router`.
    ///
    /// Give it routes with [`Function::http`] or [`Function::http_any`] (a catch-all such as
    /// `/api/{*rest}` hands a whole subtree to the service).
    pub fn service<S>(name: impl Into<String>, service: S) -> Self
    where
        ServiceHandler<S>: Handler<ServiceMarker>,
    {
        Function::new(name, ServiceHandler::new(service))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_axum_router_answers_through_the_handler_with_its_status_and_body() {
        let router = axum::Router::new().route(
            "/api/items/{id}",
            axum::routing::post(
                |axum::extract::Path(id): axum::extract::Path<String>, body: Bytes| async move {
                    (http::StatusCode::CREATED, format!("{id}:{}", body.len()))
                },
            ),
        );
        let f = Function::service("api", router);
        assert_eq!(f.accepts(), EventKind::Http);
        let req = HttpRequest::new(http::Method::POST, "/api/items/7")
            .expect("request")
            .with_body(vec![0u8, 1, 2]);
        let out = f
            .call(Event::Http(req), Context::new("r", "api"))
            .await
            .expect("served");
        let Output::Http(resp) = out else {
            panic!("expected an HTTP response")
        };
        assert_eq!(resp.status(), http::StatusCode::CREATED);
        assert_eq!(resp.body().as_str(), Some("7:3"));
    }
}
