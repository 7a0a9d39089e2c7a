//! The AWS Lambda adapter of faasport.
//!
//! [`run`] serves one function of an [`App`] under the Lambda Runtime API with
//! `lambda_runtime` 1.x: it picks the function from `FAASPORT_FUNCTION` or
//! `AWS_LAMBDA_FUNCTION_NAME`, runs its initialiser once, turns each Lambda payload into neutral
//! [`Event`](faasport_core::Event)s, runs the handler with a [`Context`](faasport_core::Context)
//! whose resources are bound to SNS, SQS, S3 and Lambda, and answers in the invoking source's
//! format. [`sam_template`] writes the matching SAM template.
//!
//! | module | what it does |
//! |---|---|
//! | [`event`] | payload shape detection, `aws_lambda_events` types in, neutral events out |
//! | [`response`] | outputs back as API Gateway v1/v2, ALB or Function URL responses, `batchItemFailures`, or error diagnostics |
//! | `runtime` | the serve loop ([`run`]) |
//! | [`bindings`] | topic, queue, bucket and invoke bindings through the AWS SDK |
//! | [`names`] | the environment variables that name each resource |
//! | [`manifest`] | the SAM template |
//!
//! # Building and deploying
//!
//! ```text
//! cargo lambda build --release --features aws --example echo   # or: cargo build --target x86_64-unknown-linux-musl
//! app manifest aws --out .                                     # writes template.yaml (local backend CLI)
//! sam deploy --guided --stack-name shop                        # lower-case stack names (bucket names derive from it)
//! ```
//!
//! # Features
//!
//! | feature | default | adds |
//! |---|---|---|
//! | `invoke` | yes | [`FunctionInvoker`](faasport_core::resource::FunctionInvoker) on `aws-sdk-lambda` |
//! | `sns` | yes | [`TopicPublisher`](faasport_core::resource::TopicPublisher) on `aws-sdk-sns` |
//! | `sqs` | yes | [`QueueSender`](faasport_core::resource::QueueSender) on `aws-sdk-sqs` |
//! | `s3` | yes | [`ObjectStore`](faasport_core::resource::ObjectStore) on `aws-sdk-s3` |
//!
//! Without one of them, using that kind of resource fails with
//! [`Error::NoBinding`].
//!
//! # Testing against emulators
//!
//! Under `cargo lambda watch --only-lambda-apis` every function is named `_`, so set
//! `FAASPORT_FUNCTION`; set `FAASPORT_AWS_ENDPOINT` (or the SDK's `AWS_ENDPOINT_URL`) to point
//! the bindings at moto or LocalStack.
#![warn(missing_docs)]

pub mod bindings;
pub mod event;
pub mod manifest;
pub mod names;
pub mod response;
mod runtime;

use faasport_core::{App, Error};

pub use crate::manifest::{sam_template, sam_template_with, SamOptions};
pub use crate::runtime::{remaining_time, FUNCTION_ENV};

/// Serves the app's function named by `FAASPORT_FUNCTION` (else `AWS_LAMBDA_FUNCTION_NAME`)
/// under the Lambda Runtime API until the process is stopped.
///
/// # Errors
/// An invalid app ([`Error::App`]); [`Error::Platform`] when the Lambda environment
/// variables are missing; [`Error::UnknownFunction`] or [`Error::Init`] after reporting them
/// to the Runtime API's init-error endpoint.
pub async fn run(app: App) -> Result<(), Error> {
    app.validate()?;
    runtime::serve(app).await
}
