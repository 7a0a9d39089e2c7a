//! `faasport::testing` as a user's crate sees it: only the public API of `faasport` (the prelude,
//! the harness and the local types it hands back). HTTP through the real router, a topic into a
//! bucket, retries into dead letters, a cron tick, faults and cost, all on the virtual clock.
#![cfg(feature = "local")]

use std::time::Duration;

use faasport::core::chrono::{TimeZone, Utc};
use faasport::local::{BillingProvider, DeadLetterSource, FaultPlan, Faults, Outcome};
use faasport::prelude::*;
use faasport::testing::TestApp;

async fn create_order(req: HttpRequest, cx: Context) -> Result<HttpResponse, Error> {
    let order: serde_json::Value = req.read_json()?;
    if order["qty"].as_u64().unwrap_or(0) == 0 {
        return Err(Error::bad_request("`qty` must be at least 1"));
    }
    let id = cx.topic("orders").publish(Message::json(&order)?).await?;
    HttpResponse::json(StatusCode::CREATED, &serde_json::json!({ "id": id }))
}

async fn get_order(req: HttpRequest, cx: Context) -> Result<HttpResponse, Error> {
    let id = req.path_param("id").unwrap_or_default().to_owned();
    match cx.bucket("invoices").get(&format!("{id}.json")).await? {
        Some(invoice) => Ok(HttpResponse::new(StatusCode::OK).with_body(invoice.body)),
        None => Ok(HttpResponse::text(StatusCode::NOT_FOUND, "no such order")),
    }
}

async fn invoice(msg: TopicMessage, cx: Context) -> Result<(), Error> {
    cx.bucket("invoices")
        .put(&format!("{}.json", msg.id), msg.body)
        .await
        .map(drop)
}

async fn notify(_msg: TopicMessage, _cx: Context) -> Result<(), Error> {
    Err(Error::transient("mail server down"))
}

async fn ship(batch: QueueBatch, _cx: Context) -> Result<BatchOutcome, Error> {
    Ok(BatchOutcome::failed(
        batch
            .messages
            .iter()
            .filter(|m| m.body.as_str() == Some("fragile"))
            .map(|m| m.id.clone()),
    ))
}

async fn nightly(_tick: ScheduleTick, cx: Context) -> Result<(), Error> {
    cx.bucket("invoices")
        .put("nightly.txt", "done")
        .await
        .map(drop)
}

fn shop() -> App {
    App::new("shop")
        .topic("orders")
        .bucket("invoices")
        .queue_spec(
            QueueSpec::new("shipments")
                .max_receive_count(2)
                .dead_letter_queue("shipments-dlq"),
        )
        .queue("shipments-dlq")
        .function(Function::new("create-order", create_order).http(Method::POST, "/orders"))
        .function(Function::new("get-order", get_order).http(Method::GET, "/orders/{id}"))
        .function(Function::new("invoice", invoice).subscribe("orders"))
        .function(Function::new("notify", notify).subscribe("orders"))
        .function(Function::new("ship", ship).queue("shipments"))
        .function(Function::new("nightly", nightly).schedule("0 2 * * *"))
}

fn post(path: &str, body: &'static str) -> faasport::http::Request<&'static str> {
    faasport::http::Request::post(path)
        .header("content-type", "application/json")
        .body(body)
        .expect("a valid request")
}

fn get(path: &str) -> faasport::http::Request<&'static str> {
    faasport::http::Request::get(path)
        .body("")
        .expect("a valid request")
}

