//! Resource names: how a faasport name becomes an AWS identifier, and back.
//!
//! The SAM template ([`sam_template`](crate::sam_template)) sets one environment variable per
//! declared resource on every function; the bindings read them to find the resource, and the
//! event mapping reads them to give events the faasport name rather than the physical one.
//!
//! | resource | variable | value |
//! |---|---|---|
//! | topic `orders` | `FAASPORT_TOPIC_ORDERS_ARN` | the SNS topic ARN |
//! | queue `bill-queue` | `FAASPORT_QUEUE_BILL_QUEUE_URL` | the SQS queue URL |
//! | bucket `uploads` | `FAASPORT_BUCKET_UPLOADS` | the S3 bucket name |
//! | function `create-order` | `FAASPORT_FUNCTION_CREATE_ORDER_NAME` | the Lambda function name (or ARN) |
//!
//! The name part is the faasport name in upper case with `-` turned into `_`.

use std::collections::BTreeMap;

use faasport_core::{App, ResourceKind};

/// The environment variable that holds the AWS identifier of a declared resource.
pub fn env_var(kind: ResourceKind, name: &str) -> String {
    let upper = faasport_core::contract::env_name(name);
    match kind {
        ResourceKind::Topic => format!("FAASPORT_TOPIC_{upper}_ARN"),
        ResourceKind::Queue => format!("FAASPORT_QUEUE_{upper}_URL"),
        ResourceKind::Bucket => format!("FAASPORT_BUCKET_{upper}"),
        ResourceKind::Function => format!("FAASPORT_FUNCTION_{upper}_NAME"),
    }
}

/// The AWS identifiers of an app's declared resources, as the environment gives them.
///
/// Lookups in the other direction (an event's ARN to the faasport name) fall back to the last
/// segment of the ARN, so events from resources the template did not create still carry a name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceNames {
    ids: BTreeMap<(KindKey, String), String>,
}

type KindKey = u8;

fn key(kind: ResourceKind) -> KindKey {
    match kind {
        ResourceKind::Topic => 0,
        ResourceKind::Queue => 1,
        ResourceKind::Bucket => 2,
        ResourceKind::Function => 3,
    }
}

impl ResourceNames {
    /// Reads the identifiers of `app`'s resources through `env` (usually `std::env::var`).
    pub fn from_env(app: &App, env: impl Fn(&str) -> Option<String>) -> Self {
        let declared = app.declared();
        let mut names = Self::default();
        let all = [
            (ResourceKind::Topic, &declared.topics),
            (ResourceKind::Queue, &declared.queues),
            (ResourceKind::Bucket, &declared.buckets),
            (ResourceKind::Function, &declared.functions),
        ];
        for (kind, list) in all {
            for name in list {
                if let Some(id) = env(&env_var(kind, name)).filter(|v| !v.is_empty()) {
                    names = names.with(kind, name, id);
                }
            }
        }
        names
    }

    /// Sets the identifier of one resource.
    pub fn with(mut self, kind: ResourceKind, name: &str, id: impl Into<String>) -> Self {
        self.ids.insert((key(kind), name.to_owned()), id.into());
        self
    }

    /// The AWS identifier of a declared resource, if the environment gave one.
    pub fn id(&self, kind: ResourceKind, name: &str) -> Option<&str> {
        self.ids
            .get(&(key(kind), name.to_owned()))
            .map(String::as_str)
    }

    fn reverse(&self, kind: ResourceKind, matches: impl Fn(&str) -> bool) -> Option<String> {
        self.ids
            .iter()
            .find(|((k, _), id)| *k == key(kind) && matches(id))
            .map(|((_, name), _)| name.clone())
    }

    /// The faasport name of the topic with this ARN.
    pub fn topic_for_arn(&self, arn: &str) -> String {
        self.reverse(ResourceKind::Topic, |id| id == arn)
            .unwrap_or_else(|| last_segment(arn, ':').to_owned())
    }

    /// The faasport name of the queue with this ARN (matched on the queue name, which is the
    /// last segment of both the ARN and the URL).
    pub fn queue_for_arn(&self, arn: &str) -> String {
        let physical = last_segment(arn, ':');
        self.reverse(ResourceKind::Queue, |url| {
            last_segment(url, '/') == physical
        })
        .unwrap_or_else(|| physical.to_owned())
    }

    /// The faasport name of the bucket with this physical name.
    pub fn bucket_for_name(&self, bucket: &str) -> String {
        self.reverse(ResourceKind::Bucket, |id| id == bucket)
            .unwrap_or_else(|| bucket.to_owned())
    }
}

/// The text after the last `sep` (all of it when there is none).
pub(crate) fn last_segment(text: &str, sep: char) -> &str {
    text.rsplit(sep).next().unwrap_or(text)
}

/// The stream or table name in a Kinesis (`…:stream/NAME`) or DynamoDB
/// (`…:table/NAME/stream/LABEL`) ARN.
pub(crate) fn stream_name(arn: &str) -> &str {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    let mut parts = resource.split('/');
    match (parts.next(), parts.next()) {
        (Some("stream" | "table"), Some(name)) => name,
        _ => resource,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_vars_use_the_upper_case_name_with_underscores() {
        assert_eq!(
            env_var(ResourceKind::Queue, "bill-queue"),
            "FAASPORT_QUEUE_BILL_QUEUE_URL"
        );
        assert_eq!(
            env_var(ResourceKind::Function, "create-order"),
            "FAASPORT_FUNCTION_CREATE_ORDER_NAME"
        );
    }

    #[test]
    fn arns_map_back_to_declared_names_or_their_last_segment() {
        let names = ResourceNames::default()
            .with(
                ResourceKind::Queue,
                "jobs",
                "https://sqs.x/123/stack-Jobs-AB12",
            )
            .with(
                ResourceKind::Topic,
                "orders",
                "arn:aws:sns:us-east-1:1:stack-T-9",
            );
        assert_eq!(
            names.queue_for_arn("arn:aws:sqs:us-east-1:1:stack-Jobs-AB12"),
            "jobs"
        );
        assert_eq!(
            names.queue_for_arn("arn:aws:sqs:us-east-1:1:other"),
            "other"
        );
        assert_eq!(
            names.topic_for_arn("arn:aws:sns:us-east-1:1:stack-T-9"),
            "orders"
        );
        assert_eq!(
            stream_name("arn:aws:dynamodb:us-east-1:1:table/Orders/stream/2024-01-01T00:00:00.000"),
            "Orders"
        );
        assert_eq!(
            stream_name("arn:aws:kinesis:us-east-1:1:stream/clicks"),
            "clicks"
        );
    }
}
