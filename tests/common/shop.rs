//! Business logic shared by the portability tests: it names no cloud.

use faasport::prelude::*;

/// Greets by path parameter.
pub async fn greet(req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    let name = req.path_param("name").unwrap_or("world").to_owned();
    HttpResponse::json(StatusCode::OK, &serde_json::json!({ "hello": name }))
}

/// Fails the messages whose body is `fail`.
pub async fn consume(batch: QueueBatch, _cx: Context) -> Result<BatchOutcome, Error> {
    Ok(BatchOutcome::failed(
        batch
            .messages
            .iter()
            .filter(|m| m.body.as_str() == Some("fail"))
            .map(|m| m.id.clone()),
    ))
}

/// Publishes every order it receives to `audit`.
pub async fn relay(msg: TopicMessage, cx: Context) -> Result<(), Error> {
    cx.topic("audit")
        .publish(Message::new(msg.body))
        .await
        .map(drop)
}

/// The app.
pub fn app() -> App {
    App::new("portable")
        .topic("orders")
        .topic("audit")
        .queue("jobs")
        .function(Function::new("greet", greet).http(Method::GET, "/hello/{name}"))
        .function(Function::new("consume", consume).queue("jobs"))
        .function(Function::new("relay", relay).subscribe("orders"))
}
