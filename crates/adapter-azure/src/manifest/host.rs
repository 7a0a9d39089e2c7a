//! `host.json` and `local.settings.json`.

use std::time::Duration;

use faasport_core::contract::{delivery_attempts, DEFAULT_MAX_RECEIVE_COUNT};
use faasport_core::App;
use serde_json::{json, Map, Value};

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

pub(super) fn local_settings() -> Value {
    json!({
        "IsEncrypted": false,
        "Values": {
            "FUNCTIONS_WORKER_RUNTIME": "custom",
            "AzureWebJobsStorage": "UseDevelopmentStorage=true",
        },
    })
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
