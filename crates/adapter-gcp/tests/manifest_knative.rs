//! `manifest knative`: every generated object is validated against its CRD's OpenAPI v3 schema
//! (`tests/knative-crds/`) as the Kubernetes API server does with strict field validation, and
//! the quickstart's values are asserted exactly.
//!
//! The validator is small and written here rather than the `jsonschema` crate because what must
//! be checked is Kubernetes' structural-schema rule, not JSON Schema's: a field the schema does
//! not name is unknown (rejected) unless `additionalProperties` or
//! `x-kubernetes-preserve-unknown-fields: true` allows it, `x-kubernetes-int-or-string` takes
//! either, and the root's `apiVersion`, `kind` and `metadata` are the API server's own
//! (ObjectMeta). JSON Schema allows unknown fields by default, so `jsonschema` would need the
//! schemas rewritten first, and its default features build reqwest and aws-lc-rs. The CRDs use
//! only `type`, `properties`, `required`, `items`, `additionalProperties`, `enum`, `anyOf`
//! (with int-or-string) and the `x-kubernetes-*` markers, which this covers.

use std::time::Duration;

use faasport_adapter_gcp::manifest::{knative, KnativeOptions};
use faasport_core::{
    App, Context, DeadLetter, Error, Function, HttpRequest, HttpResponse, ScheduleTick,
    TopicMessage,
};
use http::Method;
use serde_json::{json, Value};

async fn http_fn(_: HttpRequest, _: Context) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::text(http::StatusCode::OK, "ok"))
}
async fn topic(_: TopicMessage, _: Context) -> Result<(), Error> {
    Ok(())
}
async fn tick(_: ScheduleTick, _: Context) -> Result<(), Error> {
    Ok(())
}

/// The quickstart's declaration (`examples/quickstart/app.rs`).
fn quickstart() -> App {
    App::new("shop")
        .topic("orders")
        .bucket("receipts")
        .queue("failed")
        .dead_letter(DeadLetter::Queue("failed".into()))
        .function(
            Function::new("create-order", http_fn)
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

/// A CRD's served version: `group/version`, kind, and schema.
struct Crd {
    api_version: String,
    kind: String,
    schema: Value,
}

fn crd(file: &str) -> Crd {
    let path = format!("{}/tests/knative-crds/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("CRD file");
    let crd: Value = serde_yaml_ng::from_str(&text).expect("CRD YAML");
    let version = crd["spec"]["versions"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["storage"] == true))
        .expect("a storage version");
    Crd {
        api_version: format!(
            "{}/{}",
            crd["spec"]["group"].as_str().expect("group"),
            version["name"].as_str().expect("name")
        ),
        kind: crd["spec"]["names"]["kind"]
            .as_str()
            .expect("kind")
            .to_owned(),
        schema: version["schema"]["openAPIV3Schema"].clone(),
    }
}

fn crds() -> Vec<Crd> {
    [
        "serving-service.yaml",
        "eventing-trigger.yaml",
        "eventing-pingsource.yaml",
    ]
    .into_iter()
    .map(crd)
    .collect()
}

/// Validates one object as the API server would.
fn validate_object(object: &Value, crds: &[Crd]) -> Result<(), String> {
    let api_version = object["apiVersion"].as_str().ok_or("no apiVersion")?;
    let kind = object["kind"].as_str().ok_or("no kind")?;
    let crd = crds
        .iter()
        .find(|c| c.api_version == api_version && c.kind == kind)
        .ok_or(format!("no CRD serves {api_version} {kind}"))?;
    let map = object.as_object().ok_or("not an object")?;
    for (key, value) in map {
        match key.as_str() {
            "apiVersion" | "kind" => {}
            "metadata" => validate_metadata(value)?,
            _ => {
                let schema = crd.schema["properties"]
                    .get(key)
                    .ok_or(format!("unknown field `{key}`"))?;
                validate(value, schema, key)?;
            }
        }
    }
    Ok(())
}

/// The ObjectMeta fields a client sets.
fn validate_metadata(metadata: &Value) -> Result<(), String> {
    let map = metadata.as_object().ok_or("metadata is not an object")?;
    for (key, value) in map {
        match key.as_str() {
            "name" | "namespace" | "generateName" if value.is_string() => {}
            "labels" | "annotations"
                if value
                    .as_object()
                    .is_some_and(|m| m.values().all(Value::is_string)) => {}
            _ => return Err(format!("metadata.{key} is not a valid ObjectMeta field")),
        }
    }
    map.get("name")
        .and_then(Value::as_str)
        .ok_or("metadata.name is missing")?;
    Ok(())
}

fn validate(value: &Value, schema: &Value, path: &str) -> Result<(), String> {
    if schema["x-kubernetes-int-or-string"] == true {
        return if value.is_i64() || value.is_u64() || value.is_string() {
            Ok(())
        } else {
            Err(format!("{path}: expected an integer or a string"))
        };
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            return Err(format!("{path}: {value} is not one of {allowed:?}"));
        }
    }
    let ty = schema["type"].as_str().unwrap_or("");
    let fits = match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "" => true,
        other => return Err(format!("{path}: schema type `{other}` is not handled")),
    };
    if !fits {
        return Err(format!("{path}: expected {ty}, got {value}"));
    }
    if let Some(items) = value.as_array() {
        for (i, item) in items.iter().enumerate() {
            validate(item, &schema["items"], &format!("{path}[{i}]"))?;
        }
    }
    if let Some(map) = value.as_object() {
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap_or("");
            if !map.contains_key(name) {
                return Err(format!("{path}: missing required `{name}`"));
            }
        }
        let preserve = schema["x-kubernetes-preserve-unknown-fields"] == true;
        for (key, field) in map {
            let child = format!("{path}.{key}");
            if let Some(property) = schema["properties"].get(key) {
                validate(field, property, &child)?;
            } else if schema["additionalProperties"].is_object() {
                validate(field, &schema["additionalProperties"], &child)?;
            } else if !preserve {
                return Err(format!("{child}: unknown field"));
            }
        }
    }
    Ok(())
}

