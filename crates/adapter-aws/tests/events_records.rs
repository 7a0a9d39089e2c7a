//! Record payloads (SQS, Kinesis, DynamoDB Streams, SNS, S3, EventBridge) and custom JSON map to
//! exact neutral events.

mod common;

use common::{fixture, fixture_json};
use faasport_adapter_aws::event::{DecodedPayload, LambdaPayload, Source, SourceNames};
use faasport_adapter_aws::names::ResourceNames;
use faasport_core::chrono::{TimeZone, Utc};
use faasport_core::{ChangeOperation, Event, ResourceKind, StorageEventKind};
use serde_json::json;

fn map(name: &str, names: &SourceNames) -> DecodedPayload {
    LambdaPayload::from_slice(&fixture(name))
        .and_then(|p| p.into_invocation(names))
        .expect("maps")
}

fn only(invocation: DecodedPayload) -> Event {
    let [event] = <[Event; 1]>::try_from(invocation.events).expect("one event");
    event
}

#[test]
fn sqs_messages_keep_ids_bodies_attributes_attempts_and_send_times() {
    let invocation = map("sqs-batch.json", &SourceNames::default());
    assert_eq!(invocation.source, Source::Sqs);
    let Event::Queue(batch) = only(invocation) else {
        panic!("not a queue batch")
    };
    assert_eq!(batch.queue, "orders-queue");
    let ids: Vec<&str> = batch.messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "059f36b4-87a3-44ab-83d2-661975830a7d",
            "2e1424d4-f796-459a-8184-9c92662be6da",
            "f2c1d5e3-1234-4c1b-9d0a-1b2c3d4e5f60"
        ]
    );
    let first = &batch.messages[0];
    assert_eq!(first.body.as_str(), Some(r#"{"orderId":1}"#));
    assert_eq!(
        first.attributes,
        [
            ("priority".to_owned(), "5".to_owned()),
            ("tenant".to_owned(), "acme".to_owned())
        ]
        .into()
    );
    assert_eq!(
        first.sent_at,
        Utc.timestamp_millis_opt(1_545_082_649_183).single()
    );
    assert_eq!(batch.messages[1].attributes["blob"], "AAEC");
    assert_eq!(
        batch.messages.iter().map(|m| m.attempt).collect::<Vec<_>>(),
        [1, 2, 3]
    );
}

#[test]
fn queue_names_come_from_the_environment_when_the_template_set_them() {
    let names = SourceNames {
        resources: ResourceNames::default().with(
            ResourceKind::Queue,
            "orders",
            "https://sqs.us-east-1.amazonaws.com/123456789012/orders-queue",
        ),
        schedule: None,
    };
    let Event::Queue(batch) = only(map("sqs-batch.json", &names)) else {
        panic!("queue")
    };
    assert_eq!(batch.queue, "orders");
}

#[test]
fn kinesis_records_become_messages_named_by_sequence_number_with_decoded_data() {
    let invocation = map("kinesis.json", &SourceNames::default());
    assert_eq!(invocation.source, Source::Kinesis);
    let Event::Queue(batch) = only(invocation) else {
        panic!("queue")
    };
    assert_eq!(batch.queue, "clicks");
    assert_eq!(batch.messages.len(), 2);
    let first = &batch.messages[0];
    assert_eq!(
        first.id,
        "49590338271490256608559692538361571095921575989136588898"
    );
    assert_eq!(first.body.as_str(), Some(r#"{"click":"buy","n":1}"#));
    assert_eq!(first.attributes["partitionKey"], "user-1");
    assert_eq!(
        first.attributes["eventID"],
        "shardId-000000000006:49590338271490256608559692538361571095921575989136588898"
    );
    assert_eq!(
        first.sent_at,
        Utc.timestamp_millis_opt(1_712_666_096_123).single()
    );
    let mut binary = vec![0x00, 0xFF];
    binary.extend_from_slice(b"not-json");
    binary.push(0x01);
    assert_eq!(batch.messages[1].body.as_bytes(), binary.as_slice());
}

#[test]
fn dynamodb_changes_carry_plain_json_images_and_their_sequence_numbers() {
    let invocation = map("dynamodb-stream.json", &SourceNames::default());
    let Source::DynamoDb { sequences } = &invocation.source else {
        panic!("dynamodb source")
    };
    assert_eq!(sequences["c81e728d9d4c2f636f067f89cc14862c"], "222");
    let Event::Change(batch) = only(invocation) else {
        panic!("change batch")
    };
    assert_eq!(batch.table, "Orders");
    let ops: Vec<_> = batch.records.iter().map(|r| r.operation).collect();
    assert_eq!(
        ops,
        [
            ChangeOperation::Insert,
            ChangeOperation::Modify,
            ChangeOperation::Remove
        ]
    );
    let insert = &batch.records[0];
    assert_eq!(insert.id, "c4ca4238a0b923820dcc509a6f75849b");
    assert_eq!(insert.sequence.as_deref(), Some("111"));
    assert_eq!(insert.keys, json!({"pk": "order#1", "sk": 1}));
    assert_eq!(
        insert.new_image,
        Some(
            json!({"pk": "order#1", "sk": 1, "status": "new", "total": 10.5, "tags": ["a", "b"],
                    "paid": false, "note": null, "lines": [{"sku": "A1", "qty": 2}], "raw": "AAEqQQ=="})
        )
    );
    assert_eq!(insert.old_image, None);
    assert_eq!(insert.time, Utc.timestamp_opt(1_712_666_096, 0).single());
    let remove = &batch.records[2];
    assert_eq!(remove.new_image, None);
    assert_eq!(
        remove.old_image,
        Some(json!({"pk": "order#1", "sk": 1, "status": "paid"}))
    );
}

#[test]
fn sns_notifications_become_topic_messages_with_attributes() {
    let invocation = map("sns.json", &SourceNames::default());
    assert_eq!(invocation.source, Source::Sns);
    let Event::Topic(message) = only(invocation) else {
        panic!("topic")
    };
    assert_eq!(message.topic, "orders-topic");
    assert_eq!(message.id, "95df01b4-ee98-5cb9-9903-4c221d41eb5e");
    assert_eq!(
        message.body.as_str(),
        Some(r#"{"orderId":99,"status":"shipped"}"#)
    );
    assert_eq!(
        message.attributes,
        [
            ("count".to_owned(), "3".to_owned()),
            ("tenant".to_owned(), "acme".to_owned())
        ]
        .into()
    );
    assert_eq!(
        message.published_at,
        Utc.with_ymd_and_hms(2019, 1, 2, 12, 45, 7).single()
    );
}

#[test]
fn s3_records_become_one_storage_event_each_with_decoded_keys() {
    let invocation = map("s3.json", &SourceNames::default());
    assert_eq!(invocation.source, Source::S3);
    let [Event::Storage(put), Event::Storage(delete)] =
        <[Event; 2]>::try_from(invocation.events).expect("two events")
    else {
        panic!("storage events")
    };
    assert_eq!(put.bucket, "faasport-uploads");
    assert_eq!(put.key, "uploads/my file+1 copy.txt");
    assert_eq!(put.kind, StorageEventKind::Created);
    assert_eq!(put.size, Some(1024));
    assert_eq!(
        put.etag.as_deref(),
        Some("d41d8cd98f00b204e9800998ecf8427e")
    );
    assert_eq!(delete.key, "uploads/café & crêpes.jpg");
    assert_eq!(delete.kind, StorageEventKind::Deleted);
    assert_eq!((delete.size, delete.etag.as_deref()), (None, None));
}

#[test]
fn scheduled_events_become_ticks_of_the_functions_one_schedule() {
    let names = SourceNames {
        schedule: Some("rate(5 minutes)".into()),
        ..SourceNames::default()
    };
    let Event::Schedule(tick) = only(map("eventbridge-scheduled.json", &names)) else {
        panic!("tick")
    };
    assert_eq!(tick.schedule, "rate(5 minutes)");
    assert_eq!(
        Some(tick.scheduled_at),
        Utc.with_ymd_and_hms(2024, 4, 9, 12, 0, 0).single()
    );
    let Event::Schedule(unnamed) = only(map("eventbridge-scheduled.json", &SourceNames::default()))
    else {
        panic!("tick")
    };
    assert_eq!(unnamed.schedule, "faasport-every-5-min");
}

#[test]
fn other_eventbridge_events_become_cloudevents_typed_by_detail_type() {
    let Event::CloudEvent(ce) = only(map("eventbridge-custom.json", &SourceNames::default()))
    else {
        panic!("cloud event")
    };
    assert_eq!(ce.ty, "OrderPlaced");
    assert_eq!(ce.source, "com.example.orders");
    assert_eq!(ce.id, "6a7e8feb-b491-4cf7-a9f1-bf3703467718");
    assert_eq!(
        ce.data,
        Some(json!({"orderId": "o-123", "amount": 42.5, "items": [{"sku": "A1", "qty": 2}]}))
    );
    assert_eq!(ce.extensions["account"], json!("123456789012"));
    assert_eq!(
        ce.time,
        Utc.with_ymd_and_hms(2024, 4, 9, 12, 34, 56).single()
    );
}

#[test]
fn unknown_json_becomes_an_invoke_cloudevent_and_the_tagged_form_its_event() {
    let invocation = map("unknown-custom.json", &SourceNames::default());
    assert_eq!(invocation.source, Source::Direct);
    let Event::CloudEvent(ce) = only(invocation) else {
        panic!("cloud event")
    };
    assert_eq!(ce.ty, "faasport.invoke");
    assert_eq!(ce.data, Some(fixture_json("unknown-custom.json")));
    // Taken as it is (wrapped once, as an invocation), and so is the data of a tagged invoke.
    let custom = fixture_json("unknown-custom.json");
    assert!(matches!(
        LambdaPayload::from_value(custom.clone()),
        Ok(LambdaPayload::Custom(value)) if value == custom
    ));
    let invoke = serde_json::to_value(Event::from_json(custom.clone())).expect("tagged form");
    assert!(matches!(
        LambdaPayload::from_value(invoke),
        Ok(LambdaPayload::Custom(value)) if value == custom
    ));
    let tagged = json!({"kind": "topic", "event": {"topic": "t", "id": "1", "body": "hi"}});
    let event = LambdaPayload::from_value(tagged.clone())
        .and_then(|p| p.into_invocation(&SourceNames::default()))
        .expect("maps");
    let expected: Event = serde_json::from_value(tagged).expect("a neutral event");
    assert_eq!(only(event), expected);
}

#[test]
fn a_tagged_event_that_does_not_fit_its_kind_is_refused_not_wrapped() {
    let bad = json!({"kind": "queue", "event": {"queue": 7}});
    let err = LambdaPayload::from_value(bad).expect_err("refused");
    assert!(
        err.to_string()
            .starts_with("invalid event in the faasport tagged event: not a valid `queue` event"),
        "{err}"
    );
}
