//! The SAM template: exact properties for each kind of trigger and limit, and cfn-lint on it.

mod common;

use std::time::Duration;

use faasport_adapter_aws::{sam_template, sam_template_with, SamOptions};
use faasport_core::http::Method;
use faasport_core::{
    App, BatchOutcome, ChangeBatch, CloudEvent, Context, DeadLetter, Error, Function, HttpRequest,
    HttpResponse, QueueBatch, QueueSpec, RetryPolicy, ScheduleTick, StorageEvent, StorageEventKind,
    TopicMessage,
};
use serde_yaml_ng::Value;

async fn http(_: HttpRequest, _: Context) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::ok())
}
async fn queue(_: QueueBatch, _: Context) -> Result<BatchOutcome, Error> {
    Ok(BatchOutcome::success())
}
async fn topic(_: TopicMessage, _: Context) -> Result<(), Error> {
    Ok(())
}
async fn tick(_: ScheduleTick, _: Context) -> Result<(), Error> {
    Ok(())
}
async fn storage(_: StorageEvent, _: Context) -> Result<(), Error> {
    Ok(())
}
async fn change(_: ChangeBatch, _: Context) -> Result<(), Error> {
    Ok(())
}
async fn cloud(_: CloudEvent, _: Context) -> Result<(), Error> {
    Ok(())
}

/// Every trigger kind, limit and destination the template can express.
fn shop() -> App {
    App::new("shop")
        .topic("orders")
        .queue_spec(
            QueueSpec::new("bill-queue")
                .dead_letter_queue("bill-dlq")
                .max_receive_count(3),
        )
        .queue("bill-dlq")
        .bucket("uploads")
        .function(
            Function::new("create-order", http)
                .http(Method::POST, "/orders")
                .http_any("/orders/{id}/{*rest}")
                .memory_mb(256)
                .timeout(Duration::from_millis(9_500))
                .max_instances(5)
                .min_instances(1),
        )
        .function(
            Function::new("bill", queue)
                .queue_batched("bill-queue", 50, Duration::ZERO)
                .timeout(Duration::from_secs(20)),
        )
        .function(
            Function::new("audit", topic)
                .subscribe("orders")
                .retry(
                    RetryPolicy::default()
                        .with_max_retries(1)
                        .with_max_event_age(Duration::from_secs(3600)),
                )
                .dead_letter(DeadLetter::Queue("bill-dlq".into())),
        )
        .function(Function::new("nightly", tick).schedule("0 2 * * *"))
        .function(Function::new("hourly", tick).schedule("rate(1 hour)"))
        .function(
            Function::new("thumbnail", storage).trigger(faasport_core::Trigger::Storage {
                bucket: "uploads".into(),
                kinds: vec![StorageEventKind::Created],
                prefix: Some("images/".into()),
            }),
        )
        .function(Function::new("sync", change).change_stream("orders-table"))
        .function(Function::new("placed", cloud).cloud_event("OrderPlaced"))
        .function(Function::new("clicks", queue).stream_batched("click-stream", 250))
}

fn template(app: &App) -> Value {
    let text = sam_template(app).expect("template");
    serde_yaml_ng::from_str(&text).expect("valid YAML")
}

fn at<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(value, |v, key| match key.parse::<usize>() {
            Ok(i) => &v[i],
            Err(_) => &v[key],
        })
}

fn yaml(text: &str) -> Value {
    serde_yaml_ng::from_str(text).expect("yaml literal")
}

