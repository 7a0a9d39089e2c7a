//! Topics on Azure Service Bus: the documented REST call *Send Message*
//! (`POST https://{namespace}.servicebus.windows.net/{topic}/messages`), sent through
//! `azure_core` 1.x's own pipeline (its retry policy, request ids and, for Entra ID, its bearer
//! token policy). There is no official Service Bus crate on `azure_core` 1.x
//! ([`crate::bindings`]), and this one call is all publishing needs.
//!
//! # The request
//!
//! | part | value |
//! |---|---|
//! | method, path | `POST /{topic}/messages` on the namespace URL (the topic is [`ResourceNames::id`](crate::names::ResourceNames::id): the faasport name in lower case, or `FAASPORT_TOPIC_<NAME>`) |
//! | `Authorization` | `Bearer <token>` for the scope [`SCOPE`] (managed identity, or the credential given to [`AzureBindings::with_credential`](super::AzureBindings::with_credential)); or `SharedAccessSignature sr=..&sig=..&se=..&skn=..` when the connection string carries a key ([`sas_token`]) |
//! | `BrokerProperties` | JSON: `MessageId` (a new UUID, which `publish` returns), `SessionId` = the message's ordering key when it has one |
//! | `Content-Type` | the message's `content-type` attribute, else `application/octet-stream` |
//! | one header per other attribute | the value as a JSON string (`"acme"`), the form Service Bus reads as a string property; the name is sent in lower case, as HTTP/2 requires, so a subscriber sees `tenant` for `Tenant` |
//! | body | the message bytes, unchanged |
//!
//! No `api-version` is sent: Service Bus does not require one for message requests. 201 means
//! accepted. 401 (bad signature or token), 403 (quota, size, rights), 404 and 410 (no such
//! topic) are not retryable; 408, 429 and 5xx are (core's
//! [`retryable_status`](faasport_core::contract::retryable_status)), after the pipeline has
//! retried them itself. Attribute names that are not HTTP header tokens, or that the request
//! uses itself (`authorization`, `brokerproperties`, `host`, ...), are refused before any call.
//!
//! # Settings
//!
//! The namespace is found the way the generated `serviceBusTrigger` finds it
//! (`connection: ServiceBusConnection`), first match wins:
//!
//! | order | setting | namespace URL | authentication |
//! |---|---|---|---|
//! | 1 | [`SERVICE_BUS_URL_ENV`] | as given (`https://shop.servicebus.windows.net`) | the key of `ServiceBusConnection` if it has one, else a token |
//! | 2 | `ServiceBusConnection__fullyQualifiedNamespace` (identity-based connection) | `https://<namespace>` | a token; `ServiceBusConnection__clientId` picks a user-assigned identity |
//! | 3 | `ServiceBusConnection` (a connection string `Endpoint=sb://..;SharedAccessKeyName=..;SharedAccessKey=..`) | its `Endpoint`, as `https` | a SAS signed with its key |
//!
//! A token needs an `https` URL (`azure_core`'s bearer policy refuses to send one in clear);
//! the identity needs the *Azure Service Bus Data Sender* role on the topics.
//!
//! # Tested against a fake
//!
//! No Service Bus emulator can be installed from the package registries (Microsoft's emulator
//! is a Docker image and needs SQL Server), so `tests/service_bus.rs` publishes to a loopback
//! server written from the documented contract: it checks the method, path, `Authorization`
//! (recomputing the SAS signature with the key), `BrokerProperties`, `Content-Type`, custom
//! property headers and body field by field, and answers 201, or the error statuses above.

#[cfg(feature = "topic")]
mod publish;

#[cfg(feature = "topic")]
pub use self::publish::sas_token;

/// The setting with the namespace URL, read first (tests point it at a loopback fake).
pub const SERVICE_BUS_URL_ENV: &str = "FAASPORT_AZURE_SERVICEBUS_URL";
/// The connection name of the generated `serviceBusTrigger`s, whose settings are read next.
pub const SERVICE_BUS_CONNECTION: &str = "ServiceBusConnection";
/// The Entra ID scope of Service Bus tokens.
pub const SCOPE: &str = "https://servicebus.azure.net/.default";

/// A shared access key from a connection string.
#[derive(Clone, PartialEq, Eq)]
struct SasKey {
    name: String,
    key: String,
}

/// The Service Bus settings of a function app ([module docs](self)).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ServiceBusSettings {
    url: Option<(String, String)>,
    sas: Option<SasKey>,
    client_id: Option<String>,
}

impl std::fmt::Debug for ServiceBusSettings {
    /// Without the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceBusSettings")
            .field("url", &self.url.as_ref().map(|(_, url)| url))
            .field("key_name", &self.sas.as_ref().map(|k| &k.name))
            .field("client_id", &self.client_id)
            .finish()
    }
}

impl ServiceBusSettings {
    /// Reads the settings through `env` (usually `std::env::var`).
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Self {
        let env = |name: &str| {
            env(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let namespace = format!("{SERVICE_BUS_CONNECTION}__fullyQualifiedNamespace");
        let connection = env(SERVICE_BUS_CONNECTION).map(|s| parse_connection_string(&s));
        let url = env(SERVICE_BUS_URL_ENV)
            .map(|url| (SERVICE_BUS_URL_ENV.to_owned(), url))
            .or_else(|| env(&namespace).map(|ns| (namespace.clone(), format!("https://{ns}"))))
            .or_else(|| {
                let endpoint = connection.as_ref()?.endpoint.clone()?;
                Some((SERVICE_BUS_CONNECTION.to_owned(), endpoint))
            });
        Self {
            url,
            sas: connection.and_then(|c| c.key),
            client_id: env(&format!("{SERVICE_BUS_CONNECTION}__clientId")),
        }
    }

    /// Uses `url` as the namespace URL.
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some((SERVICE_BUS_URL_ENV.to_owned(), url.into()));
        self
    }

    /// Signs requests with a SAS from the shared access key `key` named `key_name`.
    pub fn with_sas_key(mut self, key_name: impl Into<String>, key: impl Into<String>) -> Self {
        self.sas = Some(SasKey {
            name: key_name.into(),
            key: key.into(),
        });
        self
    }

    /// The client id of the user-assigned managed identity, if one is set.
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }
}

/// What a connection string holds.
struct Connection {
    endpoint: Option<String>,
    key: Option<SasKey>,
}

/// `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=..;SharedAccessKey=..`, the
/// `sb://` endpoint read as `https://`.
fn parse_connection_string(text: &str) -> Connection {
    let mut endpoint = None;
    let (mut name, mut key) = (None, None);
    for part in text.split(';') {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        match k.trim().to_ascii_lowercase().as_str() {
            "endpoint" => {
                let v = v.trim();
                endpoint = Some(match v.strip_prefix("sb://") {
                    Some(rest) => format!("https://{rest}"),
                    None => v.to_owned(),
                });
            }
            "sharedaccesskeyname" => name = Some(v.trim().to_owned()),
            "sharedaccesskey" => key = Some(v.trim().to_owned()),
            _ => {}
        }
    }
    Connection {
        endpoint,
        key: name.zip(key).map(|(name, key)| SasKey { name, key }),
    }
}
