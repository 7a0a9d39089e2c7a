//! Test your own functions: the app on the local runtime, in-process, on a virtual clock.
//!
//! [`TestApp`] runs an [`App`] the way `serve` does, with real local bindings
//! (topics fan out, queues deliver in batches with visibility timeouts, buckets emit storage
//! events, schedules fire, failures are retried and dead-lettered), but without a socket and on
//! tokio's paused clock, so a test of an hour of retries and cron ticks takes milliseconds and
//! gives the same result every run. It offers:
//!
//! | to | call |
//! |---|---|
//! | invoke a function by name | [`TestApp::invoke`] |
//! | call the HTTP API by method and path, through the real routing, status mapping and headers | [`TestApp::http`], or [`TestApp::router`] with `tower::ServiceExt::oneshot` |
//! | put work into the sources | [`TestApp::publish`], [`TestApp::send`], [`TestApp::put_object`] |
//! | wait until every delivery and retry is done | [`TestApp::settle`] |
//! | travel in time (schedules, back-offs, keep-alive) | [`TestApp::advance`] |
//! | inject faults | [`TestAppBuilder::faults`] |
//! | see what happened | [`TestApp::published`], [`TestApp::objects`], [`TestApp::object`], [`TestApp::queue`], [`TestApp::dead_letters`], [`TestApp::invocations`], [`TestApp::cold_starts`], [`TestApp::cost`], [`TestApp::report`] |
//!
//! # The clock
//!
//! [`TestApp::new`] pauses tokio's clock, which needs the current-thread runtime that
//! `#[tokio::test]` gives (`#[tokio::test(start_paused = true)]` works too). From then on time
//! moves only when every task waits, and then jumps straight to the next timer: sleeps in
//! handlers, retry back-offs, visibility timeouts and schedules pass instantly, in order. Under
//! `#[tokio::test(flavor = "multi_thread")]` the build fails with a message that says so; use
//! [`TestAppBuilder::real_clock`] there.
//!
//! # Examples
//! ```
//! use faasport::prelude::*;
//! use faasport::testing::TestApp;
//!
//! async fn create_order(req: HttpRequest, cx: Context) -> Result<HttpResponse, Error> {
//!     let order: serde_json::Value = req.read_json()?;
//!     cx.topic("orders").publish(Message::json(&order)?).await?;
//!     HttpResponse::json(StatusCode::CREATED, &order)
//! }
//!
//! async fn bill(msg: TopicMessage, cx: Context) -> Result<(), Error> {
//!     cx.bucket("invoices").put(&format!("{}.json", msg.id), msg.body).await?;
//!     Ok(())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let shop = TestApp::new(
//!     App::new("shop")
//!         .topic("orders")
//!         .bucket("invoices")
//!         .function(Function::new("create-order", create_order).http(Method::POST, "/orders"))
//!         .function(Function::new("bill", bill).subscribe("orders")),
//! )?;
//!
//! let response = shop.http(faasport::http::Request::post("/orders").body(r#"{"sku":"tea"}"#)?).await;
//! assert_eq!(response.status(), StatusCode::CREATED);
//!
//! shop.settle().await?;
//! assert_eq!(shop.published("orders").len(), 1);
//! assert_eq!(shop.objects("invoices").await?.len(), 1);
//! # Ok(())
//! # }
//! ```

mod builder;
mod inspect;

pub use self::builder::{TestAppBuilder, DEFAULT_SETTLE_LIMIT};

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use tower::ServiceExt as _;

use faasport_adapter_local::{LocalCloud, NotSettled};
use faasport_core::{App, Body, Error, Event, HttpResponse, Message, Object, ObjectInfo, Output};

/// An app running on the local runtime for a test: invoke it, call its HTTP API, feed its
/// sources, let time pass, and look at what it did. See the [module docs](self).
///
/// Cheap to clone; clones share the app's state.
#[derive(Debug, Clone)]
pub struct TestApp {
    sources: LocalCloud,
    router: faasport_adapter_local::axum::Router,
    settle_limit: Duration,
}

