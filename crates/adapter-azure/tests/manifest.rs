//! The project folder against a schema of `host.json` and `function.json` written here from the
//! documented properties (`wire-protocols.md` §3.1, §3.7, §3.11): required properties, allowed
//! properties per binding type, directions and names, so a typo cannot pass.

mod common;

use std::collections::BTreeMap;

use faasport_adapter_azure::manifest::HttpMode;
use faasport_adapter_azure::{project, ProjectFile, ProjectOptions};
use serde_json::{json, Map, Value};

/// Per binding type: direction, required properties, optional properties.
fn binding_schema() -> BTreeMap<&'static str, (&'static str, Vec<&'static str>, Vec<&'static str>)>
{
    BTreeMap::from([
        (
            "httpTrigger",
            ("in", vec!["authLevel"], vec!["methods", "route"]),
        ),
        ("http", ("out", vec![], vec![])),
        (
            "queueTrigger",
            ("in", vec!["queueName", "connection"], vec![]),
        ),
        (
            "serviceBusTrigger",
            (
                "in",
                vec!["connection"],
                vec![
                    "queueName",
                    "topicName",
                    "subscriptionName",
                    "isSessionsEnabled",
                    "cardinality",
                ],
            ),
        ),
        (
            "timerTrigger",
            ("in", vec!["schedule"], vec!["runOnStartup", "useMonitor"]),
        ),
        (
            "blobTrigger",
            ("in", vec!["path", "connection"], vec!["source", "dataType"]),
        ),
        (
            "eventHubTrigger",
            (
                "in",
                vec!["eventHubName", "connection"],
                vec!["consumerGroup", "cardinality", "dataType"],
            ),
        ),
        (
            "cosmosDBTrigger",
            (
                "in",
                vec!["connection", "databaseName", "containerName"],
                vec![
                    "leaseContainerName",
                    "createLeaseContainerIfNotExists",
                    "maxItemsPerInvocation",
                ],
            ),
        ),
        ("eventGridTrigger", ("in", vec![], vec![])),
    ])
}

fn object<'a>(value: &'a Value, what: &str) -> &'a Map<String, Value> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object: {value}"))
}

fn only_keys(map: &Map<String, Value>, allowed: &[&str], what: &str) {
    for key in map.keys() {
        assert!(
            allowed.contains(&key.as_str()),
            "{what}: unknown property `{key}`"
        );
    }
}

fn is_timespan(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_digit()))
}

fn check_host(host: &Value) {
    let doc = object(host, "host.json");
    only_keys(
        doc,
        &[
            "version",
            "functionTimeout",
            "customHandler",
            "extensionBundle",
            "extensions",
            "logging",
        ],
        "host.json",
    );
    assert_eq!(doc["version"], "2.0");
    assert!(
        is_timespan(doc["functionTimeout"].as_str().expect("functionTimeout")),
        "{}",
        doc["functionTimeout"]
    );
    let handler = object(&doc["customHandler"], "customHandler");
    only_keys(
        handler,
        &[
            "description",
            "enableForwardingHttpRequest",
            "enableProxyingHttpRequest",
            "initializationTimeout",
            "port",
        ],
        "customHandler",
    );
    assert!(
        !(handler.contains_key("enableForwardingHttpRequest")
            && handler.contains_key("enableProxyingHttpRequest")),
        "never both HTTP flags"
    );
    let description = object(&handler["description"], "description");
    only_keys(
        description,
        &[
            "defaultExecutablePath",
            "workingDirectory",
            "arguments",
            "defaultWorkerPath",
        ],
        "description",
    );
    assert!(description["defaultExecutablePath"]
        .as_str()
        .is_some_and(|p| !p.is_empty()));
    let bundle = object(&doc["extensionBundle"], "extensionBundle");
    only_keys(bundle, &["id", "version"], "extensionBundle");
    assert_eq!(bundle["id"], "Microsoft.Azure.Functions.ExtensionBundle");
    assert_eq!(bundle["version"], "[4.*, 5.0.0)");
}

