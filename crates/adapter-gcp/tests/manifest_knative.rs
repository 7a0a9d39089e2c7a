//! `manifest knative`: every generated object passes its CRD's OpenAPI v3 schema, checked as
//! the Kubernetes API server does with strict field validation (`common/crd.rs`, which says why
//! it is not the `jsonschema` crate); the quickstart's objects are checked by the facade's
//! `tests/gcp_quickstart_manifests.rs`.

use faasport_core::{
    App, Context, Error, Function, HttpRequest, HttpResponse, ScheduleTick, TopicMessage,
};
use http::Method;
use serde_json::json;

#[path = "common/crd.rs"]
mod crd;

use crd::*;

async fn http_fn(_: HttpRequest, _: Context) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::text(http::StatusCode::OK, "ok"))
}
async fn topic(_: TopicMessage, _: Context) -> Result<(), Error> {
    Ok(())
}
async fn tick(_: ScheduleTick, _: Context) -> Result<(), Error> {
    Ok(())
}

/// One function of each kind Knative takes: HTTP (a Service), a topic subscriber (a Service and
/// a Trigger), a schedule (a Service and a PingSource).
fn app() -> App {
    App::new("demo")
        .topic("events")
        .function(Function::new("api", http_fn).http(Method::GET, "/"))
        .function(Function::new("worker", topic).subscribe("events"))
        .function(Function::new("cron", tick).schedule("*/5 * * * *"))
}

#[test]
fn every_object_of_each_function_kind_passes_its_crd_schema() {
    let crds = crds();
    let files = objects(&app());
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
    let files = objects(&app());
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
