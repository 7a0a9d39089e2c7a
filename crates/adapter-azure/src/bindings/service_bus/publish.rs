//! Publishing: the request ([module docs](super)).

use std::sync::Arc;

use faasport_core::resource::{Message, TopicPublisher};
use faasport_core::{Error, ResourceKind};
use futures::future::BoxFuture;

use super::{ServiceBusSettings, SCOPE, SERVICE_BUS_CONNECTION, SERVICE_BUS_URL_ENV};
use crate::bindings::{failure, sdk_failure, AzureBindings, BindingError};
use azure_core::http::{Context, Method, Pipeline, Request, Url};

/// How long a SAS token is valid (each request gets a new one).
const SAS_LIFETIME_SECS: u64 = 3600;

/// Headers the request sets itself, which an attribute may not replace.
const RESERVED: [&str; 10] = [
    "authorization",
    "brokerproperties",
    "content-length",
    "connection",
    "expect",
    "host",
    "transfer-encoding",
    "user-agent",
    "x-ms-client-request-id",
    "x-ms-retrypolicy",
];

/// The attribute that becomes `Content-Type`.
const CONTENT_TYPE: &str = "content-type";

impl ServiceBusSettings {
    /// The namespace URL, without a trailing `/`.
    fn endpoint(&self) -> Result<Url, BindingError> {
        let Some((variable, value)) = &self.url else {
            return Err(BindingError::MissingSetting {
                variables: format!(
                    "{SERVICE_BUS_URL_ENV}, {SERVICE_BUS_CONNECTION}__fullyQualifiedNamespace or {SERVICE_BUS_CONNECTION}"
                ),
            });
        };
        let invalid = |reason: String| BindingError::InvalidSetting {
            variable: variable.clone(),
            reason,
        };
        let mut url = Url::parse(value).map_err(|e| invalid(e.to_string()))?;
        if url.cannot_be_a_base() || !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("not an http(s) namespace URL".into()));
        }
        let path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&path);
        url.set_query(None);
        Ok(url)
    }
}

/// A Service Bus SAS token for `resource` (a namespace or entity URL), valid until `expiry`
/// (seconds since the Unix epoch): `SharedAccessSignature sr=<uri>&sig=<sig>&se=<expiry>&skn=<name>`,
/// where `<uri>` is `resource` percent-encoded and `<sig>` the percent-encoded base64
/// HMAC-SHA256 of `<uri>\n<expiry>` keyed with the key's own bytes.
///
/// # Errors
/// [`BindingError::Request`] if the signature cannot be computed.
pub fn sas_token(
    resource: &str,
    key_name: &str,
    key: &str,
    expiry: u64,
) -> Result<String, BindingError> {
    use base64::Engine;
    let uri = faasport_core::event::percent_encode(resource);
    let to_sign = format!("{uri}\n{expiry}");
    // hmac_sha256 takes a base64 key; Service Bus keys the HMAC with the key text itself.
    let key = base64::engine::general_purpose::STANDARD.encode(key.as_bytes());
    let sig = azure_core::hmac::hmac_sha256(&to_sign, &azure_core::credentials::Secret::new(key))?;
    Ok(format!(
        "SharedAccessSignature sr={uri}&sig={}&se={expiry}&skn={}",
        faasport_core::event::percent_encode(&sig),
        faasport_core::event::percent_encode(key_name)
    ))
}

/// `value` as a JSON string with every non-ASCII character escaped, so it is a valid header
/// value.
fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    for c in serde_json::Value::from(value).to_string().chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Whether `name` is an HTTP header token.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The request headers for `message`'s attributes, or why one cannot be sent.
fn property_headers(message: &Message) -> Result<Vec<(String, String)>, String> {
    let mut headers = Vec::new();
    for (name, value) in &message.attributes {
        let lower = name.to_ascii_lowercase();
        if lower == CONTENT_TYPE {
            continue;
        }
        if !is_token(name) {
            return Err(format!(
                "the attribute `{name}` cannot be a Service Bus property over HTTP: its name is not an HTTP header name"
            ));
        }
        if RESERVED.contains(&lower.as_str()) {
            return Err(format!(
                "the attribute `{name}` cannot be a Service Bus property over HTTP: the request uses that header itself"
            ));
        }
        headers.push((lower, quoted(value)));
    }
    Ok(headers)
}

impl AzureBindings {
    /// The pipeline for Service Bus requests and whether they are signed with a SAS.
    async fn service_bus(&self, topic: &str) -> Result<&(Pipeline, bool), Error> {
        self.service_bus_pipeline
            .get_or_try_init(|| async {
                let kind = ResourceKind::Topic;
                let options = self.service_bus_options.clone().unwrap_or_default();
                let mut per_try: Vec<Arc<dyn azure_core::http::policies::Policy>> = Vec::new();
                let sas = self.service_bus.sas.is_some();
                if !sas {
                    let namespace = self
                        .service_bus
                        .endpoint()
                        .map_err(|e| failure(kind, topic, false, e))?;
                    let credential = self
                        .token_credential(self.service_bus.client_id(), &namespace)
                        .map_err(|e| failure(kind, topic, false, e))?;
                    per_try.push(Arc::new(
                        azure_core::http::policies::auth::BearerTokenAuthorizationPolicy::new(
                            credential,
                            [SCOPE],
                        ),
                    ));
                }
                let pipeline = Pipeline::new(
                    option_env!("CARGO_PKG_NAME"),
                    option_env!("CARGO_PKG_VERSION"),
                    options,
                    Vec::new(),
                    per_try,
                    None,
                );
                Ok((pipeline, sas))
            })
            .await
    }
}