fn check_function(path: &str, doc: &Value) {
    let schema = binding_schema();
    let doc = object(doc, path);
    only_keys(doc, &["bindings", "retry", "disabled"], path);
    let bindings = doc["bindings"].as_array().expect("bindings");
    let triggers = bindings
        .iter()
        .filter(|b| b["type"].as_str().is_some_and(|t| t.ends_with("Trigger")))
        .count();
    assert_eq!(triggers, 1, "{path}: exactly one trigger");
    for binding in bindings {
        let binding = object(binding, path);
        let ty = binding["type"].as_str().expect("type");
        let (direction, required, optional) = schema
            .get(ty)
            .unwrap_or_else(|| panic!("{path}: unknown binding type `{ty}`"));
        assert_eq!(binding["direction"], *direction, "{path}: {ty} direction");
        let name = binding["name"].as_str().expect("name");
        assert!(
            name == "$return" || name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{path}: binding name `{name}`"
        );
        for key in required {
            assert!(binding.contains_key(*key), "{path}: {ty} lacks `{key}`");
        }
        let mut allowed = vec!["type", "direction", "name"];
        allowed.extend(required.iter().copied());
        allowed.extend(optional.iter().copied());
        only_keys(binding, &allowed, &format!("{path}: {ty}"));
        match ty {
            "httpTrigger" => {
                assert!(["anonymous", "function", "admin"]
                    .contains(&binding["authLevel"].as_str().unwrap_or("")));
                for method in binding
                    .get("methods")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    assert!(
                        ["get", "post", "put", "delete", "patch", "head", "options", "trace"]
                            .contains(&method.as_str().unwrap_or("")),
                        "{path}: method {method}"
                    );
                }
            }
            "timerTrigger" => {
                let fields = binding["schedule"]
                    .as_str()
                    .unwrap_or("")
                    .split_whitespace()
                    .count();
                assert_eq!(fields, 6, "{path}: NCRONTAB has 6 fields");
            }
            "serviceBusTrigger" => assert!(
                binding.contains_key("queueName") != binding.contains_key("topicName")
                    && binding.contains_key("topicName")
                        == binding.contains_key("subscriptionName"),
                "{path}: a queue, or a topic with a subscription"
            ),
            "blobTrigger" => assert!(binding["path"].as_str().unwrap_or("").contains('/')),
            _ => {}
        }
    }
    if let Some(retry) = doc.get("retry") {
        let retry = object(retry, "retry");
        match retry["strategy"].as_str() {
            Some("fixedDelay") => {
                only_keys(retry, &["strategy", "maxRetryCount", "delayInterval"], path);
                assert!(is_timespan(retry["delayInterval"].as_str().unwrap_or("")));
            }
            Some("exponentialBackoff") => {
                only_keys(
                    retry,
                    &[
                        "strategy",
                        "maxRetryCount",
                        "minimumInterval",
                        "maximumInterval",
                    ],
                    path,
                );
                assert!(is_timespan(retry["minimumInterval"].as_str().unwrap_or("")));
                assert!(is_timespan(retry["maximumInterval"].as_str().unwrap_or("")));
            }
            other => panic!("{path}: retry strategy {other:?}"),
        }
        assert!(retry["maxRetryCount"].as_i64().is_some_and(|n| n >= -1));
    }
}

fn files(options: &ProjectOptions) -> Vec<ProjectFile> {
    project(&common::app(), options).expect("project")
}

#[test]
fn every_generated_file_passes_the_schema() {
    for mode in [HttpMode::Proxying, HttpMode::Forwarding, HttpMode::Json] {
        let files = files(&ProjectOptions::default().http_mode(mode));
        check_host(&files[0].json);
        for file in files.iter().filter(|f| f.path.ends_with("/function.json")) {
            check_function(&file.path, &file.json);
        }
    }
}

#[test]
fn the_schema_catches_a_typo() {
    let typo = json!({"bindings": [{"type": "queueTrigger", "direction": "in", "name": "trigger", "queueNmae": "jobs", "connection": "c"}]});
    let caught = std::panic::catch_unwind(|| check_function("typo", &typo));
    assert!(caught.is_err());
    let misspelt_flag = json!({"version": "2.0", "functionTimeout": "00:00:30",
        "customHandler": {"description": {"defaultExecutablePath": "handler"}, "enableHttpProxyingRequest": true},
        "extensionBundle": {"id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)"}});
    assert!(std::panic::catch_unwind(|| check_host(&misspelt_flag)).is_err());
}

#[test]
fn the_project_has_one_folder_per_trigger_named_predictably() {
    let paths: Vec<String> = files(&ProjectOptions::default())
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(
        paths,
        [
            "host.json",
            "local.settings.json",
            "http-echo/function.json",
            "queue/function.json",
            "topic/function.json",
            "timer/function.json",
            "blob/function.json",
            "hub/function.json",
            "grid/function.json",
            "invoke/function.json",
            "multi-queue-1/function.json",
            "multi-http-2/function.json",
            "fails/function.json",
            "slow/function.json",
            "publishes/function.json",
        ]
    );
}

