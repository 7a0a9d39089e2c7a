//! [`TestAppBuilder`]: how a [`TestApp`] runs (profile, faults, delivery policy, clock).

use std::path::PathBuf;
use std::time::Duration;

use faasport_adapter_local::gateway::{router, GatewayConfig};
use faasport_adapter_local::{DeliveryPolicy, FaultPlan, LocalCloud, LocalConfig, Profile};
use faasport_core::chrono::{DateTime, Utc};
use faasport_core::{App, Error};

use super::TestApp;

/// How long [`TestApp::settle`] waits, in clock time, unless set: 24 hours, past Lambda's
/// 6-hour maximum event age, so every retry schedule of the bundled profiles fits. On the
/// virtual clock it passes in milliseconds.
pub const DEFAULT_SETTLE_LIMIT: Duration = Duration::from_secs(24 * 60 * 60);

/// Configures a [`TestApp`]; start with [`TestApp::builder`].
///
/// # Examples
/// ```
/// use faasport::local::{Faults, FaultPlan, Profile};
/// use faasport::prelude::*;
/// use faasport::testing::TestApp;
///
/// # fn idle() -> Function { async fn idle(_: Event, _cx: Context) -> Result<(), Error> { Ok(()) } Function::new("idle", idle) }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Error> {
/// let app = TestApp::builder(App::new("shop").function(idle()))
///     .profile(Profile::azure())
///     .faults(FaultPlan::new(7).every_function(Faults::new().error_rate(0.5)))
///     .build()?;
/// # let _ = app;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct TestAppBuilder {
    app: App,
    config: LocalConfig,
    settle_limit: Duration,
}

impl TestAppBuilder {
    pub(super) fn new(app: App) -> Self {
        Self {
            app,
            config: LocalConfig::default().virtual_clock(),
            settle_limit: DEFAULT_SETTLE_LIMIT,
        }
    }

    /// Takes the local runtime's settings from `config`, the same value
    /// [`LocalCloud::builder`](faasport_adapter_local::LocalCloud::builder) and `serve` take
    /// (replacing any set before; the virtual clock is whatever `config` says).
    pub fn config(mut self, config: LocalConfig) -> Self {
        self.config = config;
        self
    }

    /// Scales, throttles, retries and bills like this provider (`aws` unless set).
    ///
    /// # Examples
    /// ```
    /// # use faasport::{local::Profile, prelude::*, testing::TestApp};
    /// # fn idle() -> Function { async fn idle(_: Event, _cx: Context) -> Result<(), Error> { Ok(()) } Function::new("idle", idle) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let app = TestApp::builder(App::new("a").function(idle())).profile(Profile::gcp()).build()?;
    /// # let _ = app; Ok(())
    /// # }
    /// ```
    pub fn profile(mut self, profile: Profile) -> Self {
        self.config.profile = profile;
        self
    }