/// Every object of every file, by file.
fn objects(app: &App) -> Vec<(String, Vec<Value>)> {
    let files = knative(
        app,
        &KnativeOptions::new("europe-docker.pkg.dev/p/apps/shop:1"),
    )
    .expect("knative");
    files
        .into_iter()
        .map(|f| {
            let docs = f
                .contents
                .split("---\n")
                .filter(|d| !d.trim().is_empty())
                .map(|d| serde_yaml_ng::from_str::<Value>(d).expect("YAML document"))
                .collect();
            (f.path, docs)
        })
        .collect()
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
fn unknown_fields_are_rejected_where_the_schema_does_not_preserve_them() {
    let crds = crds();
    let files = objects(&quickstart());
    let mut service = files[1].1[0].clone();
    service["spec"]["template"]["spec"]["containerConcurency"] = json!(10);
    assert_eq!(
        validate_object(&service, &crds),
        Err("spec.template.spec.containerConcurency: unknown field".into())
    );
    let mut service = files[1].1[0].clone();
    service["spec"]["template"]["spec"]["timeoutSeconds"] = json!("30");
    assert_eq!(
        validate_object(&service, &crds),
        Err("spec.template.spec.timeoutSeconds: expected integer, got \"30\"".into())
    );
    let mut ping = files[2].1[1].clone();
    ping["spec"]["sink"]["reff"] = json!({});
    assert_eq!(
        validate_object(&ping, &crds),
        Err("spec.sink.reff: unknown field".into())
    );
    // A Trigger's spec preserves unknown fields, as its CRD says (for experimental features).
    let mut trigger = files[1].1[1].clone();
    trigger["spec"]["experimental"] = json!(true);
    assert_eq!(validate_object(&trigger, &crds), Ok(()));
    let mut trigger = files[1].1[1].clone();
    trigger["metadata"]["labelz"] = json!({});
    assert_eq!(
        validate_object(&trigger, &crds),
        Err("metadata.labelz is not a valid ObjectMeta field".into())
    );
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