#[tokio::test]
async fn an_order_posted_over_http_is_invoiced_through_the_topic_into_the_bucket() {
    let app = TestApp::new(shop()).expect("a valid app");
    let created = app.http(post("/orders", r#"{"sku":"tea","qty":2}"#)).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert!(created.headers().contains_key("x-request-id"));
    let id = created.body().to_json::<serde_json::Value>().expect("JSON")["id"]
        .as_str()
        .expect("an id")
        .to_owned();

    app.settle().await.expect("settled");
    let published = app.published("orders");
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].id, id);
    let keys: Vec<String> = app
        .objects("invoices")
        .await
        .expect("listed")
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(keys, [format!("{id}.json")]);

    let fetched = app.http(get(&format!("/orders/{id}"))).await;
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.body().as_str(), Some(r#"{"qty":2,"sku":"tea"}"#));
}

#[tokio::test]
async fn the_gateway_answers_bad_requests_unknown_paths_and_wrong_methods_with_their_statuses() {
    let app = TestApp::new(shop()).expect("a valid app");
    let bad = app.http(post("/orders", r#"{"sku":"tea","qty":0}"#)).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = bad.body().to_json().expect("JSON");
    assert_eq!(body["error"], "bad request: `qty` must be at least 1");

    let not_json = app.http(post("/orders", "{oops")).await;
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);

    let missing = app.http(get("/nowhere")).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let wrong = app
        .http(
            faasport::http::Request::delete("/orders")
                .body("")
                .expect("request"),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.headers()["allow"], "POST");
    assert!(app.published("orders").is_empty(), "nothing was accepted");
}

#[tokio::test]
async fn the_router_is_a_tower_service_for_oneshot_tests() {
    use faasport::local::axum::body::Body as AxumBody;
    use tower::ServiceExt as _;

    let app = TestApp::new(shop()).expect("a valid app");
    let request = faasport::http::Request::post("/orders")
        .body(AxumBody::from(r#"{"qty":1}"#))
        .expect("request");
    let response = app.router().oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn invoking_by_name_returns_the_handlers_own_error() {
    let app = TestApp::new(shop()).expect("a valid app");
    let request = HttpRequest::new(Method::POST, "/orders")
        .expect("request")
        .with_body(r#"{"qty":0}"#);
    let refused = app.invoke("create-order", request).await;
    assert!(
        matches!(&refused, Err(Error::BadRequest { reason }) if reason == "`qty` must be at least 1"),
        "{refused:?}"
    );
    let unknown = app
        .invoke("nope", Event::from_json(serde_json::json!({})))
        .await;
    assert!(
        matches!(unknown, Err(Error::UnknownFunction { .. })),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn a_published_ordering_key_is_kept_on_the_delivered_message() {
    let app = TestApp::new(shop()).expect("a valid app");
    app.publish(
        "orders",
        Message::new(r#"{"qty":1}"#).with_ordering_key("customer-7"),
    )
    .await
    .expect("published");
    let published = app.published("orders");
    assert_eq!(published[0].ordering_key.as_deref(), Some("customer-7"));
}

#[tokio::test]
async fn a_failing_subscriber_is_retried_twice_then_dead_lettered() {
    let app = TestApp::new(shop()).expect("a valid app");
    app.publish("orders", Message::new(r#"{"qty":1}"#))
        .await
        .expect("published");
    app.settle().await.expect("settled");

    let attempts: Vec<(u32, Outcome)> = app
        .invocations("notify")
        .iter()
        .map(|r| (r.attempt, r.outcome))
        .collect();
    assert_eq!(
        attempts,
        [
            (1, Outcome::Error),
            (2, Outcome::Error),
            (3, Outcome::Error)
        ]
    );
    let letters = app.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(
        letters[0].source,
        DeadLetterSource::Function("notify".into())
    );
    assert_eq!(
        letters[0].reason,
        "TransientError: mail server down (after 3 attempts)"
    );
    assert_eq!(
        app.invocations("invoice").len(),
        1,
        "the other subscriber succeeded once"
    );
}

#[tokio::test]
async fn a_message_that_keeps_failing_lands_in_the_dead_letter_queue() {
    let app = TestApp::new(shop()).expect("a valid app");
    app.send("shipments", Message::new("sturdy"))
        .await
        .expect("sent");
    let fragile = app
        .send("shipments", Message::new("fragile"))
        .await
        .expect("sent");
    app.settle().await.expect("settled");

    assert!(app.queue("shipments").is_empty());
    let parked = app.queue("shipments-dlq");
    assert_eq!(parked.len(), 1);
    let event: serde_json::Value = parked[0].body.to_json().expect("JSON");
    assert_eq!(event["event"]["messages"][0]["id"], fragile.as_str());
    assert_eq!(
        parked[0].attributes["faasport-dead-letter-source"],
        "queue `shipments`"
    );
    assert_eq!(app.dead_letters()[0].attempts, 2);
}

#[tokio::test]
async fn the_nightly_job_runs_when_the_clock_passes_two_oclock() {
    let start = Utc
        .with_ymd_and_hms(2026, 3, 1, 1, 58, 0)
        .single()
        .expect("time");
    let app = TestApp::builder(shop())
        .clock_start(start)
        .build()
        .expect("a valid app");
    app.advance(Duration::from_secs(60)).await;
    assert!(app.invocations("nightly").is_empty(), "01:59: not yet");
    app.advance(Duration::from_secs(2 * 60)).await;
    app.settle().await.expect("settled");
    assert_eq!(app.invocations("nightly").len(), 1);
    let done = app.object("invoices", "nightly.txt").await.expect("read");
    assert_eq!(
        done.and_then(|o| o.body.as_str().map(str::to_owned))
            .as_deref(),
        Some("done")
    );
}

#[tokio::test]
async fn injected_faults_fail_invocations_and_cold_starts_and_cost_are_measured() {
    let app = TestApp::builder(shop())
        .faults(FaultPlan::new(3).function("invoice", Faults::new().error_rate(1.0)))
        .build()
        .expect("a valid app");
    for _ in 0..3 {
        let created = app.http(post("/orders", r#"{"qty":1}"#)).await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    app.settle().await.expect("settled");
    assert_eq!(app.invocations("invoice").len(), 9, "3 orders × 3 attempts");
    assert!(app.objects("invoices").await.expect("listed").is_empty());
    assert_eq!(
        app.cold_starts("create-order"),
        1,
        "one request at a time reuses the instance"
    );
    let providers: Vec<BillingProvider> = app.cost().iter().map(|c| c.provider).collect();
    assert_eq!(
        providers,
        [
            BillingProvider::AwsLambda,
            BillingProvider::CloudRun,
            BillingProvider::AzureConsumption,
            BillingProvider::AzureFlex
        ]
    );
    assert!(app.cost().iter().all(|c| c.total > 0.0));
}
