//! Maximum depth of topics and queues: past it a publish or send is throttled (or waits, as the
//! profile says), nothing accepted is lost, and the depth frees as deliveries end.

use std::time::Duration;

use faasport_adapter_local::{Backpressure, DepthLimit, LocalCloud, LocalConfig};
use faasport_core::{App, Context, Error, Event, Function, Message, QueueSpec, TopicMessage};
use tokio::time::Instant;

async fn slow(_m: TopicMessage, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_secs(10)).await;
    Ok(())
}

/// Publishes two orders, one after the other, from inside a function.
async fn produce(_e: Event, cx: Context) -> Result<(), Error> {
    cx.topic("orders").publish(Message::new("1")).await?;
    cx.topic("orders").publish(Message::new("2")).await?;
    Ok(())
}

fn shop() -> App {
    App::new("d")
        .topic("orders")
        .function(Function::new("bill", slow).subscribe("orders"))
        .function(Function::new("produce", produce).publishes("orders"))
}

fn sources(app: App, limit: DepthLimit) -> LocalCloud {
    let config = LocalConfig::default().max_depth(limit);
    LocalCloud::builder(app)
        .config(config)
        .build()
        .expect("valid app")
}

#[tokio::test(start_paused = true)]
async fn publishing_past_a_topics_depth_is_throttled_and_nothing_accepted_is_lost() {
    let sources = sources(shop(), DepthLimit::new(3));
    for _ in 0..3 {
        sources
            .publish("orders", Message::new("o"))
            .await
            .expect("room");
    }
    let refused = sources.publish("orders", Message::new("o")).await;
    match refused {
        Err(Error::Throttled { retry_after, .. }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(1)));
        }
        other => panic!("expected a throttle, got {other:?}"),
    }
    assert_eq!(sources.published("orders").len(), 3);
    sources
        .settle_within(Duration::from_secs(60))
        .await
        .expect("settled");
    let counts = sources.deliveries();
    assert_eq!((counts.deliveries, counts.processed), (3, 3));
    assert_eq!((counts.dead_lettered, counts.pending), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn the_depth_frees_as_deliveries_complete() {
    let sources = sources(shop(), DepthLimit::new(2));
    sources
        .publish("orders", Message::new("a"))
        .await
        .expect("room");
    sources
        .publish("orders", Message::new("b"))
        .await
        .expect("room");
    assert!(sources.publish("orders", Message::new("c")).await.is_err());
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(sources.deliveries().processed, 2);
    sources
        .publish("orders", Message::new("c"))
        .await
        .expect("room again");
    sources
        .publish("orders", Message::new("d"))
        .await
        .expect("room again");
    sources
        .settle_within(Duration::from_secs(60))
        .await
        .expect("settled");
    assert_eq!(sources.deliveries().processed, 4);
}

#[tokio::test(start_paused = true)]
async fn a_handler_past_the_depth_waits_for_room_when_the_limit_blocks() {
    let limit = DepthLimit::new(1).when_full(Backpressure::Block);
    let sources = sources(shop(), limit);
    let started = Instant::now();
    let invocation = sources
        .runtime()
        .invoke(
            "produce",
            Event::Topic(TopicMessage::new("start", "s-1", "{}")),
        )
        .await
        .expect("invoked");
    assert!(invocation.result.is_ok(), "{:?}", invocation.result);
    // The second publish waited for the first order's 10 s delivery to end.
    assert!(started.elapsed() >= Duration::from_secs(10));
    sources
        .settle_within(Duration::from_secs(60))
        .await
        .expect("settled");
    assert_eq!(sources.deliveries().processed, 2);
}

#[tokio::test(start_paused = true)]
async fn a_handler_past_the_depth_is_throttled_when_the_limit_rejects() {
    let sources = sources(shop(), DepthLimit::new(1));
    let invocation = sources
        .runtime()
        .invoke(
            "produce",
            Event::Topic(TopicMessage::new("start", "s-1", "{}")),
        )
        .await
        .expect("invoked");
    let error = invocation
        .result
        .expect_err("the second publish is refused");
    let response = faasport_core::contract::http_response("produce", "r", Err(error));
    assert_eq!(
        response.status(),
        faasport_core::http::StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(response.headers()["retry-after"], "1");
}

#[tokio::test(start_paused = true)]
async fn a_queue_takes_its_own_depth_over_the_configured_one() {
    let app = App::new("q")
        .queue_spec(QueueSpec::new("jobs").max_depth(2))
        .queue("mail")
        .function(Function::new("produce", produce).publishes("orders"))
        .topic("orders");
    let sources = sources(app, DepthLimit::new(3));
    for _ in 0..2 {
        sources.send("jobs", Message::new("j")).await.expect("room");
    }
    assert!(matches!(
        sources.send("jobs", Message::new("j")).await,
        Err(Error::Throttled { .. })
    ));
    for _ in 0..3 {
        sources.send("mail", Message::new("m")).await.expect("room");
    }
    assert!(matches!(
        sources.send("mail", Message::new("m")).await,
        Err(Error::Throttled { .. })
    ));
    assert_eq!(sources.queue_stats("jobs").map(|s| s.sent), Some(2));
}

#[test]
fn each_profile_has_a_depth_and_a_backpressure() {
    use faasport_adapter_local::Profile;
    assert_eq!(
        DepthLimit::for_profile(&Profile::aws()),
        DepthLimit::new(10_000)
    );
    assert_eq!(
        DepthLimit::for_profile(&Profile::gcp()).when_full,
        Backpressure::Queue {
            deadline: Duration::from_secs(60)
        }
    );
}
