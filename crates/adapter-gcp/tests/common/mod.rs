//! Fixtures and requests shared by the adapter's tests.
#![allow(dead_code)]

use bytes::Bytes;
use faasport_adapter_gcp::event::{from_request, Invocation, SourceNames};
use faasport_adapter_gcp::names::ResourceNames;
use faasport_core::{Context, Error, Event, Function, Output};

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub async fn echo(event: Event, _cx: Context) -> Result<Output, Error> {
    Ok(Output::Json(serde_json::to_value(&event)?))
}

/// A function with every trigger, like the echo example.
pub fn every_trigger() -> Function {
    Function::new("echo", echo)
        .http_any("/")
        .subscribe("gcf-test")
        .storage("some-bucket", &[])
        .schedule("0 2 * * *")
}

pub fn names_for(function: &Function) -> SourceNames {
    SourceNames::for_function(function, ResourceNames::default())
}

pub fn request(
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> http::Request<Bytes> {
    let mut builder = http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Bytes::copy_from_slice(body))
        .expect("a valid request")
}

pub fn read(headers: &[(&str, &str)], body: &[u8]) -> Invocation {
    from_request(
        request("POST", "/", headers, body),
        &names_for(&every_trigger()),
    )
    .expect("the request maps to an event")
}

pub fn from_path(path: &str, body: &[u8]) -> Invocation {
    from_request(
        request("POST", path, &[("content-type", "application/json")], body),
        &names_for(&every_trigger()),
    )
    .expect("the request maps to an event")
}
