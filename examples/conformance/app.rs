//! The app behind the conformance matrix (`tests/conformance/`): one function per behaviour a
//! scenario needs. The same app runs on every backend; the matrix checks that a client sees the
//! same result on each.

use std::time::Duration;

use faasport::prelude::*;
use serde_json::{json, Value};

/// The memory every function declares (the AWS driver's emulator reports the same).
pub const MEMORY_MB: u32 = 256;

async fn item(req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    let id = req.path_param("id").unwrap_or_default().to_owned();
    HttpResponse::json(
        StatusCode::OK,
        &json!({ "id": id, "q": req.query_param("q") }),
    )
}

async fn create(req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    let order: Value = req.read_json()?;
    HttpResponse::json(StatusCode::CREATED, &order)?
        .with_header("location", "/orders/1")?
        .with_header("set-cookie", "session=abc; Path=/")?
        .with_header("set-cookie", "theme=dark")
}

async fn binary(req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    HttpResponse::new(StatusCode::OK)
        .with_body(req.body().clone())
        .with_header("content-type", "application/octet-stream")
}

async fn empty(_req: HttpRequest, _cx: Context) -> Result<(), Error> {
    Ok(())
}

async fn fail(req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    match req.path_param("kind") {
        Some("transient") => Err(Error::transient("the database password is hunter2")),
        _ => Err(Error::permanent("the database password is hunter2")),
    }
}

async fn panics(_req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    panic!("secret panic text")
}

async fn slow(_req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    tokio::time::sleep(Duration::from_secs(30)).await;
    Ok(HttpResponse::ok())
}

async fn context(_req: HttpRequest, cx: Context) -> Result<HttpResponse, Error> {
    let left = cx.remaining_time().unwrap_or_default();
    HttpResponse::json(
        StatusCode::OK,
        &json!({
            "request_id": cx.request_id(),
            "function": cx.function_name(),
            "memory_mb": cx.memory_mb(),
            "attempt": cx.attempt(),
            "deadline_ahead": left > Duration::ZERO && left <= Duration::from_secs(10),
        }),
    )
}

async fn batch(batch: QueueBatch, _cx: Context) -> Result<BatchOutcome, Error> {
    Ok(BatchOutcome::failed(
        batch
            .messages
            .iter()
            .filter(|m| m.body.as_str() == Some("fail"))
            .map(|m| m.id.clone()),
    ))
}

async fn notify(msg: TopicMessage, _cx: Context) -> Result<(), Error> {
    let body: Value = serde_json::from_slice(msg.body.as_bytes())?;
    match (msg.attributes.get("kind").map(String::as_str), body) {
        (Some("created"), body) if body == json!({ "id": 1 }) => Ok(()),
        (kind, body) => Err(Error::permanent(format!(
            "expected kind=created and {{\"id\":1}}, got {kind:?} and {body}"
        ))),
    }
}

async fn nightly(_tick: ScheduleTick, _cx: Context) -> Result<(), Error> {
    Ok(())
}

async fn uploaded(event: StorageEvent, _cx: Context) -> Result<(), Error> {
    if event.bucket == "uploads" && event.key == "my file.txt" && event.size == Some(5) {
        Ok(())
    } else {
        Err(Error::permanent(format!(
            "unexpected storage event {event:?}"
        )))
    }
}

async fn raw(event: CloudEvent, _cx: Context) -> Result<Json<Value>, Error> {
    Ok(Json(json!({
        "type": event.ty,
        "source": event.source,
        "data": event.data,
    })))
}

/// A custom payload taken as `Json<T>`.
#[derive(serde::Deserialize, serde::Serialize)]
struct Order {
    qty: u32,
}

async fn double(Json(order): Json<Order>, _cx: Context) -> Result<Json<Order>, Error> {
    Ok(Json(Order { qty: order.qty * 2 }))
}

async fn doomed(_msg: TopicMessage, _cx: Context) -> Result<(), Error> {
    Err(Error::transient("always fails"))
}

/// The conformance app.
pub fn app() -> App {
    let f = |f: Function| f.memory_mb(MEMORY_MB).timeout(Duration::from_secs(10));
    App::new("conformance")
        .topic("orders")
        .topic("doomed")
        .queue("jobs")
        .bucket("uploads")
        .function(f(
            Function::new("item", item).http(Method::GET, "/items/{id}")
        ))
        .function(f(
            Function::new("create", create).http(Method::POST, "/orders")
        ))
        .function(f(
            Function::new("binary", binary).http(Method::POST, "/binary")
        ))
        .function(f(Function::new("empty", empty).http(Method::GET, "/empty")))
        .function(f(
            Function::new("fail", fail).http(Method::GET, "/fail/{kind}")
        ))
        .function(f(
            Function::new("panics", panics).http(Method::GET, "/panic")
        ))
        .function(
            f(Function::new("slow", slow).http(Method::GET, "/slow"))
                .timeout(Duration::from_secs(1)),
        )
        .function(f(
            Function::new("context", context).http(Method::GET, "/context")
        ))
        .function(f(Function::new("batch", batch).queue("jobs")))
        .function(f(Function::new("notify", notify).subscribe("orders")))
        .function(f(Function::new("nightly", nightly).schedule("0 2 * * *")))
        .function(f(
            Function::new("uploaded", uploaded).storage("uploads", &[StorageEventKind::Created])
        ))
        .function(f(Function::new("raw", raw).cloud_event("com.example.thing")))
        .function(f(Function::new("double", double)))
        // No dead letter of its own and no app default: locally the event stays in the
        // dead-letter list; the SAM template routes it to the generated app queue.
        .function(f(Function::new("doomed", doomed).subscribe("doomed")))
}
