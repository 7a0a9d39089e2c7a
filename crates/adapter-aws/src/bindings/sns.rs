//! Topics on SNS.

use aws_sdk_sns::types::MessageAttributeValue;
use faasport_core::resource::{Message, TopicPublisher};
use faasport_core::{Error, ResourceKind};
use futures::future::BoxFuture;

use super::{sdk_failure, text_body, AwsBindings, BindingError};

impl TopicPublisher for AwsBindings {
    fn publish<'a>(
        &'a self,
        topic: &'a str,
        message: Message,
    ) -> BoxFuture<'a, Result<String, Error>> {
        Box::pin(async move {
            let arn = self.resolve(ResourceKind::Topic, topic)?;
            let body = text_body(ResourceKind::Topic, topic, &message.body)?;
            let config = self.sdk_config().await;
            let client = self
                .sns
                .get_or_init(|| async { aws_sdk_sns::Client::new(config) })
                .await;
            let mut request = client.publish().topic_arn(arn).message(body);
            for (name, value) in message.attributes {
                let attribute = MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(value)
                    .build()
                    .map_err(|e| invalid(topic, e))?;
                request = request.message_attributes(name, attribute);
            }
            let out = request
                .send()
                .await
                .map_err(|e| sdk_failure(ResourceKind::Topic, topic, e))?;
            Ok(out.message_id().unwrap_or_default().to_owned())
        })
    }
}

fn invalid(topic: &str, e: impl std::fmt::Display) -> Error {
    Error::Binding {
        kind: ResourceKind::Topic,
        name: topic.to_owned(),
        retryable: false,
        source: Box::new(BindingError::Request(e.to_string())),
    }
}
