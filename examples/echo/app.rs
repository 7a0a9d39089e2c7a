//! The echo app: one function, `echo`, with a trigger of every kind, returning what it received.
//!
//! Adapters are checked against it: whatever the platform delivers must come back as the neutral
//! [`Event`] with every field preserved.

use faasport::prelude::*;

/// Returns the event as JSON; an HTTP request gets it as the JSON body of a 200 response.
pub async fn echo(event: Event, _cx: Context) -> Result<Output, Error> {
    let json = serde_json::to_value(&event)?;
    Ok(match event {
        Event::Http(_) => Output::Http(HttpResponse::json(StatusCode::OK, &json)?),
        _ => Output::Json(json),
    })
}

/// The app: `echo` on every trigger kind.
pub fn app() -> App {
    App::new("echo")
        .topic("echo-topic")
        .queue("echo-queue")
        .bucket("echo-bucket")
        .function(
            Function::new("echo", echo)
                .http_any("/")
                .http_any("/{*path}")
                .subscribe("echo-topic")
                .queue("echo-queue")
                .schedule("rate(1 hour)")
                .storage("echo-bucket", &[])
                .change_stream("echo-table")
                .stream("echo-stream")
                .cloud_event("com.example.echo"),
        )
}
