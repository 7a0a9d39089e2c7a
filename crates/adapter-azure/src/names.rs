//! Azure function names: how a faasport function and its triggers become Azure functions, and
//! back.
//!
//! An Azure function has exactly one trigger, so a faasport function becomes one Azure function
//! per trigger. The manifest writes one folder per [`AzureFunction`] and the runtime routes each
//! invocation (`POST /{AzureFunctionName}`) back through the same table, so the two cannot
//! disagree.
//!
//! | faasport function | Azure function(s), in this order |
//! |---|---|
//! | one trigger | the function's own name (`create-order`) |
//! | several triggers | `<function>-<kind>-<n>`, `n` counting from 1 in declaration order (`bill-queue-1`, `bill-http-2`) |
//! | every function: its synchronous invoke endpoint ([`Entry::Invoke`]) | an HTTP trigger on [`INVOKE_ROUTE_PREFIX`]`/<function>` (`authLevel: function`), named `<function>-invoke`, or the function's own name when it has no trigger |
//! | a function some function may invoke: its asynchronous invoke queue ([`Entry::InvokeQueue`]) | a queue trigger on [`invoke_queue_name`] (`faasport-invoke-<function>`), named `<function>-async` |
//!
//! So every function can be invoked synchronously (over HTTP) and every function that another
//! declares it invokes can be invoked asynchronously (a message on its invoke queue), as on
//! the other backends ([`crate::bindings`]).
//!
//! Azure accepts function names that start with a letter and hold only letters, digits, `-` and
//! `_`, up to 127 characters ([`check_name`]); two entries may not share a name
//! ([`check_unique`]).

use std::collections::BTreeMap;

use faasport_core::{App, Function, ResourceKind, Trigger};

/// The route prefix of every function's invoke endpoint: `POST /faasport-invoke/<name>`
/// with the JSON payload as the body.
pub const INVOKE_ROUTE_PREFIX: &str = "faasport-invoke";

/// The binding name of every trigger in the generated `function.json` files (the key of the
/// trigger's value in the invocation's `Data`).
pub const TRIGGER_BINDING: &str = "trigger";

/// The binding name of the HTTP output (`Outputs.res`).
pub const HTTP_OUTPUT_BINDING: &str = "res";

/// The longest Azure function name.
const MAX_NAME_LEN: usize = 127;

/// What reaches an Azure function.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Entry {
    /// One of the faasport function's own triggers.
    Trigger(Trigger),
    /// Its synchronous invoke endpoint: `POST /faasport-invoke/<function>` with the JSON
    /// payload as the body ([`invoke_path`]).
    Invoke,
    /// Its asynchronous invoke queue ([`invoke_queue_name`]): each message is one JSON payload.
    InvokeQueue,
}

/// One Azure function: a faasport function with one of its triggers, or one of its invoke
/// entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureFunction {
    /// The Azure function name (its folder in the project, the path of its invocations).
    pub name: String,
    /// The faasport function it runs.
    pub function: String,
    /// What reaches it.
    pub entry: Entry,
}

impl AzureFunction {
    /// Whether the host sees an HTTP trigger with one HTTP output: proxied in proxying mode.
    pub fn is_http(&self) -> bool {
        matches!(
            self.entry,
            Entry::Invoke | Entry::Trigger(Trigger::Http { .. })
        )
    }