impl TestApp {
    /// Runs `app` with the defaults: the `aws` profile, the profile's delivery policy, in-memory
    /// buckets and the virtual clock starting at the current time.
    ///
    /// # Errors
    /// [`Error::App`] for an invalid app; [`Error::Local`] outside a current-thread tokio
    /// runtime (see [the clock](self#the-clock)).
    ///
    /// # Examples
    /// ```
    /// use faasport::prelude::*;
    /// use faasport::testing::TestApp;
    ///
    /// # fn idle() -> Function { async fn idle(_: Event, _cx: Context) -> Result<(), Error> { Ok(()) } Function::new("idle", idle) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let app = TestApp::new(App::new("empty").function(idle()))?;
    /// assert!(app.invocations("anything").is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(app: App) -> Result<Self, Error> {
        Self::builder(app).build()
    }

    /// Starts configuring a test app: profile, faults, delivery policy, clock.
    ///
    /// # Examples
    /// ```
    /// use faasport::local::Profile;
    /// use faasport::prelude::*;
    /// use faasport::testing::TestApp;
    ///
    /// # fn idle() -> Function { async fn idle(_: Event, _cx: Context) -> Result<(), Error> { Ok(()) } Function::new("idle", idle) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let app = TestApp::builder(App::new("shop").function(idle())).profile(Profile::gcp()).build()?;
    /// assert_eq!(app.sources().runtime().profile().kind, faasport::local::ProfileKind::Gcp);
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(app: App) -> TestAppBuilder {
        TestAppBuilder::new(app)
    }

    /// Invokes `function` directly with `event` and returns its result.
    ///
    /// A faasport [`Error`] the handler returned comes back as itself, so
    /// `matches!(e, Error::BadRequest { .. })` works; timeouts, panics and throttles are
    /// [`Error::Timeout`], [`Error::Panic`] and [`Error::Throttled`]. Work the function started
    /// (publishes, sends) is delivered later, by [`TestApp::settle`] or [`TestApp::advance`].
    ///
    /// # Errors
    /// The invocation's error, or [`Error::UnknownFunction`].
    ///
    /// # Examples
    /// ```
    /// use faasport::prelude::*;
    /// use faasport::testing::TestApp;
    ///
    /// async fn double(Json(n): Json<i64>, _cx: Context) -> Result<Json<i64>, Error> {
    ///     if n < 0 {
    ///         return Err(Error::bad_request("negative"));
    ///     }
    ///     Ok(Json(n * 2))
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let app = TestApp::new(App::new("math").function(Function::new("double", double)))?;
    /// let output = app.invoke("double", Event::from_json(21.into())).await?;
    /// assert_eq!(output.to_json(), serde_json::json!(42));
    /// let refused = app.invoke("double", Event::from_json((-1).into())).await;
    /// assert!(matches!(refused, Err(Error::BadRequest { .. })));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn invoke(&self, function: &str, event: impl Into<Event>) -> Result<Output, Error> {
        self.sources
            .runtime()
            .invoke(function, event.into())
            .await?
            .result
    }

    /// Sends one request through the local gateway in-process and returns its response: the
    /// real routing (404, 405 with `Allow`, path parameters), the status of each result (400
    /// for a bad request, 429, 504, 500 without internals), the body limit and the
    /// `x-request-id` header. The URI needs only a path (`/orders?page=2`).
    ///
    /// # Examples
    /// ```
    /// use faasport::prelude::*;
    /// use faasport::testing::TestApp;
    ///
    /// async fn greet(req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    ///     let name = req.path_param("name").unwrap_or("nobody").to_owned();
    ///     Ok(HttpResponse::text(StatusCode::OK, format!("hello {name}")))
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let app = TestApp::new(
    ///     App::new("hi").function(Function::new("greet", greet).http(Method::GET, "/hello/{name}")),
    /// )?;
    /// let response = app.http(faasport::http::Request::get("/hello/ada").body("")?).await;
    /// assert_eq!(response.status(), StatusCode::OK);
    /// assert_eq!(response.body().as_str(), Some("hello ada"));
    /// let wrong = app.http(faasport::http::Request::delete("/hello/ada").body("")?).await;
    /// assert_eq!(wrong.status(), StatusCode::METHOD_NOT_ALLOWED);
    /// assert_eq!(wrong.headers()["allow"], "GET");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn http<B: Into<Body>>(
        &self,
        request: faasport_core::http::Request<B>,
    ) -> HttpResponse {
        let request = request.map(|body| Full::new(Bytes::from(body.into())));
        let response = match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let bytes = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            // The gateway's bodies are in memory: reading them cannot fail.
            Err(_) => Bytes::new(),
        };
        HttpResponse::from_http(faasport_core::http::Response::from_parts(
            parts,
            Body::from(bytes),
        ))
    }

    /// The local gateway as an axum [`Router`](faasport_adapter_local::axum::Router), a tower
    /// `Service`: for tests written the axum way, with `tower::ServiceExt::oneshot` (add
    /// `tower` with its `util` feature to your dev-dependencies). Same routing and statuses as
    /// [`TestApp::http`].
    ///
    /// # Examples
    /// ```
    /// use faasport::local::axum::body::Body;
    /// use faasport::prelude::*;
    /// use faasport::testing::TestApp;
    /// use tower::ServiceExt as _;
    ///
    /// async fn ping(_: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    ///     Ok(HttpResponse::text(StatusCode::OK, "pong"))
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let app = TestApp::new(App::new("ping").function(Function::new("ping", ping).http(Method::GET, "/ping")))?;
    /// let response = app.router().oneshot(faasport::http::Request::get("/ping").body(Body::empty())?).await?;
    /// assert_eq!(response.status(), StatusCode::OK);
    /// # Ok(())
    /// # }
    /// ```
    pub fn router(&self) -> faasport_adapter_local::axum::Router {
        self.router.clone()
    }

    /// Publishes to a declared topic, as another service would; returns the message id. The
    /// subscribers run asynchronously: [`TestApp::settle`] waits for them.
    ///
    /// # Errors
    /// [`Error::Undeclared`] for a topic the app does not declare; [`Error::InvalidPayload`] for
    /// an oversize message.
    ///
    /// # Examples
    /// ```
    /// use faasport::prelude::*;
    /// use faasport::testing::TestApp;
    ///
    /// async fn audit(_: TopicMessage, _cx: Context) -> Result<(), Error> { Ok(()) }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let app = TestApp::new(App::new("a").topic("orders").function(Function::new("audit", audit).subscribe("orders")))?;
    /// app.publish("orders", Message::new("{}")).await?;
    /// app.settle().await?;
    /// assert_eq!(app.invocations("audit").len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn publish(&self, topic: &str, message: Message) -> Result<String, Error> {
        self.sources.publish(topic, message).await
    }

    /// Sends to a declared queue; returns the message id. Its consumers receive it in a batch.
    ///
    /// # Errors
    /// As [`TestApp::publish`], for queues.
    ///
    /// # Examples
    /// ```
    /// use faasport::prelude::*;
    /// use faasport::testing::TestApp;
    ///
    /// # fn idle() -> Function { async fn idle(_: Event, _cx: Context) -> Result<(), Error> { Ok(()) } Function::new("idle", idle) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let app = TestApp::new(App::new("a").function(idle()).queue("jobs"))?;
    /// let id = app.send("jobs", Message::new("job 1")).await?;
    /// assert_eq!(app.queue("jobs")[0].id, id);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(&self, queue: &str, message: Message) -> Result<String, Error> {
        self.sources.send(queue, message).await
    }

    /// Writes an object to a declared bucket, which triggers the functions with a matching
    /// storage trigger.
    ///
    /// # Errors
    /// [`Error::Undeclared`] for a bucket the app does not declare.
    ///
    /// # Examples
    /// ```
    /// use faasport::prelude::*;
    /// use faasport::testing::TestApp;
    ///
    /// # fn idle() -> Function { async fn idle(_: Event, _cx: Context) -> Result<(), Error> { Ok(()) } Function::new("idle", idle) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let app = TestApp::new(App::new("a").function(idle()).bucket("uploads"))?;
    /// let info = app.put_object("uploads", "a.txt", Object::new("hello")).await?;
    /// assert_eq!(info.size, 5);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        object: Object,
    ) -> Result<ObjectInfo, Error> {
        self.sources.put_object(bucket, key, object).await
    }

    /// Runs until every asynchronous delivery and retry is done and every consumed queue is
    /// empty, moving the virtual clock through back-offs and visibility timeouts.
    ///
    /// # Errors
    /// [`NotSettled`], naming what is still pending, if that takes longer than the settle limit
    /// ([`DEFAULT_SETTLE_LIMIT`] of clock time unless [`TestAppBuilder::settle_limit`] says
    /// otherwise): a handler that never finishes, say.
    ///
    /// # Examples
    /// ```
    /// use faasport::prelude::*;
    /// use faasport::testing::TestApp;
    ///
    /// async fn flaky(_: TopicMessage, _cx: Context) -> Result<(), Error> {
    ///     Err(Error::transient("down"))
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let app = TestApp::new(App::new("a").topic("t").function(Function::new("flaky", flaky).subscribe("t")))?;
    /// app.publish("t", Message::new("x")).await?;
    /// app.settle().await?; // three attempts a minute or two apart, in virtual time
    /// assert_eq!(app.invocations("flaky").len(), 3);
    /// assert_eq!(app.dead_letters().len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn settle(&self) -> Result<(), NotSettled> {
        self.sources.settle_within(self.settle_limit).await
    }

    /// Lets `duration` of clock time pass, running everything due in between in order:
    /// schedule ticks, retries, visibility timeouts, keep-alive reaping. On the virtual clock
    /// this returns at once; on a real clock it sleeps.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    ///
    /// use faasport::prelude::*;
    /// use faasport::testing::TestApp;
    ///
    /// async fn tick(_: ScheduleTick, _cx: Context) -> Result<(), Error> { Ok(()) }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let app = TestApp::new(App::new("a").function(Function::new("tick", tick).schedule("rate(5 minutes)")))?;
    /// app.advance(Duration::from_secs(16 * 60)).await;
    /// assert_eq!(app.invocations("tick").len(), 3);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn advance(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    /// The local runtime and sources under the test app, for anything the harness does not
    /// wrap (streams, redrives, queue statistics, the scaling trace).
    ///
    /// # Examples
    /// ```
    /// use faasport::prelude::*;
    /// use faasport::testing::TestApp;
    ///
    /// # fn idle() -> Function { async fn idle(_: Event, _cx: Context) -> Result<(), Error> { Ok(()) } Function::new("idle", idle) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let app = TestApp::new(App::new("a").function(idle()).queue("jobs"))?;
    /// assert_eq!(app.sources().queue_stats("jobs").map(|s| s.sent), Some(0));
    /// # Ok(())
    /// # }
    /// ```
    pub fn sources(&self) -> &LocalCloud {
        &self.sources
    }
}
