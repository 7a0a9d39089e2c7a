//! Publishing to a Service Bus topic, against a loopback **fake** of the documented REST call
//! *Send Message* (`POST /{topic}/messages`). No Service Bus emulator can be installed from the
//! package registries, so the fake checks the documented contract field by field instead:
//! method, path, no query, the SAS in `Authorization` (its signature recomputed with the key),
//! `BrokerProperties`, `Content-Type`, the custom property headers and the body; and it answers
//! 201, or an error status to check what is retried.
#![cfg(feature = "topic")]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::response::Response;
use azure_core::http::{ClientOptions, FixedRetryOptions, RetryOptions};
use base64::Engine;
use faasport_adapter_azure::bindings::service_bus::ServiceBusSettings;
use faasport_adapter_azure::bindings::storage::StorageSettings;
use faasport_adapter_azure::bindings::AzureBindings;
use faasport_adapter_azure::names::ResourceNames;
use faasport_core::resource::{Message, TopicPublisher};
use faasport_core::{App, Context, Error, Function, Operation, ResourceKind, Resources};
use http_body_util::BodyExt;
use serde_json::{json, Value};

const KEY_NAME: &str = "send";
const KEY: &str = "c2VuZC1rZXk=";

/// One request the fake received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Fake {
    seen: Mutex<Vec<Seen>>,
    /// The status to answer with (201 when unset).
    status: Mutex<Option<u16>>,
}

async fn send_message(State(fake): State<Arc<Fake>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.expect("body").to_bytes().to_vec();
    fake.seen.lock().expect("lock").push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("<binary>").to_owned()))
            .collect(),
        body,
    });
    let status = fake.status.lock().expect("lock").unwrap_or(201);
    let mut response = Response::new(axum::body::Body::from(if status == 201 {
        String::new()
    } else {
        // Service Bus's error body
        format!("<Error><Code>{status}</Code><Detail>refused by the fake</Detail></Error>")
    }));
    *response.status_mut() = http::StatusCode::from_u16(status).expect("status");
    response
}

/// The fake on a free loopback port, and its URL.
async fn fake() -> (Arc<Fake>, String) {
    let fake = Arc::new(Fake::default());
    let router = axum::Router::new()
        .fallback(send_message)
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (fake, url)
}

/// Bindings that publish topic `orders` to the Service Bus topic `orders-v2` at `url`, with
/// two quick retries.
fn bindings(url: &str) -> AzureBindings {
    let names = ResourceNames::default().with(ResourceKind::Topic, "orders", "orders-v2");
    let retry = RetryOptions::fixed(FixedRetryOptions {
        delay: azure_core::time::Duration::milliseconds(1),
        max_retries: 2,
        ..Default::default()
    });
    let options = ClientOptions {
        retry,
        ..Default::default()
    };
    AzureBindings::new(names, StorageSettings::default())
        .with_service_bus(
            ServiceBusSettings::default()
                .with_url(url)
                .with_sas_key(KEY_NAME, KEY),
        )
        .with_service_bus_options(options)
}

/// Checks a SAS the way Service Bus does: the signature of `sr` and `se` under the key.
fn check_sas(authorization: &str, resource: &str) {
    let token = authorization
        .strip_prefix("SharedAccessSignature ")
        .expect("a SAS");
    let field = |name: &str| {
        token
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no `{name}` in {token}"))
    };
    let decode = |text: &str| {
        let mut out = Vec::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
                out.push(u8::from_str_radix(hex, 16).expect("hex"));
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).expect("utf-8")
    };
    let (sr, se, skn) = (field("sr"), field("se"), field("skn"));
    assert_eq!(decode(sr), resource);
    assert_eq!(skn, KEY_NAME);
    let expiry: u64 = se.parse().expect("se is seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    assert!(expiry > now && expiry <= now + 3600, "{expiry} vs {now}");
    let key = base64::engine::general_purpose::STANDARD.encode(KEY.as_bytes());
    let expected = azure_core::hmac::hmac_sha256(
        &format!("{sr}\n{se}"),
        &azure_core::credentials::Secret::new(key),
    )
    .expect("sign");
    assert_eq!(decode(field("sig")), expected);
}

