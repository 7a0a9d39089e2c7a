//! Every Google Cloud delivery shape maps to its neutral event with every field kept.

mod common;

use chrono::{TimeZone, Utc};
use faasport_adapter_gcp::event::{from_request, EventError, Signature, Source};
use faasport_core::{Event, Function, StorageEventKind};
use serde_json::json;

use common::{every_trigger, fixture, names_for, read, request};

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("time")
        + chrono::Duration::milliseconds(i64::from(ms))
}

#[test]
fn a_pubsub_push_envelope_becomes_a_topic_message_with_every_field() {
    let invocation = common::from_path(
        "/projects/myproject/topics/gcf-test",
        &fixture("pubsub-push.json"),
    );
    assert_eq!(invocation.source, Source::Push);
    assert_eq!(invocation.attempt, Some(5));
    assert_eq!(
        invocation.metadata,
        vec![(
            "subscription",
            "projects/myproject/subscriptions/mysubscription".to_owned()
        )]
    );
    let Event::Topic(message) = invocation.event else {
        panic!("not a topic message: {:?}", invocation.event)
    };
    assert_eq!(message.topic, "gcf-test");
    assert_eq!(message.id, "2070443601311540");
    assert_eq!(
        message.body.as_str(),
        Some("Hello Cloud Pub/Sub! Here is my message!")
    );
    assert_eq!(
        message.attributes.into_iter().collect::<Vec<_>>(),
        vec![
            ("key".to_owned(), "value".to_owned()),
            ("origin".to_owned(), "faasport".to_owned())
        ]
    );
    assert_eq!(message.published_at, Some(at(2021, 2, 26, 19, 13, 55, 749)));
    assert_eq!(message.ordering_key.as_deref(), Some("key"));
}

#[test]
fn a_push_envelope_with_only_snake_case_fields_and_no_data_has_an_empty_body() {
    let invocation = read(
        &[("content-type", "application/json")],
        &fixture("pubsub-push-snake-no-data.json"),
    );
    assert_eq!(invocation.attempt, None);
    let Event::Topic(message) = invocation.event else {
        panic!("not a topic message")
    };
    // No topic in the path: the function's one subscription names it.
    assert_eq!(message.topic, "gcf-test");
    assert_eq!(message.id, "136969346945");
    assert!(message.body.is_empty());
    assert_eq!(
        message.attributes.get("only").map(String::as_str),
        Some("attributes")
    );
    assert_eq!(message.ordering_key, None);
    let expected = Utc
        .with_ymd_and_hms(2014, 10, 2, 15, 1, 23)
        .single()
        .expect("time")
        + chrono::Duration::nanoseconds(45_123_456);
    assert_eq!(message.published_at, Some(expected));
}

#[test]
fn a_binary_pubsub_cloudevent_becomes_a_topic_message_named_by_its_source() {
    let invocation = read(
        &[
            ("ce-specversion", "1.0"),
            ("ce-id", "aaaaaa-1111"),
            (
                "ce-source",
                "//pubsub.googleapis.com/projects/sample-project/topics/gcf-test",
            ),
            ("ce-type", "google.cloud.pubsub.topic.v1.messagePublished"),
            ("ce-time", "2021-02-26T19:13:55.749Z"),
            ("content-type", "application/json"),
        ],
        &fixture("pubsub-message-published-data.json"),
    );
    assert_eq!(
        invocation.metadata,
        vec![
            ("event_id", "aaaaaa-1111".to_owned()),
            (
                "event_type",
                "google.cloud.pubsub.topic.v1.messagePublished".to_owned()
            ),
            (
                "subscription",
                "projects/sample-project/subscriptions/gcf-test-sub".to_owned()
            ),
        ]
    );
    let Event::Topic(message) = invocation.event else {
        panic!("not a topic message")
    };
    assert_eq!(message.topic, "gcf-test");
    assert_eq!(message.id, "2070443601311540");
    assert_eq!(message.body.as_str(), Some("test message 3"));
    assert_eq!(
        message.attributes.get("attr1").map(String::as_str),
        Some("attr1-value")
    );
    assert_eq!(message.published_at, Some(at(2021, 2, 26, 19, 13, 55, 749)));
}