    /// Injects seeded faults (errors, panics, timeouts, throttles, duplicate deliveries) into
    /// the handlers, so retry and idempotency paths run.
    ///
    /// # Examples
    /// ```
    /// # use faasport::{local::{Faults, FaultPlan}, prelude::*, testing::TestApp};
    /// async fn ok(_: TopicMessage, _cx: Context) -> Result<(), Error> { Ok(()) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let app = TestApp::builder(App::new("a").topic("t").function(Function::new("ok", ok).subscribe("t")))
    ///     .faults(FaultPlan::new(1).function("ok", Faults::new().error_rate(1.0)))
    ///     .build()?;
    /// app.publish("t", Message::new("x")).await?;
    /// app.settle().await?;
    /// assert_eq!(app.dead_letters().len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.config.faults = Some(plan);
        self
    }

    /// Sets retries, event ages and queue defaults (the profile's unless set).
    ///
    /// # Examples
    /// ```
    /// # use faasport::{local::DeliveryPolicy, prelude::*, testing::TestApp};
    /// # fn idle() -> Function { async fn idle(_: Event, _cx: Context) -> Result<(), Error> { Ok(()) } Function::new("idle", idle) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let app = TestApp::builder(App::new("a").function(idle())).policy(DeliveryPolicy::aws().with_async_retries(0)).build()?;
    /// # let _ = app; Ok(())
    /// # }
    /// ```
    pub fn policy(mut self, policy: DeliveryPolicy) -> Self {
        self.config.policy = Some(policy);
        self
    }

    /// Sets what the clock reads when the app starts, which is when schedules fire from.
    ///
    /// # Examples
    /// ```
    /// # use faasport::{prelude::*, testing::TestApp};
    /// use faasport::core::chrono::{TimeZone, Utc};
    /// # fn idle() -> Function { async fn idle(_: Event, _cx: Context) -> Result<(), Error> { Ok(()) } Function::new("idle", idle) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let start = Utc.with_ymd_and_hms(2026, 1, 1, 1, 59, 0).single().expect("a valid time");
    /// let app = TestApp::builder(App::new("a").function(idle())).clock_start(start).build()?;
    /// # let _ = app; Ok(())
    /// # }
    /// ```
    pub fn clock_start(mut self, at: DateTime<Utc>) -> Self {
        self.config.clock_start = Some(at);
        self
    }

    /// Keeps bucket objects as files under `dir` instead of in memory.
    ///
    /// # Examples
    /// ```
    /// # use faasport::{prelude::*, testing::TestApp};
    /// # fn idle() -> Function { async fn idle(_: Event, _cx: Context) -> Result<(), Error> { Ok(()) } Function::new("idle", idle) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let dir = std::env::temp_dir().join("faasport-doc-bucket-dir");
    /// let app = TestApp::builder(App::new("a").function(idle())).bucket_dir(dir).build()?;
    /// # let _ = app; Ok(())
    /// # }
    /// ```
    pub fn bucket_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config = self.config.bucket_dir(dir);
        self
    }

    /// How long [`TestApp::settle`] waits before it reports what is still pending
    /// ([`DEFAULT_SETTLE_LIMIT`] unless set).
    ///
    /// # Examples
    /// ```
    /// # use std::time::Duration;
    /// # use faasport::{prelude::*, testing::TestApp};
    /// # fn idle() -> Function { async fn idle(_: Event, _cx: Context) -> Result<(), Error> { Ok(()) } Function::new("idle", idle) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let app = TestApp::builder(App::new("a").function(idle())).settle_limit(Duration::from_secs(60)).build()?;
    /// # let _ = app; Ok(())
    /// # }
    /// ```
    pub fn settle_limit(mut self, limit: Duration) -> Self {
        self.settle_limit = limit;
        self
    }

    /// Runs on tokio's real clock instead of pausing it: for multi-thread runtimes, or tests
    /// that talk to something outside the process. [`TestApp::advance`] then really sleeps.
    ///
    /// # Examples
    /// ```
    /// # use faasport::{prelude::*, testing::TestApp};
    /// # fn idle() -> Function { async fn idle(_: Event, _cx: Context) -> Result<(), Error> { Ok(()) } Function::new("idle", idle) }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Error> {
    /// let app = TestApp::builder(App::new("a").function(idle())).real_clock().build()?;
    /// # let _ = app; Ok(())
    /// # }
    /// ```
    pub fn real_clock(mut self) -> Self {
        self.config.virtual_clock = false;
        self
    }

    /// Builds the runtime and its sources, starts the queue consumers and schedules, and
    /// (unless [`TestAppBuilder::real_clock`]) pauses the clock.
    ///
    /// # Errors
    /// [`Error::App`] for an invalid app, or a route under the reserved `/_faasport/` prefix;
    /// [`Error::Local`] for the virtual clock outside a current-thread tokio runtime.
    ///
    /// # Examples
    /// ```
    /// # use faasport::{prelude::*, testing::TestApp};
    /// # fn idle() -> Function { async fn idle(_: Event, _cx: Context) -> Result<(), Error> { Ok(()) } Function::new("idle", idle) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let app = TestApp::builder(App::new("a").function(idle())).build()?;
    /// # let _ = app; Ok(())
    /// # }
    /// ```
    pub fn build(self) -> Result<TestApp, Error> {
        let sources = LocalCloud::builder(self.app).config(self.config).build()?;
        let router =
            router(sources.clone(), GatewayConfig::default()).map_err(|e| Error::Local {
                reason: faasport_core::chain_message(&e),
            })?;
        sources.start();
        Ok(TestApp {
            sources,
            router,
            settle_limit: self.settle_limit,
        })
    }
}