#[test]
fn functions_carry_memory_timeout_and_reserved_and_provisioned_concurrency() {
    let t = template(&shop());
    let p = at(&t, "Resources.CreateOrderFunction.Properties");
    assert_eq!(at(p, "MemorySize"), &Value::from(256));
    assert_eq!(at(p, "Timeout"), &Value::from(10));
    assert_eq!(at(p, "ReservedConcurrentExecutions"), &Value::from(5));
    assert_eq!(at(p, "AutoPublishAlias"), &Value::from("live"));
    assert_eq!(
        at(
            p,
            "ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions"
        ),
        &Value::from(1)
    );
    assert_eq!(
        at(p, "Environment.Variables.FAASPORT_FUNCTION"),
        &Value::from("create-order")
    );
    assert_eq!(
        at(p, "FunctionName"),
        &yaml(r#"{"Fn::Sub": "${AWS::StackName}-create-order"}"#)
    );
}

#[test]
fn a_function_on_arm64_with_more_ephemeral_storage_says_so_in_the_template() {
    // SAM `Architectures` (a list of one: `x86_64` or `arm64`) and `EphemeralStorage.Size` (MB);
    // a function that sets neither gets neither (Lambda's defaults: x86_64, 512 MB).
    let app = App::new("arch")
        .function(
            Function::new("graviton", http)
                .arch(faasport_core::Arch::Arm64)
                .ephemeral_storage_mb(2_048),
        )
        .function(Function::new("plain", http));
    let t = template(&app);
    let p = at(&t, "Resources.GravitonFunction.Properties");
    assert_eq!(at(p, "Architectures"), &yaml("[arm64]"));
    assert_eq!(at(p, "EphemeralStorage.Size"), &Value::from(2_048));
    let plain = at(&t, "Resources.PlainFunction.Properties");
    assert!(plain.get("Architectures").is_none());
    assert!(plain.get("EphemeralStorage").is_none());
}

#[test]
fn http_routes_become_http_api_events_with_greedy_paths() {
    let t = template(&shop());
    let events = at(&t, "Resources.CreateOrderFunction.Properties.Events");
    assert_eq!(
        events["HttpApi1"],
        yaml("{Type: HttpApi, Properties: {Path: /orders, Method: post}}")
    );
    assert_eq!(
        events["HttpApi2"],
        yaml("{Type: HttpApi, Properties: {Path: '/orders/{id}/{rest+}', Method: any}}")
    );
    let rest: Value = serde_yaml_ng::from_str(
        &sam_template_with(&shop(), &SamOptions::default().rest_api()).expect("template"),
    )
    .expect("yaml");
    assert_eq!(
        at(
            &rest,
            "Resources.CreateOrderFunction.Properties.Events.Api1.Type"
        ),
        &Value::from("Api")
    );
}

#[test]
fn queue_consumers_report_batch_item_failures_and_queues_cover_their_timeout() {
    let t = template(&shop());
    assert_eq!(
        at(&t, "Resources.BillFunction.Properties.Events.SQS1"),
        &yaml(
            r#"{Type: SQS, Properties: {Queue: {"Fn::GetAtt": [BillQueueQueue, Arn]}, BatchSize: 50,
                 MaximumBatchingWindowInSeconds: 1, FunctionResponseTypes: [ReportBatchItemFailures]}}"#
        )
    );
    assert_eq!(
        at(&t, "Resources.BillQueueQueue.Properties"),
        &yaml(
            r#"{VisibilityTimeout: 30, RedrivePolicy: {deadLetterTargetArn: {"Fn::GetAtt": [BillDlqQueue, Arn]}, maxReceiveCount: 3}}"#
        )
    );
}

#[test]
fn other_triggers_become_their_lambda_event_sources() {
    let t = template(&shop());
    let event =
        |f: &str, e: &str| at(&t, &format!("Resources.{f}Function.Properties.Events.{e}")).clone();
    assert_eq!(
        event("Audit", "SNS1"),
        yaml("{Type: SNS, Properties: {Topic: {Ref: OrdersTopic}}}")
    );
    assert_eq!(
        event("Nightly", "Schedule1"),
        yaml("{Type: Schedule, Properties: {Schedule: 'cron(0 2 * * ? *)'}}")
    );
    assert_eq!(
        event("Hourly", "Schedule1"),
        yaml("{Type: Schedule, Properties: {Schedule: 'rate(1 hour)'}}")
    );
    assert_eq!(
        event("Thumbnail", "S31"),
        yaml("{Type: S3, Properties: {Bucket: {Ref: UploadsBucket}, Events: ['s3:ObjectCreated:*'], Filter: {S3Key: {Rules: [{Name: prefix, Value: images/}]}}}}")
    );
    assert_eq!(
        event("Sync", "DynamoDB1"),
        yaml("{Type: DynamoDB, Properties: {Stream: {Ref: OrdersTableStreamArn}, StartingPosition: TRIM_HORIZON, BatchSize: 100, FunctionResponseTypes: [ReportBatchItemFailures]}}")
    );
    assert_eq!(
        at(&t, "Parameters.OrdersTableStreamArn.Type"),
        &Value::from("String")
    );
    assert_eq!(
        event("Clicks", "Kinesis1"),
        yaml("{Type: Kinesis, Properties: {Stream: {Ref: ClickStreamStreamArn}, StartingPosition: TRIM_HORIZON, BatchSize: 250, FunctionResponseTypes: [ReportBatchItemFailures]}}")
    );
    assert_eq!(
        at(&t, "Parameters.ClickStreamStreamArn"),
        &yaml("{Type: String, Description: ARN of the Kinesis data stream `click-stream`}")
    );
    assert_eq!(
        event("Placed", "EventBridgeRule1"),
        yaml("{Type: EventBridgeRule, Properties: {Pattern: {detail-type: [OrderPlaced]}}}")
    );
}

