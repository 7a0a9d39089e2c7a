//! The Azure row's baseline: a bare hyper server on `FUNCTIONS_CUSTOMHANDLER_PORT` (or
//! `--port N`) that decodes each custom handler invocation request (`{"Data", "Metadata"}`) and
//! answers `{"Outputs": {}, "Logs": [], "ReturnValue": ..}` with the trigger's message (decoded
//! once more when the host encoded it as a JSON string) and the metadata, as the echo example
//! does under the azure adapter. `GET /` answers 200, the host's readiness probe.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.method() == http::Method::GET {
        return Ok(Response::new(Full::new(Bytes::new())));
    }
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(status(StatusCode::BAD_REQUEST)),
    };
    let Ok(Value::Object(mut invocation)) = serde_json::from_slice::<Value>(&body) else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    let mut trigger = invocation
        .get_mut("Data")
        .and_then(|data| data.get_mut("trigger"))
        .map(Value::take)
        .unwrap_or(Value::Null);
    if let Value::String(text) = &trigger {
        if let Ok(decoded) = serde_json::from_str::<Value>(text) {
            trigger = decoded;
        }
    }
    let metadata = invocation.remove("Metadata").unwrap_or(Value::Null);
    let answer = json!({
        "Outputs": {},
        "Logs": [],
        "ReturnValue": {"message": trigger, "metadata": metadata},
    });
    let mut response = Response::new(Full::new(Bytes::from(answer.to_string())));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

fn status(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = match std::env::var("FUNCTIONS_CUSTOMHANDLER_PORT") {
        Ok(port) => format!("127.0.0.1:{port}").parse()?,
        Err(_) => faasport_bench::port_arg(3000)?,
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}
