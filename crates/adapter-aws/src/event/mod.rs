//! Lambda payloads in: detect the invoking source from the JSON shape, parse it into its
//! `aws_lambda_events` type, and map it to neutral [`Event`]s.
//!
//! | source | detected by | neutral event |
//! |---|---|---|
//! | API Gateway REST (v1) | `httpMethod` + `requestContext` | [`HttpRequest`](faasport_core::HttpRequest) |
//! | API Gateway HTTP API (v2) | `version: "2.0"` + `requestContext.http` | `HttpRequest` |
//! | Function URL | as v2, with a `*.lambda-url.*` domain | `HttpRequest` |
//! | ALB | `requestContext.elb` | `HttpRequest` |
//! | SQS | `Records[0].eventSource == "aws:sqs"` | [`QueueBatch`](faasport_core::QueueBatch) |
//! | Kinesis | `Records[0].eventSource == "aws:kinesis"` | `QueueBatch` (ids are sequence numbers) |
//! | DynamoDB Streams | `Records[0].eventSource == "aws:dynamodb"` | [`ChangeBatch`](faasport_core::ChangeBatch) |
//! | SNS | `Records[0].EventSource == "aws:sns"` | one [`TopicMessage`](faasport_core::TopicMessage) per record |
//! | S3 | `Records[0].eventSource == "aws:s3"` | one [`StorageEvent`](faasport_core::StorageEvent) per record (keys URL-decoded) |
//! | EventBridge scheduled | `detail-type: "Scheduled Event"` | [`ScheduleTick`](faasport_core::ScheduleTick) |
//! | other EventBridge | `detail-type` + `source` | [`CloudEvent`](faasport_core::CloudEvent) (`type` = detail-type) |
//! | faasport's tagged form | `kind` + `event` | that event |
//! | anything else | | a `faasport.invoke` CloudEvent carrying the JSON |
//!
//! A payload that is not JSON, or that has a recognised shape but wrong field types, is an
//! [`EventError`]: the invocation fails with it and the runtime serves the next one.

mod change;
mod http;
mod notification;
mod queue;

use std::collections::BTreeMap;

use aws_lambda_events::event::{alb, apigw, dynamodb, eventbridge, kinesis, s3, sns, sqs};
use faasport_core::Event;
use serde_json::Value;

use crate::names::ResourceNames;

/// A Lambda payload, parsed into the type of the source that sent it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum LambdaPayload {
    /// API Gateway REST API (payload format 1.0).
    ApiGatewayV1(Box<apigw::ApiGatewayProxyRequest>),
    /// API Gateway HTTP API (payload format 2.0).
    ApiGatewayV2(Box<apigw::ApiGatewayV2httpRequest>),
    /// A Lambda Function URL (payload format 2.0 too, so the same type).
    FunctionUrl(Box<apigw::ApiGatewayV2httpRequest>),
    /// An Application Load Balancer target group.
    Alb(Box<alb::AlbTargetGroupRequest>),
    /// An SQS batch.
    Sqs(sqs::SqsEvent),
    /// SNS notifications.
    Sns(sns::SnsEvent),
    /// S3 object notifications.
    S3(s3::S3Event),
    /// An EventBridge (or CloudWatch Events) event, scheduled or not.
    EventBridge(Box<eventbridge::EventBridgeEvent>),
    /// A DynamoDB Streams batch.
    DynamoDb(dynamodb::Event),
    /// A Kinesis batch.
    Kinesis(kinesis::KinesisEvent),
    /// faasport's own tagged event form (`{"kind": ..., "event": ...}`).
    Neutral(Box<Event>),
    /// Any other JSON (a direct invocation with a custom payload).
    Custom(Value),
}

/// Why a payload could not be turned into an event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The payload is not JSON.
    #[error("the event is not valid JSON")]
    NotJson(#[source] serde_json::Error),
    /// The payload looks like `shape` but its fields do not fit that shape.
    #[error("the event looks like {shape} but does not match its shape")]
    Malformed {
        /// The detected source.
        shape: &'static str,
        /// What did not fit.
        #[source]
        source: serde_json::Error,
    },
    /// One field of a recognised event holds an unusable value.
    #[error("invalid {field} in the {shape} event: {detail}")]
    InvalidField {
        /// The detected source.
        shape: &'static str,
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        detail: String,
    },
}

impl From<EventError> for faasport_core::Error {
    fn from(error: EventError) -> Self {
        faasport_core::Error::invalid_payload(faasport_core::chain_message(&error))
    }
}

