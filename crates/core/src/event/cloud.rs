//! CloudEvents 1.0: the neutral envelope for anything without a dedicated type.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Body;

/// A CloudEvent (spec 1.0), in the JSON event format's field names.
///
/// `data` holds JSON data; binary data is in `data_base64`. Extension attributes are kept in
/// `extensions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CloudEvent {
    /// The spec version, `1.0`.
    #[serde(default = "spec_version")]
    pub specversion: String,
    /// Identifies the event; `source` + `id` is unique.
    pub id: String,
    /// Identifies the context in which the event happened.
    pub source: String,
    /// The event type, e.g. `google.cloud.pubsub.topic.v1.messagePublished`.
    #[serde(rename = "type")]
    pub ty: String,
    /// The subject within the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// When it happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
    /// The media type of `data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datacontenttype: Option<String>,
    /// The schema `data` adheres to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataschema: Option<String>,
    /// JSON (or text) data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// Binary data.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "base64_body")]
    pub data_base64: Option<Body>,
    /// Extension attributes.
    #[serde(flatten)]
    pub extensions: BTreeMap<String, Value>,
}

fn spec_version() -> String {
    "1.0".to_owned()
}

impl CloudEvent {
    /// An event with the required attributes and no data.
    pub fn new(id: impl Into<String>, source: impl Into<String>, ty: impl Into<String>) -> Self {
        Self {
            specversion: spec_version(),
            id: id.into(),
            source: source.into(),
            ty: ty.into(),
            subject: None,
            time: None,
            datacontenttype: None,
            dataschema: None,
            data: None,
            data_base64: None,
            extensions: BTreeMap::new(),
        }
    }

    /// Sets JSON data (and `datacontenttype: application/json`).
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self.datacontenttype = Some("application/json".to_owned());
        self
    }

    /// Sets binary data.
    pub fn with_binary_data(
        mut self,
        data: impl Into<Body>,
        content_type: impl Into<String>,
    ) -> Self {
        self.data_base64 = Some(data.into());
        self.datacontenttype = Some(content_type.into());
        self
    }

    /// Sets the subject.
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets the time.
    pub fn with_time(mut self, time: DateTime<Utc>) -> Self {
        self.time = Some(time);
        self
    }

    /// Adds an extension attribute.
    pub fn with_extension(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extensions.insert(name.into(), value);
        self
    }
}

mod base64_body {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::Body;

    pub(super) fn serialize<S: Serializer>(body: &Option<Body>, s: S) -> Result<S::Ok, S::Error> {
        match body {
            Some(body) => s.serialize_str(&body.to_base64()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Body>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| Body::from_base64(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudevents_read_the_json_format_with_extensions_and_binary_data() {
        let json = serde_json::json!({
            "specversion": "1.0", "id": "1", "source": "/s", "type": "t",
            "data_base64": "AAE=", "traceparent": "00-abc"
        });
        let event: CloudEvent = serde_json::from_value(json.clone()).expect("parse");
        assert_eq!(
            event.data_base64.as_ref().map(Body::as_bytes),
            Some(&[0u8, 1][..])
        );
        assert_eq!(
            event.extensions.get("traceparent"),
            Some(&Value::from("00-abc"))
        );
        assert_eq!(serde_json::to_value(&event).expect("write"), json);
    }
}
