//! What one pending topic delivery keeps resident, measured from the process's RSS.
//!
//! The subscriber is capped at one instance and never finishes, so every message after the
//! first waits for capacity: the overload of `POST /orders` in miniature. Prints the figure
//! that BENCHMARKS.md records (`cargo test -p faasport-adapter-local --test pending_memory --
//! --nocapture`).

use std::time::Duration;

use faasport_adapter_local::{DepthLimit, LocalCloud, LocalConfig};
use faasport_core::{App, Context, Error, Function, Message, TopicMessage};

/// The resident set size, in bytes (Linux; 0 elsewhere).
fn resident_bytes() -> i64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: i64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

async fn stuck(_m: TopicMessage, _cx: Context) -> Result<(), Error> {
    std::future::pending().await
}

const MESSAGES: i64 = 20_000;

#[tokio::test(start_paused = true)]
async fn a_pending_delivery_keeps_a_few_kilobytes_at_most() {
    let app = App::new("m").topic("orders").function(
        Function::new("bill", stuck)
            .subscribe("orders")
            .max_instances(1)
            .timeout(Duration::from_secs(900)),
    );
    let config = LocalConfig::default()
        .topic_history(0)
        .max_depth(DepthLimit::new(100_000));
    let sources = LocalCloud::builder(app)
        .config(config)
        .build()
        .expect("valid app");
    sources.start();
    let body = r#"{"customer":"c-1","amount_cents":1234}"#;
    sources
        .publish("orders", Message::new(body))
        .await
        .expect("published");
    tokio::time::sleep(Duration::from_millis(10)).await;
    let before = resident_bytes();
    for _ in 0..MESSAGES {
        sources
            .publish("orders", Message::new(body))
            .await
            .expect("published");
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    let per_message = (resident_bytes() - before) / MESSAGES;
    println!("resident bytes per pending message: {per_message}");
    assert_eq!(sources.deliveries().pending, MESSAGES as u64 + 1);
    assert!(
        per_message < 16_384,
        "{per_message} bytes per pending message"
    );
}