#[test]
fn host_json_turns_proxying_on_and_sets_the_timeout_bundle_and_route_prefix() {
    let host = &files(&ProjectOptions::default().executable("bin/shop"))[0];
    assert_eq!(
        host.json,
        json!({
            "version": "2.0",
            "functionTimeout": "00:00:30",
            "customHandler": {
                "description": { "defaultExecutablePath": "bin/shop", "workingDirectory": "", "arguments": [] },
                "enableProxyingHttpRequest": true,
            },
            "extensionBundle": { "id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)" },
            "extensions": { "http": { "routePrefix": "" }, "queues": { "maxDequeueCount": 5 } },
        })
    );
}

#[test]
fn each_trigger_becomes_its_documented_binding() {
    let files = files(&ProjectOptions::default());
    let doc = |path: &str| {
        files
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.json.clone())
            .unwrap_or_else(|| panic!("no {path}"))
    };
    assert_eq!(
        doc("http-echo/function.json"),
        json!({"bindings": [
            {"type": "httpTrigger", "direction": "in", "name": "trigger", "authLevel": "anonymous", "route": "echo/{id}"},
            {"type": "http", "direction": "out", "name": "res"}]})
    );
    assert_eq!(
        doc("multi-http-2/function.json")["bindings"][0]["methods"],
        json!(["post"])
    );
    assert_eq!(
        doc("invoke/function.json")["bindings"][0],
        json!({"type": "httpTrigger", "direction": "in", "name": "trigger", "authLevel": "function", "methods": ["post"], "route": "faasport-invoke/invoke"})
    );
    assert_eq!(
        doc("queue/function.json"),
        json!({"bindings": [{"type": "queueTrigger", "direction": "in", "name": "trigger", "queueName": "jobs", "connection": "AzureWebJobsStorage"}]})
    );
    assert_eq!(
        doc("topic/function.json")["bindings"][0],
        json!({"type": "serviceBusTrigger", "direction": "in", "name": "trigger", "topicName": "orders", "subscriptionName": "topic", "connection": "ServiceBusConnection"})
    );
    assert_eq!(
        doc("timer/function.json")["bindings"][0]["schedule"],
        "0 */5 * * * *"
    );
    assert_eq!(
        doc("blob/function.json")["bindings"][0]["path"],
        "uploads/{name}"
    );
    assert_eq!(
        doc("hub/function.json")["bindings"][0]["cardinality"],
        "many"
    );
    assert_eq!(doc("hub/function.json")["retry"]["maxRetryCount"], -1);
    let cosmos = common::cosmos();
    let azure = faasport_adapter_azure::names::AzureFunction {
        name: "cosmos".into(),
        function: "cosmos".into(),
        trigger: cosmos.triggers().first().cloned(),
    };
    let doc_cosmos =
        faasport_adapter_azure::manifest::function::function_json(&common::app(), &cosmos, &azure)
            .expect("function.json");
    check_function("cosmos/function.json", &doc_cosmos);
    assert_eq!(
        doc_cosmos,
        json!({"bindings": [{"type": "cosmosDBTrigger", "direction": "in", "name": "trigger",
            "databaseName": "shop", "containerName": "orders-table", "leaseContainerName": "leases",
            "createLeaseContainerIfNotExists": true, "maxItemsPerInvocation": 100,
            "connection": "CosmosDBConnection"}],
         "retry": {"strategy": "exponentialBackoff", "maxRetryCount": -1,
            "minimumInterval": "00:00:01", "maximumInterval": "00:15:00"}})
    );
    assert_eq!(
        doc("grid/function.json"),
        json!({"bindings": [{"type": "eventGridTrigger", "direction": "in", "name": "trigger"}]})
    );
}

#[test]
fn a_schedule_azure_cannot_express_is_refused_with_the_reason() {
    async fn tick(
        _: faasport_core::ScheduleTick,
        _: faasport_core::Context,
    ) -> Result<(), faasport_core::Error> {
        Ok(())
    }
    let app = faasport_core::App::new("a")
        .function(faasport_core::Function::new("odd", tick).schedule("rate(7 minutes)"));
    let error = project(&app, &ProjectOptions::default())
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        error.as_deref(),
        Some("the azure manifest cannot express this app: function `odd`: the schedule `rate(7 minutes)` cannot be written for Azure: a rate must divide an hour (minutes) or a day (hours), or be one day")
    );
}
