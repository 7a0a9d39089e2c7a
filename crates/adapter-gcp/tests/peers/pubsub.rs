//! The Pub/Sub bindings and push delivery against the real Pub/Sub emulator.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use faasport_adapter_gcp::bindings::{Endpoint, GcpBindings};
use faasport_adapter_gcp::names::ResourceNames;
use faasport_core::resource::{FunctionInvoker, InvokeMode, TopicPublisher};
use faasport_core::{
    App, Context, Error, Event, HttpRequest, HttpResponse, Message, ResourceKind, TopicMessage,
};

use crate::harness::{eventually, pubsub_emulator, serve, unique, Emulator, PROJECT};

fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64 data")
}

/// A handler publishes through its context: the message arrives in the emulator with its
/// bytes, attributes and ordering key, in order per key; a queue send arrives on the queue's
/// topic. Runs through the adapter's own server start, so the environment wiring is covered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_publishes_through_the_emulator_with_data_attributes_and_ordering_key() {
    let Some(host) = pubsub_emulator() else {
        return;
    };
    let emulator = Emulator::new(host);
    let topic_id = unique("orders");
    let topic = emulator.topic(&topic_id).await;
    let orders = emulator
        .pull_subscription(&format!("{topic_id}-pull"), &topic)
        .await;
    let queue_topic = emulator.topic(&unique("jobs")).await;
    let jobs = emulator
        .pull_subscription(&unique("jobs-pull"), &queue_topic)
        .await;

    async fn create(_: HttpRequest, cx: Context) -> Result<HttpResponse, Error> {
        let mut ids = Vec::new();
        for n in 1..=3u8 {
            let body = vec![0xff, 0x00, n];
            let message = Message::new(body)
                .with_attribute("n", n.to_string())
                .with_attribute("kind", "order")
                .with_ordering_key("order-7");
            ids.push(cx.topic("orders").publish(message).await?);
        }
        ids.push(
            cx.queue("jobs")
                .send(Message::new("render 7").with_attribute("priority", "high"))
                .await?,
        );
        HttpResponse::json(faasport_core::http::StatusCode::OK, &ids)
    }
    let app = App::new("shop")
        .topic("orders")
        .queue("jobs")
        .function(faasport_core::Function::new("create", create).http_any("/"));
    let served = serve(
        &app,
        &[
            ("FUNCTION_TARGET", "create".into()),
            ("FAASPORT_PUBSUB_ENDPOINT", emulator.url()),
            ("GOOGLE_CLOUD_PROJECT", PROJECT.into()),
            ("FAASPORT_TOPIC_ORDERS", topic_id.clone()),
            ("FAASPORT_QUEUE_JOBS", queue_topic.clone()),
        ],
    )
    .await;
    let response = reqwest::Client::new()
        .post(served.url())
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), 200);
    let ids: Vec<String> = response.json().await.expect("message ids");
    assert_eq!(ids.len(), 4);

    let got = emulator.pull(&orders, 3).await;
    assert_eq!(got.len(), 3, "{got:?}");
    for (n, message) in (1..=3u8).zip(&got) {
        assert_eq!(
            b64(message["data"].as_str().expect("data")),
            [0xff, 0x00, n]
        );
        assert_eq!(message["attributes"]["n"], n.to_string());
        assert_eq!(message["attributes"]["kind"], "order");
        assert_eq!(message["orderingKey"], "order-7");
        assert_eq!(message["messageId"], ids[usize::from(n) - 1]);
    }
    let queued = emulator.pull(&jobs, 1).await;
    assert_eq!(queued.len(), 1);
    assert_eq!(b64(queued[0]["data"].as_str().expect("data")), b"render 7");
    assert_eq!(queued[0]["attributes"]["priority"], "high");
    assert!(queued[0].get("orderingKey").is_none_or(|k| k == ""));
}

