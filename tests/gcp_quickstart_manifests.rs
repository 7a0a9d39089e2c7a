//! The quickstart's Google Cloud manifests, from the quickstart app itself
//! (`examples/quickstart/app.rs`): `deploy.sh` passes the gcloud flag check and carries the
//! declared limits, push subscriptions and roles; the Knative objects pass their CRD schemas
//! and carry the declared limits and triggers. The checks are the adapter's
//! (`crates/adapter-gcp/tests/common/`).
#![cfg(feature = "gcp")]

#[path = "../examples/quickstart/app.rs"]
#[allow(dead_code)]
mod app;
#[path = "../crates/adapter-gcp/tests/common/crd.rs"]
mod crd;
#[path = "../crates/adapter-gcp/tests/common/gcloud.rs"]
mod gcloud_check;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use crd::*;
use faasport::core::App;
use gcloud_check::*;

fn quickstart() -> App {
    app::app()
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
fn every_quickstart_object_passes_its_crd_schema() {
    let crds = crds();
    let files = objects(&quickstart());
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "shop-create-order.yaml",
            "shop-bill.yaml",
            "shop-nightly.yaml"
        ]
    );
    let kinds: Vec<Vec<&str>> = files
        .iter()
        .map(|(_, docs)| {
            docs.iter()
                .map(|d| d["kind"].as_str().expect("kind"))
                .collect()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            vec!["Service"],
            vec!["Service", "Trigger"],
            vec!["Service", "PingSource"]
        ]
    );
    for (path, docs) in &files {
        for doc in docs {
            validate_object(doc, &crds).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
}

#[test]
fn quickstart_services_carry_the_declared_limits_and_triggers_filter_on_the_topic() {
    let files = objects(&quickstart());
    let bill = &files[1].1;
    let template = &bill[0]["spec"]["template"];
    assert_eq!(
        template["metadata"]["annotations"],
        json!({ "autoscaling.knative.dev/min-scale": "0", "autoscaling.knative.dev/max-scale": "50" })
    );
    assert_eq!(template["spec"]["timeoutSeconds"], 30);
    assert!(template["spec"].get("containerConcurrency").is_none());
    let container = &template["spec"]["containers"][0];
    assert_eq!(container["image"], "europe-docker.pkg.dev/p/apps/shop:1");
    assert_eq!(
        container["resources"],
        json!({ "requests": { "memory": "128Mi" }, "limits": { "memory": "128Mi" } })
    );
    assert_eq!(
        container["env"][0],
        json!({ "name": "FUNCTION_TARGET", "value": "bill" })
    );
    assert_eq!(
        container["env"][1],
        json!({ "name": "FAASPORT_TOPIC_ORDERS", "value": "shop-orders" })
    );
    assert_eq!(
        bill[0]["metadata"]["labels"]["networking.knative.dev/visibility"],
        "cluster-local"
    );
    assert_eq!(
        bill[1]["spec"],
        json!({
            "broker": "default",
            "filter": { "attributes": { "type": "google.cloud.pubsub.topic.v1.messagePublished" } },
            "filters": [
                { "exact": { "type": "google.cloud.pubsub.topic.v1.messagePublished" } },
                { "suffix": { "source": "/topics/shop-orders" } },
            ],
            "subscriber": { "ref": { "apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": "shop-bill" } },
            "delivery": { "retry": 4, "backoffPolicy": "exponential", "backoffDelay": "PT10S" },
        })
    );
    let create = &files[0].1[0];
    assert!(create["metadata"]["labels"]
        .get("networking.knative.dev/visibility")
        .is_none());
    assert_eq!(create["spec"]["template"]["spec"]["timeoutSeconds"], 10);
    let ping = &files[2].1[1];
    assert_eq!(ping["metadata"]["name"], "shop-nightly-schedule");
    assert_eq!(ping["spec"]["schedule"], "0 2 * * *");
    assert_eq!(ping["spec"]["timezone"], "Etc/UTC");
    assert_eq!(ping["spec"]["sink"]["ref"]["name"], "shop-nightly");
}
