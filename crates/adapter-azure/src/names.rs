//! Azure function names: how a faasport function and its triggers become Azure functions, and
//! back.
//!
//! An Azure function has exactly one trigger, so a faasport function becomes one Azure function
//! per trigger. The manifest writes one folder per [`AzureFunction`] and the runtime routes each
//! invocation (`POST /{AzureFunctionName}`) back through the same table, so the two cannot
//! disagree.
//!
//! | faasport function | Azure function(s) |
//! |---|---|
//! | one trigger | the function's own name (`create-order`) |
//! | several triggers | `<function>-<kind>-<n>`, `n` counting from 1 in declaration order (`bill-queue-1`, `bill-http-2`) |
//! | no trigger (invoked by other functions, or directly) | the function's own name, with an HTTP trigger on [`INVOKE_ROUTE_PREFIX`]`/<function>` (`authLevel: function`) |
//!
//! Azure accepts function names that start with a letter and hold only letters, digits, `-` and
//! `_`, up to 127 characters ([`check_name`]).

use std::collections::BTreeMap;

use faasport_core::{App, Function, ResourceKind, Trigger};

/// The route prefix of a triggerless function's invoke endpoint: `POST /faasport-invoke/<name>`
/// with the JSON payload as the body.
pub const INVOKE_ROUTE_PREFIX: &str = "faasport-invoke";

/// The binding name of every trigger in the generated `function.json` files (the key of the
/// trigger's value in the invocation's `Data`).
pub const TRIGGER_BINDING: &str = "trigger";

/// The binding name of the HTTP output (`Outputs.res`).
pub const HTTP_OUTPUT_BINDING: &str = "res";

/// The longest Azure function name.
const MAX_NAME_LEN: usize = 127;

/// One Azure function: a faasport function with one of its triggers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureFunction {
    /// The Azure function name (its folder in the project, the path of its invocations).
    pub name: String,
    /// The faasport function it runs.
    pub function: String,
    /// The trigger; `None` for the invoke endpoint of a triggerless function.
    pub trigger: Option<Trigger>,
}

impl AzureFunction {
    /// Whether the host sees an HTTP trigger with one HTTP output: proxied in proxying mode.
    pub fn is_http(&self) -> bool {
        matches!(self.trigger, None | Some(Trigger::Http { .. }))
    }
}

/// A function name Azure does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not a valid Azure function name: {reason}")]
pub struct InvalidName {
    /// The name.
    pub name: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// The Azure functions of `app`, in declaration order.
///
/// # Examples
/// ```
/// use faasport_adapter_azure::names::azure_functions;
/// use faasport_core::{App, Context, Error, Event, Function, http::Method};
///
/// async fn f(_: Event, _: Context) -> Result<(), Error> { Ok(()) }
/// let app = App::new("shop")
///     .queue("jobs")
///     .function(Function::new("bill", f).queue("jobs").http(Method::POST, "/bill"))
///     .function(Function::new("ship", f).queue("jobs"));
/// let names: Vec<String> = azure_functions(&app).into_iter().map(|a| a.name).collect();
/// assert_eq!(names, ["bill-queue-1", "bill-http-2", "ship"]);
/// ```
pub fn azure_functions(app: &App) -> Vec<AzureFunction> {
    app.functions().iter().flat_map(of_function).collect()
}

fn of_function(function: &Function) -> Vec<AzureFunction> {
    let name = function.name();
    match function.triggers() {
        [] => vec![AzureFunction {
            name: name.to_owned(),
            function: name.to_owned(),
            trigger: None,
        }],
        [only] => vec![AzureFunction {
            name: name.to_owned(),
            function: name.to_owned(),
            trigger: Some(only.clone()),
        }],
        several => several
            .iter()
            .enumerate()
            .map(|(i, trigger)| AzureFunction {
                name: format!("{name}-{}-{}", trigger_slug(trigger), i + 1),
                function: name.to_owned(),
                trigger: Some(trigger.clone()),
            })
            .collect(),
    }
}

/// The word for a trigger kind in Azure function names.
pub fn trigger_slug(trigger: &Trigger) -> &'static str {
    match trigger {
        Trigger::Http { .. } => "http",
        Trigger::Topic { .. } => "topic",
        Trigger::Queue { .. } => "queue",
        Trigger::Schedule { .. } => "timer",
        Trigger::Storage { .. } => "blob",
        Trigger::Change { .. } => "cosmos",
        Trigger::Stream { .. } => "stream",
        Trigger::CloudEvent { .. } => "eventgrid",
        _ => "trigger",
    }
}

/// The path of a triggerless function's invoke endpoint (`/faasport-invoke/<function>`).
pub fn invoke_path(function: &str) -> String {
    format!("/{INVOKE_ROUTE_PREFIX}/{function}")
}