/// A publish to a topic the emulator does not have is a non-retryable binding error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_to_a_missing_topic_is_a_binding_error_that_names_the_topic() {
    let Some(host) = pubsub_emulator() else {
        return;
    };
    let emulator = Emulator::new(host);
    let names = ResourceNames::default().with_topic(
        "ghost",
        &format!("projects/{PROJECT}/topics/{}", unique("ghost")),
    );
    let bindings = GcpBindings::with_endpoints(
        names,
        Endpoint::from_vars(Some(emulator.url()), None),
        Endpoint::from_vars(None, None),
    );
    let error = bindings
        .publish("ghost", Message::new("x"))
        .await
        .expect_err("no such topic");
    match error {
        Error::Binding {
            kind: ResourceKind::Topic,
            name,
            retryable,
            source,
        } => {
            assert_eq!(name, "ghost");
            assert!(
                !retryable,
                "NOT_FOUND cannot be helped by a retry: {source}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// Everything a subscriber function saw.
type Seen = Arc<Mutex<Vec<TopicMessage>>>;

fn subscriber_app(seen: Seen, fail_first: bool) -> App {
    let consume = move |message: TopicMessage, cx: Context| {
        let seen = seen.clone();
        async move {
            let first = {
                let mut seen = seen.lock().expect("seen");
                seen.push(message);
                seen.len() == 1
            };
            if fail_first && first {
                return Err(Error::transient("the first attempt fails"));
            }
            let _ = cx;
            Ok::<(), Error>(())
        }
    };
    App::new("shop")
        .topic("orders")
        .function(faasport_core::Function::new("bill", consume).subscribe("orders"))
}

async fn publish_to(emulator: &Emulator, topic: &str, message: Message) -> String {
    let bindings = GcpBindings::with_endpoints(
        ResourceNames::default().with_topic("orders", topic),
        Endpoint::from_vars(None, Some(emulator.host.clone())),
        Endpoint::from_vars(None, None),
    );
    bindings
        .publish("orders", message)
        .await
        .expect("published")
}

/// A real push subscription delivers into the adapter's HTTP server: the function gets the
/// message as a neutral topic event with every field, and the success is acknowledged with 204.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_subscription_delivers_a_topic_event_and_the_success_is_acked_with_204() {
    let Some(host) = pubsub_emulator() else {
        return;
    };
    let emulator = Emulator::new(host);
    let seen: Seen = Arc::default();
    let topic_id = unique("orders");
    let served = serve(
        &subscriber_app(seen.clone(), false),
        &[("FAASPORT_TOPIC_ORDERS", topic_id.clone())],
    )
    .await;
    let topic = emulator.topic(&topic_id).await;
    emulator
        .push_subscription(
            &unique("bill-orders"),
            &topic,
            &format!("{}/", served.url()),
        )
        .await;
    let id = publish_to(
        &emulator,
        &topic,
        Message::new(r#"{"order":7}"#).with_attribute("source", "web"),
    )
    .await;

    assert!(
        eventually(Duration::from_secs(30), || !served.statuses().is_empty()).await,
        "no push arrived"
    );
    // Room for a redelivery, which must not come.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(served.statuses(), [204]);
    let seen = seen.lock().expect("seen").clone();
    assert_eq!(seen.len(), 1);
    let message = &seen[0];
    assert_eq!(message.topic, "orders");
    assert_eq!(message.id, id);
    assert_eq!(message.body.as_str(), Some(r#"{"order":7}"#));
    assert_eq!(
        message.attributes.get("source").map(String::as_str),
        Some("web")
    );
    assert!(message.published_at.is_some());
}

/// A failing function answers 500, a nack: the emulator delivers the message again, and the
/// second attempt succeeds and is acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_function_is_nacked_and_the_message_is_delivered_again() {
    let Some(host) = pubsub_emulator() else {
        return;
    };
    let emulator = Emulator::new(host);
    let seen: Seen = Arc::default();
    let topic_id = unique("orders");
    let served = serve(
        &subscriber_app(seen.clone(), true),
        &[("FAASPORT_TOPIC_ORDERS", topic_id.clone())],
    )
    .await;
    let topic = emulator.topic(&topic_id).await;
    emulator
        .push_subscription(
            &unique("bill-orders"),
            &topic,
            &format!("{}/", served.url()),
        )
        .await;
    let id = publish_to(&emulator, &topic, Message::new("retry me")).await;

    assert!(
        eventually(Duration::from_secs(60), || served.statuses().len() >= 2).await,
        "no redelivery after the nack: {:?}",
        served.statuses()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(served.statuses(), [500, 204]);
    let seen = seen.lock().expect("seen").clone();
    assert_eq!(
        seen.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        [id.as_str(), id.as_str()]
    );
    assert!(seen.iter().all(|m| m.body.as_str() == Some("retry me")));
}

/// An asynchronous invoke is published to the callee's invoke topic and pushed to the callee,
/// which reads the payload as core reads invoke payloads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_invoke_is_published_and_pushed_to_the_callee() {
    let Some(host) = pubsub_emulator() else {
        return;
    };
    let emulator = Emulator::new(host);
    let seen: Arc<Mutex<Vec<Event>>> = Arc::default();
    let recorded = seen.clone();
    let resize = move |event: Event, _cx: Context| {
        let recorded = recorded.clone();
        async move {
            recorded.lock().expect("seen").push(event);
            Ok::<(), Error>(())
        }
    };
    let app = App::new("shop").function(faasport_core::Function::new("resize", resize));
    let served = serve(&app, &[]).await;
    let topic_id = unique("resize-invoke");
    let topic = emulator.topic(&topic_id).await;
    emulator
        .push_subscription(
            &unique("resize-invoke"),
            &topic,
            &format!("{}/", served.url()),
        )
        .await;

    let caller = GcpBindings::with_endpoints(
        ResourceNames::default()
            .with_invoke_topic("resize", &topic_id)
            .with_project(PROJECT),
        Endpoint::from_vars(None, Some(emulator.host.clone())),
        Endpoint::from_vars(None, None),
    );
    let accepted = caller
        .invoke(
            "resize",
            serde_json::json!({"image": "a.png", "width": 64}),
            InvokeMode::Async,
        )
        .await
        .expect("accepted");
    assert_eq!(accepted, None);

    assert!(
        eventually(Duration::from_secs(30), || !seen
            .lock()
            .expect("seen")
            .is_empty())
        .await,
        "the invoke was not pushed"
    );
    assert_eq!(served.statuses(), [204]);
    let seen = seen.lock().expect("seen").clone();
    match &seen[..] {
        [Event::CloudEvent(event)] => {
            assert_eq!(event.ty, "faasport.invoke");
            assert_eq!(
                event.data,
                Some(serde_json::json!({"image": "a.png", "width": 64}))
            );
        }
        other => panic!("{other:?}"),
    }
}
