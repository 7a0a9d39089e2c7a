//! The Azure column: the `conformance` example as a custom handler, sent each scenario as the
//! Functions host sends it.
//!
//! The example runs with `FUNCTIONS_CUSTOMHANDLER_PORT` (the host cannot be installed from the
//! registries, so this driver plays it, from the documented wire shapes): HTTP scenarios are
//! proxied requests on their original path (`enableProxyingHttpRequest`, which the generated
//! `host.json` sets); events are invocation requests, `POST /{AzureFunctionName}` with
//! `Data`/`Metadata` in each trigger's format; a queue batch is one invocation per message, as
//! a Storage queue trigger delivers them, and the ids of the invocations answered non-2xx are
//! the failed items; `Json<T>` goes to the function's invoke endpoint. The dead-letter row
//! checks that the exhausted delivery is answered non-2xx and that the generated
//! `function.json` binds the function to a Service Bus subscription, whose dead-letter subqueue
//! keeps what exhausts its max delivery count.
#![cfg(feature = "azure")]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use faasport::azure::names::{azure_functions, invoke_path};
use faasport::http;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

use crate::scenarios::{Backend, Input, Scenario};
use crate::{app, run_matrix, Observed};

/// The example process, stopped when dropped.
struct Handler {
    child: Child,
    _project: tempfile::TempDir,
    port: u16,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
}

