//! [`Access`]: what one function may do with the app's resources.
//!
//! A function declares its outbound uses on [`Function`](crate::Function):
//! [`publishes`](crate::Function::publishes) to a topic,
//! [`sends`](crate::Function::sends) to a queue, [`reads`](crate::Function::reads) or
//! [`writes`](crate::Function::writes) a bucket, [`invokes`](crate::Function::invokes) another
//! function. Each is an [`Operation`] on a named resource.
//!
//! The rule, enforced by [`Context`](crate::Context) on every backend and followed by every
//! manifest writer:
//!
//! - a function that declares **any** access may use only what it declared; anything else fails
//!   with [`Error::Undeclared`](crate::Error::Undeclared) naming the function and the resource,
//!   and the manifests grant it only those permissions;
//! - a function that declares **nothing** falls back to the app-level declarations: it may
//!   publish to every topic, send to every queue, read and write every bucket and invoke every
//!   function of the app. This is the broader shorthand, fine for a prototype; declare per
//!   function to get least privilege.
//!
//! Triggers grant nothing: subscribing to a topic does not allow publishing to it, and consuming
//! a queue does not allow sending to it. Dead-letter targets need no declaration either: the
//! platform forwards to them, not the handler.
//!
//! Reading a bucket covers `get` and `list`; writing covers `put` and `delete`. They are
//! separate locally; on AWS no managed policy grants writing without reading, so a writer gets
//! `S3CrudPolicy` (see the SAM writer).

use std::collections::BTreeSet;
use std::fmt;

use crate::ResourceKind;

/// One thing a function does with a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Publish to a topic.
    Publish,
    /// Send to a queue.
    Send,
    /// Read a bucket: get and list objects.
    Read,
    /// Write a bucket: put and delete objects.
    Write,
    /// Invoke a function, synchronously or asynchronously.
    Invoke,
}

impl Operation {
    /// The kind of resource the operation acts on.
    pub fn kind(self) -> ResourceKind {
        match self {
            Operation::Publish => ResourceKind::Topic,
            Operation::Send => ResourceKind::Queue,
            Operation::Read | Operation::Write => ResourceKind::Bucket,
            Operation::Invoke => ResourceKind::Function,
        }
    }

    /// The operation as a phrase before the resource: `publishing to`, `reading from`, ...
    fn phrase(self) -> &'static str {
        match self {
            Operation::Publish => "publishing to",
            Operation::Send => "sending to",
            Operation::Read => "reading from",
            Operation::Write => "writing to",
            Operation::Invoke => "invoking",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Publish => "publish",
            Operation::Send => "send",
            Operation::Read => "read",
            Operation::Write => "write",
            Operation::Invoke => "invoke",
        })
    }
}

/// Which declaration a refused use was missing (see [`Error::Undeclared`](crate::Error)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope {
    /// The function declares access, but not this use.
    Function,
    /// The app does not declare the resource (the function declares nothing, or there is no
    /// function: a direct call into the local sources).
    App,
}

/// The operations one function declared, each on a named resource.
///
/// # Examples
/// ```
/// use faasport_core::{Access, Function, Operation, Context, Error, TopicMessage};
///
/// async fn bill(_msg: TopicMessage, _cx: Context) -> Result<(), Error> { Ok(()) }
///
/// let f = Function::new("bill", bill).subscribe("orders").publishes("invoices").reads("rates");
/// assert!(f.access().allows(Operation::Publish, "invoices"));
/// assert!(!f.access().allows(Operation::Publish, "orders"));
/// assert!(!f.access().allows(Operation::Write, "rates"));
/// assert_eq!(f.access().names(Operation::Read).collect::<Vec<_>>(), ["rates"]);
/// assert_eq!(Access::new(), Access::default());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Access {
    grants: BTreeSet<(Operation, String)>,
}

impl Access {
    /// No access declared.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `operation` on the resource `name`.
    pub fn grant(mut self, operation: Operation, name: impl Into<String>) -> Self {
        self.grants.insert((operation, name.into()));
        self
    }

    /// Whether `operation` on `name` is declared.
    pub fn allows(&self, operation: Operation, name: &str) -> bool {
        // BTreeSet<(Operation, String)> cannot be probed with a borrowed &str; the set is small.
        self.grants
            .iter()
            .any(|(op, granted)| *op == operation && granted == name)
    }

    /// Whether nothing is declared (the function falls back to the app-level declarations).
    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// The resources `operation` is declared on, in name order.
    pub fn names(&self, operation: Operation) -> impl Iterator<Item = &str> + '_ {
        self.grants
            .iter()
            .filter(move |(op, _)| *op == operation)
            .map(|(_, name)| name.as_str())
    }

    /// Every declared operation with its resource, by operation then name.
    pub fn iter(&self) -> impl Iterator<Item = (Operation, &str)> + '_ {
        self.grants.iter().map(|(op, name)| (*op, name.as_str()))
    }
}

