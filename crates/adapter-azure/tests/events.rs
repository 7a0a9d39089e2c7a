//! Every trigger kind, sent as the host sends it, reaches the function as the right neutral
//! event with its fields.

mod common;

use chrono::{TimeZone, Utc};
use faasport_core::{
    ChangeOperation, Event, QueueBatch, QueueMessage, StorageEventKind, TopicMessage,
};
use serde_json::json;

use common::{echoed, fixture, invoke, router};
use faasport_adapter_azure::event::InvocationRequest;

fn at(text: &str) -> chrono::DateTime<Utc> {
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("time")
        .with_timezone(&Utc)
}

#[tokio::test]
async fn a_storage_queue_message_is_a_batch_of_one_whose_attempt_is_the_dequeue_count() {
    let answer = invoke(&router(), "queue", &fixture("queue-storage.json")).await;
    let (event, echo) = echoed(&answer);
    let message = QueueMessage::new("fa6c3b9b-2bb1-4b59-85dd-7a1f4bfb4d4c", "hello queue 1")
        .with_attempt(2)
        .with_sent_at(at("2019-10-09T17:58:31Z"));
    assert_eq!(event, Event::Queue(QueueBatch::new("jobs", vec![message])));
    assert_eq!(echo["attempt"], 2);
    assert_eq!(echo["function"], "queue");
    assert_eq!(echo["provider"], "azure");
    assert_eq!(echo["memory_mb"], 128);
    assert_eq!(echo["request_id"], "inv-1");
    assert_eq!(echo["azure_function"], "queue");
}

