//! The provider-neutral model of faasport.
//!
//! A function author writes handlers against these types only; the adapters (local, AWS,
//! Google Cloud, Azure) turn each platform's invocations into [`Event`]s and [`Output`]s back into
//! the platform's responses.
//!
//! - [`Event`] and one struct per trigger kind: [`HttpRequest`], [`QueueBatch`],
//!   [`TopicMessage`], [`ScheduleTick`], [`StorageEvent`], [`ChangeBatch`], [`CloudEvent`].
//! - [`Handler`]: any `async fn(E, Context) -> Result<O, Err>` with `E: FromEvent`,
//!   `O: IntoOutput` and `Err: std::error::Error`.
//! - [`Function`] and [`App`]: triggers, limits, retry policy, dead letters, declared resources;
//!   [`App::validate`] reports mistakes as typed [`AppError`]s.
//! - [`Context`]: request id, deadline, attempt, memory, provider, instance state, and the
//!   topics, queues, buckets and functions the function may use ([`Access`]: declared per
//!   function, or every app resource for a function that declares none).
//! - [`Error`]: typed, with a retry hint.
//!
//! - [`contract`]: every rule a user can observe (HTTP statuses, delivery, limits, function
//!   selection), written once and read by every backend.
//!
//! This crate does no network or file I/O (it only listens for the shutdown signal) and names no
//! cloud.
#![warn(missing_docs)]

mod access;
mod app;
mod body;
mod context;
pub mod contract;
mod error;
pub mod event;
mod function;
mod handler;
mod output;
pub mod resource;
mod schedule;
pub mod service;
mod trigger;

pub use crate::access::{Access, Operation, Scope};
pub use crate::app::{App, AppError, QueueSpec};
pub use crate::body::Body;
pub use crate::context::{
    Bindings, BucketHandle, Context, Declared, FunctionHandle, InstanceState, Provider,
    QueueHandle, Resources, TopicHandle, UnknownProvider,
};
pub use crate::error::{chain_message, BoxError, Error, HandlerError, ResourceKind};
pub use crate::event::{
    ChangeBatch, ChangeOperation, ChangeRecord, CloudEvent, Event, EventKind, FromEvent,
    HttpRequest, HttpResponse, Json, QueueBatch, QueueMessage, ScheduleTick, StorageEvent,
    StorageEventKind, TopicMessage,
};
pub use crate::function::{
    Arch, Function, FunctionSpec, DEFAULT_BATCH_SIZE, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT,
};
pub use crate::handler::{panic_message, AsyncFnMarker, BoxHandler, Handler};
pub use crate::output::{BatchOutcome, IntoOutput, Output};
pub use crate::resource::{InvokeMode, Message, Object, ObjectInfo};
pub use crate::schedule::{Schedule, ScheduleError};
pub use crate::service::ServiceHandler;
pub use crate::trigger::{DeadLetter, RetryPolicy, Trigger};

pub use chrono;
pub use http;
