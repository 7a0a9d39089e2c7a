//! Legacy (1st gen) background events into CloudEvents, as the Functions Framework converts
//! them (Python `event_conversion.py`, Go `events.go`; `docs/mapping.md` of the conformance
//! suite). The tables are data, the same in all three frameworks.
//!
//! Two shapes: nested `{"context": {eventId, timestamp, eventType, resource}, "data": …}` and
//! flat `{eventId, timestamp, eventType, resource, data, …}`; fields come from `context` first.
//! `resource` is a string or `{service, name, type}`. The result has `id` = `eventId`, `time` =
//! `timestamp`, `datacontenttype: application/json`, and service-specific `source`, `subject` and
//! data: Pub/Sub data becomes `{"message": data}` with `messageId` / `publishTime` filled from
//! the context when absent; Firebase Auth gets `subject = users/<uid>` and its metadata renamed;
//! Realtime Database needs the top-level `domain` for its location.

use chrono::{DateTime, Utc};
use faasport_core::CloudEvent;
use serde_json::{Map, Value};

use super::EventError;

/// Legacy `eventType` → CloudEvent `type`.
pub const EVENT_TYPES: [(&str, &str); 20] = [
    (
        "google.pubsub.topic.publish",
        "google.cloud.pubsub.topic.v1.messagePublished",
    ),
    (
        "providers/cloud.pubsub/eventTypes/topic.publish",
        "google.cloud.pubsub.topic.v1.messagePublished",
    ),
    (
        "google.storage.object.finalize",
        "google.cloud.storage.object.v1.finalized",
    ),
    (
        "providers/cloud.storage/eventTypes/object.change",
        "google.cloud.storage.object.v1.finalized",
    ),
    (
        "google.storage.object.delete",
        "google.cloud.storage.object.v1.deleted",
    ),
    (
        "google.storage.object.archive",
        "google.cloud.storage.object.v1.archived",
    ),
    (
        "google.storage.object.metadataUpdate",
        "google.cloud.storage.object.v1.metadataUpdated",
    ),
    (
        "providers/cloud.firestore/eventTypes/document.write",
        "google.cloud.firestore.document.v1.written",
    ),
    (
        "providers/cloud.firestore/eventTypes/document.create",
        "google.cloud.firestore.document.v1.created",
    ),
    (
        "providers/cloud.firestore/eventTypes/document.update",
        "google.cloud.firestore.document.v1.updated",
    ),
    (
        "providers/cloud.firestore/eventTypes/document.delete",
        "google.cloud.firestore.document.v1.deleted",
    ),
    (
        "providers/firebase.auth/eventTypes/user.create",
        "google.firebase.auth.user.v1.created",
    ),
    (
        "providers/firebase.auth/eventTypes/user.delete",
        "google.firebase.auth.user.v1.deleted",
    ),
    (
        "providers/google.firebase.analytics/eventTypes/event.log",
        "google.firebase.analytics.log.v1.written",
    ),
    (
        "providers/google.firebase.database/eventTypes/ref.create",
        "google.firebase.database.ref.v1.created",
    ),
    (
        "providers/google.firebase.database/eventTypes/ref.write",
        "google.firebase.database.ref.v1.written",
    ),
    (
        "providers/google.firebase.database/eventTypes/ref.update",
        "google.firebase.database.ref.v1.updated",
    ),
    (
        "providers/google.firebase.database/eventTypes/ref.delete",
        "google.firebase.database.ref.v1.deleted",
    ),
    // Not in the table of mapping.md, but what the frameworks accept for Pub/Sub and Storage.
    (
        "google.pubsub.topic.v1.messagePublished",
        "google.cloud.pubsub.topic.v1.messagePublished",
    ),
    (
        "google.storage.object.v1.finalized",
        "google.cloud.storage.object.v1.finalized",
    ),
];

