//! Outbound resources through the AWS SDK for Rust: the core resource traits for Lambda.
//!
//! | trait | service | call | cargo feature |
//! |---|---|---|---|
//! | [`TopicPublisher`](faasport_core::resource::TopicPublisher) | SNS | `Publish` (attributes as String message attributes) | `sns` |
//! | [`QueueSender`](faasport_core::resource::QueueSender) | SQS | `SendMessage` (attributes as String message attributes) | `sqs` |
//! | [`ObjectStore`](faasport_core::resource::ObjectStore) | S3 | `GetObject`, `PutObject`, `DeleteObject`, `ListObjectsV2` | `s3` |
//! | [`FunctionInvoker`](faasport_core::resource::FunctionInvoker) | Lambda | `Invoke` (`RequestResponse` or `Event`), with SDK retries off | `invoke` |
//!
//! Resources are found through the environment variables of [`crate::names`]; a missing one is
//! a non-retryable [`Error::Binding`] naming the variable. The SDK configuration is loaded on
//! first use with the standard chain (region, credentials, `AWS_ENDPOINT_URL` and
//! `AWS_ENDPOINT_URL_<SERVICE>`); `FAASPORT_AWS_ENDPOINT` overrides the endpoint of every
//! service (for emulators such as moto or LocalStack), and with any endpoint override S3 uses
//! path-style addressing.
//!
//! Invocations never retry inside the SDK: a synchronous invoke whose function failed would
//! otherwise run the function again (Lambda's retries belong to asynchronous invokes only).

#[cfg(feature = "invoke")]
mod invoke;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "sns")]
mod sns;
#[cfg(feature = "sqs")]
mod sqs;

use std::sync::Arc;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use faasport_core::{Bindings, Error, ResourceKind};
use tokio::sync::OnceCell;

use crate::names::{env_var, ResourceNames};

/// The SDK configuration crate, for building the [`SdkConfig`] given to
/// [`AwsBindings::with_sdk_config`].
pub use aws_config;

/// Overrides the endpoint of every AWS service the bindings call.
pub const ENDPOINT_ENV: &str = "FAASPORT_AWS_ENDPOINT";

/// The AWS implementations of the core resource traits.
#[derive(Debug)]
pub struct AwsBindings {
    names: ResourceNames,
    config: OnceCell<SdkConfig>,
    #[cfg(feature = "sns")]
    sns: OnceCell<aws_sdk_sns::Client>,
    #[cfg(feature = "sqs")]
    sqs: OnceCell<aws_sdk_sqs::Client>,
    #[cfg(feature = "s3")]
    s3: OnceCell<aws_sdk_s3::Client>,
    #[cfg(feature = "invoke")]
    lambda: OnceCell<aws_sdk_lambda::Client>,
}

/// A binding's failure that has no typed source (a missing setting, an SDK error as text).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BindingError {
    /// The environment variable that names the resource is not set.
    #[error("{variable} is not set (the SAM template sets it for each declared resource)")]
    MissingSetting {
        /// The variable.
        variable: String,
    },
    /// The AWS call failed.
    #[error("{0}")]
    Request(String),
    /// The invoked function returned an error.
    #[error("{error_type}: {message}")]
    Function {
        /// Its `errorType`.
        error_type: String,
        /// Its `errorMessage`.
        message: String,
    },
}

impl AwsBindings {
    /// Bindings that find resources through `names` and load the SDK configuration from the
    /// environment on first use.
    pub fn new(names: ResourceNames) -> Self {
        Self {
            names,
            config: OnceCell::new(),
            #[cfg(feature = "sns")]
            sns: OnceCell::new(),
            #[cfg(feature = "sqs")]
            sqs: OnceCell::new(),
            #[cfg(feature = "s3")]
            s3: OnceCell::new(),
            #[cfg(feature = "invoke")]
            lambda: OnceCell::new(),
        }
    }

    /// Uses `config` instead of loading one (for tests and custom credentials).
    pub fn with_sdk_config(mut self, config: SdkConfig) -> Self {
        self.config = OnceCell::new_with(Some(config));
        self
    }

    /// The core [`Bindings`] backed by these clients (the ones whose features are enabled).
    pub fn into_bindings(self) -> Bindings {
        let this = Arc::new(self);
        let bindings = Bindings::none();
        #[cfg(feature = "sns")]
        let bindings = bindings.with_topics(this.clone());
        #[cfg(feature = "sqs")]
        let bindings = bindings.with_queues(this.clone());
        #[cfg(feature = "s3")]
        let bindings = bindings.with_objects(this.clone());
        #[cfg(feature = "invoke")]
        let bindings = bindings.with_invoker(this.clone());
        drop(this);
        bindings
    }

    #[cfg_attr(
        not(any(feature = "sns", feature = "sqs", feature = "s3", feature = "invoke")),
        allow(dead_code)
    )]
    async fn sdk_config(&self) -> &SdkConfig {
        self.config
            .get_or_init(|| async {
                let loader = aws_config::defaults(BehaviorVersion::latest());
                let loader = match std::env::var(ENDPOINT_ENV).ok().filter(|v| !v.is_empty()) {
                    Some(endpoint) => loader.endpoint_url(endpoint),
                    None => loader,
                };
                loader.load().await
            })
            .await
    }

    /// Whether an endpoint override is in force (emulators want path-style S3).
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    fn endpoint_overridden(config: &SdkConfig) -> bool {
        config.endpoint_url().is_some()
            || ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"]
                .iter()
                .any(|v| std::env::var(v).is_ok_and(|v| !v.is_empty()))
    }

    #[cfg_attr(
        not(any(feature = "sns", feature = "sqs", feature = "s3", feature = "invoke")),
        allow(dead_code)
    )]
    fn resolve(&self, kind: ResourceKind, name: &str) -> Result<String, Error> {
        self.names
            .id(kind, name)
            .map(str::to_owned)
            .ok_or_else(|| Error::Binding {
                kind,
                name: name.to_owned(),
                retryable: false,
                source: Box::new(BindingError::MissingSetting {
                    variable: env_var(kind, name),
                }),
            })
    }
}

/// The body of an SNS or SQS message, which must be text: a binary body is refused rather than
/// mangled (encode it, for example as base64, before sending).
#[cfg_attr(not(any(feature = "sns", feature = "sqs")), allow(dead_code))]
pub(crate) fn text_body(
    kind: ResourceKind,
    name: &str,
    body: &faasport_core::Body,
) -> Result<String, Error> {
    body.as_str()
        .map(str::to_owned)
        .ok_or_else(|| Error::Binding {
            kind,
            name: name.to_owned(),
            retryable: false,
            source: Box::new(BindingError::Request(
                "message bodies must be UTF-8 text on AWS; encode binary data first".into(),
            )),
        })
}

/// An SDK failure as [`Error::Binding`]; time-outs, connection failures, 5xx and throttling
/// are retryable.
#[cfg_attr(
    not(any(feature = "sns", feature = "sqs", feature = "s3", feature = "invoke")),
    allow(dead_code)
)]
pub(crate) fn sdk_failure<E>(
    kind: ResourceKind,
    name: &str,
    error: SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> Error
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
{
    let retryable = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            service.raw().status().is_server_error()
                || service
                    .err()
                    .code()
                    .is_some_and(|c| c.contains("Throttl") || c == "TooManyRequestsException")
        }
        _ => false,
    };
    Error::Binding {
        kind,
        name: name.to_owned(),
        retryable,
        source: Box::new(BindingError::Request(
            DisplayErrorContext(&error).to_string(),
        )),
    }
}