#[test]
fn retries_and_dead_letters_become_the_event_invoke_config() {
    let t = template(&shop());
    assert_eq!(
        at(&t, "Resources.AuditFunction.Properties.EventInvokeConfig"),
        &yaml(
            r#"{MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 3600,
                 DestinationConfig: {OnFailure: {Type: SQS, Destination: {"Fn::GetAtt": [BillDlqQueue, Arn]}}}}"#
        )
    );
}

#[test]
fn every_function_may_use_exactly_the_declared_resources() {
    let t = template(&shop());
    let policies = at(&t, "Resources.BillFunction.Properties.Policies")
        .as_sequence()
        .expect("list");
    let names: Vec<&str> = policies
        .iter()
        .filter_map(|p| p.as_mapping()?.keys().next()?.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "SNSPublishMessagePolicy",
            "SQSSendMessagePolicy",
            "SQSSendMessagePolicy",
            "S3CrudPolicy"
        ]
        .into_iter()
        .chain(std::iter::repeat_n("LambdaInvokePolicy", 9))
        .collect::<Vec<_>>()
    );
    let vars = at(&t, "Globals.Function.Environment.Variables");
    assert_eq!(
        vars["FAASPORT_TOPIC_ORDERS_ARN"],
        yaml("{Ref: OrdersTopic}")
    );
    assert_eq!(
        vars["FAASPORT_QUEUE_BILL_QUEUE_URL"],
        yaml("{Ref: BillQueueQueue}")
    );
    assert_eq!(
        vars["FAASPORT_BUCKET_UPLOADS"],
        yaml(r#"{"Fn::Sub": "${AWS::StackName}-${AWS::AccountId}-uploads"}"#)
    );
    assert_eq!(
        vars["FAASPORT_FUNCTION_BILL_NAME"],
        yaml(r#"{"Fn::Sub": "${AWS::StackName}-bill"}"#)
    );
}

/// Functions that each declare their own access, beside one that declares nothing.
fn least_privilege() -> App {
    App::new("shop")
        .topic("orders")
        .topic("audit")
        .queue("invoices")
        .bucket("uploads")
        .bucket("reports")
        .function(
            Function::new("create-order", http)
                .http(Method::POST, "/orders")
                .publishes("orders")
                .writes("uploads"),
        )
        .function(
            Function::new("bill", topic)
                .subscribe("orders")
                .sends("invoices")
                .reads("uploads")
                .reads("reports")
                .writes("reports")
                .invokes("create-order"),
        )
        .function(
            Function::new("report", tick)
                .schedule("rate(1 day)")
                .reads("reports"),
        )
        .function(Function::new("anything", topic).subscribe("audit"))
}

fn policies(t: &Value, function: &str) -> Value {
    at(
        t,
        &format!("Resources.{function}Function.Properties.Policies"),
    )
    .clone()
}

#[test]
fn a_function_gets_exactly_the_policies_it_declared() {
    let t = template(&least_privilege());
    assert_eq!(
        policies(&t, "CreateOrder"),
        yaml(
            r#"[{SNSPublishMessagePolicy: {TopicName: {"Fn::GetAtt": [OrdersTopic, TopicName]}}},
                {S3CrudPolicy: {BucketName: {"Fn::Sub": "${AWS::StackName}-${AWS::AccountId}-uploads"}}}]"#
        )
    );
    assert_eq!(
        policies(&t, "Bill"),
        yaml(
            r#"[{SQSSendMessagePolicy: {QueueName: {"Fn::GetAtt": [InvoicesQueue, QueueName]}}},
                {S3CrudPolicy: {BucketName: {"Fn::Sub": "${AWS::StackName}-${AWS::AccountId}-reports"}}},
                {S3ReadPolicy: {BucketName: {"Fn::Sub": "${AWS::StackName}-${AWS::AccountId}-uploads"}}},
                {LambdaInvokePolicy: {FunctionName: {"Fn::Sub": "${AWS::StackName}-create-order"}}}]"#
        )
    );
    assert_eq!(
        policies(&t, "Report"),
        yaml(
            r#"[{S3ReadPolicy: {BucketName: {"Fn::Sub": "${AWS::StackName}-${AWS::AccountId}-reports"}}}]"#
        )
    );
}

