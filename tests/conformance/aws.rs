//! The AWS column: the `conformance` example under cargo-lambda.
//!
//! HTTP scenarios go through cargo-lambda's Function URL endpoint (a real HTTP request becomes
//! a Function URL event, and the function's response object becomes the HTTP answer); events
//! go through the Invoke API in each source's payload format; the dead-letter row reads the SAM
//! template, since cargo-lambda does not run Lambda's asynchronous retries.
#![cfg(feature = "aws")]

#[path = "../aws_lambda/harness.rs"]
#[allow(dead_code)]
mod harness;

use bytes::Bytes;
use faasport::http;
use http_body_util::Full;
use serde_json::{json, Value};

use self::harness::Lambda;
use crate::scenarios::{Backend, Input, Scenario};
use crate::{app, run_matrix, Observed};

const REGION_ACCOUNT: &str = "us-east-1:123456789012";

/// The Lambda payload for an event input.
fn payload(input: &Input) -> Value {
    match *input {
        Input::Queue { queue, messages } => {
            json!({ "Records": messages.iter().map(|(id, body)| json!({
            "messageId": id, "receiptHandle": format!("handle-{id}"), "body": body,
            "attributes": { "ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183",
                "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": "1545082649185" },
            "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
            "eventSourceARN": format!("arn:aws:sqs:{REGION_ACCOUNT}:{queue}"), "awsRegion": "us-east-1",
        })).collect::<Vec<_>>() })
        }
        Input::Topic {
            topic,
            id,
            body,
            attributes,
        } => {
            let attributes: serde_json::Map<String, Value> = attributes
                .iter()
                .map(|(k, v)| ((*k).to_owned(), json!({ "Type": "String", "Value": v })))
                .collect();
            json!({ "Records": [{
                "EventVersion": "1.0", "EventSource": "aws:sns",
                "EventSubscriptionArn": format!("arn:aws:sns:{REGION_ACCOUNT}:{topic}:sub"),
                "Sns": { "SignatureVersion": "1", "Timestamp": "2024-04-09T12:00:00.000Z",
                    "Signature": "x", "SigningCertUrl": "https://example.com/cert.pem",
                    "MessageId": id, "Message": body, "MessageAttributes": attributes,
                    "Type": "Notification", "UnsubscribeUrl": "https://example.com/unsubscribe",
                    "TopicArn": format!("arn:aws:sns:{REGION_ACCOUNT}:{topic}"), "Subject": null }
            }] })
        }
        Input::Schedule => json!({
            "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "time": "2024-04-09T02:00:00Z",
            "region": "us-east-1", "resources": ["arn:aws:events:us-east-1:123456789012:rule/nightly"], "detail": {}
        }),
        Input::Storage { bucket, key, size } => json!({ "Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2024-04-09T12:34:56.789Z", "eventName": "ObjectCreated:Put",
            "userIdentity": { "principalId": "AWS:X" }, "requestParameters": { "sourceIPAddress": "127.0.0.1" },
            "responseElements": { "x-amz-request-id": "R", "x-amz-id-2": "I" },
            "s3": { "s3SchemaVersion": "1.0", "configurationId": "c",
                "bucket": { "name": bucket, "ownerIdentity": { "principalId": "P" }, "arn": format!("arn:aws:s3:::{bucket}") },
                "object": { "key": key.replace(' ', "+"), "size": size, "eTag": "e", "sequencer": "0" } }
        }] }),
        Input::Cloud { source, ty, data } => json!({
            "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": ty,
            "source": source, "account": "123456789012", "time": "2024-04-09T12:34:56Z",
            "region": "us-east-1", "resources": [],
            "detail": serde_json::from_str::<Value>(data).expect("data JSON"),
        }),
        Input::Json(json) => serde_json::from_str(json).expect("JSON"),
        Input::Http { .. } | Input::Exhausting { .. } => Value::Null,
    }
}

fn observe(status: u16, answer: Value) -> Observed {
    if status != 200 {
        return Observed::Failed(answer["errorType"].as_str().unwrap_or("?").to_owned());
    }
    if let Some(failures) = answer.get("batchItemFailures").and_then(Value::as_array) {
        if failures.is_empty() {
            return Observed::Ack;
        }
        return Observed::Partial(
            failures
                .iter()
                .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_owned))
                .collect(),
        );
    }
    match answer {
        Value::Null => Observed::Ack,
        other => Observed::Json(other),
    }
}

/// Whether the SAM template routes `function`'s failed asynchronous events somewhere.
fn has_on_failure_destination(function: &str) -> bool {
    let template = faasport::aws::sam_template(&app::app()).expect("template");
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&template).expect("YAML");
    doc["Resources"]
        .as_mapping()
        .into_iter()
        .flat_map(|m| m.values())
        .filter(|r| {
            r["Properties"]["Environment"]["Variables"]["FAASPORT_FUNCTION"].as_str()
                == Some(function)
        })
        .any(|r| !r["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"].is_null())
}

async fn drive(scenario: &Scenario) -> Observed {
    if let Input::Exhausting { .. } = scenario.input {
        return Observed::DeadLettered(has_on_failure_destination(scenario.function));
    }
    let lambda = Lambda::start("conformance", scenario.function)
        .await
        .expect("peers were checked before the matrix");
    if let Input::Http {
        method,
        path,
        content_type,
        body,
    } = scenario.input
    {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{}/lambda-url/_{path}", lambda.endpoint()));
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        let response = lambda
            .http(
                request
                    .body(Full::new(Bytes::from_static(body)))
                    .expect("request"),
            )
            .await;
        let (parts, body) = response.into_parts();
        return Observed::Http {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        };
    }
    let bytes = serde_json::to_vec(&payload(&scenario.input)).expect("payload");
    let (status, answer) = lambda.invoke_json(&bytes).await;
    observe(status, answer)
}

#[tokio::test]
async fn every_scenario_holds_on_aws_lambda_under_cargo_lambda() {
    if harness::peer("FAASPORT_CARGO_LAMBDA").is_none() {
        return;
    }
    run_matrix(Backend::Aws, drive).await;
}
