//! Every event kind goes through cargo-lambda into the echo app and comes back as the neutral
//! event, every field preserved.

use faasport::aws::event::{LambdaPayload, SourceNames};
use faasport::Event;
use serde_json::{json, Value};

use crate::harness::{fixture, Lambda};

/// What echo should answer: the neutral events the adapter maps the fixture to, as JSON.
fn expected(name: &str) -> Vec<Value> {
    let names = SourceNames {
        schedule: Some("rate(1 hour)".into()),
        ..SourceNames::default()
    };
    LambdaPayload::from_slice(&fixture(name))
        .and_then(|p| p.into_invocation(&names))
        .expect("fixture maps")
        .events
        .iter()
        .map(|e| serde_json::to_value(e).expect("serialise"))
        .collect()
}

#[tokio::test]
async fn every_event_kind_comes_back_as_the_neutral_event_with_every_field_preserved() {
    let Some(lambda) = Lambda::start("echo", "echo").await else {
        return;
    };
    let single = [
        ("sqs-batch.json", "queue"),
        ("kinesis.json", "queue"),
        ("dynamodb-stream.json", "change"),
        ("sns.json", "topic"),
        ("eventbridge-scheduled.json", "schedule"),
        ("eventbridge-custom.json", "cloud_event"),
    ];
    for (name, kind) in single {
        let (status, echoed) = lambda.invoke_json(&fixture(name)).await;
        assert_eq!(status, 200, "{name}: {echoed}");
        assert_eq!(echoed["kind"], kind, "{name}");
        assert_eq!(vec![echoed], expected(name), "{name}");
    }
    let (status, echoed) = lambda.invoke_json(&fixture("s3.json")).await;
    assert_eq!(status, 200);
    assert_eq!(echoed, Value::Array(expected("s3.json")));
    assert_eq!(echoed[0]["event"]["key"], "uploads/my file+1 copy.txt");
    assert_eq!(echoed[1]["event"]["key"], "uploads/café & crêpes.jpg");
}

#[tokio::test]
async fn scheduled_events_carry_the_functions_schedule_and_custom_json_is_kept_as_data() {
    let Some(lambda) = Lambda::start("echo", "echo").await else {
        return;
    };
    let (_, tick) = lambda
        .invoke_json(&fixture("eventbridge-scheduled.json"))
        .await;
    assert_eq!(
        tick,
        json!({"kind": "schedule", "event": {"schedule": "rate(1 hour)", "scheduled_at": "2024-04-09T12:00:00Z"}})
    );
    let (status, custom) = lambda.invoke_json(&fixture("unknown-custom.json")).await;
    assert_eq!(status, 200);
    assert_eq!(custom["kind"], "cloud_event");
    assert_eq!(custom["event"]["type"], "faasport.invoke");
    assert_eq!(
        custom["event"]["data"],
        json!({"hello": "world", "n": 1, "nested": {"list": [1, 2, 3]}})
    );
    let tagged = json!({"kind": "topic", "event": {"topic": "echo-topic", "id": "m1", "body": "hi",
                        "attributes": {"a": "b"}, "published_at": null}});
    let (_, echoed) = lambda.invoke_json(tagged.to_string().as_bytes()).await;
    assert_eq!(echoed, tagged);
    let _: Event = serde_json::from_value(echoed).expect("a neutral event");
}