#[test]
fn a_function_that_declares_nothing_gets_every_app_resource_as_the_broader_shorthand() {
    let t = template(&least_privilege());
    let names: Vec<String> = policies(&t, "Anything")
        .as_sequence()
        .expect("list")
        .iter()
        .map(|p| serde_yaml_ng::to_string(p).expect("yaml"))
        .map(|p| p.split(':').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "SNSPublishMessagePolicy",
            "SNSPublishMessagePolicy",
            "SQSSendMessagePolicy",
            "S3CrudPolicy",
            "S3CrudPolicy",
            "LambdaInvokePolicy",
            "LambdaInvokePolicy",
            "LambdaInvokePolicy",
            "LambdaInvokePolicy",
        ]
    );
}

#[test]
fn the_least_privilege_template_passes_cfn_lint() {
    lint(&least_privilege());
}

#[test]
fn a_function_with_its_own_dead_letter_fails_over_to_it() {
    let app = App::new("shop")
        .topic("orders")
        .topic("audit")
        .queue("bill-failures")
        .function(
            Function::new("bill", topic)
                .subscribe("orders")
                .dead_letter(DeadLetter::Queue("bill-failures".into())),
        );
    let t = template(&app);
    assert_eq!(
        at(&t, "Resources.BillFunction.Properties.EventInvokeConfig"),
        &yaml(
            r#"{DestinationConfig: {OnFailure: {Type: SQS, Destination: {"Fn::GetAtt": [BillFailuresQueue, Arn]}}}}"#
        )
    );
    assert_eq!(at(&t, "Resources.ShopDeadLetters"), &Value::Null);
    assert_eq!(at(&t, "Outputs"), &Value::Null);
}

#[test]
fn a_function_without_its_own_dead_letter_fails_over_to_the_app_default() {
    let app = App::new("shop")
        .topic("orders")
        .topic("failed")
        .dead_letter(DeadLetter::Topic("failed".into()))
        .function(Function::new("bill", topic).subscribe("orders"))
        .function(Function::new("nightly", tick).schedule("0 2 * * *"));
    let t = template(&app);
    for function in ["Bill", "Nightly"] {
        assert_eq!(
            at(
                &t,
                &format!("Resources.{function}Function.Properties.EventInvokeConfig")
            ),
            &yaml("{DestinationConfig: {OnFailure: {Type: SNS, Destination: {Ref: FailedTopic}}}}"),
            "{function}"
        );
    }
    assert_eq!(at(&t, "Resources.ShopDeadLetters"), &Value::Null);
}