#[test]
fn a_structured_pubsub_cloudevent_keeps_the_ordering_key_and_delivery_attempt() {
    let invocation = read(
        &[(
            "content-type",
            "application/cloudevents+json; charset=utf-8",
        )],
        &fixture("pubsub-structured.json"),
    );
    assert_eq!(invocation.attempt, Some(2));
    let Event::Topic(message) = invocation.event else {
        panic!("not a topic message")
    };
    assert_eq!(message.topic, "gcf-test");
    assert_eq!(message.id, "aaaaaa-1111-bbbb-2222-cccccccccccc");
    assert_eq!(message.body.as_str(), Some("test message 3"));
    assert_eq!(message.ordering_key.as_deref(), Some("order-1"));
    assert_eq!(message.published_at, Some(at(2020, 9, 29, 11, 32, 0, 0)));
}

#[test]
fn a_binary_storage_finalized_event_becomes_a_created_storage_event_with_its_size_read_from_a_string(
) {
    let invocation = read(
        &[
            ("ce-specversion", "1.0"),
            ("ce-type", "google.cloud.storage.object.v1.finalized"),
            (
                "ce-source",
                "//storage.googleapis.com/projects/_/buckets/some-bucket",
            ),
            ("ce-subject", "objects/folder/Test.cs"),
            ("ce-id", "aaaaaa-1111-bbbb-2222-cccccccccccc"),
            ("ce-time", "2020-09-29T11:32:00.123Z"),
            ("ce-bucket", "some-bucket"),
            ("content-type", "application/json"),
        ],
        &fixture("storage-object-data.json"),
    );
    assert_eq!(invocation.source, Source::Push);
    let Event::Storage(object) = invocation.event else {
        panic!("not a storage event")
    };
    assert_eq!(object.bucket, "some-bucket");
    assert_eq!(object.key, "folder/Test.cs");
    assert_eq!(object.kind, StorageEventKind::Created);
    assert_eq!(object.size, Some(352));
    assert_eq!(object.etag.as_deref(), Some("CNHZkbuF/ugCEAE="));
    assert_eq!(object.time, Some(at(2020, 9, 29, 11, 32, 0, 123)));
}

#[test]
fn a_structured_storage_deleted_event_keeps_a_key_with_spaces_and_accents_as_it_is() {
    let invocation = read(
        &[("content-type", "application/cloudevents+json")],
        &fixture("storage-structured-deleted.json"),
    );
    let Event::Storage(object) = invocation.event else {
        panic!("not a storage event")
    };
    assert_eq!(object.key, "folder/café & crêpes.txt");
    assert_eq!(object.kind, StorageEventKind::Deleted);
    assert_eq!(object.size, Some(0));
    assert_eq!(object.time, Some(at(2020, 9, 29, 11, 32, 0, 123)));
}

#[test]
fn archived_and_metadata_updated_storage_events_stay_cloudevents() {
    for ty in ["archived", "metadataUpdated"] {
        let invocation = read(
            &[
                ("ce-specversion", "1.0"),
                ("ce-type", &format!("google.cloud.storage.object.v1.{ty}")),
                (
                    "ce-source",
                    "//storage.googleapis.com/projects/_/buckets/some-bucket",
                ),
                ("ce-id", "1"),
                ("content-type", "application/json"),
            ],
            &fixture("storage-object-data.json"),
        );
        let Event::CloudEvent(event) = invocation.event else {
            panic!("{ty}: not a CloudEvent")
        };
        assert_eq!(event.ty, format!("google.cloud.storage.object.v1.{ty}"));
        assert_eq!(
            event.data.as_ref().and_then(|d| d.get("size")),
            Some(&json!("352"))
        );
    }
}

#[test]
fn an_unknown_structured_cloudevent_is_passed_on_with_its_extensions_and_data() {
    let invocation = read(
        &[("content-type", "application/cloudevents+json")],
        &fixture("custom-structured.json"),
    );
    let Event::CloudEvent(event) = invocation.event else {
        panic!("not a CloudEvent")
    };
    assert_eq!(event.ty, "com.example.echo");
    assert_eq!(event.source, "https://example.com/cloudevents/pull");
    assert_eq!(event.id, "A234-1234-1234");
    assert_eq!(event.subject.as_deref(), Some("123"));
    assert_eq!(
        event.time,
        Utc.with_ymd_and_hms(2018, 4, 5, 17, 31, 0).single()
    );
    assert_eq!(event.datacontenttype.as_deref(), Some("application/json"));
    assert_eq!(
        event.data,
        Some(json!({"appinfoA": "abc", "appinfoB": 123, "appinfoC": true}))
    );
    assert_eq!(
        event.extensions.get("comexampleextension1"),
        Some(&json!("value"))
    );
    assert_eq!(
        event.extensions.get("comexampleothervalue"),
        Some(&json!(5))
    );
}

