//! The local runtime of faasport.
//!
//! It runs an [`App`](faasport_core::App) in-process on tokio, the way a cloud would: each
//! function has a pool of instances; a new instance runs the function's initialiser (the cold
//! start); the timeout is enforced by cancelling the invocation; a panic fails that invocation
//! only. Every invocation leaves an [`InvocationRecord`].
//!
//! It also behaves like the cloud you choose: a [`Profile`] (`aws`, `gcp`, `azure`, `custom`)
//! sets the concurrency per instance, instance limits, [`Backpressure`], scale-out rates and the
//! keep-alive window ([`pool`] holds the scaler and the [`KeepAlivePolicy`] implementations,
//! including the hybrid histogram policy). The [`meter`] prices every run under each provider's
//! billing rules from a versioned price table, [`LocalRuntime::report`] returns the [`Report`]
//! (a table for people, JSON for programs) and [`LocalRuntime::scaling_trace`] the
//! [`ScalingEvent`]s. With tokio's paused time ([`RuntimeBuilder::virtual_clock`]) all of it is
//! deterministic, which is what [`replay`] builds on: it drives a recorded trace (a simple CSV
//! or the Azure Functions 2019 trace) through the runtime under each profile and keep-alive
//! policy and reports cold starts, idle instance time and cost.
//!
//! [`LocalCloud`] is the front door: the runtime with its event sources (topics, queues, streams,
//! schedules, buckets, dead letters), so a handler's `cx.topic(..)`, `cx.queue(..)`,
//! `cx.bucket(..)` and `cx.function(..)` work as they do in the cloud. The [`gateway`] serves
//! its HTTP functions ([`gateway::router`] without a socket), and [`serve`] runs it all until
//! a signal. To test an app, the facade's `faasport::testing::TestApp` wraps this on the
//! virtual clock.
//!
//! ```
//! use faasport_adapter_local::LocalCloud;
//! use faasport_core::{App, Context, Error, Event, Function, Json, Message};
//!
//! async fn double(Json(n): Json<i64>, cx: Context) -> Result<Json<i64>, Error> {
//!     cx.topic("results").publish(Message::json(&(n * 2))?).await?;
//!     Ok(Json(n * 2))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Error> {
//! let app = App::new("demo").topic("results").function(Function::new("double", double));
//! let sources = LocalCloud::builder(app).build()?;
//! let first = sources.runtime().invoke("double", Event::from_json(21.into())).await?;
//! assert_eq!(first.result?.to_json(), serde_json::json!(42));
//! assert!(first.record.cold);
//! assert_eq!(sources.published("results")[0].body.as_str(), Some("42"));
//! # Ok(())
//! # }
//! ```
//!
//! [`LocalRuntime::new`] builds the runtime alone, for scaling and metering experiments: it
//! has no sources, so a handler that publishes, sends, stores or invokes gets an
//! [`Error::NoBinding`](faasport_core::Error::NoBinding) that says to build with
//! [`LocalCloud::builder`] instead.
#![warn(missing_docs)]

pub mod meter;
pub mod pool;
pub mod profile;
mod record;
pub mod replay;
mod report;
mod runtime;
pub mod trace;

pub use crate::lifetimes::InstanceTime;
pub use crate::meter::{
    BillingProvider, BillingRule, FunctionStats, Invoice, LambdaArch, Meter, PriceError,
    PriceTable, Pricing, PricingOptions, ProviderCost, Workload,
};
pub use crate::pool::{Backpressure, InstancePool, KeepAlive, KeepAlivePolicy, ScaleOutRate};
pub use crate::profile::{InvocationSource, Profile, ProfileKind, RetryDefaults};
pub use crate::record::{Invocation, InvocationRecord, Outcome};
pub use crate::replay::{ReplayMatrix, ReplayOptions, ReplayReport};
pub use crate::report::{Report, RunInfo};
pub use crate::runtime::{InvokeOptions, LocalRuntime, RuntimeBuilder};
/// The scaling enums, at one import path: `faasport_adapter_local::{ScalingEventKind,
/// StartCause, ReapCause}` (also in [`trace`]).
pub use crate::trace::{
    instances_at, InstancePeaks, ReapCause, ScalingEvent, ScalingEventKind, ScalingTrace,
    StartCause,
};

mod config;
pub mod dead_letters;
mod faults;
pub mod gateway;
mod lifetimes;
mod name_hash;
pub mod serve;
pub mod sources;
mod spawned;

/// The axum version the [`gateway`] is built on, so its [`router`](gateway::router) can be
/// named and called without a separate dependency.
pub use axum;

pub use crate::config::LocalConfig;
pub use crate::dead_letters::{DeadLetterEntry, DeadLetterSource, DeadLetters};
pub use crate::faults::{event_key, Fault, FaultPlan, Faults};
pub use crate::sources::{
    read_undelivered, undelivered_path, BucketBackend, DeliveryCounts, DeliveryPolicy, DepthLimit,
    LocalCloud, LocalCloudBuilder, NotSettled, QueueStats, ShutdownReport, Undelivered,
    DEFAULT_MAX_DEPTH, JOURNAL_DIR, UNDELIVERED_FILE,
};
