//! `manifest gcp`: `deploy.sh` is parsed back into gcloud commands, each flag is checked against
//! the flags gcloud documents for that command, and the quickstart's values are asserted exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use http::Method;

use faasport_adapter_gcp::manifest::gcloud;
use faasport_core::{
    App, BatchOutcome, Context, DeadLetter, Error, Function, HttpRequest, HttpResponse, QueueBatch,
    RetryPolicy, ScheduleTick, StorageEvent, StorageEventKind, TopicMessage,
};

async fn http(_: HttpRequest, _: Context) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::text(http::StatusCode::OK, "ok"))
}
async fn topic(_: TopicMessage, _: Context) -> Result<(), Error> {
    Ok(())
}
async fn tick(_: ScheduleTick, _: Context) -> Result<(), Error> {
    Ok(())
}
async fn batch(_: QueueBatch, _: Context) -> Result<BatchOutcome, Error> {
    Ok(BatchOutcome::success())
}
async fn stored(_: StorageEvent, _: Context) -> Result<(), Error> {
    Ok(())
}

/// The quickstart's declaration (`examples/quickstart/app.rs`), with the same limits.
fn quickstart() -> App {
    App::new("shop")
        .topic("orders")
        .bucket("receipts")
        .queue("failed")
        .dead_letter(DeadLetter::Queue("failed".into()))
        .function(
            Function::new("create-order", http)
                .http(Method::POST, "/orders")
                .publishes("orders")
                .memory_mb(256)
                .timeout(Duration::from_secs(10)),
        )
        .function(
            Function::new("bill", topic)
                .subscribe("orders")
                .writes("receipts")
                .max_instances(50),
        )
        .function(
            Function::new("nightly", tick)
                .schedule("0 2 * * *")
                .reads("receipts")
                .memory_mb(512)
                .timeout(Duration::from_secs(60)),
        )
}