impl TopicPublisher for AzureBindings {
    fn publish<'a>(
        &'a self,
        topic: &'a str,
        message: Message,
    ) -> BoxFuture<'a, Result<String, Error>> {
        Box::pin(async move {
            let kind = ResourceKind::Topic;
            let refuse = |reason| failure(kind, topic, false, BindingError::Message(reason));
            let properties = property_headers(&message).map_err(refuse)?;
            let namespace = self
                .service_bus
                .endpoint()
                .map_err(|e| failure(kind, topic, false, e))?;
            let entity = self.names.id(kind, topic);
            let resource = format!(
                "{}/{}",
                namespace.as_str().trim_end_matches('/'),
                faasport_core::event::percent_encode(&entity)
            );
            let url = Url::parse(&format!("{resource}/messages")).map_err(|e| {
                let reason = format!("`{resource}/messages`: {e}");
                let variable = crate::names::env_var(kind, topic);
                failure(
                    kind,
                    topic,
                    false,
                    BindingError::InvalidSetting { variable, reason },
                )
            })?;
            let (pipeline, sas) = self.service_bus(topic).await?;

            let message_id = azure_core::Uuid::new_v4().to_string();
            let mut broker = serde_json::json!({ "MessageId": message_id });
            if let Some(key) = &message.ordering_key {
                broker["SessionId"] = serde_json::Value::from(key.as_str());
            }
            let content_type = message
                .attributes
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(CONTENT_TYPE))
                .map_or_else(|| "application/octet-stream".to_owned(), |(_, v)| v.clone());
            let mut request = Request::new(url, Method::Post);
            request.insert_header("brokerproperties", broker.to_string());
            request.insert_header("content-type", content_type);
            for (name, value) in properties {
                request.insert_header(name, value);
            }
            if *sas {
                if let Some(key) = &self.service_bus.sas {
                    let expiry = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs())
                        + SAS_LIFETIME_SECS;
                    let token = sas_token(&resource, &key.name, &key.key, expiry)
                        .map_err(|e| failure(kind, topic, false, e))?;
                    request.insert_header("authorization", token);
                }
            }
            request.set_body(message.body.as_bytes().to_vec());
            pipeline
                .send(&Context::new(), &mut request, None)
                .await
                .map_err(|e| sdk_failure(kind, topic, e))?;
            Ok(message_id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_string_gives_the_namespace_and_the_key() {
        let settings = ServiceBusSettings::from_env(|name| {
            match name {
            "ServiceBusConnection" => Some(
                "Endpoint=sb://shop.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0=".into(),
            ),
            _ => None,
        }
        });
        assert_eq!(
            settings
                .endpoint()
                .map(|u| u.to_string())
                .map_err(|e| e.to_string()),
            Ok("https://shop.servicebus.windows.net/".into())
        );
        assert_eq!(settings.sas.as_ref().map(|k| k.name.as_str()), Some("send"));
        assert!(!format!("{settings:?}").contains("c2VjcmV0"));
    }

    #[test]
    fn the_own_url_wins_and_an_identity_namespace_comes_next() {
        let settings = ServiceBusSettings::from_env(|name| match name {
            "ServiceBusConnection__fullyQualifiedNamespace" => {
                Some("shop.servicebus.windows.net".into())
            }
            "ServiceBusConnection__clientId" => Some("id-1".into()),
            _ => None,
        });
        assert_eq!(
            settings
                .endpoint()
                .map(|u| u.to_string())
                .map_err(|e| e.to_string()),
            Ok("https://shop.servicebus.windows.net/".into())
        );
        assert_eq!(
            (settings.sas.is_none(), settings.client_id()),
            (true, Some("id-1"))
        );
        let own = settings.with_url("http://127.0.0.1:9/ns/");
        assert_eq!(
            own.endpoint()
                .map(|u| u.to_string())
                .map_err(|e| e.to_string()),
            Ok("http://127.0.0.1:9/ns".into())
        );
        let none = ServiceBusSettings::default()
            .endpoint()
            .map_err(|e| e.to_string());
        assert_eq!(
            none.map(|_| ()),
            Err("none of FAASPORT_AZURE_SERVICEBUS_URL, ServiceBusConnection__fullyQualifiedNamespace or ServiceBusConnection is set".into())
        );
    }

    #[test]
    fn a_sas_token_signs_the_encoded_resource_and_expiry_with_the_key_text() {
        // Computed independently with Python's hmac, hashlib and urllib (the key is the key
        // text's bytes, as in the Service Bus SAS documentation's samples).
        let token = sas_token(
            "https://shop.servicebus.windows.net/orders",
            "RootManageSharedAccessKey",
            "abc=",
            1_700_000_000,
        )
        .expect("token");
        assert_eq!(
            token,
            "SharedAccessSignature sr=https%3A%2F%2Fshop.servicebus.windows.net%2Forders&sig=y9wxk3T%2BaukbrqFOdZoYVP3o8NMOgDxBFW7JmMZ3IV8%3D&se=1700000000&skn=RootManageSharedAccessKey"
        );
    }

    #[test]
    fn attributes_become_quoted_headers_and_reserved_or_invalid_names_are_refused() {
        let message = Message::new("x")
            .with_attribute("Tenant", "acmé \"one\"")
            .with_attribute("content-type", "text/plain");
        assert_eq!(
            property_headers(&message),
            Ok(vec![("tenant".into(), "\"acm\\u00e9 \\\"one\\\"\"".into())])
        );
        let reserved = Message::new("x").with_attribute("Authorization", "me");
        assert!(property_headers(&reserved).is_err_and(|e| e.contains("uses that header itself")));
        let spaced = Message::new("x").with_attribute("has space", "v");
        assert!(property_headers(&spaced).is_err_and(|e| e.contains("not an HTTP header name")));
    }
}