impl Drop for Handler {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn example() -> Option<std::path::PathBuf> {
    match crate::peers::built_example("conformance", "azure") {
        Ok(path) => Some(path),
        Err(why) => {
            assert!(!crate::peers::peers_required(), "{why}");
            eprintln!("skipped: {why}");
            None
        }
    }
}

impl Handler {
    async fn start() -> Option<Self> {
        let binary = example()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        // The project folder the host would run in: the handler reads its HTTP mode from it.
        let project = tempfile::tempdir().expect("a temporary folder");
        let files = faasport::azure::project(&app::app(), &Default::default()).expect("project");
        for file in &files {
            let path = project.path().join(&file.path);
            std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
            std::fs::write(path, file.contents()).expect("write");
        }
        let child = Command::new(binary)
            .current_dir(project.path())
            .env("FUNCTIONS_APP_ROOT_PATH", project.path())
            .env("FAASPORT_PROVIDER", "azure")
            .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the example");
        let handler = Self {
            child,
            _project: project,
            port,
            client: Client::builder(TokioExecutor::new()).build_http(),
        };
        for _ in 0..300 {
            // The host polls `GET /` until a connection succeeds; so does this driver.
            if handler.send("GET", "/", &[], Bytes::new()).await.is_some() {
                return Some(handler);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the custom handler did not listen on port {port}");
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Option<http::Response<Bytes>> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("http://127.0.0.1:{}{path}", self.port))
            .header(
                "x-azure-functions-invocationid",
                "5f0c8a3e-2b1d-4c1e-9b7a-000000000001",
            )
            .header("user-agent", "Azure-Functions-Host/4.1045.200");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .client
            .request(request.body(Full::new(body)).expect("request"))
            .await
            .ok()?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.ok()?.to_bytes();
        Some(http::Response::from_parts(parts, body))
    }

    /// One invocation request to the Azure function for `function`'s first trigger.
    async fn invoke(&self, function: &str, data: Value, metadata: Value) -> (u16, Value) {
        let azure = azure_functions(&app::app())
            .into_iter()
            .find(|a| a.function == function)
            .expect("an Azure function");
        let mut metadata = metadata;
        metadata["sys"] = json!({ "MethodName": azure.name, "UtcNow": "2024-04-09T02:00:00.0000001Z", "RandGuid": "0b1c" });
        let body = json!({ "Data": { "trigger": data }, "Metadata": metadata });
        let response = self
            .send(
                "POST",
                &format!("/{}", azure.name),
                &[("content-type", "application/json")],
                Bytes::from(body.to_string()),
            )
            .await
            .expect("answered");
        let doc = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
        (response.status().as_u16(), doc)
    }
}

/// Strings reach a custom handler JSON-encoded a second time (`wire-protocols.md` §3.3).
fn host_string(text: &str) -> Value {
    Value::from(serde_json::to_string(text).expect("a string"))
}

fn observe(status: u16, doc: &Value) -> Observed {
    if !(200..300).contains(&status) {
        return Observed::Failed(status.to_string());
    }
    match &doc["ReturnValue"] {
        Value::Null => Observed::Ack,
        other => Observed::Json(other.clone()),
    }
}

fn is_service_bus_subscriber(function: &str) -> bool {
    let files = faasport::azure::project(&app::app(), &Default::default()).expect("project");
    files
        .iter()
        .filter(|f| f.path == format!("{function}/function.json"))
        .any(|f| f.json["bindings"][0]["type"] == "serviceBusTrigger")
}

async fn drive(handler: &Handler, scenario: &Scenario) -> Observed {
    match scenario.input {
        Input::Http {
            method,
            path,
            content_type,
            body,
        } => {
            let headers: Vec<(&str, &str)> = content_type
                .map(|ct| ("content-type", ct))
                .into_iter()
                .collect();
            let response = handler
                .send(method, path, &headers, Bytes::from_static(body))
                .await
                .expect("answered");
            let (parts, body) = response.into_parts();
            Observed::Http {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body,
            }
        }
        Input::Queue { messages, .. } => {
            let mut failed = Vec::new();
            for (id, body) in messages {
                let metadata = json!({
                    "DequeueCount": "1", "Id": id, "PopReceipt": "AgAAAAMAAAAAAAAA",
                    "InsertionTime": "2024-04-09T02:00:00+00:00",
                    "ExpirationTime": "2024-04-16T02:00:00+00:00",
                    "NextVisibleTime": "2024-04-09T02:10:00+00:00",
                });
                let (status, _) = handler
                    .invoke(scenario.function, host_string(body), metadata)
                    .await;
                if !(200..300).contains(&status) {
                    failed.push((*id).to_owned());
                }
            }
            if failed.is_empty() {
                Observed::Ack
            } else {
                Observed::Partial(failed)
            }
        }
        Input::Topic {
            id,
            body,
            attributes,
            ..
        } => {
            let properties: serde_json::Map<String, Value> = attributes
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
                .collect();
            let metadata = json!({
                "MessageId": id, "DeliveryCount": "1", "EnqueuedTimeUtc": "2024-04-09T12:00:00Z",
                "ContentType": "application/json", "SequenceNumber": "1",
                "UserProperties": Value::Object(properties).to_string(),
            });
            let (status, doc) = handler
                .invoke(scenario.function, host_string(body), metadata)
                .await;
            observe(status, &doc)
        }
        Input::Schedule => {
            let timer = json!({
                "Schedule": { "AdjustForDST": true },
                "ScheduleStatus": { "Last": "2024-04-08T02:00:00+00:00", "Next": "2024-04-10T02:00:00+00:00", "LastUpdated": "2024-04-08T02:00:00+00:00" },
                "IsPastDue": false,
            });
            let (status, doc) = handler.invoke(scenario.function, timer, json!({})).await;
            observe(status, &doc)
        }
        Input::Storage { bucket, key, size } => {
            let content = faasport::Body::from(vec![b'x'; usize::try_from(size).expect("size")]);
            let metadata = json!({
                "name": key,
                "Uri": format!("https://acct.blob.core.windows.net/{bucket}/{}", key.replace(' ', "%20")),
                "Properties": { "Length": size.to_string(), "ETag": "\"0x8DC\"", "LastModified": "2024-04-09T12:34:56+00:00" },
                "Metadata": {},
            });
            let (status, doc) = handler
                .invoke(
                    scenario.function,
                    Value::from(content.to_base64()),
                    metadata,
                )
                .await;
            observe(status, &doc)
        }
        Input::Cloud { source, ty, data } => {
            let event = json!({
                "specversion": "1.0", "id": "ce-1", "source": source, "type": ty,
                "time": "2024-04-09T12:34:56Z", "datacontenttype": "application/json",
                "data": serde_json::from_str::<Value>(data).expect("data JSON"),
            });
            let (status, doc) = handler.invoke(scenario.function, event, json!({})).await;
            observe(status, &doc)
        }
        Input::Json(payload) => {
            let response = handler
                .send(
                    "POST",
                    &invoke_path(scenario.function),
                    &[("content-type", "application/json")],
                    Bytes::from_static(payload.as_bytes()),
                )
                .await
                .expect("answered");
            if response.status().is_success() {
                Observed::Json(serde_json::from_slice(response.body()).unwrap_or(Value::Null))
            } else {
                Observed::Failed(response.status().as_str().to_owned())
            }
        }
        Input::Exhausting { .. } => {
            let metadata = json!({ "MessageId": "d1", "DeliveryCount": "10", "EnqueuedTimeUtc": "2024-04-09T12:00:00Z" });
            let (status, _) = handler
                .invoke(scenario.function, host_string("{}"), metadata)
                .await;
            Observed::DeadLettered(
                !(200..300).contains(&status) && is_service_bus_subscriber(scenario.function),
            )
        }
    }
}

#[tokio::test]
async fn every_scenario_holds_on_the_azure_custom_handler() {
    let Some(handler) = Handler::start().await else {
        return;
    };
    run_matrix(Backend::Azure, |scenario| {
        let handler = &handler;
        async move { drive(handler, scenario).await }
    })
    .await;
}
