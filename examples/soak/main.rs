//! A load-test target with every outcome a caller can meet: success, handler errors and
//! timeouts. RELIABILITY.md drives it with `wrk` for the mixed 1,000,000-request run.
//!
//! ```sh
//! cargo run --release --example soak -- serve --port 18080
//! curl -i localhost:18080/ok      # 200
//! curl -i localhost:18080/error   # 500, a handler error
//! curl -i localhost:18080/slow    # 504 after the 1 s timeout (the handler would take 2 s)
//! ```

use std::time::Duration;

use faasport::prelude::*;

/// Always answers 200.
async fn ok(_req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::text(StatusCode::OK, "ok"))
}

/// Always fails: the gateway answers 500.
async fn fail(_req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    Err(Error::permanent("this route always fails"))
}

/// Takes twice its 1 s timeout: the gateway answers 504.
async fn slow(_req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(HttpResponse::text(StatusCode::OK, "too late"))
}

fn app() -> App {
    App::new("soak")
        .function(Function::new("ok", ok).http(Method::GET, "/ok"))
        .function(Function::new("error", fail).http(Method::GET, "/error"))
        .function(
            Function::new("slow", slow)
                .http(Method::GET, "/slow")
                .timeout(Duration::from_secs(1)),
        )
}

#[tokio::main]
async fn main() -> Result<(), faasport::Error> {
    faasport::run(app()).await
}
