//! `host.json` and `local.settings.json`.

use std::time::Duration;

use faasport_core::contract::{delivery_attempts, DEFAULT_MAX_RECEIVE_COUNT};
use faasport_core::App;
use serde_json::{json, Map, Value};

use crate::bindings::service_bus::SERVICE_BUS_CONNECTION;
use crate::bindings::storage::{BLOB_URL_ENV, QUEUE_URL_ENV};
use crate::names::FUNCTION_APP_URL_ENV;

use super::{HttpMode, ProjectOptions};

/// The extension bundle range: 4.x, the active one (`wire-protocols.md` §3.11).
pub(super) const EXTENSION_BUNDLE: &str = "[4.*, 5.0.0)";

pub(super) fn host_json(app: &App, options: &ProjectOptions) -> Value {
    let mut custom_handler = Map::new();
    custom_handler.insert(
        "description".into(),
        json!({
            "defaultExecutablePath": options.executable,
            "workingDirectory": "",
            "arguments": [],
        }),
    );
    match options.http_mode {
        HttpMode::Proxying => {
            custom_handler.insert("enableProxyingHttpRequest".into(), Value::Bool(true));
        }
        HttpMode::Forwarding => {
            custom_handler.insert("enableForwardingHttpRequest".into(), Value::Bool(true));
        }
        HttpMode::Json => {}
    }
    let longest = app
        .functions()
        .iter()
        .map(|f| f.spec().timeout)
        .max()
        .unwrap_or(faasport_core::DEFAULT_TIMEOUT);
    // One value for every queue trigger, invoke queues included: the largest declared.
    let invoked = crate::names::invoked(app);
    let callees = app
        .functions()
        .iter()
        .filter(|f| invoked.contains(f.name()))
        .map(|f| delivery_attempts(&f.spec().retry));
    let max_dequeue = app
        .queues()
        .iter()
        .map(|q| q.max_receive_count.unwrap_or(DEFAULT_MAX_RECEIVE_COUNT))
        .chain(callees)
        .max()
        .unwrap_or(DEFAULT_MAX_RECEIVE_COUNT);
    json!({
        "version": "2.0",
        "functionTimeout": timespan(longest),
        "customHandler": custom_handler,
        "extensionBundle": {
            "id": "Microsoft.Azure.Functions.ExtensionBundle",
            "version": EXTENSION_BUNDLE,
        },
        "extensions": {
            "http": { "routePrefix": "" },
            "queues": { "maxDequeueCount": max_dequeue },
        },
    })
}

/// The HTTP mode a `host.json` document sets (the flags the host reads; neither is JSON mode).
pub(super) fn http_mode_of(host: &Value) -> HttpMode {
    let flag = |name: &str| host["customHandler"][name].as_bool() == Some(true);
    if flag("enableProxyingHttpRequest") {
        HttpMode::Proxying
    } else if flag("enableForwardingHttpRequest") {
        HttpMode::Forwarding
    } else {
        HttpMode::Json
    }
}

/// Azurite's blob and queue endpoints for its well-known account, on their default ports.
pub const AZURITE_BLOB_URL: &str = "http://127.0.0.1:10000/devstoreaccount1";
/// See [`AZURITE_BLOB_URL`].
pub const AZURITE_QUEUE_URL: &str = "http://127.0.0.1:10001/devstoreaccount1";

/// An account SAS for Azurite's `devstoreaccount1` (blob and queue; service, container and
/// object; every permission; `http` allowed; until 2099), signed with the account's
/// well-known, published development key. It opens nothing but a local emulator; the
/// adapter's tests recompute it from the key and use it against a real Azurite.
pub const AZURITE_ACCOUNT_SAS: &str = "sv=2025-11-05&ss=bq&srt=sco&sp=rwdlacup&se=2099-01-01T00%3A00%3A00Z&spr=https%2Chttp&sig=CF5xUaYHhbNX%2B2dJp1t5qA7w1A1%2BqZapFXjsm09G%2Bd4%3D";

/// Where `func start` serves the app (its default port).
const FUNC_START_URL: &str = "http://localhost:7071";

pub(super) fn local_settings(app: &App) -> Value {
    let mut values = json!({
        "FUNCTIONS_WORKER_RUNTIME": "custom",
        "AzureWebJobsStorage": "UseDevelopmentStorage=true",
        QUEUE_URL_ENV: format!("{AZURITE_QUEUE_URL}?{AZURITE_ACCOUNT_SAS}"),
        BLOB_URL_ENV: format!("{AZURITE_BLOB_URL}?{AZURITE_ACCOUNT_SAS}"),
        FUNCTION_APP_URL_ENV: FUNC_START_URL,
    });
    let uses_topics = !app.declared().topics.is_empty()
        || app.functions().iter().any(|f| {
            f.triggers()
                .iter()
                .any(|t| matches!(t, faasport_core::Trigger::Topic { .. }))
        });
    if uses_topics {
        // No Service Bus emulator runs from the registries: the developer fills this in.
        values[SERVICE_BUS_CONNECTION] = Value::from(
            "Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=<key name>;SharedAccessKey=<key>",
        );
    }
    json!({ "IsEncrypted": false, "Values": values })
}

/// `hh:mm:ss`, rounded up to the second.
pub(super) fn timespan(duration: Duration) -> String {
    let secs = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_http_mode_is_read_back_from_host_json() {
        let app = App::new("a");
        for mode in [HttpMode::Proxying, HttpMode::Forwarding, HttpMode::Json] {
            let options = ProjectOptions::default().http_mode(mode);
            assert_eq!(http_mode_of(&host_json(&app, &options)), mode);
        }
    }

    #[test]
    fn timespans_round_up_to_the_second() {
        assert_eq!(timespan(Duration::from_secs(600)), "00:10:00");
        assert_eq!(timespan(Duration::from_millis(1500)), "00:00:02");
        assert_eq!(timespan(Duration::from_secs(3661)), "01:01:01");
    }
}
