//! Handles to resources, from [`Context`]: each checks that the function may do the operation
//! (publish, send, read, write, invoke; see [`Access`](crate::Access)), then calls the backend's
//! binding.

use std::sync::Arc;

use super::Context;
use crate::resource::{InvokeMode, Message, Object, ObjectInfo, ObjectStore};
use crate::{Body, Error, Operation};

/// A declared topic, from [`Context::topic`].
#[derive(Debug, Clone, Copy)]
pub struct TopicHandle<'a> {
    pub(super) cx: &'a Context,
    pub(super) name: &'a str,
}

impl TopicHandle<'_> {
    /// Publishes a message; returns its id.
    ///
    /// # Errors
    /// [`Error::Undeclared`] unless the function may publish to the topic; [`Error::Binding`] if the backend fails.
    pub async fn publish(&self, message: Message) -> Result<String, Error> {
        let topics = self
            .cx
            .binding(Operation::Publish, self.name, |b| b.topics.as_ref())?;
        topics.publish(self.name, message).await
    }
}

/// A declared queue, from [`Context::queue`].
#[derive(Debug, Clone, Copy)]
pub struct QueueHandle<'a> {
    pub(super) cx: &'a Context,
    pub(super) name: &'a str,
}

impl QueueHandle<'_> {
    /// Sends a message; returns its id.
    ///
    /// # Errors
    /// [`Error::Undeclared`] unless the function may send to the queue; [`Error::Binding`] if the backend fails.
    pub async fn send(&self, message: Message) -> Result<String, Error> {
        let queues = self
            .cx
            .binding(Operation::Send, self.name, |b| b.queues.as_ref())?;
        queues.send(self.name, message).await
    }
}

/// A declared bucket, from [`Context::bucket`].
#[derive(Debug, Clone, Copy)]
pub struct BucketHandle<'a> {
    pub(super) cx: &'a Context,
    pub(super) name: &'a str,
}

impl BucketHandle<'_> {
    fn store(&self, operation: Operation) -> Result<&Arc<dyn ObjectStore>, Error> {
        self.cx
            .binding(operation, self.name, |b| b.objects.as_ref())
    }

    /// Reads an object; `None` if the key does not exist.
    ///
    /// # Errors
    /// [`Error::Undeclared`] unless the function may read the bucket; [`Error::Binding`] if the
    /// backend fails.
    pub async fn get(&self, key: &str) -> Result<Option<Object>, Error> {
        self.store(Operation::Read)?.get(self.name, key).await
    }

    /// Writes an object.
    ///
    /// # Errors
    /// [`Error::Undeclared`] unless the function may write the bucket; [`Error::Binding`] if the
    /// backend fails.
    pub async fn put(&self, key: &str, body: impl Into<Body>) -> Result<ObjectInfo, Error> {
        self.put_object(key, Object::new(body)).await
    }

    /// Writes an object with its media type.
    ///
    /// # Errors
    /// [`Error::Undeclared`] unless the function may write the bucket; [`Error::Binding`] if the
    /// backend fails.
    pub async fn put_object(&self, key: &str, object: Object) -> Result<ObjectInfo, Error> {
        self.store(Operation::Write)?
            .put(self.name, key, object)
            .await
    }

    /// Deletes an object (a missing key is not an error).
    ///
    /// # Errors
    /// [`Error::Undeclared`] unless the function may write the bucket; [`Error::Binding`] if the
    /// backend fails.
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        self.store(Operation::Write)?.delete(self.name, key).await
    }

    /// Lists objects whose keys start with `prefix`.
    ///
    /// # Errors
    /// As [`BucketHandle::get`].
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, Error> {
        self.store(Operation::Read)?.list(self.name, prefix).await
    }
}

/// Another function of the app, from [`Context::function`].
#[derive(Debug, Clone, Copy)]
pub struct FunctionHandle<'a> {
    pub(super) cx: &'a Context,
    pub(super) name: &'a str,
}

impl FunctionHandle<'_> {
    /// Invokes the function and waits for its JSON result.
    ///
    /// # Errors
    /// [`Error::Undeclared`] unless this function may invoke it; the callee's error otherwise.
    pub async fn invoke(&self, payload: serde_json::Value) -> Result<serde_json::Value, Error> {
        let invoker = self
            .cx
            .binding(Operation::Invoke, self.name, |b| b.invoker.as_ref())?;
        let result = invoker.invoke(self.name, payload, InvokeMode::Sync).await?;
        Ok(result.unwrap_or(serde_json::Value::Null))
    }

    /// Queues an asynchronous invocation and returns once it is accepted.
    ///
    /// # Errors
    /// [`Error::Undeclared`] unless this function may invoke it; [`Error::Binding`] if it was not accepted.
    pub async fn invoke_async(&self, payload: serde_json::Value) -> Result<(), Error> {
        let invoker = self
            .cx
            .binding(Operation::Invoke, self.name, |b| b.invoker.as_ref())?;
        invoker
            .invoke(self.name, payload, InvokeMode::Async)
            .await
            .map(drop)
    }
}