/// The message of [`Error::Undeclared`](crate::Error::Undeclared).
pub(crate) fn undeclared_message(
    function: Option<&str>,
    operation: Operation,
    name: &str,
    scope: Scope,
) -> String {
    let kind = operation.kind();
    match (function, scope) {
        (Some(function), Scope::Function) => format!(
            "function `{function}` does not declare {} {kind} `{name}`",
            operation.phrase()
        ),
        (Some(function), Scope::App) => {
            format!("function `{function}` uses {kind} `{name}`, which the app does not declare")
        }
        (None, _) => format!("{kind} `{name}` is not declared by the app"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures::future::BoxFuture;

    use crate::resource::TopicPublisher;
    use crate::{
        App, AppError, Bindings, Context, Error, Function, Message, Operation, ResourceKind,
        Resources, Scope, TopicMessage,
    };

    async fn handler(_msg: TopicMessage, _cx: Context) -> Result<(), Error> {
        Ok(())
    }

    fn shop() -> App {
        App::new("shop")
            .topic("orders")
            .topic("audit")
            .queue("invoices")
            .bucket("uploads")
            .function(Function::new("open", handler).subscribe("orders"))
            .function(
                Function::new("bill", handler)
                    .subscribe("orders")
                    .sends("invoices")
                    .reads("uploads"),
            )
    }

    #[derive(Default)]
    struct Published(Mutex<Vec<String>>);

    impl TopicPublisher for Published {
        fn publish<'a>(
            &'a self,
            topic: &'a str,
            _message: Message,
        ) -> BoxFuture<'a, Result<String, Error>> {
            let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
            seen.push(topic.to_owned());
            let id = format!("msg-{}", seen.len());
            Box::pin(async move { Ok(id) })
        }
    }

    #[test]
    fn a_function_that_declares_nothing_may_use_every_app_resource() {
        let declared = shop().declared();
        for (op, name) in [
            (Operation::Publish, "orders"),
            (Operation::Publish, "audit"),
            (Operation::Send, "invoices"),
            (Operation::Read, "uploads"),
            (Operation::Write, "uploads"),
            (Operation::Invoke, "bill"),
            (Operation::Invoke, "open"),
        ] {
            assert!(declared.allows("open", op, name), "{op} {name}");
        }
        assert!(!declared.allows("open", Operation::Publish, "nope"));
        assert_eq!(declared.access_of("open").iter().count(), 7);
    }

    #[test]
    fn a_function_that_declares_access_may_use_only_what_it_declared() {
        let declared = shop().declared();
        assert!(declared.allows("bill", Operation::Send, "invoices"));
        assert!(declared.allows("bill", Operation::Read, "uploads"));
        assert!(!declared.allows("bill", Operation::Write, "uploads"));
        assert!(!declared.allows("bill", Operation::Invoke, "open"));
        // Its trigger grants nothing: it subscribes to `orders` but may not publish there.
        assert!(!declared.allows("bill", Operation::Publish, "orders"));
        assert_eq!(
            declared.access_of("bill").iter().collect::<Vec<_>>(),
            [(Operation::Send, "invoices"), (Operation::Read, "uploads")]
        );
    }

    #[test]
    fn an_undeclared_use_names_the_function_the_operation_and_the_resource() {
        let declared = shop().declared();
        let err = declared
            .check("bill", Operation::Publish, "audit")
            .expect_err("not declared by bill");
        assert_eq!(
            err.to_string(),
            "function `bill` does not declare publishing to topic `audit`"
        );
        assert!(matches!(
            err,
            Error::Undeclared { function: Some(ref f), operation: Operation::Publish, ref name, scope: Scope::Function }
                if f == "bill" && name == "audit"
        ));
        let err = declared
            .check("bill", Operation::Write, "uploads")
            .expect_err("bill only reads");
        assert_eq!(
            err.to_string(),
            "function `bill` does not declare writing to bucket `uploads`"
        );
        let err = declared
            .check("open", Operation::Send, "refunds")
            .expect_err("not declared by the app");
        assert_eq!(
            err.to_string(),
            "function `open` uses queue `refunds`, which the app does not declare"
        );
        assert!(!err.is_retryable());
    }

    #[test]
    fn per_function_access_must_name_resources_the_app_declares() {
        let err = shop()
            .function(Function::new("leak", handler).publishes("secrets"))
            .validate()
            .expect_err("undeclared topic");
        assert_eq!(
            err,
            AppError::Undeclared {
                function: "leak".into(),
                kind: ResourceKind::Topic,
                name: "secrets".into(),
            }
        );
        assert_eq!(
            err.to_string(),
            "function `leak` uses topic `secrets`, which the app does not declare"
        );
        let err = shop()
            .function(Function::new("caller", handler).invokes("ghost"))
            .validate()
            .expect_err("no such function");
        assert_eq!(
            err.to_string(),
            "function `caller` uses function `ghost`, which the app does not declare"
        );
    }

    #[tokio::test]
    async fn a_context_checks_the_access_of_its_own_function() {
        let app = shop().function(Function::new("announce", handler).publishes("audit"));
        let published = Arc::new(Published::default());
        let resources = Resources::new(
            app.declared(),
            Bindings::none().with_topics(published.clone()),
        );
        let cx = |function: &str| {
            Context::new("r1", function.to_owned()).with_resources(resources.clone())
        };
        cx("announce")
            .topic("audit")
            .publish(Message::new("x"))
            .await
            .expect("declared");
        cx("open")
            .topic("orders")
            .publish(Message::new("x"))
            .await
            .expect("falls back to the app");
        let err = cx("announce")
            .topic("orders")
            .publish(Message::new("x"))
            .await
            .expect_err("announce declares only audit");
        assert_eq!(
            err.to_string(),
            "function `announce` does not declare publishing to topic `orders`"
        );
        let err = cx("bill")
            .topic("audit")
            .publish(Message::new("x"))
            .await
            .expect_err("bill declares no publishing");
        assert_eq!(
            err.to_string(),
            "function `bill` does not declare publishing to topic `audit`"
        );
        assert_eq!(
            *published.0.lock().unwrap_or_else(|e| e.into_inner()),
            ["audit", "orders"]
        );
    }
}
