//! The aws-context app: what a function sees of its platform.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use faasport::prelude::*;
use serde_json::{json, Value};

/// The timeout `context` declares; under an emulator without a real deadline it is the time left.
pub const CONTEXT_TIMEOUT: Duration = Duration::from_secs(7);

/// The context as JSON.
async fn context(_event: Event, cx: Context) -> Result<Value, Error> {
    Ok(json!({
        "request_id": cx.request_id(),
        "function_name": cx.function_name(),
        "invoked_function_arn": cx.metadata("invoked_function_arn"),
        "function_version": cx.metadata("function_version"),
        "trace_id": cx.trace_id(),
        "memory_mb": cx.memory_mb(),
        "provider": cx.provider().as_str(),
        "attempt": cx.attempt(),
        "remaining_ms": cx.remaining_time().map(|left| left.as_millis()),
    }))
}

/// Panics on `{"panic": true}`; otherwise counts the events this instance has served.
async fn flaky(event: Event, cx: Context) -> Result<Value, Error> {
    let served = cx
        .state::<AtomicU64>()
        .map_or(0, |count| count.fetch_add(1, Ordering::SeqCst) + 1);
    if let Event::CloudEvent(cloud) = &event {
        if cloud
            .data
            .as_ref()
            .is_some_and(|data| data["panic"] == true)
        {
            panic!("flaky was asked to panic");
        }
    }
    Ok(json!({ "pid": std::process::id(), "served": served }))
}

async fn never_called(_event: Event, _cx: Context) -> Result<(), Error> {
    Ok(())
}

/// The app: `context`, `flaky` and `broken-init`.
pub fn app() -> App {
    App::new("aws-context")
        .function(
            Function::new("context", context)
                .memory_mb(1024)
                .timeout(CONTEXT_TIMEOUT),
        )
        .function(
            Function::new("flaky", flaky)
                .init(|| async { Ok::<_, std::io::Error>(AtomicU64::new(0)) }),
        )
        .function(
            Function::new("broken-init", never_called).init(|| async {
                Err::<(), _>(std::io::Error::other("the database is unreachable"))
            }),
        )
}