/// `eventType` prefix → service, when `resource` does not name it.
pub const SERVICES: [(&str, &str); 8] = [
    ("providers/cloud.firestore/", FIRESTORE),
    ("providers/google.firebase.analytics/", ANALYTICS),
    ("providers/firebase.auth/", AUTH),
    ("providers/google.firebase.database/", DATABASE),
    ("providers/cloud.pubsub/", PUBSUB),
    ("google.pubsub", PUBSUB),
    ("providers/cloud.storage/", STORAGE),
    ("google.storage", STORAGE),
];

const PUBSUB: &str = "pubsub.googleapis.com";
const STORAGE: &str = "storage.googleapis.com";
const FIRESTORE: &str = "firestore.googleapis.com";
const ANALYTICS: &str = "firebase.googleapis.com";
const AUTH: &str = "firebaseauth.googleapis.com";
const DATABASE: &str = "firebasedatabase.googleapis.com";

/// Whether a JSON body has a legacy event's shape: a `context` object, or a top-level
/// `eventType`.
pub fn looks_legacy(body: &Map<String, Value>) -> bool {
    body.get("context").is_some_and(Value::is_object) || body.contains_key("eventType")
}

/// Converts a legacy event to a CloudEvent.
///
/// # Errors
/// [`EventError::Legacy`] for an unknown `eventType`, a service that cannot be told, or a
/// resource name that does not fit its service; [`EventError::InvalidField`] for a bad
/// `timestamp`.
pub fn to_cloud_event(body: &Map<String, Value>) -> Result<CloudEvent, EventError> {
    let context = body.get("context").and_then(Value::as_object);
    let field = |name: &str| context.and_then(|c| c.get(name)).or_else(|| body.get(name));
    let text = |name: &str| field(name).and_then(Value::as_str).unwrap_or("").to_owned();
    let (id, timestamp, event_type) = (text("eventId"), text("timestamp"), text("eventType"));
    let fail = |detail: String| EventError::Legacy(detail);
    let ce_type = EVENT_TYPES
        .iter()
        .find(|(legacy, _)| *legacy == event_type)
        .map(|(_, ce)| *ce)
        .ok_or_else(|| fail(format!("unknown eventType `{event_type}`")))?;
    let resource = field("resource");
    let (service, name) = match resource {
        Some(Value::Object(r)) => (
            r.get("service").and_then(Value::as_str).map(str::to_owned),
            r.get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        ),
        Some(Value::String(s)) => (None, s.clone()),
        _ => (None, String::new()),
    };
    let service = match service {
        Some(s) => s,
        None => SERVICES
            .iter()
            .find(|(prefix, _)| event_type.starts_with(prefix))
            .map(|(_, s)| (*s).to_owned())
            .ok_or_else(|| fail(format!("no service for eventType `{event_type}`")))?,
    };
    let mut data = body.get("data").cloned().unwrap_or(Value::Null);
    let (source, subject) = split_resource(&service, &name, body, &mut data)?;
    if service == PUBSUB {
        data = pubsub_data(data, &id, &timestamp);
    }
    let mut event = CloudEvent::new(id, source, ce_type).with_data(data);
    if let Some(subject) = subject {
        event = event.with_subject(subject);
    }
    if !timestamp.is_empty() {
        let time =
            DateTime::parse_from_rfc3339(&timestamp).map_err(|e| EventError::InvalidField {
                shape: "legacy event",
                field: "timestamp",
                detail: format!("`{timestamp}` is not RFC 3339: {e}"),
            })?;
        event = event.with_time(time.with_timezone(&Utc));
    }
    Ok(event)
}

