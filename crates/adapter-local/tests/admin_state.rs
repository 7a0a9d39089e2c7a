//! The admin endpoints that show state: bucket objects, queue contents and topic history,
//! through the gateway's router in-process.

use faasport_adapter_local::axum::body::Body as AxumBody;
use faasport_adapter_local::gateway::{router, GatewayConfig};
use faasport_adapter_local::LocalCloud;
use faasport_core::{http, App, Context, Error, Function, Message, Object};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

async fn idle(_: faasport_core::Event, _cx: Context) -> Result<(), Error> {
    Ok(())
}

fn app() -> App {
    App::new("state")
        .topic("orders")
        .queue("outbox")
        .bucket("docs")
        .function(Function::new("idle", idle))
}

async fn get(sources: &LocalCloud, path: &str) -> (u16, serde_json::Value) {
    let router = router(sources.clone(), GatewayConfig::default()).expect("router");
    let request = http::Request::get(path)
        .body(AxumBody::empty())
        .expect("request");
    let response = router.oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, serde_json::from_slice(&bytes).expect("JSON"))
}

#[tokio::test(start_paused = true)]
async fn buckets_list_their_objects_by_key_and_prefix() {
    let sources = LocalCloud::builder(app()).build().expect("sources");
    for key in ["b/2", "a/1", "b/1"] {
        sources
            .put_object("docs", key, Object::new("xy"))
            .await
            .expect("stored");
    }
    let (status, all) = get(&sources, "/_faasport/buckets/docs").await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = all
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|o| o["key"].as_str())
        .collect();
    assert_eq!(keys, ["a/1", "b/1", "b/2"]);
    assert_eq!(all[0]["size"], 2);
    let (_, some) = get(&sources, "/_faasport/buckets/docs?prefix=b%2F").await;
    assert_eq!(some.as_array().map(Vec::len), Some(2));
    let (status, body) = get(&sources, "/_faasport/buckets/docs?perfix=b").await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test(start_paused = true)]
async fn queues_show_the_messages_they_hold_and_topics_what_was_published() {
    let sources = LocalCloud::builder(app()).build().expect("sources");
    let sent = sources
        .send("outbox", Message::new("mail").with_attribute("to", "ada"))
        .await
        .expect("sent");
    sources
        .publish("orders", Message::new("o1"))
        .await
        .expect("published");
    let (status, queue) = get(&sources, "/_faasport/queues/outbox").await;
    assert_eq!(status, 200);
    assert_eq!(queue[0]["id"], sent.as_str());
    assert_eq!(queue[0]["attributes"]["to"], "ada");
    let (status, topic) = get(&sources, "/_faasport/topics/orders").await;
    assert_eq!(status, 200);
    assert_eq!(topic.as_array().map(Vec::len), Some(1));
    assert_eq!(topic[0]["topic"], "orders");
}

#[tokio::test(start_paused = true)]
async fn undeclared_buckets_queues_and_topics_are_404s_naming_them() {
    let sources = LocalCloud::builder(app()).build().expect("sources");
    for (path, message) in [
        (
            "/_faasport/buckets/nope",
            "bucket `nope` is not declared by the app",
        ),
        (
            "/_faasport/queues/nope",
            "queue `nope` is not declared by the app",
        ),
        (
            "/_faasport/topics/nope",
            "topic `nope` is not declared by the app",
        ),
    ] {
        let (status, body) = get(&sources, path).await;
        assert_eq!((status, body["error"].as_str()), (404, Some(message)));
    }
}
