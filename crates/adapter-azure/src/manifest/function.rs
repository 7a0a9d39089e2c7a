//! One `function.json`: the trigger binding and, for HTTP, its output.
//!
//! | faasport trigger | binding (`name: "trigger"`, `direction: "in"`) | connection setting |
//! |---|---|---|
//! | HTTP | `httpTrigger`, `authLevel: anonymous`, `methods` (omitted for any method), `route` = the path without its `/`; plus `{"type": "http", "direction": "out", "name": "res"}` | |
//! | (invoke endpoint, every function) | `httpTrigger`, `authLevel: function`, `methods: ["post"]`, `route: faasport-invoke/<function>`; plus the `http` output | |
//! | (invoke queue, invoked functions) | `queueTrigger`, `queueName` = [`invoke_queue_name`] (`faasport-invoke-<function>`) | `AzureWebJobsStorage` |
//! | queue | `queueTrigger`, `queueName` ([`azure_queue_name`]: lower case; a dead-letter queue is its source's `<queue>-poison`) | `AzureWebJobsStorage` |
//! | topic | `serviceBusTrigger`, `topicName`, `subscriptionName` = the function | `ServiceBusConnection` |
//! | schedule | `timerTrigger`, `schedule` as NCRONTAB ([`super::ncrontab`]) | |
//! | storage | `blobTrigger`, `path: <container>/<prefix>{name}` | `AzureWebJobsStorage` |
//! | stream | `eventHubTrigger`, `eventHubName`, `consumerGroup: $Default`, `cardinality: many` | `EventHubConnection` |
//! | change | `cosmosDBTrigger`, `databaseName` = the app, `containerName` = the table, `leaseContainerName: leases`, `maxItemsPerInvocation` = the batch size | `CosmosDBConnection` |
//! | CloudEvent | `eventGridTrigger` | |
//!
//! A `retry` policy is written where Azure reads one: a timer function with
//! [`RetryPolicy::max_retries`](faasport_core::RetryPolicy) set gets `fixedDelay` with that
//! count; Event Hubs and Cosmos DB functions always get an unbounded `exponentialBackoff`,
//! because without one the checkpoint moves past a failed batch (as Kinesis and DynamoDB
//! Streams retry a failed batch until it succeeds or expires).

use faasport_core::{App, Function, StorageEventKind, Trigger};
use serde_json::{json, Value};

use super::{ncrontab, ManifestError};
use crate::names::{
    azure_queue_name, invoke_queue_name, resource_name, AzureFunction, Entry, HTTP_OUTPUT_BINDING,
    INVOKE_ROUTE_PREFIX, TRIGGER_BINDING,
};

/// The `function.json` document of `azure` (one trigger of `function`).
///
/// # Errors
/// [`ManifestError`] for a schedule or storage trigger Azure cannot express.
pub fn function_json(
    app: &App,
    function: &Function,
    azure: &AzureFunction,
) -> Result<Value, ManifestError> {
    let http_out = json!({ "type": "http", "direction": "out", "name": HTTP_OUTPUT_BINDING });
    let trigger = |kind: &str, mut props: Value| {
        if let Value::Object(map) = &mut props {
            map.insert("type".into(), Value::from(kind));
            map.insert("direction".into(), Value::from("in"));
            map.insert("name".into(), Value::from(TRIGGER_BINDING));
        }
        props
    };
    let mut retry = None;
    let own = match &azure.entry {
        Entry::Trigger(own) => own,
        Entry::Invoke => {
            let props = json!({
                "authLevel": "function",
                "methods": ["post"],
                "route": format!("{INVOKE_ROUTE_PREFIX}/{}", function.name()),
            });
            return Ok(json!({ "bindings": [trigger("httpTrigger", props), http_out] }));
        }
        Entry::InvokeQueue => {
            let props = json!({
                "queueName": invoke_queue_name(function.name()),
                "connection": "AzureWebJobsStorage",
            });
            return Ok(json!({ "bindings": [trigger("queueTrigger", props)] }));
        }
    };
    let bindings = match own {
        Trigger::Http { method, path } => {
            let mut props =
                json!({ "authLevel": "anonymous", "route": path.trim_start_matches('/') });
            if let Some(method) = method {
                props["methods"] = json!([method.as_str().to_ascii_lowercase()]);
            }
            vec![trigger("httpTrigger", props), http_out]
        }
        Trigger::Queue { queue, .. } => vec![trigger(
            "queueTrigger",
            json!({ "queueName": azure_queue_name(app, queue), "connection": "AzureWebJobsStorage" }),
        )],
        Trigger::Topic { topic } => vec![trigger(
            "serviceBusTrigger",
            json!({
                "topicName": resource_name(topic),
                "subscriptionName": function.name(),
                "connection": "ServiceBusConnection",
            }),
        )],
        Trigger::Schedule { expression } => {
            let schedule = ncrontab(expression).map_err(|reason| ManifestError::Schedule {
                function: function.name().to_owned(),
                expression: expression.clone(),
                reason,
            })?;
            if let Some(count) = function.spec().retry.max_retries {
                retry = Some(
                    json!({ "strategy": "fixedDelay", "maxRetryCount": count, "delayInterval": "00:00:10" }),
                );
            }
            vec![trigger("timerTrigger", json!({ "schedule": schedule }))]
        }
        Trigger::Storage {
            bucket,
            kinds,
            prefix,
        } => {
            if !kinds.is_empty() && !kinds.contains(&StorageEventKind::Created) {
                return Err(ManifestError::DeletionsOnly {
                    function: function.name().to_owned(),
                });
            }
            let path = format!(
                "{}/{}{{name}}",
                resource_name(bucket),
                prefix.as_deref().unwrap_or("")
            );
            vec![trigger(
                "blobTrigger",
                json!({ "path": path, "connection": "AzureWebJobsStorage" }),
            )]
        }
        Trigger::Stream { stream, .. } => {
            retry = Some(unbounded_retry());
            vec![trigger(
                "eventHubTrigger",
                json!({
                    "eventHubName": resource_name(stream),
                    "consumerGroup": "$Default",
                    "cardinality": "many",
                    "connection": "EventHubConnection",
                }),
            )]
        }
        Trigger::Change { table, batch_size } => {
            retry = Some(unbounded_retry());
            vec![trigger(
                "cosmosDBTrigger",
                json!({
                    "databaseName": app.name(),
                    "containerName": table,
                    "leaseContainerName": "leases",
                    "createLeaseContainerIfNotExists": true,
                    "maxItemsPerInvocation": batch_size,
                    "connection": "CosmosDBConnection",
                }),
            )]
        }
        Trigger::CloudEvent { .. } => vec![trigger("eventGridTrigger", json!({}))],
        _ => vec![trigger("eventGridTrigger", json!({}))],
    };
    let mut doc = json!({ "bindings": bindings });
    if let Some(retry) = retry {
        doc["retry"] = retry;
    }
    Ok(doc)
}

fn unbounded_retry() -> Value {
    json!({
        "strategy": "exponentialBackoff",
        "maxRetryCount": -1,
        "minimumInterval": "00:00:01",
        "maximumInterval": "00:15:00",
    })
}
