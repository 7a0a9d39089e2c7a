//! The soak app: one route per outcome a caller can meet (success, handler error, timeout).

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

/// The app: `GET /ok`, `GET /error` and `GET /slow`.
pub fn app() -> App {
    App::new("soak")
        .function(Function::new("ok", ok).http(Method::GET, "/ok"))
        .function(Function::new("error", fail).http(Method::GET, "/error"))
        .function(
            Function::new("slow", slow)
                .http(Method::GET, "/slow")
                .timeout(Duration::from_secs(1)),
        )
}
