//! The SNS, SQS and S3 bindings against moto, each checked by reading back from moto itself.
//!
//! Needs `FAASPORT_MOTO_ENDPOINT` (set by `.ci/run`); skipped without it unless
//! `FAASPORT_REQUIRE_PEERS=1`.

mod common;

use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use faasport_adapter_aws::bindings::AwsBindings;
use faasport_adapter_aws::names::ResourceNames;
use faasport_core::{
    App, Bindings, Context, Error, Function, Message, Object, ResourceKind, Resources,
};

async fn sdk_config(endpoint: &str) -> SdkConfig {
    let credentials = aws_sdk_sns::config::Credentials::new("test", "test", None, None, "static");
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials)
        .endpoint_url(endpoint)
        .load()
        .await
}

async fn noop(_: faasport_core::Event, _: Context) -> Result<(), Error> {
    Ok(())
}

/// A context whose declared resources are bound to moto through `names`.
fn context(names: ResourceNames, config: SdkConfig) -> Context {
    let app = App::new("moto")
        .topic("events")
        .queue("jobs")
        .bucket("files")
        .function(Function::new("f", noop));
    let bindings: Bindings = AwsBindings::new(names)
        .with_sdk_config(config)
        .into_bindings();
    Context::new("r1", Arc::<str>::from("f"))
        .with_resources(Resources::new(app.declared(), bindings))
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{nanos}", std::process::id())
}

#[tokio::test]
async fn queue_send_arrives_in_sqs_with_its_attributes() {
    let Some(endpoint) = common::peer("FAASPORT_MOTO_ENDPOINT") else {
        return;
    };
    let config = sdk_config(&endpoint).await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let url = sqs
        .create_queue()
        .queue_name(unique("jobs"))
        .send()
        .await
        .expect("queue")
        .queue_url
        .expect("url");
    let cx = context(
        ResourceNames::default().with(ResourceKind::Queue, "jobs", &url),
        config,
    );

    let id = cx
        .queue("jobs")
        .send(Message::new("job 1").with_attribute("tenant", "acme"))
        .await
        .expect("sent");

    let received = sqs
        .receive_message()
        .queue_url(&url)
        .message_attribute_names("All")
        .wait_time_seconds(1)
        .send()
        .await
        .expect("receive");
    let messages = received.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].message_id(), Some(id.as_str()));
    assert_eq!(messages[0].body(), Some("job 1"));
    let tenant = messages[0]
        .message_attributes()
        .and_then(|a| a.get("tenant"))
        .and_then(|v| v.string_value());
    assert_eq!(tenant, Some("acme"));
}

/// A new queue subscribed to `topic_arn` (raw: the bare message, else the SNS envelope); its URL.
async fn subscribed_queue(
    sns: &aws_sdk_sns::Client,
    sqs: &aws_sdk_sqs::Client,
    topic_arn: &str,
    raw: bool,
) -> String {
    let url = sqs
        .create_queue()
        .queue_name(unique(if raw { "raw" } else { "envelope" }))
        .send()
        .await
        .expect("queue")
        .queue_url
        .expect("url");
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("attributes")
        .attributes()
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("queue arn");
    sns.subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(queue_arn)
        .attributes("RawMessageDelivery", raw.to_string())
        .send()
        .await
        .expect("subscribe");
    url
}