    /// The trigger, for an entry that is one of the function's own triggers.
    pub fn trigger(&self) -> Option<&Trigger> {
        match &self.entry {
            Entry::Trigger(trigger) => Some(trigger),
            _ => None,
        }
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

/// The Azure functions of `app`: for each function in declaration order, its triggers, its
/// invoke endpoint, and its invoke queue when some function may invoke it ([`invoked`]).
///
/// # Examples
/// ```
/// use faasport_adapter_azure::names::azure_functions;
/// use faasport_core::{App, Context, Error, Event, Function, http::Method};
///
/// async fn f(_: Event, _: Context) -> Result<(), Error> { Ok(()) }
/// let app = App::new("shop")
///     .queue("jobs")
///     .function(Function::new("bill", f).queue("jobs").http(Method::POST, "/bill").sends("jobs"))
///     .function(Function::new("ship", f).queue("jobs").invokes("pack"))
///     .function(Function::new("pack", f).sends("jobs"));
/// let names: Vec<String> = azure_functions(&app).into_iter().map(|a| a.name).collect();
/// assert_eq!(
///     names,
///     ["bill-queue-1", "bill-http-2", "bill-invoke", "ship", "ship-invoke", "pack", "pack-async"]
/// );
/// ```
pub fn azure_functions(app: &App) -> Vec<AzureFunction> {
    let invoked = invoked(app);
    app.functions()
        .iter()
        .flat_map(|f| of_function(f, invoked.contains(f.name())))
        .collect()
}

/// The functions that some function of `app` may invoke: each gets an invoke queue
/// ([`App::invoked`], core's access rule).
pub fn invoked(app: &App) -> std::collections::BTreeSet<String> {
    app.invoked()
}

fn of_function(function: &Function, invoked: bool) -> Vec<AzureFunction> {
    let name = function.name();
    let entry = |azure: String, entry| AzureFunction {
        name: azure,
        function: name.to_owned(),
        entry,
    };
    let mut out: Vec<AzureFunction> = match function.triggers() {
        [] => Vec::new(),
        [only] => vec![entry(name.to_owned(), Entry::Trigger(only.clone()))],
        several => several
            .iter()
            .enumerate()
            .map(|(i, trigger)| {
                let azure = format!("{name}-{}-{}", trigger_slug(trigger), i + 1);
                entry(azure, Entry::Trigger(trigger.clone()))
            })
            .collect(),
    };
    let invoke = if out.is_empty() {
        name.to_owned()
    } else {
        format!("{name}-invoke")
    };
    out.push(entry(invoke, Entry::Invoke));
    if invoked {
        out.push(entry(format!("{name}-async"), Entry::InvokeQueue));
    }
    out
}

/// Two entries of `functions` with the same Azure name (a function named `bill-invoke` next to
/// `bill`'s invoke endpoint, say).
///
/// # Errors
/// [`InvalidName`] for the first name used twice.
pub fn check_unique(functions: &[AzureFunction]) -> Result<(), InvalidName> {
    let mut seen = std::collections::BTreeSet::new();
    for azure in functions {
        if !seen.insert(azure.name.as_str()) {
            return Err(InvalidName {
                name: azure.name.clone(),
                reason: "two Azure functions of the app would have this name (rename the faasport function)",
            });
        }
    }
    Ok(())
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

/// The path of a function's invoke endpoint (`/faasport-invoke/<function>`).
pub fn invoke_path(function: &str) -> String {
    format!("/{INVOKE_ROUTE_PREFIX}/{function}")
}

/// The longest invoke queue name: Storage's 63, less the `-poison` the host appends.
const MAX_INVOKE_QUEUE_LEN: usize = 63 - POISON_SUFFIX.len();

/// The Storage queue through which `function` is invoked asynchronously:
/// `faasport-invoke-<function>`, made a valid queue name (lower case, `_` and other characters
/// as `-`, no doubled `-`). A name longer than 56 characters (so that the host's
/// `<queue>-poison` still fits in 63) keeps 47 and ends with 8 hex digits of a hash of the
/// whole name, so two long names stay apart.
///
/// # Examples
/// ```
/// use faasport_adapter_azure::names::invoke_queue_name;
///
/// assert_eq!(invoke_queue_name("Resize_Image"), "faasport-invoke-resize-image");
/// assert_eq!(invoke_queue_name(&"a".repeat(60)).len(), 56);
/// ```
pub fn invoke_queue_name(function: &str) -> String {
    let mut name = String::from(INVOKE_QUEUE_PREFIX);
    for c in function.chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '-'
        };
        if !(c == '-' && name.ends_with('-')) {
            name.push(c);
        }
    }
    let name = name.trim_end_matches('-').to_owned();
    if name.len() <= MAX_INVOKE_QUEUE_LEN {
        return name;
    }
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let hash = function.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    let kept = name[..MAX_INVOKE_QUEUE_LEN - 9].trim_end_matches('-');
    format!("{kept}-{hash:08x}")
}

/// The prefix of every invoke queue ([`invoke_queue_name`]).
pub const INVOKE_QUEUE_PREFIX: &str = "faasport-invoke-";

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
/// keeps its own name, and the custom handler forwards the exhausted messages to it
/// ([`crate::dead_letter`]).
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
/// | function `double`, asynchronously | `FAASPORT_FUNCTION_DOUBLE_QUEUE` ([`invoke_queue_env_var`]) | its invoke queue (`faasport-invoke-double`) |
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

/// The app setting that overrides the Storage queue through which `function` is invoked
/// asynchronously (`FAASPORT_FUNCTION_<NAME>_QUEUE`; default [`invoke_queue_name`]).
pub fn invoke_queue_env_var(function: &str) -> String {
    format!(
        "FAASPORT_FUNCTION_{}_QUEUE",
        faasport_core::contract::env_name(function)
    )
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
    invoke_queues: BTreeMap<String, String>,
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
            invoke_queues: BTreeMap::new(),
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
                if kind == ResourceKind::Function {
                    if let Some(queue) = env(&invoke_queue_env_var(name)) {
                        names = names.with_invoke_queue(name, queue);
                    }
                }
            }
        }
        names
    }

    /// Sets the Storage queue through which `function` is invoked asynchronously.
    pub fn with_invoke_queue(mut self, function: &str, queue: impl Into<String>) -> Self {
        self.invoke_queues.insert(function.to_owned(), queue.into());
        self
    }

    /// The Storage queue through which `function` is invoked asynchronously: its setting, else
    /// [`invoke_queue_name`].
    pub fn invoke_queue(&self, function: &str) -> String {
        self.invoke_queues
            .get(function)
            .cloned()
            .unwrap_or_else(|| invoke_queue_name(function))
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

    #[test]
    fn invoke_queue_names_are_valid_storage_queue_names_with_room_for_the_poison_suffix() {
        assert_eq!(invoke_queue_name("double"), "faasport-invoke-double");
        assert_eq!(invoke_queue_name("a__b--c_"), "faasport-invoke-a-b-c");
        let long = invoke_queue_name(&format!("f{}", "x".repeat(80)));
        let other = invoke_queue_name(&format!("f{}y", "x".repeat(80)));
        assert_eq!(long.len(), 56);
        assert_ne!(long, other);
        for name in [long, other, invoke_queue_name("A-")] {
            assert!(name.len() + POISON_SUFFIX.len() <= 63, "{name}");
            assert!(!name.contains("--") && !name.ends_with('-'), "{name}");
            assert!(name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        }
    }

    #[test]
    fn every_function_has_an_invoke_endpoint_and_invoked_ones_a_queue() {
        use faasport_core::{Context, Error, Event};
        async fn f(_: Event, _: Context) -> Result<(), Error> {
            Ok(())
        }
        let app = App::new("shop")
            .queue("jobs")
            .function(Function::new("bill", f).queue("jobs").invokes("pack"))
            // Each declares its access: one that declares nothing may invoke every function.
            .function(Function::new("pack", f).sends("jobs"))
            .function(Function::new("audit", f).queue("jobs").sends("jobs"));
        let entries: Vec<(String, Entry)> = azure_functions(&app)
            .into_iter()
            .map(|a| (a.name, a.entry))
            .collect();
        let jobs = |e: &Entry| matches!(e, Entry::Trigger(Trigger::Queue { queue, .. }) if queue == "jobs");
        assert_eq!(entries[0].0, "bill");
        assert!(jobs(&entries[0].1) && jobs(&entries[4].1));
        assert_eq!(
            entries[1..],
            [
                ("bill-invoke".to_owned(), Entry::Invoke),
                ("pack".to_owned(), Entry::Invoke),
                ("pack-async".to_owned(), Entry::InvokeQueue),
                ("audit".to_owned(), entries[4].1.clone()),
                ("audit-invoke".to_owned(), Entry::Invoke),
            ]
        );
        assert!(check_unique(&azure_functions(&app)).is_ok());
        let clash = App::new("shop")
            .function(Function::new("bill", f).queue("jobs"))
            .function(Function::new("bill-invoke", f))
            .queue("jobs");
        assert_eq!(
            check_unique(&azure_functions(&clash)).map_err(|e| e.name),
            Err("bill-invoke".to_owned())
        );
    }
}
