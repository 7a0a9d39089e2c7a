//! Queues on SQS.

use aws_sdk_sqs::types::MessageAttributeValue;
use faasport_core::resource::{Message, QueueSender};
use faasport_core::{Error, ResourceKind};
use futures::future::BoxFuture;

use super::{sdk_failure, text_body, AwsBindings, BindingError};

impl QueueSender for AwsBindings {
    fn send<'a>(
        &'a self,
        queue: &'a str,
        message: Message,
    ) -> BoxFuture<'a, Result<String, Error>> {
        Box::pin(async move {
            let url = self.resolve(ResourceKind::Queue, queue)?;
            let body = text_body(ResourceKind::Queue, queue, &message.body)?;
            let config = self.sdk_config().await;
            let client = self
                .sqs
                .get_or_init(|| async { aws_sdk_sqs::Client::new(config) })
                .await;
            let mut request = client.send_message().queue_url(url).message_body(body);
            for (name, value) in message.attributes {
                let attribute = MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(value)
                    .build()
                    .map_err(|e| Error::Binding {
                        kind: ResourceKind::Queue,
                        name: queue.to_owned(),
                        retryable: false,
                        source: Box::new(BindingError::Request(e.to_string())),
                    })?;
                request = request.message_attributes(name, attribute);
            }
            let out = request
                .send()
                .await
                .map_err(|e| sdk_failure(ResourceKind::Queue, queue, e))?;
            Ok(out.message_id().unwrap_or_default().to_owned())
        })
    }
}
