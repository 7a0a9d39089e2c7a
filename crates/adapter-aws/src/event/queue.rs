//! SQS and Kinesis batches to [`QueueBatch`].

use aws_lambda_events::event::{kinesis, sqs};
use base64::Engine as _;
use faasport_core::chrono::{DateTime, Utc};
use faasport_core::{QueueBatch, QueueMessage};

use super::{EventError, SourceNames};
use crate::names::stream_name;

/// Each message keeps its message attributes as `attributes` (String and Number values as
/// text, Binary values as base64); `ApproximateReceiveCount` is the attempt and
/// `SentTimestamp` the send time.
pub(super) fn from_sqs(
    event: sqs::SqsEvent,
    names: &SourceNames,
) -> Result<QueueBatch, EventError> {
    let queue = event
        .records
        .first()
        .and_then(|m| m.event_source_arn.as_deref())
        .map(|arn| names.resources.queue_for_arn(arn))
        .unwrap_or_default();
    let messages = event
        .records
        .into_iter()
        .map(sqs_message)
        .collect::<Result<_, _>>()?;
    Ok(QueueBatch::new(queue, messages))
}

fn sqs_message(message: sqs::SqsMessage) -> Result<QueueMessage, EventError> {
    let id = message.message_id.ok_or(EventError::InvalidField {
        shape: "SQS",
        field: "messageId",
        detail: "missing".into(),
    })?;
    let mut out = QueueMessage::new(id, message.body.unwrap_or_default());
    for (name, attribute) in message.message_attributes {
        let value = match (attribute.string_value, attribute.binary_value) {
            (Some(text), _) => text,
            (None, Some(bytes)) => base64::engine::general_purpose::STANDARD.encode(bytes.0),
            (None, None) => continue,
        };
        out = out.with_attribute(name, value);
    }
    if let Some(count) = message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|c| c.parse().ok())
    {
        out = out.with_attempt(count);
    }
    if let Some(sent) = message
        .attributes
        .get("SentTimestamp")
        .and_then(|ms| ms.parse().ok())
        .and_then(DateTime::<Utc>::from_timestamp_millis)
    {
        out = out.with_sent_at(sent);
    }
    Ok(out)
}

/// The stream name is the queue; each record's sequence number is its message id (so a
/// [`BatchOutcome`](faasport_core::BatchOutcome) names exactly what `batchItemFailures` needs),
/// its decoded data the body, and `partitionKey` and `eventID` its attributes.
pub(super) fn from_kinesis(event: kinesis::KinesisEvent) -> QueueBatch {
    let stream = event
        .records
        .first()
        .and_then(|r| r.event_source_arn.as_deref())
        .map(stream_name)
        .unwrap_or_default()
        .to_owned();
    let messages = event
        .records
        .into_iter()
        .map(|record| {
            let data = record.kinesis;
            let mut message = QueueMessage::new(data.sequence_number, data.data.0)
                .with_attribute("partitionKey", data.partition_key)
                .with_sent_at(data.approximate_arrival_timestamp.0);
            if let Some(event_id) = record.event_id {
                message = message.with_attribute("eventID", event_id);
            }
            message
        })
        .collect();
    QueueBatch::new(stream, messages)
}
