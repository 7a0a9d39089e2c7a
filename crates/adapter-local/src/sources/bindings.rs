//! [`LocalBindings`]: the core resource traits served by the local sources, so a handler's
//! `cx.topic(..)`, `cx.queue(..)`, `cx.bucket(..)` and `cx.function(..)` reach them.
//!
//! [`Context`](faasport_core::Context) refuses undeclared resources before a binding is called;
//! the bindings check again, so a direct call names the missing resource too.

use std::sync::{Arc, OnceLock, Weak};

use futures::future::BoxFuture;

use faasport_core::resource::{FunctionInvoker, ObjectStore, QueueSender, TopicPublisher};
use faasport_core::{
    Bindings, Error, Event, InvokeMode, Message, Object, ObjectInfo, ResourceKind,
};

use super::Hub;

/// The local implementation of every resource binding. It refers to the sources weakly (the
/// runtime holds the bindings, the sources hold the runtime), so dropping the sources ends it.
#[derive(Debug, Clone, Default)]
pub(crate) struct LocalBindings {
    hub: Arc<OnceLock<Weak<Hub>>>,
}

impl LocalBindings {
    /// Bindings to be connected later with [`LocalBindings::connect`]; until then every call
    /// fails with an error that says to build the runtime with sources.
    pub(crate) fn unconnected() -> Self {
        Self::default()
    }

    pub(crate) fn connect(&self, hub: &Arc<Hub>) {
        // A second connect cannot happen: the builder connects once.
        let _ = self.hub.set(Arc::downgrade(hub));
    }

    /// The four core bindings.
    pub(crate) fn bindings(&self) -> Bindings {
        let me = Arc::new(self.clone());
        Bindings::none()
            .with_topics(me.clone())
            .with_queues(me.clone())
            .with_objects(me.clone())
            .with_invoker(me)
    }

    /// The sources; [`Error::ShuttingDown`] once they are dropped, and an error naming the fix
    /// for a runtime built without sources ([`LocalRuntime::new`](crate::LocalRuntime::new)).
    fn hub(&self, kind: ResourceKind, name: &str) -> Result<Arc<Hub>, Error> {
        match self.hub.get() {
            Some(hub) => hub.upgrade().ok_or(Error::ShuttingDown),
            None => Err(Error::NoBinding {
                kind,
                name: name.to_owned(),
                provider: faasport_core::Provider::Local,
                fix: "this runtime was built without the local event sources \
                      (`LocalRuntime::new`): build it with `LocalCloud::builder(app)`, or test \
                      with `faasport::testing::TestApp`, to have topics, queues, buckets and \
                      function calls"
                    .to_owned(),
            }),
        }
    }
}

impl TopicPublisher for LocalBindings {
    fn publish<'a>(
        &'a self,
        topic: &'a str,
        message: Message,
    ) -> BoxFuture<'a, Result<String, Error>> {
        Box::pin(async move {
            self.hub(ResourceKind::Topic, topic)?
                .publish_with_room(topic, message)
                .await
        })
    }
}

impl QueueSender for LocalBindings {
    fn send<'a>(
        &'a self,
        queue: &'a str,
        message: Message,
    ) -> BoxFuture<'a, Result<String, Error>> {
        Box::pin(async move {
            self.hub(ResourceKind::Queue, queue)?
                .send_with_room(queue, message)
                .await
        })
    }
}

impl ObjectStore for LocalBindings {
    fn get<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Object>, Error>> {
        Box::pin(async move {
            self.hub(ResourceKind::Bucket, bucket)?
                .get_object(bucket, key)
                .await
        })
    }

    fn put<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        object: Object,
    ) -> BoxFuture<'a, Result<ObjectInfo, Error>> {
        Box::pin(async move {
            self.hub(ResourceKind::Bucket, bucket)?
                .put_object(bucket, key, object)
                .await
        })
    }

    fn delete<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            self.hub(ResourceKind::Bucket, bucket)?
                .delete_object(bucket, key)
                .await
        })
    }

    fn list<'a>(
        &'a self,
        bucket: &'a str,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ObjectInfo>, Error>> {
        Box::pin(async move {
            self.hub(ResourceKind::Bucket, bucket)?
                .list_objects(bucket, prefix)
                .await
        })
    }
}

impl FunctionInvoker for LocalBindings {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: serde_json::Value,
        mode: InvokeMode,
    ) -> BoxFuture<'a, Result<Option<serde_json::Value>, Error>> {
        Box::pin(async move {
            let hub = self.hub(ResourceKind::Function, function)?;
            let event = Event::try_from_json(payload)?;
            match mode {
                InvokeMode::Sync => {
                    let invocation = hub.runtime.invoke(function, event).await?;
                    Ok(Some(invocation.result?.to_json()))
                }
                InvokeMode::Async => hub.invoke_async(function, event).map(|_| None),
            }
        })
    }
}