#[tokio::test]
async fn a_published_message_is_the_documented_send_message_request_field_by_field() {
    let (fake, url) = fake().await;
    let message = Message::json(&json!({"order": 7}))
        .expect("json")
        .with_attribute("Tenant", "acme")
        .with_ordering_key("customer-9");
    let id = bindings(&url)
        .publish("orders", message)
        .await
        .expect("published");

    let seen = fake.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(
        (
            request.method.as_str(),
            request.path.as_str(),
            request.query.as_deref()
        ),
        ("POST", "/orders-v2/messages", None)
    );
    check_sas(
        request.header("authorization").expect("authorization"),
        &format!("{url}/orders-v2"),
    );
    let broker: Value = serde_json::from_str(
        request
            .header("brokerproperties")
            .expect("BrokerProperties"),
    )
    .expect("BrokerProperties is JSON");
    assert_eq!(broker, json!({"MessageId": id, "SessionId": "customer-9"}));
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("tenant"), Some("\"acme\""));
    assert_eq!(request.body, br#"{"order":7}"#);

    // A second message gets its own id, and bytes without a content type go as they are.
    let second = bindings(&url)
        .publish("orders", Message::new(vec![0u8, 159, 255]))
        .await
        .expect("published");
    assert_ne!(second, id);
    let seen = fake.seen.lock().expect("lock").clone();
    assert_eq!(
        seen[1].header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(seen[1].body, vec![0u8, 159, 255]);
    let broker: Value = serde_json::from_str(
        seen[1]
            .header("brokerproperties")
            .expect("BrokerProperties"),
    )
    .expect("json");
    assert_eq!(broker, json!({"MessageId": second}));
}

fn binding_error(result: Result<String, Error>) -> (bool, String) {
    match result {
        Err(Error::Binding {
            kind: ResourceKind::Topic,
            ref name,
            retryable,
            ref source,
        }) => {
            assert_eq!(name, "orders");
            (retryable, faasport_core::chain_message(source.as_ref()))
        }
        other => panic!("expected a topic binding error, got {other:?}"),
    }
}

#[tokio::test]
async fn refusals_are_sent_once_and_not_retryable_but_throttles_and_server_errors_are_retried() {
    for (status, retryable, requests) in [
        (401, false, 1),
        (403, false, 1),
        (404, false, 1),
        (410, false, 1),
        (429, true, 3),
        (503, true, 3),
    ] {
        let (fake, url) = fake().await;
        *fake.status.lock().expect("lock") = Some(status);
        let result = bindings(&url).publish("orders", Message::new("x")).await;
        let (got, reason) = binding_error(result);
        assert_eq!(got, retryable, "{status}: {reason}");
        assert!(reason.contains(&status.to_string()), "{status}: {reason}");
        assert_eq!(
            fake.seen.lock().expect("lock").len(),
            requests,
            "{status}: requests sent"
        );
    }
}

#[tokio::test]
async fn an_unsendable_attribute_a_missing_namespace_and_an_undeclared_topic_never_reach_the_service(
) {
    let (fake, url) = fake().await;
    let reserved = bindings(&url)
        .publish(
            "orders",
            Message::new("x").with_attribute("Authorization", "me"),
        )
        .await;
    let (retryable, reason) = binding_error(reserved);
    assert!(!retryable);
    assert!(
        reason.contains("the request uses that header itself"),
        "{reason}"
    );

    let nowhere = AzureBindings::new(ResourceNames::default(), StorageSettings::default())
        .publish("orders", Message::new("x"))
        .await;
    assert_eq!(
        binding_error(nowhere),
        (false, "none of FAASPORT_AZURE_SERVICEBUS_URL, ServiceBusConnection__fullyQualifiedNamespace or ServiceBusConnection is set".into())
    );

    // Through a handler's context: core's access check comes first.
    async fn noop(_: faasport_core::Event, _: Context) -> Result<(), Error> {
        Ok(())
    }
    let app = App::new("shop")
        .topic("orders")
        .topic("audit")
        .function(Function::new("bill", noop).publishes("orders"));
    let cx = Context::new("r-1", "bill").with_resources(Resources::new(
        app.declared(),
        bindings(&url).into_bindings(),
    ));
    cx.topic("orders")
        .publish(Message::new("ok"))
        .await
        .expect("declared");
    let undeclared = cx.topic("audit").publish(Message::new("no")).await;
    assert!(
        matches!(
            undeclared,
            Err(Error::Undeclared { ref name, operation: Operation::Publish, .. }) if name == "audit"
        ),
        "{undeclared:?}"
    );
    assert_eq!(fake.seen.lock().expect("lock").len(), 1);
}

/// A credential that hands out a fixed token and counts the requests for one.
#[derive(Debug, Default)]
struct FixedToken {
    asked: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl azure_core::credentials::TokenCredential for FixedToken {
    async fn get_token(
        &self,
        scopes: &[&str],
        _: Option<azure_core::credentials::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<azure_core::credentials::AccessToken> {
        self.asked.lock().expect("lock").push(scopes.join(" "));
        Ok(azure_core::credentials::AccessToken::new(
            "token-1",
            azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
        ))
    }
}

#[tokio::test]
async fn without_a_key_a_token_is_never_sent_over_plain_http() {
    let (fake, url) = fake().await;
    let credential = Arc::new(FixedToken::default());
    let names = ResourceNames::default();
    let bindings = AzureBindings::new(names, StorageSettings::default())
        .with_service_bus(ServiceBusSettings::default().with_url(&url))
        .with_credential(credential.clone());
    let (retryable, reason) = binding_error(bindings.publish("orders", Message::new("x")).await);
    assert!(!retryable);
    assert!(reason.contains("non-TLS"), "{reason}");
    assert!(credential.asked.lock().expect("lock").is_empty());
    assert!(fake.seen.lock().expect("lock").is_empty());
}
