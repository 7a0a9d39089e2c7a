//! A schema of `host.json` and `function.json` written from the documented properties
//! (wire-protocols notes §3.1, §3.7, §3.11): required properties, allowed properties per binding
//! type, directions and names, so a typo cannot pass. Shared by this crate's manifest tests and
//! the facade's test of the quickstart's generated project.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::{Map, Value};

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

pub fn check_host(host: &Value) {
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

pub fn check_function(path: &str, doc: &Value) {
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
