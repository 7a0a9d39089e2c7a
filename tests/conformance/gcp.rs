//! The Google Cloud column: the `conformance` example under the gcp adapter, one process per
//! function on a loopback `$PORT`, sent each scenario as Cloud Run / Eventarc / Pub/Sub push
//! would send it: plain HTTP, Pub/Sub push envelopes, Cloud Scheduler requests, binary-mode
//! CloudEvents; the dead-letter row reads the generated `deploy.sh`, since there is no Pub/Sub
//! here to exhaust the delivery attempts.
#![cfg(feature = "gcp")]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use faasport::http;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

use crate::scenarios::{Backend, Input, Scenario};
use crate::{run_matrix, Observed};

/// The conformance example serving one function under the gcp adapter; killed when dropped.
struct Served {
    child: Child,
    port: u16,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn serve(function: &str) -> Served {
    let port = crate::peers::free_port();
    let child = Command::new(crate::peers::example("conformance", "gcp"))
        .env("FAASPORT_PROVIDER", "gcp")
        .env("FUNCTION_TARGET", function)
        .env("K_SERVICE", function)
        .env("PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the conformance example");
    let served = Served { child, port };
    for _ in 0..300 {
        if send(port, "GET", "/robots.txt", &[], Bytes::new())
            .await
            .is_ok()
        {
            return served;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the gcp adapter did not answer on port {port}");
}

async fn send(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Bytes,
) -> Result<http::Response<Bytes>, String> {
    let mut request = http::Request::builder()
        .method(method)
        .uri(format!("http://127.0.0.1:{port}{path}"));
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    let request = request.body(Full::new(body)).map_err(|e| e.to_string())?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = tokio::time::timeout(Duration::from_secs(60), client.request(request))
        .await
        .map_err(|_| "no answer in 60 s".to_owned())?
        .map_err(|e| e.to_string())?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok(http::Response::from_parts(parts, body))
}

/// The request the platform sends for an event input: (headers, body).
fn request(input: &Input) -> (Vec<(&'static str, String)>, Value) {
    let ce = |ty: &str, source: &str| {
        vec![
            ("ce-specversion", "1.0".to_owned()),
            ("ce-id", "ce-1".to_owned()),
            ("ce-type", ty.to_owned()),
            ("ce-source", source.to_owned()),
            ("content-type", "application/json".to_owned()),
        ]
    };
    let json_type = vec![("content-type", "application/json".to_owned())];
    match *input {
        Input::Topic {
            topic,
            id,
            body,
            attributes,
        } => {
            let attributes: serde_json::Map<String, Value> = attributes
                .iter()
                .map(|(k, v)| ((*k).to_owned(), json!(v)))
                .collect();
            let data = base64::engine::general_purpose::STANDARD.encode(body);
            (
                json_type,
                json!({
                    "message": { "data": data, "attributes": attributes, "messageId": id,
                        "publishTime": "2024-04-09T12:00:00Z" },
                    "subscription": format!("projects/p/subscriptions/{topic}-sub"),
                }),
            )
        }
        Input::Storage { bucket, key, size } => (
            ce(
                "google.cloud.storage.object.v1.finalized",
                &format!("//storage.googleapis.com/projects/_/buckets/{bucket}"),
            ),
            json!({ "bucket": bucket, "name": key, "size": size.to_string(),
                "timeCreated": "2024-04-09T12:00:00Z", "etag": "e" }),
        ),
        Input::Json(text) => (json_type, serde_json::from_str(text).expect("JSON")),
        _ => (Vec::new(), Value::Null),
    }
}

/// Whether `deploy.sh` gives `function`'s push subscription a dead-letter topic. The app is the
/// conformance app's topics and that function alone: Google Cloud's manifest refuses the queue
/// consumer the full app also has (Pub/Sub push carries one message).
fn has_dead_letter_topic(function: &str) -> bool {
    let full = crate::app::app();
    let mut app = faasport::App::new(full.name());
    for topic in full.topics() {
        app = app.topic(topic.clone());
    }
    let app = app.function(full.select(function).expect("in the app").clone());
    let files = faasport::gcp::manifest::gcloud(&app).expect("deploy.sh");
    let script = &files[0].contents;
    // One command a paragraph, continued with `\`: find the subscription that pushes to it.
    script
        .split("\n\n")
        .filter(|command| command.contains("pubsub subscriptions create"))
        .filter(|command| command.contains(&format!("-{function}-")))
        .any(|command| command.contains("--dead-letter-topic"))
}

async fn drive(scenario: &Scenario) -> Observed {
    if let Input::Exhausting { .. } = scenario.input {
        return Observed::DeadLettered(has_dead_letter_topic(scenario.function));
    }
    let served = serve(scenario.function).await;
    let response = match scenario.input {
        Input::Http {
            method,
            path,
            content_type,
            body,
        } => {
            let headers: Vec<(&str, String)> = content_type
                .map(|ct| ("content-type", ct.to_owned()))
                .into_iter()
                .collect();
            send(
                served.port,
                method,
                path,
                &headers,
                Bytes::from_static(body),
            )
            .await
        }
        Input::Schedule => {
            let headers = [
                ("x-cloudscheduler", "true".to_owned()),
                ("user-agent", "Google-Cloud-Scheduler".to_owned()),
            ];
            send(served.port, "POST", "/", &headers, Bytes::new()).await
        }
        ref other => {
            let (headers, body) = request(other);
            let body = Bytes::from(serde_json::to_vec(&body).expect("JSON"));
            send(served.port, "POST", "/", &headers, body).await
        }
    }
    .expect("answered");
    let (parts, body) = response.into_parts();
    match scenario.input {
        Input::Http { .. } => Observed::Http {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        },
        Input::Json(_) if parts.status.is_success() => {
            Observed::Json(serde_json::from_slice(&body).unwrap_or(Value::Null))
        }
        _ if parts.status.is_success() => Observed::Ack,
        _ => Observed::Failed(format!(
            "{} {}",
            parts.status,
            String::from_utf8_lossy(&body)
        )),
    }
}

#[tokio::test]
async fn every_scenario_holds_on_google_cloud_under_the_functions_framework_contract() {
    run_matrix(Backend::Gcp, drive).await;
}
