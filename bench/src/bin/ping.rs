//! The gateway row's faasport side: one function, `GET /ping` answering `pong`, the same handler
//! `bare-axum` serves. `ping serve --port N` serves it on the local runtime's gateway.

use faasport::http::{Method, StatusCode};
use faasport::prelude::*;

async fn ping(_req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::text(StatusCode::OK, faasport_bench::PONG))
}

#[tokio::main]
async fn main() -> Result<(), faasport::Error> {
    faasport::run(App::new("ping").function(Function::new("ping", ping).http(Method::GET, "/ping")))
        .await
}
