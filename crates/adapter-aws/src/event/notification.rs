//! SNS, S3 and EventBridge events: one neutral event per record.

use aws_lambda_events::event::{eventbridge, s3, sns};
use faasport_core::chrono::Utc;
use faasport_core::event::percent_decode;
use faasport_core::{
    CloudEvent, Event, ScheduleTick, StorageEvent, StorageEventKind, TopicMessage,
};
use serde_json::Value;

use super::{EventError, SourceNames};
use crate::names::last_segment;

/// The `detail-type` of EventBridge scheduled events (rules and EventBridge Scheduler).
pub const SCHEDULED_EVENT: &str = "Scheduled Event";

pub(super) fn from_sns(event: sns::SnsEvent, names: &SourceNames) -> Vec<Event> {
    event
        .records
        .into_iter()
        .map(|record| {
            let sns = record.sns;
            let topic = names.resources.topic_for_arn(&sns.topic_arn);
            let mut message = TopicMessage::new(topic, sns.message_id, sns.message)
                .with_published_at(sns.timestamp);
            for (name, attribute) in sns.message_attributes {
                message = message.with_attribute(name, attribute.value);
            }
            Event::Topic(message)
        })
        .collect()
}

/// Object keys arrive form-encoded (`+` is a space) and are decoded here. Events other than
/// `ObjectCreated:*` and `ObjectRemoved:*` (restores, replication, lifecycle) become CloudEvents
/// of type `aws.s3.<eventName>` carrying the record.
pub(super) fn from_s3(event: s3::S3Event, names: &SourceNames) -> Result<Vec<Event>, EventError> {
    event
        .records
        .into_iter()
        .map(|record| {
            let name = record.event_name.clone().unwrap_or_default();
            let kind = if name.starts_with("ObjectCreated") {
                StorageEventKind::Created
            } else if name.starts_with("ObjectRemoved") {
                StorageEventKind::Deleted
            } else {
                let id = record.s3.object.sequencer.clone().unwrap_or_default();
                let data =
                    serde_json::to_value(&record).map_err(|source| EventError::Malformed {
                        shape: "an S3 notification",
                        source,
                    })?;
                return Ok(Event::CloudEvent(
                    CloudEvent::new(id, "aws:s3", format!("aws.s3.{name}"))
                        .with_time(record.event_time)
                        .with_data(data),
                ));
            };
            let object = record.s3.object;
            let key = match (object.url_decoded_key, object.key) {
                (Some(decoded), _) => decoded,
                (None, Some(raw)) => percent_decode(&raw, true),
                (None, None) => {
                    return Err(EventError::InvalidField {
                        shape: "S3",
                        field: "s3.object.key",
                        detail: "missing".into(),
                    })
                }
            };
            let bucket = names
                .resources
                .bucket_for_name(record.s3.bucket.name.as_deref().unwrap_or_default());
            let mut storage = StorageEvent::new(bucket, key, kind).with_time(record.event_time);
            if let Some(size) = object.size.and_then(|s| u64::try_from(s).ok()) {
                storage = storage.with_size(size);
            }
            if let Some(etag) = object.e_tag.filter(|e| !e.is_empty()) {
                storage = storage.with_etag(etag);
            }
            Ok(Event::Storage(storage))
        })
        .collect()
}

/// Scheduled events become [`ScheduleTick`]s: the schedule is the function's one declared
/// expression when it has exactly one, else the rule's name. Other events become CloudEvents
/// with `type` = `detail-type`, `source`, `id`, `time`, `data` = `detail`, and the extensions
/// `account`, `region` and `resources`.
pub(super) fn from_eventbridge(event: eventbridge::EventBridgeEvent, names: &SourceNames) -> Event {
    let resources = event.resources.unwrap_or_default();
    if event.detail_type == SCHEDULED_EVENT {
        let schedule = names.schedule.clone().unwrap_or_else(|| {
            resources
                .first()
                .map(|arn| last_segment(arn, '/').to_owned())
                .unwrap_or_default()
        });
        return Event::Schedule(ScheduleTick::new(
            schedule,
            event.time.unwrap_or_else(Utc::now),
        ));
    }
    let mut cloud = CloudEvent::new(
        event.id.unwrap_or_default(),
        event.source,
        event.detail_type,
    )
    .with_data(event.detail);
    if let Some(time) = event.time {
        cloud = cloud.with_time(time);
    }
    if let Some(account) = event.account {
        cloud = cloud.with_extension("account", Value::from(account));
    }
    if let Some(region) = event.region {
        cloud = cloud.with_extension("region", Value::from(region));
    }
    if !resources.is_empty() {
        cloud = cloud.with_extension("resources", Value::from(resources));
    }
    Event::CloudEvent(cloud)
}
