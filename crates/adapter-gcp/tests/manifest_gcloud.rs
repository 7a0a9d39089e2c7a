//! `manifest gcp`: `deploy.sh` is parsed back into gcloud commands and each flag is checked
//! against the flags gcloud documents for that command (`common/gcloud.rs`); the quickstart's
//! script is checked by the facade's `tests/gcp_quickstart_manifests.rs`.

use http::Method;

use faasport_adapter_gcp::manifest::gcloud;
use faasport_core::{
    App, BatchOutcome, Context, Error, Function, HttpRequest, HttpResponse, QueueBatch,
    RetryPolicy, StorageEvent, StorageEventKind, TopicMessage,
};

async fn http(_: HttpRequest, _: Context) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::text(http::StatusCode::OK, "ok"))
}
async fn topic(_: TopicMessage, _: Context) -> Result<(), Error> {
    Ok(())
}
async fn batch(_: QueueBatch, _: Context) -> Result<BatchOutcome, Error> {
    Ok(BatchOutcome::success())
}
async fn stored(_: StorageEvent, _: Context) -> Result<(), Error> {
    Ok(())
}

#[path = "common/gcloud.rs"]
mod gcloud_check;

use gcloud_check::*;

#[test]
fn a_misspelt_flag_fails_the_check() {
    let err = parse("gcloud run deploy shop-bill --memroy=256Mi\n").expect_err("typo");
    assert_eq!(err, "gcloud run deploy has no flag --memroy");
    let err = parse("gcloud run deplo shop-bill\n").expect_err("unknown command");
    assert_eq!(err, "not a documented command: gcloud run deplo shop-bill");
}

#[test]
fn an_app_without_a_dead_letter_gets_a_generated_topic_that_keeps_them() {
    let app = App::new("shop")
        .topic("orders")
        .bucket("uploads")
        .function(
            Function::new("bill", topic)
                .subscribe("orders")
                .retry(RetryPolicy::default().with_max_retries(9)),
        )
        .function(Function::new("scan", stored).storage("uploads", &[StorageEventKind::Created]));
    let commands = parse(&script(&app)).expect("parsed");
    find(&commands, "pubsub topics create", "shop-dead-letters");
    let kept = find(
        &commands,
        "pubsub subscriptions create",
        "shop-dead-letters-kept",
    );
    assert_eq!(kept.flag("message-retention-duration"), Some("7d"));
    let bill = find(&commands, "pubsub subscriptions create", "shop-bill-orders");
    assert_eq!(bill.flag("dead-letter-topic"), Some("shop-dead-letters"));
    assert_eq!(bill.flag("max-delivery-attempts"), Some("10"));
    let trigger = find(
        &commands,
        "eventarc triggers create",
        "shop-scan-uploads-finalized",
    );
    let filters: Vec<&str> = trigger
        .flags
        .iter()
        .filter(|(n, _)| n == "event-filters")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(
        filters,
        [
            "type=google.cloud.storage.object.v1.finalized",
            "bucket=${PROJECT}-shop-uploads"
        ]
    );
    let update = find(&commands, "pubsub subscriptions update", "${SUBSCRIPTION}");
    assert_eq!(update.flag("dead-letter-topic"), Some("shop-dead-letters"));
    assert_eq!(update.flag("max-delivery-attempts"), Some("5"));
}

