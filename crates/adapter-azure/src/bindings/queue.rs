//! Queues on Azure Storage queues.
//!
//! The message text is the body **base64-encoded**: the host's queue trigger decodes base64 by
//! default (`extensions.queues.messageEncoding`, which the generated `host.json` leaves at
//! `base64`), so the consuming function receives the exact bytes sent, binary bodies included.
//! Storage queue messages carry no attributes: the `content-type` attribute (set by
//! [`Message::json`]) is not carried, and any other attribute is refused rather than dropped.
//! The message id is the one Storage assigns. A message whose base64 text exceeds Storage's
//! 64 KiB is refused before any call.

use azure_storage_queue::models::QueueMessage;
use azure_storage_queue::{QueueServiceClient, QueueServiceClientOptions};
use faasport_core::resource::{Message, QueueSender};
use faasport_core::{Body, Error, ResourceKind};
use futures::future::BoxFuture;

use super::storage::Service;
use super::{failure, sdk_failure, AzureBindings, BindingError};

/// The attribute that describes the body, which the receiver sees as it was sent.
const CONTENT_TYPE: &str = "content-type";

impl AzureBindings {
    async fn queue_service(
        &self,
        kind: ResourceKind,
        name: &str,
    ) -> Result<&QueueServiceClient, Error> {
        self.queues
            .get_or_try_init(|| async {
                let (url, credential) = self
                    .endpoint(Service::Queue)
                    .map_err(|e| failure(kind, name, false, e))?;
                let options = QueueServiceClientOptions::default();
                QueueServiceClient::new(url, credential, Some(options))
                    .map_err(|e| sdk_failure(kind, name, e))
            })
            .await
    }
}

impl QueueSender for AzureBindings {
    fn send<'a>(
        &'a self,
        queue: &'a str,
        message: Message,
    ) -> BoxFuture<'a, Result<String, Error>> {
        Box::pin(async move {
            let refused: Vec<&str> = message
                .attributes
                .keys()
                .map(String::as_str)
                .filter(|k| !k.eq_ignore_ascii_case(CONTENT_TYPE))
                .collect();
            if !refused.is_empty() {
                let reason = format!(
                    "Azure Storage queue messages carry no attributes ({}); put them in the body",
                    refused.join(", ")
                );
                return Err(failure(
                    ResourceKind::Queue,
                    queue,
                    false,
                    BindingError::Message(reason),
                ));
            }
            let id = self.names.id(ResourceKind::Queue, queue);
            self.put_message(ResourceKind::Queue, queue, &id, &message.body)
                .await
        })
    }
}

impl AzureBindings {
    /// `Put Message` of `body`, base64-encoded, to the Storage queue `id`, for the resource
    /// `kind` `name` (a queue, or a function's invoke queue); returns the message id.
    pub(super) async fn put_message(
        &self,
        kind: ResourceKind,
        name: &str,
        id: &str,
        body: &Body,
    ) -> Result<String, Error> {
        let text = body.to_base64();
        if text.len() > MAX_MESSAGE_TEXT {
            let reason = format!(
                "the message is {} bytes, {} base64-encoded, and a Storage queue message holds at most 64 KiB of text",
                body.len(),
                text.len()
            );
            return Err(failure(kind, name, false, BindingError::Message(reason)));
        }
        let client = self
            .queue_service(kind, name)
            .await?
            .queue_client(id)
            .map_err(|e| sdk_failure(kind, name, e))?;
        let text = QueueMessage {
            message_text: Some(text),
        };
        let content = text.try_into().map_err(|e| sdk_failure(kind, name, e))?;
        let sent = client
            .send_message(content, None)
            .await
            .map_err(|e| sdk_failure(kind, name, e))?
            .into_model()
            .map_err(|e| sdk_failure(kind, name, e))?;
        Ok(sent
            .items
            .and_then(|items| items.into_iter().next())
            .and_then(|m| m.message_id)
            .unwrap_or_default())
    }
}

/// The largest message text Storage queues accept (64 KiB).
const MAX_MESSAGE_TEXT: usize = 64 * 1024;