#[tokio::test]
async fn a_service_bus_topic_message_keeps_its_properties_as_attributes() {
    let answer = invoke(&router(), "topic", &fixture("servicebus-topic.json")).await;
    let (event, echo) = echoed(&answer);
    let expected = TopicMessage::new("orders", "sb-7", r#"{"id":1,"status":"created"}"#)
        .with_attribute("kind", "created")
        .with_attribute("priority", "2")
        .with_published_at(at("2024-04-09T12:34:56.789Z"));
    assert_eq!(event, Event::Topic(expected));
    assert_eq!(echo["attempt"], 3);
}

#[tokio::test]
async fn a_service_bus_queue_message_on_a_queue_trigger_is_read_as_service_bus() {
    let answer = invoke(&router(), "queue", &fixture("servicebus-queue.json")).await;
    let (event, echo) = echoed(&answer);
    let message = QueueMessage::new("sbq-1", "plain text")
        .with_attempt(1)
        .with_attribute("source", "billing")
        .with_sent_at(at("2024-04-09T12:00:00Z"));
    assert_eq!(event, Event::Queue(QueueBatch::new("jobs", vec![message])));
    assert_eq!(echo["attempt"], 1);
}

#[tokio::test]
async fn a_timer_tick_is_dated_when_the_host_fired_it_and_says_it_is_past_due() {
    let answer = invoke(&router(), "timer", &fixture("timer.json")).await;
    let (event, echo) = echoed(&answer);
    let Event::Schedule(tick) = event else {
        panic!("not a tick: {event:?}");
    };
    assert_eq!(tick.schedule, "0 */5 * * * *");
    assert_eq!(tick.scheduled_at, at("2022-10-11T08:50:00.0123456Z"));
    assert_eq!(echo["is_past_due"], "true");

    let answer = invoke(&router(), "timer", &fixture("timer-camel.json")).await;
    let (event, echo) = echoed(&answer);
    let Event::Schedule(tick) = event else {
        panic!("not a tick: {event:?}");
    };
    assert_eq!(tick.scheduled_at, at("2022-10-11T08:55:00Z"));
    assert_eq!(echo["is_past_due"], "false");
}

#[tokio::test]
async fn a_blob_names_the_container_the_decoded_name_the_size_and_the_etag() {
    let answer = invoke(&router(), "blob", &fixture("blob.json")).await;
    let (event, _) = echoed(&answer);
    let Event::Storage(storage) = event else {
        panic!("not a storage event: {event:?}");
    };
    assert_eq!(storage.bucket, "uploads");
    assert_eq!(storage.key, "dir/my file.txt");
    assert_eq!(storage.kind, StorageEventKind::Created);
    assert_eq!(storage.size, Some(5));
    // Azure quotes ETags; the neutral etag is unquoted, as S3 events give it.
    assert_eq!(storage.etag.as_deref(), Some("0x8DC58A1B2C3D4E5"));
    assert_eq!(storage.time, Some(at("2024-04-09T12:34:56Z")));
}

#[tokio::test]
async fn a_blob_without_a_captured_name_is_named_from_its_uri_and_sized_from_its_content() {
    let answer = invoke(&router(), "blob", &fixture("blob-no-name.json")).await;
    let (event, _) = echoed(&answer);
    let Event::Storage(storage) = event else {
        panic!("not a storage event: {event:?}");
    };
    assert_eq!(storage.key, "a+b.txt");
    assert_eq!(storage.size, Some(5));
    assert_eq!(storage.etag, None);
}

#[tokio::test]
async fn an_event_hubs_batch_is_a_stream_batch_keyed_by_sequence_number() {
    let answer = invoke(&router(), "hub", &fixture("eventhub-batch.json")).await;
    let (event, _) = echoed(&answer);
    let expected = QueueBatch::new(
        "clicks",
        vec![
            QueueMessage::new("41", r#"{"click":1}"#)
                .with_attribute("origin", "web")
                .with_sent_at(at("2024-04-09T12:00:00Z")),
            QueueMessage::new("42", "second").with_sent_at(at("2024-04-09T12:00:01Z")),
        ],
    );
    assert_eq!(event, Event::Queue(expected));
}

#[tokio::test]
async fn a_single_event_hubs_event_is_a_batch_of_one() {
    let answer = invoke(&router(), "hub", &fixture("eventhub-single.json")).await;
    let (event, _) = echoed(&answer);
    let expected = QueueBatch::new(
        "clicks",
        vec![QueueMessage::new("7", "one event").with_sent_at(at("2024-04-09T12:00:02Z"))],
    );
    assert_eq!(event, Event::Queue(expected));
}

fn cosmos_entry() -> faasport_adapter_azure::names::Entry {
    let trigger = common::cosmos().triggers().first().cloned();
    faasport_adapter_azure::names::Entry::Trigger(trigger.expect("a trigger"))
}

#[tokio::test]
async fn a_cosmos_db_change_feed_is_a_change_batch_of_modified_documents() {
    let request =
        InvocationRequest::from_slice(fixture("cosmos.json").as_bytes()).expect("request");
    let decoded = request.decode(&cosmos_entry()).expect("decoded");
    assert_eq!(decoded.attempt, 1);
    let malformed = InvocationRequest::from_slice(br#"{"Data":{"trigger":"[{\"total\":1}]"}}"#)
        .expect("request")
        .decode(&cosmos_entry())
        .map(|_| ())
        .map_err(|e| e.to_string());
    assert_eq!(
        malformed,
        Err("invalid id in the cosmos invocation: missing".to_owned())
    );
    let Event::Change(batch) = decoded.event else {
        panic!("not a change batch");
    };
    assert_eq!(batch.table, "orders-table");
    assert_eq!(batch.records.len(), 2);
    let first = &batch.records[0];
    assert_eq!(first.id, "o-1");
    assert_eq!(first.operation, ChangeOperation::Modify);
    assert_eq!(first.keys, json!({"id": "o-1"}));
    assert_eq!(first.old_image, None);
    assert_eq!(
        first.new_image,
        Some(
            json!({"id": "o-1", "total": 12.5, "_rid": "abc", "_etag": "\"00\"", "_lsn": 17, "_ts": 1712666096})
        )
    );
    assert_eq!(first.sequence.as_deref(), Some("17"));
    assert_eq!(first.time, Utc.timestamp_opt(1_712_666_096, 0).single());
    assert_eq!(batch.records[1].id, "o-2");
    assert_eq!(batch.records[1].sequence.as_deref(), Some("18"));
}

#[tokio::test]
async fn an_event_grid_cloudevent_is_read_as_it_is() {
    let answer = invoke(&router(), "grid", &fixture("eventgrid-cloudevent.json")).await;
    let (event, _) = echoed(&answer);
    let Event::CloudEvent(ce) = event else {
        panic!("not a CloudEvent: {event:?}");
    };
    assert_eq!(ce.id, "ce-1");
    assert_eq!(ce.source, "com.example");
    assert_eq!(ce.ty, "com.example.thing");
    assert_eq!(ce.subject.as_deref(), Some("things/7"));
    assert_eq!(ce.time, Some(at("2024-04-09T12:34:56Z")));
    assert_eq!(ce.datacontenttype.as_deref(), Some("application/json"));
    assert_eq!(ce.data, Some(json!({"n": 7})));
}

#[tokio::test]
async fn an_event_grid_schema_event_maps_topic_to_source_and_event_type_to_type() {
    let answer = invoke(&router(), "grid", &fixture("eventgrid-schema.json")).await;
    let (event, _) = echoed(&answer);
    let Event::CloudEvent(ce) = event else {
        panic!("not a CloudEvent: {event:?}");
    };
    assert_eq!(ce.id, "eg-1");
    assert_eq!(
        ce.source,
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/shopstore"
    );
    assert_eq!(ce.ty, "Microsoft.Storage.BlobCreated");
    assert_eq!(
        ce.subject.as_deref(),
        Some("/blobServices/default/containers/uploads/blobs/a.txt")
    );
    assert_eq!(ce.time, Some(at("2024-04-09T12:34:56.789Z")));
    assert_eq!(ce.data, Some(json!({"api": "PutBlob", "contentLength": 5})));
    assert_eq!(ce.extensions.get("dataversion"), Some(&json!("1")));
}

#[tokio::test]
async fn each_trigger_of_a_function_with_several_routes_back_to_it() {
    let answer = invoke(&router(), "multi-queue-1", &fixture("queue-storage.json")).await;
    let (event, echo) = echoed(&answer);
    assert_eq!(event.kind(), faasport_core::EventKind::Queue);
    assert_eq!(echo["function"], "multi");
    assert_eq!(echo["azure_function"], "multi-queue-1");
}