#[test]
fn binary_mode_headers_are_percent_decoded_and_non_json_data_is_kept_as_bytes() {
    let invocation = read(
        &[
            ("ce-specversion", "1.0"),
            ("ce-type", "com.example.echo"),
            ("ce-source", "/s"),
            ("ce-id", "id%20with%20spaces"),
            ("ce-subject", "caf%C3%A9"),
            (
                "ce-traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            ),
            ("content-type", "application/octet-stream"),
        ],
        &[0, 159, 146, 150],
    );
    let Event::CloudEvent(event) = invocation.event else {
        panic!("not a CloudEvent")
    };
    assert_eq!(event.id, "id with spaces");
    assert_eq!(event.subject.as_deref(), Some("café"));
    assert_eq!(
        event.extensions.get("traceparent"),
        Some(&json!(
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        ))
    );
    assert_eq!(event.data, None);
    assert_eq!(
        event.data_base64.as_ref().map(|b| b.as_bytes().to_vec()),
        Some(vec![0, 159, 146, 150])
    );
    assert_eq!(
        event.datacontenttype.as_deref(),
        Some("application/octet-stream")
    );
}

#[test]
fn a_legacy_pubsub_event_is_converted_as_the_functions_framework_does() {
    let invocation = read(
        &[("content-type", "application/json")],
        &fixture("legacy-pubsub.json"),
    );
    let Event::Topic(message) = invocation.event else {
        panic!("not a topic message")
    };
    assert_eq!(message.topic, "gcf-test");
    assert_eq!(message.id, "1215011316659232");
    assert_eq!(message.body.as_str(), Some("This is a sample message"));
    assert_eq!(
        message.attributes.get("attribute1").map(String::as_str),
        Some("value1")
    );
    assert_eq!(message.published_at, Some(at(2020, 5, 18, 12, 13, 19, 209)));
}

#[test]
fn a_nested_legacy_storage_event_becomes_a_storage_event() {
    let invocation = read(
        &[("content-type", "application/json")],
        &fixture("legacy-storage.json"),
    );
    let Event::Storage(object) = invocation.event else {
        panic!("not a storage event")
    };
    assert_eq!(
        (
            object.bucket.as_str(),
            object.key.as_str(),
            object.kind,
            object.size
        ),
        (
            "some-bucket",
            "folder/Test.cs",
            StorageEventKind::Created,
            Some(352)
        )
    );
    assert_eq!(object.time, Some(at(2020, 4, 23, 7, 38, 57, 772)));
}

#[test]
fn a_cloud_scheduler_http_request_is_a_tick_of_the_functions_schedule() {
    let invocation = read(
        &[
            ("x-cloudscheduler", "true"),
            ("x-cloudscheduler-jobname", "nightly-job"),
            ("x-cloudscheduler-scheduletime", "2026-01-31T02:00:00Z"),
        ],
        b"",
    );
    assert_eq!(invocation.source, Source::Push);
    let Event::Schedule(tick) = invocation.event else {
        panic!("not a tick")
    };
    assert_eq!(tick.schedule, "0 2 * * *");
    assert_eq!(
        tick.scheduled_at,
        Utc.with_ymd_and_hms(2026, 1, 31, 2, 0, 0).unwrap()
    );
}

#[test]
fn a_knative_ping_source_event_is_a_tick_of_the_functions_schedule() {
    let invocation = read(
        &[
            ("ce-specversion", "1.0"),
            ("ce-id", "ping-1"),
            ("ce-type", "dev.knative.sources.ping"),
            (
                "ce-source",
                "/apis/v1/namespaces/default/pingsources/shop-nightly-schedule",
            ),
            ("ce-time", "2026-01-31T02:00:00Z"),
            ("content-type", "application/json"),
        ],
        br#"{"schedule":"0 2 * * *"}"#,
    );
    assert_eq!(invocation.source, Source::Push);
    let Event::Schedule(tick) = invocation.event else {
        panic!("not a tick")
    };
    assert_eq!(tick.schedule, "0 2 * * *");
    assert_eq!(
        tick.scheduled_at,
        Utc.with_ymd_and_hms(2026, 1, 31, 2, 0, 0).unwrap()
    );
}

#[test]
fn a_pubsub_message_on_a_topic_the_function_does_not_subscribe_to_is_a_schedule_tick() {
    let invocation = common::from_path(
        "/projects/p/topics/nightly-schedule",
        &fixture("pubsub-push.json"),
    );
    let Event::Schedule(tick) = invocation.event else {
        panic!("not a tick")
    };
    assert_eq!(tick.schedule, "0 2 * * *");
    assert_eq!(tick.scheduled_at, at(2021, 2, 26, 19, 13, 55, 749));
}

#[test]
fn a_plain_request_goes_to_a_function_with_an_http_route_unchanged() {
    let invocation = read(
        &[("x-custom", "1"), ("content-type", "text/plain")],
        b"hello",
    );
    assert_eq!(invocation.source, Source::Http);
    let Event::Http(req) = invocation.event else {
        panic!("not http")
    };
    assert_eq!(req.method(), "POST");
    assert_eq!(req.headers()["x-custom"], "1");
    assert_eq!(req.body().as_str(), Some("hello"));
}

#[test]
fn an_http_function_gets_cloudevents_as_plain_requests() {
    async fn http_only(
        _: faasport_core::HttpRequest,
        _: faasport_core::Context,
    ) -> Result<(), faasport_core::Error> {
        Ok(())
    }
    let function = Function::new("web", http_only);
    let names = names_for(&function);
    assert_eq!(names.signature, Signature::Http);
    let req = request("POST", "/x?y=1", &[("ce-specversion", "1.0")], b"{}");
    let invocation = from_request(req, &names).expect("http");
    let Event::Http(req) = invocation.event else {
        panic!("not http")
    };
    assert_eq!(req.uri(), "/x?y=1");
    assert_eq!(req.headers()["ce-specversion"], "1.0");
}

#[test]
fn a_function_without_http_routes_refuses_what_is_not_an_event() {
    let function = Function::new("bill", common::echo).subscribe("orders");
    let names = names_for(&function);
    assert_eq!(
        names.signature,
        Signature::Event {
            http_fallback: false
        }
    );
    let err = from_request(request("GET", "/", &[], b""), &names).expect_err("no event");
    assert!(matches!(err, EventError::NotAnEvent), "{err}");
    let tick = request("POST", "/", &[("x-cloudscheduler", "true")], b"");
    assert!(matches!(
        from_request(tick, &names),
        Err(EventError::NotAnEvent)
    ));
    assert_eq!(every_trigger().name(), "echo");
}

#[test]
fn a_pubsub_message_marked_as_an_invoke_is_read_as_core_reads_invoke_payloads() {
    use base64::Engine as _;
    let encode =
        |v: serde_json::Value| base64::engine::general_purpose::STANDARD.encode(v.to_string());
    let envelope = |data: String| {
        json!({
            "message": {"data": data, "messageId": "9", "attributes": {"faasport-invoke": "async"}},
            "subscription": "projects/p/subscriptions/shop-resize-invoke",
            "deliveryAttempt": 2,
        })
        .to_string()
    };
    let plain = common::from_path("/", envelope(encode(json!({"width": 64}))).as_bytes());
    assert_eq!(
        plain.source,
        Source::Push,
        "acknowledged like any pushed event"
    );
    assert_eq!(plain.attempt, Some(2));
    match plain.event {
        Event::CloudEvent(event) => {
            assert_eq!(event.ty, "faasport.invoke");
            assert_eq!(event.data, Some(json!({"width": 64})));
        }
        other => panic!("{other:?}"),
    }
    let tagged = json!({"kind": "schedule", "event": {"schedule": "nightly", "scheduled_at": "2026-01-01T02:00:00Z"}});
    let tagged = common::from_path("/", envelope(encode(tagged)).as_bytes());
    assert!(
        matches!(tagged.event, Event::Schedule(ref tick) if tick.schedule == "nightly"),
        "{:?}",
        tagged.event
    );

    let names = names_for(&every_trigger());
    let not_json = request(
        "POST",
        "/",
        &[("content-type", "application/json")],
        envelope("bm90IGpzb24=".into()).as_bytes(),
    );
    let error = from_request(not_json, &names).expect_err("not JSON");
    assert!(error.to_string().contains("asynchronous invoke"), "{error}");
}

#[test]
fn a_faasport_invoke_cloudevent_is_answered_as_an_invoke() {
    let invocation = read(
        &[
            ("ce-specversion", "1.0"),
            ("ce-id", "invoke-1"),
            ("ce-source", "faasport"),
            ("ce-type", "faasport.invoke"),
            ("content-type", "application/json"),
        ],
        br#"{"sku": "A-1"}"#,
    );
    assert_eq!(invocation.source, Source::Invoke);
    match invocation.event {
        Event::CloudEvent(event) => assert_eq!(event.data, Some(json!({"sku": "A-1"}))),
        other => panic!("{other:?}"),
    }
}
