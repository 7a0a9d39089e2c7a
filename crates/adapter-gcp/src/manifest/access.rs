//! Per-function access: the IAM roles each function's service account gets, from what it
//! declares ([`Access`](faasport_core::Access)).
//!
//! | declared | role | on |
//! |---|---|---|
//! | `publishes(topic)` | `roles/pubsub.publisher` | the topic |
//! | `sends(queue)` | `roles/pubsub.publisher` | the queue's topic |
//! | `reads(bucket)` | `roles/storage.objectViewer` (get and list) | the bucket |
//! | `writes(bucket)` | `roles/storage.objectUser` | the bucket |
//! | `invokes(function)` | `roles/run.invoker` | the function's service (synchronous invokes) |
//! | `invokes(function)` | `roles/pubsub.publisher` | the function's invoke topic (asynchronous invokes, see [`crate::bindings`]) |
//!
//! Writing is `put` and `delete`. `roles/storage.objectCreator` creates objects but cannot
//! delete or overwrite them, and no predefined role deletes without reading, so a writer gets
//! `roles/storage.objectUser` (create, delete, get, list, update), which holds every permission
//! of `objectCreator`, and not `roles/storage.objectAdmin`, which also manages object ACLs. This
//! is the same widening as the SAM template's `S3CrudPolicy`.
//!
//! A function that declares nothing gets the app-level set: every role above on every resource
//! of the app (core's broader shorthand, [`Declared::access_of`](faasport_core::Declared)).
//! Triggers grant nothing: the delivery account calls the service, not the function's account.

use std::collections::BTreeSet;

use faasport_core::{App, Function, Operation};

/// A resource an IAM binding is on, by its faasport name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum IamResource {
    /// A declared topic's Pub/Sub topic.
    Topic(String),
    /// A declared queue's Pub/Sub topic.
    Queue(String),
    /// A declared bucket.
    Bucket(String),
    /// A function's Cloud Run service.
    Service(String),
    /// The Pub/Sub topic through which a function is invoked asynchronously.
    InvokeTopic(String),
}

/// One role granted to a function's service account on one resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct Binding {
    /// Where.
    pub resource: IamResource,
    /// The predefined role, e.g. `roles/pubsub.publisher`.
    pub role: &'static str,
}

/// Publishing to a topic or a queue's topic.
pub const PUBLISHER: &str = "roles/pubsub.publisher";
/// Reading a bucket.
pub const OBJECT_VIEWER: &str = "roles/storage.objectViewer";
/// Writing (and deleting in) a bucket.
pub const OBJECT_USER: &str = "roles/storage.objectUser";
/// Invoking a Cloud Run service.
pub const RUN_INVOKER: &str = "roles/run.invoker";

/// The roles `function`'s service account gets, in resource order: exactly what it declares,
/// or the app-level set when it declares nothing.
///
/// # Examples
/// ```
/// use faasport_adapter_gcp::manifest::{bindings, Binding, IamResource};
/// use faasport_core::{App, Context, Error, Function, TopicMessage};
///
/// async fn bill(_: TopicMessage, _: Context) -> Result<(), Error> { Ok(()) }
/// let app = App::new("shop").topic("orders").bucket("receipts")
///     .function(Function::new("bill", bill).subscribe("orders").writes("receipts"));
/// let roles: Vec<_> = bindings(&app, &app.functions()[0]).into_iter().map(|b| b.role).collect();
/// assert_eq!(roles, ["roles/storage.objectUser"]);
/// ```
pub fn bindings(app: &App, function: &Function) -> Vec<Binding> {
    let access = app.declared().access_of(function.name());
    let mut out = BTreeSet::new();
    let mut grant = |resource, role| {
        out.insert(Binding { resource, role });
    };
    for topic in access.names(Operation::Publish) {
        grant(IamResource::Topic(topic.to_owned()), PUBLISHER);
    }
    for queue in access.names(Operation::Send) {
        grant(IamResource::Queue(queue.to_owned()), PUBLISHER);
    }
    for bucket in access.names(Operation::Read) {
        if !access.allows(Operation::Write, bucket) {
            grant(IamResource::Bucket(bucket.to_owned()), OBJECT_VIEWER);
        }
    }
    for bucket in access.names(Operation::Write) {
        grant(IamResource::Bucket(bucket.to_owned()), OBJECT_USER);
    }
    for callee in access.names(Operation::Invoke) {
        grant(IamResource::Service(callee.to_owned()), RUN_INVOKER);
        grant(IamResource::InvokeTopic(callee.to_owned()), PUBLISHER);
    }
    out.into_iter().collect()
}

/// The functions some function of `app` may invoke: each gets an invoke topic
/// ([`App::invoked`], core's access rule).
pub(super) fn invoked(app: &App) -> BTreeSet<String> {
    app.invoked()
}

#[cfg(test)]
mod tests {
    use super::*;
    use faasport_core::{Context, Error, TopicMessage};

    async fn handler(_: TopicMessage, _: Context) -> Result<(), Error> {
        Ok(())
    }

    fn app() -> App {
        App::new("shop")
            .topic("orders")
            .topic("audit")
            .queue("invoices")
            .bucket("uploads")
            .bucket("rates")
            .function(
                Function::new("bill", handler)
                    .subscribe("orders")
                    .publishes("audit")
                    .sends("invoices")
                    .reads("rates")
                    .reads("uploads")
                    .writes("uploads")
                    .invokes("open"),
            )
            .function(Function::new("open", handler).subscribe("orders"))
    }

    #[test]
    fn a_function_gets_exactly_the_bindings_it_declared() {
        let app = app();
        let bill = app.get("bill").expect("bill");
        assert_eq!(
            bindings(&app, bill),
            [
                Binding {
                    resource: IamResource::Topic("audit".into()),
                    role: PUBLISHER
                },
                Binding {
                    resource: IamResource::Queue("invoices".into()),
                    role: PUBLISHER
                },
                Binding {
                    resource: IamResource::Bucket("rates".into()),
                    role: OBJECT_VIEWER
                },
                Binding {
                    resource: IamResource::Bucket("uploads".into()),
                    role: OBJECT_USER
                },
                Binding {
                    resource: IamResource::Service("open".into()),
                    role: RUN_INVOKER
                },
                Binding {
                    resource: IamResource::InvokeTopic("open".into()),
                    role: PUBLISHER
                },
            ]
        );
    }

    #[test]
    fn a_function_that_declares_nothing_gets_every_app_resource() {
        let app = app();
        let open = app.get("open").expect("open");
        let granted: Vec<(IamResource, &str)> = bindings(&app, open)
            .into_iter()
            .map(|b| (b.resource, b.role))
            .collect();
        assert_eq!(
            granted,
            [
                (IamResource::Topic("audit".into()), PUBLISHER),
                (IamResource::Topic("orders".into()), PUBLISHER),
                (IamResource::Queue("invoices".into()), PUBLISHER),
                (IamResource::Bucket("rates".into()), OBJECT_USER),
                (IamResource::Bucket("uploads".into()), OBJECT_USER),
                (IamResource::Service("bill".into()), RUN_INVOKER),
                (IamResource::Service("open".into()), RUN_INVOKER),
                (IamResource::InvokeTopic("bill".into()), PUBLISHER),
                (IamResource::InvokeTopic("open".into()), PUBLISHER),
            ]
        );
    }
}