/// Checks that Azure accepts `name` as a function name.
///
/// # Errors
/// [`InvalidName`] saying why not.
pub fn check_name(name: &str) -> Result<(), InvalidName> {
    let invalid = |reason| {
        Err(InvalidName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.len() > MAX_NAME_LEN {
        return invalid("longer than 127 characters");
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return invalid("it must start with a letter");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return invalid("only letters, digits, `-` and `_` are allowed");
    }
    Ok(())
}

/// The Azure resource name of a faasport queue, topic, bucket (container) or stream: lower
/// case, as Storage queue and container names must be.
pub fn resource_name(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The suffix of the queue where the host moves a Storage queue's messages after
/// `maxDequeueCount` failed attempts (`<queue>-poison`; not configurable).
pub const POISON_SUFFIX: &str = "-poison";

/// The Azure Storage queue name of a declared queue, as the manifest's `queueTrigger` and the
/// bindings use it.
///
/// The Functions host moves a queue's exhausted messages to `<queue>-poison`, a name it fixes.
/// A queue declared as the dead-letter queue of exactly one other queue
/// ([`App::dead_letter_queue_for`]) therefore *is* that queue's poison queue on Azure: a
/// function triggered by it reads `<queue>-poison`, and a send to it goes there. A queue that
/// is the dead-letter queue of several queues (an app-wide [`App::dead_letter`] default, say)
/// keeps its own name, and the exhausted messages stay in each `<queue>-poison`.
///
/// # Examples
/// ```
/// use faasport_adapter_azure::names::azure_queue_name;
/// use faasport_core::{App, QueueSpec};
///
/// let app = App::new("shop")
///     .queue_spec(QueueSpec::new("Orders").dead_letter_queue("orders-failed"))
///     .queue("orders-failed");
/// assert_eq!(azure_queue_name(&app, "Orders"), "orders");
/// assert_eq!(azure_queue_name(&app, "orders-failed"), "orders-poison");
/// ```
pub fn azure_queue_name(app: &App, queue: &str) -> String {
    let mut redriven = app
        .queues()
        .iter()
        .filter(|q| q.name != queue && app.dead_letter_queue_for(q) == Some(queue));
    match (redriven.next(), redriven.next()) {
        (Some(source), None) => format!("{}{POISON_SUFFIX}", resource_name(&source.name)),
        _ => resource_name(queue),
    }
}

/// The app setting that overrides the Azure name of a declared resource (the bindings use
/// [`resource_name`], or [`azure_queue_name`] for a queue, without it, as the generated
/// `function.json` triggers do).
///
/// | resource | variable | value (default) |
/// |---|---|---|
/// | queue `bill-queue` | `FAASPORT_QUEUE_BILL_QUEUE` | the Storage queue name (`bill-queue`) |
/// | bucket `Uploads` | `FAASPORT_BUCKET_UPLOADS` | the blob container name (`uploads`) |
/// | topic `orders` | `FAASPORT_TOPIC_ORDERS` | the Service Bus topic name (`orders`) |
/// | function `double` | `FAASPORT_FUNCTION_DOUBLE_URL` | the URL of its invoke endpoint (`$FAASPORT_AZURE_FUNCTION_APP_URL/faasport-invoke/double`) |
///
/// The name part is the faasport name in upper case with `-` turned into `_`
/// ([`env_name`](faasport_core::contract::env_name)).
pub fn env_var(kind: ResourceKind, name: &str) -> String {
    let upper = faasport_core::contract::env_name(name);
    match kind {
        ResourceKind::Topic => format!("FAASPORT_TOPIC_{upper}"),
        ResourceKind::Queue => format!("FAASPORT_QUEUE_{upper}"),
        ResourceKind::Bucket => format!("FAASPORT_BUCKET_{upper}"),
        ResourceKind::Function => format!("FAASPORT_FUNCTION_{upper}_URL"),
    }
}

/// The app setting with the base URL of the function app whose invoke endpoints
/// ([`invoke_path`]) the bindings call, e.g. `https://shop.azurewebsites.net`. Without it,
/// `https://$WEBSITE_HOSTNAME` (the host name Azure gives every function app).
pub const FUNCTION_APP_URL_ENV: &str = "FAASPORT_AZURE_FUNCTION_APP_URL";

/// The variable Azure sets to the function app's default host name.
pub const WEBSITE_HOSTNAME_ENV: &str = "WEBSITE_HOSTNAME";

/// The Azure names of an app's declared resources: each one's [`env_var`] when set, else the
/// name the generated `function.json` files use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceNames {
    ids: BTreeMap<(u8, String), String>,
    app_url: Option<String>,
}

fn kind_key(kind: ResourceKind) -> u8 {
    match kind {
        ResourceKind::Topic => 0,
        ResourceKind::Queue => 1,
        ResourceKind::Bucket => 2,
        ResourceKind::Function => 3,
    }
}

impl ResourceNames {
    /// Reads the overrides of `app`'s resources and the function app URL through `env`
    /// (usually `std::env::var`).
    pub fn from_env(app: &App, env: impl Fn(&str) -> Option<String>) -> Self {
        let env = |name: &str| {
            env(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let declared = app.declared();
        let mut names = Self {
            ids: BTreeMap::new(),
            app_url: env(FUNCTION_APP_URL_ENV)
                .or_else(|| env(WEBSITE_HOSTNAME_ENV).map(|host| format!("https://{host}"))),
        };
        let all = [
            (ResourceKind::Topic, &declared.topics),
            (ResourceKind::Queue, &declared.queues),
            (ResourceKind::Bucket, &declared.buckets),
            (ResourceKind::Function, &declared.functions),
        ];
        for (kind, list) in all {
            for name in list {
                if let Some(id) = env(&env_var(kind, name)) {
                    names = names.with(kind, name, id);
                } else if kind == ResourceKind::Queue {
                    names = names.with(kind, name, azure_queue_name(app, name));
                }
            }
        }
        names
    }

    /// Sets the Azure name (or, for a function, the invoke URL) of one resource.
    pub fn with(mut self, kind: ResourceKind, name: &str, id: impl Into<String>) -> Self {
        self.ids
            .insert((kind_key(kind), name.to_owned()), id.into());
        self
    }

    /// Sets the base URL of the function app.
    pub fn with_app_url(mut self, url: impl Into<String>) -> Self {
        self.app_url = Some(url.into());
        self
    }

    /// The Azure name of a queue, bucket (container) or topic.
    pub fn id(&self, kind: ResourceKind, name: &str) -> String {
        self.ids
            .get(&(kind_key(kind), name.to_owned()))
            .cloned()
            .unwrap_or_else(|| resource_name(name))
    }

    /// The URL of a function's invoke endpoint: its own setting, else the function app URL
    /// followed by [`invoke_path`]; `None` when neither is known.
    pub fn invoke_url(&self, function: &str) -> Option<String> {
        if let Some(url) = self
            .ids
            .get(&(kind_key(ResourceKind::Function), function.to_owned()))
        {
            return Some(url.clone());
        }
        let base = self.app_url.as_deref()?.trim_end_matches('/');
        Some(format!("{base}{}", invoke_path(function)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_azure_refuses_say_why() {
        assert!(check_name("create-order").is_ok());
        assert_eq!(
            check_name("9lives").map_err(|e| e.to_string()),
            Err("`9lives` is not a valid Azure function name: it must start with a letter".into())
        );
        assert_eq!(
            check_name("a.b").map_err(|e| e.reason),
            Err("only letters, digits, `-` and `_` are allowed")
        );
        assert_eq!(
            check_name(&"a".repeat(128)).map_err(|e| e.reason),
            Err("longer than 127 characters")
        );
    }

    #[test]
    fn resources_default_to_the_manifest_names_and_settings_override_them() {
        use faasport_core::{Context, Error, Event};
        async fn f(_: Event, _: Context) -> Result<(), Error> {
            Ok(())
        }
        let app = App::new("shop")
            .queue("Bill-Queue")
            .queue_spec(faasport_core::QueueSpec::new("jobs").dead_letter_queue("jobs-dlq"))
            .queue("jobs-dlq")
            .bucket("uploads")
            .function(Function::new("double", f))
            .function(Function::new("half", f));
        let env = |name: &str| match name {
            "FAASPORT_BUCKET_UPLOADS" => Some("uploads-prod".to_owned()),
            "FAASPORT_FUNCTION_HALF_URL" => Some("https://other.example/half".to_owned()),
            "WEBSITE_HOSTNAME" => Some("shop.azurewebsites.net".to_owned()),
            _ => None,
        };
        let names = ResourceNames::from_env(&app, env);
        assert_eq!(names.id(ResourceKind::Queue, "Bill-Queue"), "bill-queue");
        assert_eq!(names.id(ResourceKind::Queue, "jobs-dlq"), "jobs-poison");
        assert_eq!(names.id(ResourceKind::Bucket, "uploads"), "uploads-prod");
        assert_eq!(
            names.invoke_url("double").as_deref(),
            Some("https://shop.azurewebsites.net/faasport-invoke/double")
        );
        assert_eq!(
            names.invoke_url("half").as_deref(),
            Some("https://other.example/half")
        );
        assert_eq!(ResourceNames::default().invoke_url("double"), None);
        assert_eq!(
            env_var(ResourceKind::Queue, "bill-queue"),
            "FAASPORT_QUEUE_BILL_QUEUE"
        );
    }

    #[test]
    fn a_triggerless_function_is_invoked_on_its_own_route() {
        assert_eq!(invoke_path("double"), "/faasport-invoke/double");
    }
}
