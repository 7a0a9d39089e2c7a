//! A small shop: an HTTP API that takes orders, a consumer that bills them, a nightly job.
//!
//! Each function declares what it uses (`publishes`, `writes`, `reads`): locally any other use
//! fails naming the function and the resource, and `manifest aws` grants each only that. Events
//! that exhaust their retries land in the `failed` queue, locally and on the cloud.

use std::time::Duration;

use faasport::prelude::*;
use serde::{Deserialize, Serialize};

/// An order as the API takes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Order {
    /// Who ordered.
    pub customer: String,
    /// Amount in cents.
    pub amount_cents: u64,
}

/// Connection-like state built once per instance (the cold start).
pub struct Catalogue {
    max_amount_cents: u64,
}

/// `POST /orders`: validates the order and publishes it to the `orders` topic.
pub async fn create_order(req: HttpRequest, cx: Context) -> Result<HttpResponse, Error> {
    let order: Order = match req.read_json() {
        Ok(order) => order,
        Err(e) => {
            return Ok(HttpResponse::text(
                StatusCode::BAD_REQUEST,
                format!("bad order: {e}"),
            ))
        }
    };
    let limit = cx
        .state::<Catalogue>()
        .map_or(u64::MAX, |c| c.max_amount_cents);
    if order.amount_cents == 0 || order.amount_cents > limit {
        return Ok(HttpResponse::text(
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount out of range",
        ));
    }
    // Simulated work: validation against a datastore.
    tokio::time::sleep(Duration::from_millis(40)).await;
    let id = cx.topic("orders").publish(Message::json(&order)?).await?;
    HttpResponse::json(
        StatusCode::CREATED,
        &serde_json::json!({ "id": id, "order": order }),
    )
}

/// Bills each published order and keeps a receipt; a failure is retried by the platform.
pub async fn bill(msg: TopicMessage, cx: Context) -> Result<(), Error> {
    let order: Order = msg.body.to_json()?;
    tokio::time::sleep(Duration::from_millis(20 + order.amount_cents % 30)).await;
    cx.bucket("receipts")
        .put(&format!("receipts/{}", msg.id), msg.body)
        .await?;
    Ok(())
}

/// Runs at 02:00 UTC every day: counts the receipts.
pub async fn nightly(_tick: ScheduleTick, cx: Context) -> Result<(), Error> {
    let receipts = cx.bucket("receipts").list("receipts/").await?;
    tracing::info!(receipts = receipts.len(), "nightly report");
    tokio::time::sleep(Duration::from_millis(900)).await;
    Ok(())
}

/// The app declaration: the same value runs locally, on Lambda, on Cloud Run or on Azure.
pub fn app() -> App {
    App::new("shop")
        .topic("orders")
        .bucket("receipts")
        .queue("failed")
        .dead_letter(DeadLetter::Queue("failed".into()))
        .function(
            Function::new("create-order", create_order)
                .init(|| async {
                    tokio::time::sleep(Duration::from_millis(120)).await;
                    Ok::<_, Error>(Catalogue {
                        max_amount_cents: 1_000_000,
                    })
                })
                .http(Method::POST, "/orders")
                .publishes("orders")
                .memory_mb(256)
                .timeout(Duration::from_secs(10)),
        )
        .function(
            Function::new("bill", bill)
                .subscribe("orders")
                .writes("receipts")
                .max_instances(50),
        )
        .function(
            Function::new("nightly", nightly)
                .schedule("0 2 * * *")
                .reads("receipts")
                .memory_mb(512)
                .timeout(Duration::from_secs(60)),
        )
}