#[test]
fn a_function_without_any_dead_letter_fails_over_to_the_generated_app_queue() {
    let app = App::new("shop")
        .topic("orders")
        .queue("invoices")
        .function(
            Function::new("bill", topic)
                .subscribe("orders")
                .sends("invoices"),
        )
        .function(
            Function::new("api", http)
                .http(Method::GET, "/")
                .publishes("orders"),
        )
        .function(
            Function::new("mail", queue)
                .queue("invoices")
                .publishes("orders"),
        );
    let t = template(&app);
    assert_eq!(
        at(&t, "Resources.BillFunction.Properties.EventInvokeConfig"),
        &yaml(
            r#"{DestinationConfig: {OnFailure: {Type: SQS, Destination: {"Fn::GetAtt": [ShopDeadLetters, Arn]}}}}"#
        )
    );
    // Every function declares its access and none invokes `api` or `mail`: no destination.
    assert_eq!(
        at(&t, "Resources.ApiFunction.Properties.EventInvokeConfig"),
        &Value::Null
    );
    assert_eq!(
        at(&t, "Resources.MailFunction.Properties.EventInvokeConfig"),
        &Value::Null
    );
    assert_eq!(
        at(&t, "Resources.ShopDeadLetters"),
        &yaml("{Type: 'AWS::SQS::Queue', Properties: {MessageRetentionPeriod: 1209600}}")
    );
    // A consumed queue without a dead-letter queue redrives there after local's receive count.
    assert_eq!(
        at(&t, "Resources.InvoicesQueue.Properties.RedrivePolicy"),
        &yaml(
            r#"{deadLetterTargetArn: {"Fn::GetAtt": [ShopDeadLetters, Arn]}, maxReceiveCount: 5}"#
        )
    );
    assert_eq!(
        at(&t, "Outputs.DeadLettersUrl.Value"),
        &yaml("{Ref: ShopDeadLetters}")
    );
    lint(&app);
}

#[test]
fn a_function_another_may_invoke_can_fail_asynchronously_and_gets_a_destination() {
    // Every function declares its access, so only `work` can be invoked (by `api`).
    let app = App::new("shop")
        .queue("failed")
        .dead_letter(DeadLetter::Queue("failed".into()))
        .function(
            Function::new("api", http)
                .http(Method::GET, "/")
                .invokes("work"),
        )
        .function(Function::new("work", topic).sends("failed"));
    let t = template(&app);
    assert_eq!(
        at(&t, "Resources.WorkFunction.Properties.EventInvokeConfig"),
        &yaml(
            r#"{DestinationConfig: {OnFailure: {Type: SQS, Destination: {"Fn::GetAtt": [FailedQueue, Arn]}}}}"#
        )
    );
    assert_eq!(
        at(&t, "Resources.ApiFunction.Properties.EventInvokeConfig"),
        &Value::Null
    );
}

fn lint(app: &App) {
    let Some(cfn_lint) = common::peer("FAASPORT_CFN_LINT") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("template.yaml");
    std::fs::write(&path, sam_template(app).expect("template")).expect("write");
    let out = std::process::Command::new(cfn_lint)
        .arg(&path)
        .output()
        .expect("run cfn-lint");
    assert!(
        out.status.success(),
        "cfn-lint failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn limits_lambda_cannot_take_are_errors() {
    let too_long =
        App::new("a").function(Function::new("f", tick).timeout(Duration::from_secs(901)));
    let message = sam_template(&too_long).expect_err("timeout").to_string();
    assert_eq!(
        message,
        "function `f` sets timeout to 901000 ms, outside the aws profile's range of 1 to 900000 ms"
    );
    let too_small = App::new("a").function(Function::new("f", tick).memory_mb(64));
    assert_eq!(
        sam_template(&too_small).expect_err("memory").to_string(),
        "function `f` sets memory to 64 MB, outside the aws profile's range of 128 to 10240 MB"
    );
    let short_visibility = App::new("a")
        .queue_spec(QueueSpec::new("q").visibility_timeout(Duration::from_secs(10)))
        .function(
            Function::new("f", queue)
                .queue("q")
                .timeout(Duration::from_secs(30)),
        );
    assert_eq!(
        sam_template(&short_visibility)
            .expect_err("visibility")
            .to_string(),
        "queue `q` has a visibility timeout of 10s, shorter than the 30s timeout of its consumer `f`"
    );
    let big_batch = App::new("a").function(Function::new("f", queue).stream_batched("s", 10_001));
    assert_eq!(
        sam_template(&big_batch).expect_err("batch").to_string(),
        "function `f` sets batch size to 10001 messages, outside the aws profile's range of 1 to 10000 messages"
    );
    let same_name = App::new("a")
        .function(Function::new("f", change).change_stream("orders"))
        .function(Function::new("g", queue).stream("orders"));
    assert_eq!(
        sam_template(&same_name).expect_err("collision").to_string(),
        "the aws manifest cannot express this app: table `orders` and stream `orders` both become the template parameter `OrdersStreamArn`; rename one"
    );
}

#[test]
fn the_template_passes_cfn_lint() {
    lint(&shop());
}