/// `(source, subject)` for a resource name of `service`.
fn split_resource(
    service: &str,
    name: &str,
    body: &Map<String, Value>,
    data: &mut Value,
) -> Result<(String, Option<String>), EventError> {
    let unfit = || EventError::Legacy(format!("resource `{name}` does not fit {service}"));
    let source = |resource: &str| format!("//{service}/{resource}");
    match service {
        STORAGE => {
            // projects/_/buckets/B/objects/O
            let (head, object) = name.split_once("/objects/").ok_or_else(unfit)?;
            let mut parts = head.split('/');
            let fits = parts.next() == Some("projects")
                && parts.next().is_some_and(|p| !p.is_empty())
                && parts.next() == Some("buckets")
                && parts.next().is_some_and(|b| !b.is_empty())
                && parts.next().is_none();
            if !fits || object.is_empty() {
                return Err(unfit());
            }
            Ok((source(head), Some(format!("objects/{object}"))))
        }
        FIRESTORE => {
            let (head, document) = name.split_once("/documents/").ok_or_else(unfit)?;
            if !head.ends_with("/databases/(default)") || document.is_empty() {
                return Err(unfit());
            }
            Ok((source(head), Some(format!("documents/{document}"))))
        }
        ANALYTICS => {
            let (head, event) = name.split_once("/events/").ok_or_else(unfit)?;
            if event.is_empty() || event.contains('/') || head.matches('/').count() != 1 {
                return Err(unfit());
            }
            Ok((source(head), Some(format!("events/{event}"))))
        }
        DATABASE => {
            let rest = name.strip_prefix("projects/_/").ok_or_else(unfit)?;
            let (instance, path) = rest.split_once("/refs/").ok_or_else(unfit)?;
            if !instance.starts_with("instances/") || path.is_empty() {
                return Err(unfit());
            }
            let domain = body.get("domain").and_then(Value::as_str).ok_or_else(|| {
                EventError::Legacy("a Realtime Database event needs `domain`".into())
            })?;
            let location = if domain == "firebaseio.com" {
                "us-central1"
            } else {
                domain.split('.').next().unwrap_or(domain)
            };
            Ok((
                source(&format!("projects/_/locations/{location}/{instance}")),
                Some(format!("refs/{path}")),
            ))
        }
        AUTH => {
            if let Some(metadata) = data.get_mut("metadata").and_then(Value::as_object_mut) {
                for (old, new) in [
                    ("createdAt", "createTime"),
                    ("lastSignedInAt", "lastSignInTime"),
                ] {
                    if let Some(value) = metadata.remove(old) {
                        metadata.insert(new.to_owned(), value);
                    }
                }
            }
            let subject = data
                .get("uid")
                .and_then(Value::as_str)
                .map(|uid| format!("users/{uid}"));
            Ok((source(name), subject))
        }
        _ => Ok((source(name), None)),
    }
}

