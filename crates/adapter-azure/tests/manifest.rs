//! The project folder against a schema of `host.json` and `function.json` written here from the
//! documented properties (`wire-protocols.md` §3.1, §3.7, §3.11): required properties, allowed
//! properties per binding type, directions and names, so a typo cannot pass.

mod common;
#[path = "common/schema.rs"]
mod schema;

use schema::{check_function, check_host};

use faasport_adapter_azure::manifest::HttpMode;
use faasport_adapter_azure::{project, ProjectFile, ProjectOptions};
use serde_json::json;

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
            // every function: its triggers, its invoke endpoint and (every function may be
            // invoked by one that declares nothing) its invoke queue
            "http-echo/function.json",
            "http-echo-invoke/function.json",
            "http-echo-async/function.json",
            "queue/function.json",
            "queue-invoke/function.json",
            "queue-async/function.json",
            "topic/function.json",
            "topic-invoke/function.json",
            "topic-async/function.json",
            "timer/function.json",
            "timer-invoke/function.json",
            "timer-async/function.json",
            "blob/function.json",
            "blob-invoke/function.json",
            "blob-async/function.json",
            "hub/function.json",
            "hub-invoke/function.json",
            "hub-async/function.json",
            "grid/function.json",
            "grid-invoke/function.json",
            "grid-async/function.json",
            "invoke/function.json",
            "invoke-async/function.json",
            "multi-queue-1/function.json",
            "multi-http-2/function.json",
            "multi-invoke/function.json",
            "multi-async/function.json",
            "fails/function.json",
            "fails-invoke/function.json",
            "fails-async/function.json",
            "slow/function.json",
            "slow-invoke/function.json",
            "slow-async/function.json",
            "publishes/function.json",
            "publishes-invoke/function.json",
            "publishes-async/function.json",
        ]
    );
}

#[test]
fn an_invoked_function_gets_an_invoke_queue_whose_retries_raise_max_dequeue_count() {
    use faasport_core::{App, Context, Error, Function, Json, QueueBatch, RetryPolicy};
    async fn callee(_: Json<serde_json::Value>, _: Context) -> Result<(), Error> {
        Ok(())
    }
    async fn caller(_: QueueBatch, _: Context) -> Result<(), Error> {
        Ok(())
    }
    let app = App::new("shop")
        .queue("jobs")
        .function(
            Function::new("bill", caller)
                .queue("jobs")
                .invokes("Resize_Image"),
        )
        .function(
            Function::new("Resize_Image", callee)
                .retry(RetryPolicy::default().with_max_retries(7))
                .sends("jobs"),
        );
    let files = project(&app, &ProjectOptions::default()).expect("project");
    let doc = |path: &str| {
        let file = files.iter().find(|f| f.path == path).expect(path);
        check_function(path, &file.json);
        file.json.clone()
    };
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths[2..],
        [
            "bill/function.json",
            "bill-invoke/function.json",
            "Resize_Image/function.json",
            "Resize_Image-async/function.json",
        ]
    );
    assert_eq!(
        doc("Resize_Image-async/function.json"),
        json!({"bindings": [{"type": "queueTrigger", "direction": "in", "name": "trigger",
            "queueName": "faasport-invoke-resize-image", "connection": "AzureWebJobsStorage"}]})
    );
    assert_eq!(
        doc("bill-invoke/function.json"),
        json!({"bindings": [
            {"type": "httpTrigger", "direction": "in", "name": "trigger", "authLevel": "function",
             "methods": ["post"], "route": "faasport-invoke/bill"},
            {"type": "http", "direction": "out", "name": "res"}]})
    );
    // 7 retries are 8 deliveries, more than the queue's default 5: one app-wide value
    assert_eq!(files[0].json["extensions"]["queues"]["maxDequeueCount"], 8);
}