async fn receive_bodies(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let received = sqs
        .receive_message()
        .queue_url(url)
        .wait_time_seconds(1)
        .send()
        .await
        .expect("receive");
    received
        .messages()
        .iter()
        .filter_map(|m| m.body().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn topic_publish_reaches_a_subscribed_queue() {
    let Some(endpoint) = common::peer("FAASPORT_MOTO_ENDPOINT") else {
        return;
    };
    let config = sdk_config(&endpoint).await;
    let (sns, sqs) = (
        aws_sdk_sns::Client::new(&config),
        aws_sdk_sqs::Client::new(&config),
    );
    let topic_arn = sns
        .create_topic()
        .name(unique("events"))
        .send()
        .await
        .expect("topic")
        .topic_arn
        .expect("arn");
    let raw = subscribed_queue(&sns, &sqs, &topic_arn, true).await;
    let envelope = subscribed_queue(&sns, &sqs, &topic_arn, false).await;
    let cx = context(
        ResourceNames::default().with(ResourceKind::Topic, "events", &topic_arn),
        config,
    );

    let id = cx
        .topic("events")
        .publish(Message::new(r#"{"order":7}"#).with_attribute("tenant", "acme"))
        .await
        .expect("published");

    assert_eq!(receive_bodies(&sqs, &raw).await, [r#"{"order":7}"#]);
    // The envelope names the message by the id the binding returned, and carries its attributes.
    let [notification] =
        <[String; 1]>::try_from(receive_bodies(&sqs, &envelope).await).expect("one notification");
    let notification: serde_json::Value = serde_json::from_str(&notification).expect("JSON");
    assert_eq!(notification["MessageId"], id.as_str());
    assert_eq!(notification["TopicArn"], topic_arn.as_str());
    assert_eq!(notification["Message"], r#"{"order":7}"#);
    assert_eq!(
        notification["MessageAttributes"],
        serde_json::json!({"tenant": {"Type": "String", "Value": "acme"}})
    );
}

#[tokio::test]
async fn bucket_put_get_list_and_delete_round_trip_through_s3() {
    let Some(endpoint) = common::peer("FAASPORT_MOTO_ENDPOINT") else {
        return;
    };
    let config = sdk_config(&endpoint).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let bucket = unique("files");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    let cx = context(
        ResourceNames::default().with(ResourceKind::Bucket, "files", &bucket),
        config,
    );
    let files = cx.bucket("files");

    let info = files
        .put_object(
            "dir/a b+c.bin",
            Object::new(vec![0u8, 255, 7]).with_content_type("application/octet-stream"),
        )
        .await
        .expect("put");
    files.put("dir/z.txt", "zed").await.expect("put text");
    files.put("other.txt", "no").await.expect("put other");

    assert_eq!((info.key.as_str(), info.size), ("dir/a b+c.bin", 3));
    let raw = s3
        .get_object()
        .bucket(&bucket)
        .key("dir/a b+c.bin")
        .send()
        .await
        .expect("moto has it");
    assert_eq!(
        raw.body
            .collect()
            .await
            .expect("bytes")
            .into_bytes()
            .as_ref(),
        [0u8, 255, 7]
    );
    let object = files
        .get("dir/a b+c.bin")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        (object.body.as_bytes(), object.content_type.as_deref()),
        (&[0u8, 255, 7][..], Some("application/octet-stream"))
    );
    let listed: Vec<(String, u64)> = files
        .list("dir/")
        .await
        .expect("list")
        .into_iter()
        .map(|o| (o.key, o.size))
        .collect();
    assert_eq!(
        listed,
        [("dir/a b+c.bin".to_owned(), 3), ("dir/z.txt".to_owned(), 3)]
    );
    files.delete("dir/z.txt").await.expect("delete");
    assert_eq!(
        files.get("dir/z.txt").await.expect("get after delete"),
        None
    );
    let gone = s3
        .head_object()
        .bucket(&bucket)
        .key("dir/z.txt")
        .send()
        .await
        .expect_err("deleted in moto");
    assert!(gone.into_service_error().is_not_found());
}

#[tokio::test]
async fn a_resource_without_its_variable_is_a_binding_error_naming_the_variable() {
    let config = sdk_config("http://127.0.0.1:9").await;
    let cx = context(ResourceNames::default(), config);
    let err = cx
        .queue("jobs")
        .send(Message::new("x"))
        .await
        .expect_err("no URL");
    assert_eq!(
        faasport_core::chain_message(&err),
        "queue `jobs` binding failed: FAASPORT_QUEUE_JOBS_URL is not set (the SAM template sets it for each declared resource)"
    );
    assert!(!err.is_retryable());
}
