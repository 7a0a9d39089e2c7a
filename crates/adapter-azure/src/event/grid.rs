//! The Event Grid trigger: an event in the CloudEvents 1.0 schema (`specversion` present), read
//! as it is, or in the Event Grid schema (`id`, `topic`, `subject`, `eventType`, `eventTime`,
//! `data`, `dataVersion`), mapped as Event Grid maps it to CloudEvents: `topic` → `source`,
//! `eventType` → `type`, `dataVersion` → the `dataversion` extension.

use faasport_core::{CloudEvent, Event};
use serde_json::Value;

use super::encoding::{get_ci, object, text, time};
use super::{field_error, Decoded, EventError};

pub(super) fn cloud_event(value: &Value) -> Result<Decoded, EventError> {
    let event = object(value).ok_or_else(|| field_error("eventgrid", "event", "not an object"))?;
    if event.contains_key("specversion") {
        let event: CloudEvent = serde_json::from_value(Value::Object(event))
            .map_err(|e| field_error("eventgrid", "CloudEvent", e.to_string()))?;
        return Ok(Decoded::new(Event::CloudEvent(event)));
    }
    let required = |field: &'static str| {
        get_ci(&event, field)
            .and_then(text)
            .ok_or_else(|| field_error("eventgrid", field, "missing"))
    };
    let mut out = CloudEvent::new(required("id")?, required("topic")?, required("eventType")?);
    if let Some(subject) = get_ci(&event, "subject").and_then(text) {
        out = out.with_subject(subject);
    }
    if let Some(at) = get_ci(&event, "eventTime").and_then(time) {
        out = out.with_time(at);
    }
    if let Some(data) = get_ci(&event, "data") {
        out = out.with_data(data.clone());
    }
    if let Some(version) = get_ci(&event, "dataVersion").and_then(text) {
        out = out.with_extension("dataversion", Value::from(version));
    }
    Ok(Decoded::new(Event::CloudEvent(out)))
}