/// Where an invocation came from, which decides the shape of its response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// API Gateway REST API.
    ApiGatewayV1,
    /// API Gateway HTTP API.
    ApiGatewayV2,
    /// Function URL.
    FunctionUrl,
    /// ALB; `multi_value` when the target group has multi-value headers on.
    Alb {
        /// Whether the request (and so the response) uses `multiValueHeaders`.
        multi_value: bool,
    },
    /// SQS (batch item failures name message ids).
    Sqs,
    /// Kinesis (batch item failures name sequence numbers, which are the message ids).
    Kinesis,
    /// DynamoDB Streams: batch item failures name sequence numbers; this maps each record id
    /// (`eventID`) to its sequence number.
    DynamoDb {
        /// `eventID` → `SequenceNumber`.
        sequences: BTreeMap<String, String>,
    },
    /// SNS.
    Sns,
    /// S3.
    S3,
    /// EventBridge.
    EventBridge,
    /// A direct invocation.
    Direct,
}

impl Source {
    /// Whether the source expects an HTTP response document.
    pub fn is_http(&self) -> bool {
        matches!(
            self,
            Source::ApiGatewayV1 | Source::ApiGatewayV2 | Source::FunctionUrl | Source::Alb { .. }
        )
    }

    /// Whether the source reads `batchItemFailures`.
    pub fn is_batch(&self) -> bool {
        matches!(
            self,
            Source::Sqs | Source::Kinesis | Source::DynamoDb { .. }
        )
    }
}

/// The neutral events of one invocation and where they came from.
///
/// SNS and S3 deliver records one by one in practice, but the payload is a list: each record
/// becomes its own event and the handler runs once per event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DecodedPayload {
    /// The source, for the response.
    pub source: Source,
    /// The events, in payload order (one for everything but SNS and S3).
    pub events: Vec<Event>,
}

impl LambdaPayload {
    /// Parses raw payload bytes.
    ///
    /// # Errors
    /// [`EventError::NotJson`] or [`EventError::Malformed`].
    pub fn from_slice(bytes: &[u8]) -> Result<Self, EventError> {
        let value: Value = serde_json::from_slice(bytes).map_err(EventError::NotJson)?;
        Self::from_value(value)
    }

    /// Detects the source of a JSON payload and parses it into that source's type.
    ///
    /// # Errors
    /// [`EventError::Malformed`] if the shape is recognised but does not parse;
    /// [`EventError::InvalidField`] for faasport's tagged form with an event that does not fit
    /// its kind.
    pub fn from_value(mut value: Value) -> Result<Self, EventError> {
        fn parse<T: serde::de::DeserializeOwned>(
            shape: &'static str,
            value: Value,
        ) -> Result<T, EventError> {
            serde_json::from_value(value).map_err(|source| EventError::Malformed { shape, source })
        }
        drop_empty_query_values(&mut value);
        Ok(match detect(&value) {
            Shape::Sqs => Self::Sqs(parse("an SQS batch", value)?),
            Shape::Sns => Self::Sns(parse("an SNS notification", value)?),
            Shape::S3 => Self::S3(parse("an S3 notification", value)?),
            Shape::DynamoDb => Self::DynamoDb(parse("a DynamoDB Streams batch", value)?),
            Shape::Kinesis => Self::Kinesis(parse("a Kinesis batch", value)?),
            Shape::Alb => Self::Alb(parse("an ALB request", value)?),
            Shape::ApiGatewayV2 => Self::ApiGatewayV2(parse("an API Gateway v2 request", value)?),
            Shape::FunctionUrl => Self::FunctionUrl(parse("a Function URL request", value)?),
            Shape::ApiGatewayV1 => Self::ApiGatewayV1(parse("an API Gateway v1 request", value)?),
            Shape::EventBridge => Self::EventBridge(parse("an EventBridge event", value)?),
            // Other JSON is a custom payload, wrapped once it is an invocation's
            // (`into_invocation`), not here too.
            Shape::Other if !Event::is_tagged(&value) => Self::Custom(value),
            // The tagged form must parse as its kind.
            Shape::Other => match Event::try_from_json(value) {
                Ok(Event::CloudEvent(ce)) if ce.ty == faasport_core::event::INVOKE_EVENT_TYPE => {
                    Self::Custom(ce.data.unwrap_or(Value::Null))
                }
                Ok(event) => Self::Neutral(Box::new(event)),
                Err(e) => {
                    return Err(EventError::InvalidField {
                        shape: "faasport tagged",
                        field: "event",
                        detail: match e {
                            faasport_core::Error::InvalidPayload { reason } => reason,
                            other => other.to_string(),
                        },
                    })
                }
            },
        })
    }

