//! Queues on Azure Storage queues.
//!
//! The message text is the body **base64-encoded**: the host's queue trigger decodes base64 by
//! default (`extensions.queues.messageEncoding`, which the generated `host.json` leaves at
//! `base64`), so the consuming function receives the exact bytes sent, binary bodies included.
//! Storage queue messages carry no attributes: the `content-type` attribute (set by
//! [`Message::json`]) is not carried, and any other attribute is refused rather than dropped.
//! The message id is the one Storage assigns.

use azure_storage_queue::models::QueueMessage;
use azure_storage_queue::{QueueServiceClient, QueueServiceClientOptions};
use faasport_core::resource::{Message, QueueSender};
use faasport_core::{Error, ResourceKind};
use futures::future::BoxFuture;

use super::storage::Service;
use super::{failure, sdk_failure, AzureBindings, BindingError};

/// The attribute that describes the body, which the receiver sees as it was sent.
const CONTENT_TYPE: &str = "content-type";

impl AzureBindings {
    async fn queue_service(&self, queue: &str) -> Result<&QueueServiceClient, Error> {
        self.queues
            .get_or_try_init(|| async {
                let (url, credential) = self
                    .endpoint(Service::Queue)
                    .map_err(|e| failure(ResourceKind::Queue, queue, false, e))?;
                let options = QueueServiceClientOptions::default();
                QueueServiceClient::new(url, credential, Some(options))
                    .map_err(|e| sdk_failure(ResourceKind::Queue, queue, e))
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
            let client = self
                .queue_service(queue)
                .await?
                .queue_client(&self.names.id(ResourceKind::Queue, queue))
                .map_err(|e| sdk_failure(ResourceKind::Queue, queue, e))?;
            let text = QueueMessage {
                message_text: Some(message.body.to_base64()),
            };
            let content = text
                .try_into()
                .map_err(|e| sdk_failure(ResourceKind::Queue, queue, e))?;
            let sent = client
                .send_message(content, None)
                .await
                .map_err(|e| sdk_failure(ResourceKind::Queue, queue, e))?
                .into_model()
                .map_err(|e| sdk_failure(ResourceKind::Queue, queue, e))?;
            Ok(sent
                .items
                .and_then(|items| items.into_iter().next())
                .and_then(|m| m.message_id)
                .unwrap_or_default())
        })
    }
}