#[test]
fn two_azure_functions_with_one_name_are_refused() {
    use faasport_core::{App, Context, Error, Function, QueueBatch};
    async fn f(_: QueueBatch, _: Context) -> Result<(), Error> {
        Ok(())
    }
    let app = App::new("shop")
        .queue("jobs")
        .function(Function::new("bill", f).queue("jobs"))
        .function(Function::new("bill-invoke", f).queue("jobs"));
    let error = project(&app, &ProjectOptions::default())
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        error.as_deref(),
        Some("the azure manifest cannot express this app: `bill-invoke` is not a valid Azure function name: two Azure functions of the app would have this name (rename the faasport function)")
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
        entry: faasport_adapter_azure::names::Entry::Trigger(
            cosmos.triggers().first().cloned().expect("a trigger"),
        ),
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

#[test]
fn a_dead_letter_queue_of_one_queue_is_triggered_on_its_poison_queue() {
    use faasport_core::{App, Context, DeadLetter, Error, Function, QueueBatch, QueueSpec};
    async fn f(_: QueueBatch, _: Context) -> Result<(), Error> {
        Ok(())
    }
    let app = App::new("shop")
        .queue_spec(QueueSpec::new("Orders").dead_letter_queue("orders-failed"))
        .queue("orders-failed")
        .function(Function::new("bill", f).queue("Orders"))
        .function(Function::new("triage", f).queue("orders-failed"));
    let files = project(&app, &ProjectOptions::default()).expect("project");
    let queue_of = |path: &str| {
        let file = files.iter().find(|f| f.path == path).expect(path);
        check_function(path, &file.json);
        file.json["bindings"][0]["queueName"].clone()
    };
    assert_eq!(queue_of("bill/function.json"), json!("orders"));
    assert_eq!(queue_of("triage/function.json"), json!("orders-poison"));

    // shared by two queues (the app-wide default): each keeps its own poison queue
    let shared = App::new("shop")
        .queue("a")
        .queue("b")
        .queue("failed")
        .dead_letter(DeadLetter::Queue("failed".into()))
        .function(Function::new("triage", f).queue("failed"));
    let files = project(&shared, &ProjectOptions::default()).expect("project");
    let triage = files
        .iter()
        .find(|f| f.path == "triage/function.json")
        .expect("triage");
    assert_eq!(triage.json["bindings"][0]["queueName"], json!("failed"));
}

#[test]
fn local_settings_point_func_start_at_azurite_with_a_sas_and_ask_for_a_service_bus_only_when_needed(
) {
    use faasport_adapter_azure::manifest::{
        AZURITE_ACCOUNT_SAS, AZURITE_BLOB_URL, AZURITE_QUEUE_URL,
    };
    let values = |app: &faasport_core::App| {
        let files = project(app, &ProjectOptions::default()).expect("project");
        assert_eq!(files[1].path, "local.settings.json");
        assert_eq!(files[1].json["IsEncrypted"], false);
        files[1].json["Values"].clone()
    };
    async fn noop(
        _: faasport_core::QueueBatch,
        _: faasport_core::Context,
    ) -> Result<(), faasport_core::Error> {
        Ok(())
    }
    let storage_only = faasport_core::App::new("shop")
        .queue("jobs")
        .function(faasport_core::Function::new("work", noop).queue("jobs"));
    assert_eq!(
        values(&storage_only),
        json!({
            "FUNCTIONS_WORKER_RUNTIME": "custom",
            "AzureWebJobsStorage": "UseDevelopmentStorage=true",
            "FAASPORT_AZURE_QUEUE_URL": format!("{AZURITE_QUEUE_URL}?{AZURITE_ACCOUNT_SAS}"),
            "FAASPORT_AZURE_BLOB_URL": format!("{AZURITE_BLOB_URL}?{AZURITE_ACCOUNT_SAS}"),
            "FAASPORT_AZURE_FUNCTION_APP_URL": "http://localhost:7071",
        })
    );
    let with_topics = values(&common::app());
    assert!(with_topics["ServiceBusConnection"]
        .as_str()
        .is_some_and(|c| c.starts_with("Endpoint=sb://")));
}