/// The flags each gcloud command of the script may use, from its reference page, plus the
/// global `--project` and `--format`
/// (https://cloud.google.com/sdk/gcloud/reference#--project).
fn documented_flags() -> BTreeMap<&'static str, &'static [&'static str]> {
    BTreeMap::from([
        // https://cloud.google.com/sdk/gcloud/reference/services/enable
        ("services enable", &["async"][..]),
        // https://cloud.google.com/sdk/gcloud/reference/projects/describe
        ("projects describe", &[][..]),
        // https://cloud.google.com/sdk/gcloud/reference/projects/add-iam-policy-binding
        (
            "projects add-iam-policy-binding",
            &["member", "role", "condition", "condition-from-file"][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/iam/service-accounts/create
        (
            "iam service-accounts create",
            &["display-name", "description"][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/iam/service-accounts/add-iam-policy-binding
        (
            "iam service-accounts add-iam-policy-binding",
            &["member", "role", "condition", "condition-from-file"][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/pubsub/topics/create
        (
            "pubsub topics create",
            &[
                "labels",
                "message-retention-duration",
                "kms-key",
                "message-storage-policy-allowed-regions",
            ][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/pubsub/topics/add-iam-policy-binding
        (
            "pubsub topics add-iam-policy-binding",
            &["member", "role", "condition", "condition-from-file"][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/pubsub/subscriptions/create
        (
            "pubsub subscriptions create",
            &[
                "topic",
                "topic-project",
                "ack-deadline",
                "push-endpoint",
                "push-auth-service-account",
                "push-auth-token-audience",
                "dead-letter-topic",
                "dead-letter-topic-project",
                "max-delivery-attempts",
                "min-retry-delay",
                "max-retry-delay",
                "message-retention-duration",
                "retain-acked-messages",
                "expiration-period",
                "labels",
                "enable-message-ordering",
                "message-filter",
            ][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/pubsub/subscriptions/update
        (
            "pubsub subscriptions update",
            &[
                "ack-deadline",
                "push-endpoint",
                "push-auth-service-account",
                "push-auth-token-audience",
                "dead-letter-topic",
                "dead-letter-topic-project",
                "max-delivery-attempts",
                "clear-dead-letter-policy",
                "min-retry-delay",
                "max-retry-delay",
                "clear-retry-policy",
                "message-retention-duration",
                "expiration-period",
                "update-labels",
            ][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/pubsub/subscriptions/add-iam-policy-binding
        (
            "pubsub subscriptions add-iam-policy-binding",
            &["member", "role", "condition", "condition-from-file"][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/storage/buckets/create
        (
            "storage buckets create",
            &[
                "location",
                "uniform-bucket-level-access",
                "default-storage-class",
                "public-access-prevention",
            ][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/storage/buckets/add-iam-policy-binding
        (
            "storage buckets add-iam-policy-binding",
            &["member", "role", "condition", "condition-from-file"][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/run/deploy
        (
            "run deploy",
            &[
                "image",
                "region",
                "service-account",
                "memory",
                "cpu",
                "timeout",
                "min-instances",
                "max-instances",
                "concurrency",
                "set-env-vars",
                "labels",
                "allow-unauthenticated",
                "no-allow-unauthenticated",
                "ingress",
                "platform",
                "port",
                "command",
                "args",
            ][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/run/services/add-iam-policy-binding
        (
            "run services add-iam-policy-binding",
            &["region", "member", "role", "condition", "platform"][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/eventarc/triggers/create
        (
            "eventarc triggers create",
            &[
                "location",
                "destination-run-service",
                "destination-run-region",
                "destination-run-path",
                "event-filters",
                "event-filters-path-pattern",
                "event-data-content-type",
                "service-account",
                "transport-topic",
                "channel",
            ][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/eventarc/triggers/describe
        ("eventarc triggers describe", &["location"][..]),
        // https://cloud.google.com/sdk/gcloud/reference/scheduler/jobs/create/pubsub
        (
            "scheduler jobs create pubsub",
            &[
                "location",
                "schedule",
                "topic",
                "message-body",
                "message-body-from-file",
                "attributes",
                "time-zone",
                "description",
                "max-retry-attempts",
                "max-retry-duration",
                "min-backoff",
                "max-backoff",
                "max-doublings",
            ][..],
        ),
    ])
}

/// One parsed gcloud command: its command path, positionals and flags (a switch has `""`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Gcloud {
    command: String,
    args: Vec<String>,
    flags: Vec<(String, String)>,
}

impl Gcloud {
    fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn flag_map(&self) -> BTreeMap<&str, &str> {
        self.flags
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }
}

/// Splits one shell line into words: double quotes (with `\` escapes) and single quotes.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        c => word.push(c),
                    }
                }
            }
            '\'' => {
                in_word = true;
                word.extend(chars.by_ref().take_while(|c| *c != '\''));
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        out.push(word);
    }
    out
}

/// Every gcloud command of `script`, checked against [`documented_flags`].
fn parse(script: &str) -> Result<Vec<Gcloud>, String> {
    let documented = documented_flags();
    let joined = script.replace("\\\n", " ");
    let mut commands = Vec::new();
    for line in joined.lines().map(str::trim) {
        // `VAR="$(gcloud ...)"` captures; `create gcloud ...` creates.
        let line = match line.split_once("=\"$(") {
            Some((var, inner)) if var.chars().all(|c| c.is_ascii_uppercase() || c == '_') => inner
                .strip_suffix(")\"")
                .ok_or(format!("unclosed capture: {line}"))?,
            _ => line,
        };
        let line = line.strip_prefix("create ").unwrap_or(line);
        let Some(rest) = line.strip_prefix("gcloud ") else {
            if line.contains("gcloud ") && !line.starts_with('#') {
                return Err(format!("gcloud in a line the check cannot read: {line}"));
            }
            continue;
        };
        let words = words(rest);
        let path: Vec<&str> = words
            .iter()
            .take_while(|w| !w.starts_with("--"))
            .map(String::as_str)
            .collect();
        let (command, allowed) = (1..=path.len())
            .rev()
            .find_map(|n| {
                let key = path[..n].join(" ");
                documented.get(key.as_str()).map(|flags| (key, *flags))
            })
            .ok_or(format!(
                "not a documented command: gcloud {}",
                path.join(" ")
            ))?;
        let args = path[command.split(' ').count()..]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let mut flags = Vec::new();
        for word in &words[path.len()..] {
            let flag = word
                .strip_prefix("--")
                .ok_or(format!("a positional after the flags: {word}"))?;
            let (name, value) = flag.split_once('=').unwrap_or((flag, ""));
            if !allowed.contains(&name) && !["project", "format"].contains(&name) {
                return Err(format!("gcloud {command} has no flag --{name}"));
            }
            flags.push((name.to_owned(), value.to_owned()));
        }
        commands.push(Gcloud {
            command,
            args,
            flags,
        });
    }
    Ok(commands)
}

fn script(app: &App) -> String {
    let files = gcloud(app).expect("deploy.sh");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].path, "deploy.sh");
    files[0].contents.clone()
}

fn find<'a>(commands: &'a [Gcloud], command: &str, arg: &str) -> &'a Gcloud {
    commands
        .iter()
        .find(|c| c.command == command && c.args.first().map(String::as_str) == Some(arg))
        .unwrap_or_else(|| panic!("no `gcloud {command} {arg}`"))
}

#[test]
fn every_flag_of_the_quickstart_script_is_one_gcloud_documents() {
    let commands = parse(&script(&quickstart())).expect("documented commands only");
    assert_eq!(commands.len(), 26);
    // And bash reads the whole script.
    let dir = std::env::temp_dir().join(format!("faasport-gcloud-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("deploy.sh");
    std::fs::write(&path, script(&quickstart())).expect("write");
    let checked = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .status();
    assert!(
        checked.expect("bash runs").success(),
        "bash -n {}",
        path.display()
    );
    assert!(commands
        .iter()
        .all(|c| c.flag("project") == Some("${PROJECT}")));
}

#[test]
fn a_misspelt_flag_fails_the_check() {
    let err = parse("gcloud run deploy shop-bill --memroy=256Mi\n").expect_err("typo");
    assert_eq!(err, "gcloud run deploy has no flag --memroy");
    let err = parse("gcloud run deplo shop-bill\n").expect_err("unknown command");
    assert_eq!(err, "not a documented command: gcloud run deplo shop-bill");
}

#[test]
fn each_quickstart_function_is_a_cloud_run_service_with_its_declared_limits() {
    let commands = parse(&script(&quickstart())).expect("parsed");
    let env = "GOOGLE_CLOUD_PROJECT=${PROJECT},FAASPORT_TOPIC_ORDERS=shop-orders,FAASPORT_QUEUE_FAILED=shop-failed,FAASPORT_BUCKET_RECEIPTS=${PROJECT}-shop-receipts,FAASPORT_FUNCTION_CREATE_ORDER_URL=https://shop-create-order-${PROJECT_NUMBER}.${REGION}.run.app,FAASPORT_FUNCTION_BILL_URL=https://shop-bill-${PROJECT_NUMBER}.${REGION}.run.app,FAASPORT_FUNCTION_NIGHTLY_URL=https://shop-nightly-${PROJECT_NUMBER}.${REGION}.run.app";
    let create = find(&commands, "run deploy", "shop-create-order");
    assert_eq!(
        create.flag_map(),
        BTreeMap::from([
            ("image", "${IMAGE}"),
            ("region", "${REGION}"),
            (
                "service-account",
                "shop-create-order@${PROJECT}.iam.gserviceaccount.com"
            ),
            ("memory", "256Mi"),
            ("cpu", "1"),
            ("timeout", "10s"),
            ("min-instances", "0"),
            (
                "set-env-vars",
                &*format!("FUNCTION_TARGET=create-order,{env}")
            ),
            ("labels", "faasport-app=shop,faasport-function=create-order"),
            ("allow-unauthenticated", ""),
            ("project", "${PROJECT}"),
        ])
    );
    let bill = find(&commands, "run deploy", "shop-bill").flag_map();
    assert_eq!(bill["memory"], "128Mi");
    assert_eq!(bill["timeout"], "30s");
    assert_eq!(bill["max-instances"], "50");
    assert_eq!(bill["set-env-vars"], format!("FUNCTION_TARGET=bill,{env}"));
    assert!(bill.contains_key("no-allow-unauthenticated"));
    assert!(!bill.contains_key("concurrency"));
    let nightly = find(&commands, "run deploy", "shop-nightly").flag_map();
    assert_eq!((nightly["memory"], nightly["timeout"]), ("512Mi", "60s"));
}

#[test]
fn quickstart_events_are_pushed_retried_and_dead_lettered_to_the_declared_queue() {
    let commands = parse(&script(&quickstart())).expect("parsed");
    let orders = find(&commands, "pubsub subscriptions create", "shop-bill-orders");
    assert_eq!(
        orders.flag_map(),
        BTreeMap::from([
            ("topic", "shop-orders"),
            (
                "push-endpoint",
                "https://shop-bill-${PROJECT_NUMBER}.${REGION}.run.app"
            ),
            (
                "push-auth-service-account",
                "shop-triggers@${PROJECT}.iam.gserviceaccount.com"
            ),
            ("ack-deadline", "30"),
            ("dead-letter-topic", "shop-failed"),
            ("max-delivery-attempts", "5"),
            ("min-retry-delay", "10s"),
            ("max-retry-delay", "600s"),
            ("project", "${PROJECT}"),
        ])
    );
    let job = find(
        &commands,
        "scheduler jobs create pubsub",
        "shop-nightly-schedule",
    );
    assert_eq!(job.flag("schedule"), Some("0 2 * * *"));
    assert_eq!(job.flag("time-zone"), Some("Etc/UTC"));
    assert_eq!(job.flag("topic"), Some("shop-nightly-schedule"));
    let tick = find(
        &commands,
        "pubsub subscriptions create",
        "shop-nightly-schedule",
    );
    assert_eq!(tick.flag("dead-letter-topic"), Some("shop-failed"));
    assert_eq!(tick.flag("ack-deadline"), Some("60"));
    // The queue holds its messages; Pub/Sub may publish dead letters to it.
    let queue = find(&commands, "pubsub subscriptions create", "shop-failed");
    assert_eq!(queue.flag("topic"), Some("shop-failed"));
    let agent = "serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com";
    let publisher = find(
        &commands,
        "pubsub topics add-iam-policy-binding",
        "shop-failed",
    );
    assert_eq!(publisher.flag("member"), Some(agent));
    assert_eq!(publisher.flag("role"), Some("roles/pubsub.publisher"));
    assert!(!commands
        .iter()
        .any(|c| c.args.first().is_some_and(|a| a.contains("dead-letters"))));
}

#[test]
fn each_quickstart_account_gets_exactly_the_roles_its_function_declares() {
    let commands = parse(&script(&quickstart())).expect("parsed");
    let mut granted = BTreeMap::<String, BTreeSet<(String, String)>>::new();
    for c in commands
        .iter()
        .filter(|c| c.command.ends_with("add-iam-policy-binding"))
    {
        let member = c.flag("member").expect("member").to_owned();
        let target = format!("{} {}", c.command, c.args[0]);
        granted
            .entry(member)
            .or_default()
            .insert((target, c.flag("role").expect("role").to_owned()));
    }
    let account = |f: &str| format!("serviceAccount:shop-{f}@${{PROJECT}}.iam.gserviceaccount.com");
    let set = |items: &[(&str, &str)]| -> BTreeSet<(String, String)> {
        items
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    };
    assert_eq!(
        granted[&account("create-order")],
        set(&[(
            "pubsub topics add-iam-policy-binding shop-orders",
            "roles/pubsub.publisher"
        )])
    );
    assert_eq!(
        granted[&account("bill")],
        set(&[(
            "storage buckets add-iam-policy-binding gs://${PROJECT}-shop-receipts",
            "roles/storage.objectUser"
        )])
    );
    assert_eq!(
        granted[&account("nightly")],
        set(&[(
            "storage buckets add-iam-policy-binding gs://${PROJECT}-shop-receipts",
            "roles/storage.objectViewer"
        )])
    );
    assert_eq!(
        granted[&account("triggers")],
        set(&[
            (
                "run services add-iam-policy-binding shop-bill",
                "roles/run.invoker"
            ),
            (
                "run services add-iam-policy-binding shop-nightly",
                "roles/run.invoker"
            ),
        ])
    );
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