/// Pub/Sub data becomes `{"message": data}`, with the id and time from the context when the
/// message has none.
fn pubsub_data(data: Value, id: &str, timestamp: &str) -> Value {
    let mut message = match data {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    message
        .entry("messageId")
        .or_insert_with(|| Value::from(id));
    message
        .entry("publishTime")
        .or_insert_with(|| Value::from(timestamp));
    serde_json::json!({ "message": message })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn convert(value: Value) -> Result<CloudEvent, EventError> {
        to_cloud_event(value.as_object().expect("object"))
    }

    #[test]
    fn every_legacy_type_maps_to_a_cloudevent_type() {
        for (legacy, ce) in EVENT_TYPES {
            assert!(ce.starts_with("google."), "{legacy}");
        }
    }

    #[test]
    fn a_nested_storage_event_gets_its_bucket_as_source_and_object_as_subject() {
        let event = convert(json!({
            "context": {"eventId": "1147091835525187", "timestamp": "2020-09-29T11:32:00.000Z",
                        "eventType": "google.storage.object.finalize",
                        "resource": {"service": "storage.googleapis.com",
                                     "name": "projects/_/buckets/some-bucket/objects/folder/Test.cs",
                                     "type": "storage#object"}},
            "data": {"bucket": "some-bucket", "name": "folder/Test.cs"}
        }))
        .expect("converts");
        assert_eq!(event.ty, "google.cloud.storage.object.v1.finalized");
        assert_eq!(
            event.source,
            "//storage.googleapis.com/projects/_/buckets/some-bucket"
        );
        assert_eq!(event.subject.as_deref(), Some("objects/folder/Test.cs"));
        assert_eq!(event.id, "1147091835525187");
    }

    #[test]
    fn a_flat_pubsub_event_is_wrapped_in_message_with_id_and_time() {
        let event = convert(json!({
            "eventId": "1215011316659232", "timestamp": "2020-05-18T12:13:19Z",
            "eventType": "providers/cloud.pubsub/eventTypes/topic.publish",
            "resource": "projects/sample-project/topics/gcf-test",
            "data": {"@type": "type.googleapis.com/google.pubsub.v1.PubsubMessage",
                     "attributes": {"attr1": "attr1-value"}, "data": "dGVzdCBtZXNzYWdlIDM="}
        }))
        .expect("converts");
        assert_eq!(
            event.source,
            "//pubsub.googleapis.com/projects/sample-project/topics/gcf-test"
        );
        assert_eq!(event.subject, None);
        assert_eq!(
            event.data,
            Some(json!({"message": {
                "@type": "type.googleapis.com/google.pubsub.v1.PubsubMessage",
                "attributes": {"attr1": "attr1-value"}, "data": "dGVzdCBtZXNzYWdlIDM=",
                "messageId": "1215011316659232", "publishTime": "2020-05-18T12:13:19Z"}}))
        );
    }

    #[test]
    fn firestore_auth_and_database_events_follow_the_framework_tables() {
        let firestore = convert(
            json!({"eventId": "7b8f", "timestamp": "2020-09-29T11:32:00Z",
            "eventType": "providers/cloud.firestore/eventTypes/document.write",
            "resource": "projects/project-id/databases/(default)/documents/gcf-test/2Vm2",
            "data": {}}),
        )
        .expect("firestore");
        assert_eq!(
            firestore.source,
            "//firestore.googleapis.com/projects/project-id/databases/(default)"
        );
        assert_eq!(
            firestore.subject.as_deref(),
            Some("documents/gcf-test/2Vm2")
        );
        let auth = convert(json!({"eventId": "a", "timestamp": "2020-09-29T11:32:00Z",
            "eventType": "providers/firebase.auth/eventTypes/user.create",
            "resource": "projects/my-project-id",
            "data": {"uid": "UUpby3s4", "metadata": {"createdAt": "2020-05-26T10:42:27Z"}}}))
        .expect("auth");
        assert_eq!(auth.subject.as_deref(), Some("users/UUpby3s4"));
        assert_eq!(
            auth.data,
            Some(json!({"uid": "UUpby3s4", "metadata": {"createTime": "2020-05-26T10:42:27Z"}}))
        );
        let rtdb = convert(json!({"eventId": "b", "timestamp": "2020-09-29T11:32:00Z",
            "eventType": "providers/google.firebase.database/eventTypes/ref.write",
            "resource": "projects/_/instances/my-project-id/refs/gcf-test/xyz",
            "domain": "europe-west1.firebasedatabase.app", "data": {}}))
        .expect("rtdb");
        assert_eq!(rtdb.source, "//firebasedatabase.googleapis.com/projects/_/locations/europe-west1/instances/my-project-id");
        assert_eq!(rtdb.subject.as_deref(), Some("refs/gcf-test/xyz"));
    }

    #[test]
    fn unknown_types_and_unfit_resources_are_refused_with_the_reason() {
        let unknown =
            convert(json!({"eventType": "com.example.x", "data": {}})).expect_err("unknown");
        assert_eq!(
            unknown.to_string(),
            "cannot convert the background event: unknown eventType `com.example.x`"
        );
        let unfit = convert(json!({"eventType": "google.storage.object.finalize",
                                    "resource": "projects/_/buckets/b", "data": {}}))
        .expect_err("unfit");
        assert_eq!(unfit.to_string(), "cannot convert the background event: resource `projects/_/buckets/b` does not fit storage.googleapis.com");
    }
}
