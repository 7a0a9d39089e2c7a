//! The AWS Lambda adapter of faasport (in progress).
//!
//! It will run under `lambda_runtime`, map API Gateway v1/v2, ALB, Function URL, SQS, SNS, S3,
//! EventBridge, DynamoDB Streams and Kinesis events to the neutral model, implement the resource
//! bindings with the AWS SDK, and write a SAM template.
#![warn(missing_docs)]

use faasport_core::{App, Error};

/// Serves `app` on AWS Lambda.
///
/// # Errors
/// Always [`Error::Unsupported`] until the adapter lands; an invalid app is reported first.
pub async fn run(app: App) -> Result<(), Error> {
    app.validate()?;
    Err(Error::Unsupported(
        "the AWS adapter is not implemented yet".into(),
    ))
}