#[test]
fn what_google_cloud_cannot_express_is_a_manifest_error() {
    let refused = |app: App| match gcloud(&app) {
        Err(Error::Manifest { reason, .. }) => reason,
        other => panic!("expected a manifest error, got {other:?}"),
    };
    let queue = App::new("shop")
        .queue("jobs")
        .function(Function::new("work", batch).queue("jobs"));
    assert_eq!(
        refused(queue),
        "function `work`: consuming the queue `jobs`: the Google Cloud adapter serves no queue batches (publish to a topic and subscribe instead)"
    );
    let prefixed = App::new("shop")
        .bucket("up")
        .function(
            Function::new("scan", stored).trigger(faasport_core::Trigger::Storage {
                bucket: "up".into(),
                kinds: vec![],
                prefix: Some("in/".into()),
            }),
        );
    assert_eq!(
        refused(prefixed),
        "function `scan`: Eventarc cannot filter Cloud Storage events by object name prefix"
    );
    let eager = App::new("shop").topic("t").function(
        Function::new("bill", topic)
            .subscribe("t")
            .retry(RetryPolicy::default().with_max_retries(200)),
    );
    assert_eq!(
        refused(eager),
        "function `bill`: Pub/Sub dead-letters after at most 100 delivery attempts, and 201 are declared"
    );
    let long =
        App::new("a-rather-long-app-name").function(Function::new("and-a-long-function", topic));
    assert_eq!(
        refused(long),
        "function `and-a-long-function` becomes the service account `a-rather-long-app-name-and-a-long-function`, and service account ids have 6 to 30 characters; shorten the app or function name"
    );
}

#[test]
fn an_invoked_function_gets_an_invoke_topic_pushed_to_it_that_only_its_callers_may_publish_to() {
    let app = App::new("shop")
        .topic("audit")
        .function(
            Function::new("checkout", http)
                .http(Method::POST, "/checkout")
                .invokes("price"),
        )
        .function(Function::new("price", topic).publishes("audit"));
    let commands = parse(&script(&app)).expect("documented commands only");
    let created: Vec<&str> = commands
        .iter()
        .filter(|c| c.command == "pubsub topics create")
        .map(|c| c.args[0].as_str())
        .collect();
    assert_eq!(
        created,
        ["shop-audit", "shop-price-invoke", "shop-dead-letters"]
    );
    let grants: Vec<(&str, &str, &str)> = commands
        .iter()
        .filter(|c| c.command.ends_with("add-iam-policy-binding"))
        .filter(|c| {
            c.flag("member")
                == Some("serviceAccount:shop-checkout@${PROJECT}.iam.gserviceaccount.com")
        })
        .map(|c| {
            (
                c.command.as_str(),
                c.args[0].as_str(),
                c.flag("role").unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        grants,
        [
            (
                "pubsub topics add-iam-policy-binding",
                "shop-price-invoke",
                "roles/pubsub.publisher"
            ),
            (
                "run services add-iam-policy-binding",
                "shop-price",
                "roles/run.invoker"
            ),
        ]
    );
    let push = find(
        &commands,
        "pubsub subscriptions create",
        "shop-price-invoke",
    )
    .flag_map();
    assert_eq!(push["topic"], "shop-price-invoke");
    assert_eq!(
        push["push-endpoint"],
        "https://shop-price-${PROJECT_NUMBER}.${REGION}.run.app"
    );
    assert_eq!(push["dead-letter-topic"], "shop-dead-letters");
    for service in ["shop-checkout", "shop-price"] {
        let env = find(&commands, "run deploy", service).flag_map()["set-env-vars"].to_owned();
        assert!(env.contains(",GOOGLE_CLOUD_PROJECT=${PROJECT},"), "{env}");
        assert!(
            env.contains(",FAASPORT_FUNCTION_PRICE_TOPIC=shop-price-invoke"),
            "{env}"
        );
        assert!(!env.contains("FAASPORT_FUNCTION_CHECKOUT_TOPIC"), "{env}");
    }
}

#[test]
fn an_invoke_topic_that_collides_with_a_declared_topic_is_refused() {
    let app = App::new("shop")
        .topic("price-invoke")
        .function(
            Function::new("checkout", http)
                .http(Method::POST, "/c")
                .invokes("price"),
        )
        .function(Function::new("price", topic).publishes("price-invoke"));
    let error = gcloud(&app).expect_err("a collision");
    assert!(
        error
            .to_string()
            .contains("both become the Pub/Sub topic `shop-price-invoke`"),
        "{error}"
    );
}