    /// Maps the payload to neutral events; `names` turns ARNs into faasport names and gives the
    /// schedule expression of the function.
    ///
    /// # Errors
    /// [`EventError::InvalidField`] for an unusable value (bad base64, an invalid URI).
    pub fn into_invocation(self, names: &SourceNames) -> Result<DecodedPayload, EventError> {
        let one = |source, event| DecodedPayload {
            source,
            events: vec![event],
        };
        Ok(match self {
            Self::ApiGatewayV1(req) => one(Source::ApiGatewayV1, Event::Http(http::from_v1(*req)?)),
            Self::ApiGatewayV2(req) => one(Source::ApiGatewayV2, Event::Http(http::from_v2(*req)?)),
            Self::FunctionUrl(req) => one(Source::FunctionUrl, Event::Http(http::from_v2(*req)?)),
            Self::Alb(req) => {
                let multi_value = !req.multi_value_headers.is_empty()
                    || !req.multi_value_query_string_parameters.is_empty();
                one(
                    Source::Alb { multi_value },
                    Event::Http(http::from_alb(*req)?),
                )
            }
            Self::Sqs(event) => one(Source::Sqs, Event::Queue(queue::from_sqs(event, names)?)),
            Self::Kinesis(event) => one(Source::Kinesis, Event::Queue(queue::from_kinesis(event))),
            Self::DynamoDb(event) => {
                let (batch, sequences) = change::from_dynamodb(event)?;
                one(Source::DynamoDb { sequences }, Event::Change(batch))
            }
            Self::Sns(event) => DecodedPayload {
                source: Source::Sns,
                events: notification::from_sns(event, names),
            },
            Self::S3(event) => DecodedPayload {
                source: Source::S3,
                events: notification::from_s3(event, names)?,
            },
            Self::EventBridge(event) => one(
                Source::EventBridge,
                notification::from_eventbridge(*event, names),
            ),
            Self::Neutral(event) => one(Source::Direct, *event),
            Self::Custom(value) => one(Source::Direct, Event::from_json(value)),
        })
    }
}

/// What the event mapping needs to know about the function being served.
#[derive(Debug, Clone, Default)]
pub struct SourceNames {
    /// The app's resource identifiers.
    pub resources: ResourceNames,
    /// The function's schedule expression, when it has exactly one: scheduled events carry only
    /// the rule's ARN, and this gives the tick the expression the app declared.
    pub schedule: Option<String>,
}

/// Removes query parameters listed with no value at all (`"q": []`): a query string cannot say
/// that, and `aws_lambda_events`' `QueryMap` panics when it iterates over one (found by the
/// `aws_payload` fuzz target).
fn drop_empty_query_values(value: &mut Value) {
    for field in ["queryStringParameters", "multiValueQueryStringParameters"] {
        if let Some(Value::Object(params)) = value.get_mut(field) {
            params.retain(|_, v| !matches!(v, Value::Array(values) if values.is_empty()));
        }
    }
}

enum Shape {
    Sqs,
    Sns,
    S3,
    DynamoDb,
    Kinesis,
    Alb,
    ApiGatewayV1,
    ApiGatewayV2,
    FunctionUrl,
    EventBridge,
    Other,
}

fn detect(value: &Value) -> Shape {
    let str_at = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    if let Some(first) = value
        .get("Records")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
    {
        let source = str_at(first, "eventSource").or_else(|| str_at(first, "EventSource"));
        return match source.as_deref() {
            Some("aws:sqs") => Shape::Sqs,
            Some("aws:sns") => Shape::Sns,
            Some("aws:s3") => Shape::S3,
            Some("aws:dynamodb") => Shape::DynamoDb,
            Some("aws:kinesis") => Shape::Kinesis,
            _ => Shape::Other,
        };
    }
    let context = value.get("requestContext");
    if context.and_then(|c| c.get("elb")).is_some() {
        return Shape::Alb;
    }
    if str_at(value, "version").as_deref() == Some("2.0")
        && context.and_then(|c| c.get("http")).is_some()
    {
        let domain = context
            .and_then(|c| str_at(c, "domainName"))
            .unwrap_or_default();
        return if domain.contains(".lambda-url.") {
            Shape::FunctionUrl
        } else {
            Shape::ApiGatewayV2
        };
    }
    if value.get("httpMethod").is_some() && context.is_some() {
        return Shape::ApiGatewayV1;
    }
    if value.get("detail-type").is_some() && value.get("source").is_some() {
        return Shape::EventBridge;
    }
    Shape::Other
}
