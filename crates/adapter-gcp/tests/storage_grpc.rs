//! Bucket delete and list at the protocol level.
//!
//! `google-cloud-storage` deletes and lists through `StorageControl`, which speaks only gRPC
//! (`google.storage.v2.Storage`). fake-gcs-server serves the JSON API and a `google.storage.v1`
//! gRPC API, not v2 (and no h2c), so these calls cannot run against it
//! (`tests/peers/storage.rs` shows that they fail there). This test is a small fake of the two
//! v2 methods over h2c: it checks the requests the crate sends (method path, routing header,
//! the protobuf fields) and answers as Cloud Storage does, including `NOT_FOUND` and
//! `PERMISSION_DENIED` and a listing of two pages. The messages are declared here with
//! `prost`, with the field numbers of `google/storage/v2/storage.proto`.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::{BufMut, Bytes, BytesMut};
use faasport_adapter_gcp::bindings::{Endpoint, GcpBindings};
use faasport_adapter_gcp::names::ResourceNames;
use faasport_core::resource::ObjectStore;
use faasport_core::{Error, ResourceKind};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use prost::Message as _;

#[derive(Clone, PartialEq, prost::Message)]
struct DeleteObjectRequest {
    #[prost(string, tag = "1")]
    bucket: String,
    #[prost(string, tag = "2")]
    object: String,
    #[prost(int64, tag = "4")]
    generation: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ListObjectsRequest {
    #[prost(string, tag = "1")]
    parent: String,
    #[prost(int32, tag = "2")]
    page_size: i32,
    #[prost(string, tag = "3")]
    page_token: String,
    #[prost(string, tag = "4")]
    delimiter: String,
    #[prost(string, tag = "6")]
    prefix: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct StorageObject {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(string, tag = "2")]
    bucket: String,
    #[prost(int64, tag = "6")]
    size: i64,
    #[prost(message, optional, tag = "17")]
    update_time: Option<prost_types::Timestamp>,
    #[prost(string, tag = "27")]
    etag: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ListObjectsResponse {
    #[prost(message, repeated, tag = "1")]
    objects: Vec<StorageObject>,
    #[prost(string, tag = "3")]
    next_page_token: String,
}

/// One request the fake received.
#[derive(Debug, Clone)]
struct Call {
    path: String,
    routing: String,
    content_type: String,
    body: Bytes,
}

const BUCKET: &str = "projects/_/buckets/shop-uploads-1";

fn object(name: &str, size: i64) -> StorageObject {
    StorageObject {
        name: name.into(),
        bucket: BUCKET.into(),
        size,
        update_time: Some(prost_types::Timestamp {
            seconds: 1_767_225_600,
            nanos: 0,
        }),
        etag: format!("etag-{name}"),
    }
}

/// Frames a gRPC message (uncompressed).
fn frame(message: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(message.len() + 5);
    out.put_u8(0);
    out.put_u32(u32::try_from(message.len()).expect("small"));
    out.put_slice(message);
    out.freeze()
}

/// The answer to one call: a message, or a gRPC status code and message.
fn answer(call: &Call) -> Result<Vec<u8>, (u8, &'static str)> {
    let message = call.body.get(5..).unwrap_or_default();
    match call.path.as_str() {
        "/google.storage.v2.Storage/DeleteObject" => {
            let request = DeleteObjectRequest::decode(message).expect("a DeleteObjectRequest");
            match request.object.as_str() {
                "gone" => Err((5, "No such object: shop-uploads-1/gone")),
                "locked" => Err((7, "caller does not have storage.objects.delete access")),
                _ => Ok(Vec::new()), // google.protobuf.Empty
            }
        }
        "/google.storage.v2.Storage/ListObjects" => {
            let request = ListObjectsRequest::decode(message).expect("a ListObjectsRequest");
            let page = match request.page_token.as_str() {
                "" => ListObjectsResponse {
                    objects: vec![object("in/b.txt", 2), object("in/a.txt", 1)],
                    next_page_token: "page-2".into(),
                },
                "page-2" => ListObjectsResponse {
                    objects: vec![object("in/c.txt", 3)],
                    next_page_token: String::new(),
                },
                _ => return Err((3, "bad page token")),
            };
            Ok(page.encode_to_vec())
        }
        _ => Err((12, "unimplemented")),
    }
}

/// Starts the fake on a loopback port; returns its URL and the calls it records.
async fn fake() -> (String, Arc<Mutex<Vec<Call>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
    let recorded = calls.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let recorded = recorded.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: http::Request<hyper::body::Incoming>| {
                        let recorded = recorded.clone();
                        async move {
                            let header = |name: &str| {
                                request
                                    .headers()
                                    .get(name)
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or_default()
                                    .to_owned()
                            };
                            let (routing, content_type) =
                                (header("x-goog-request-params"), header("content-type"));
                            let path = request.uri().path().to_owned();
                            let body = request
                                .into_body()
                                .collect()
                                .await
                                .map(|c| c.to_bytes())
                                .unwrap_or_default();
                            let call = Call {
                                path,
                                routing,
                                content_type,
                                body,
                            };
                            recorded.lock().expect("calls").push(call.clone());
                            let (data, status, message) = match answer(&call) {
                                Ok(reply) => (Some(frame(&reply)), 0, ""),
                                Err((code, text)) => (None, code, text),
                            };
                            let mut trailers = http::HeaderMap::new();
                            trailers
                                .insert("grpc-status", http::HeaderValue::from(u16::from(status)));
                            if !message.is_empty() {
                                trailers.insert(
                                    "grpc-message",
                                    http::HeaderValue::from_static(message),
                                );
                            }
                            let frames: Vec<Result<Frame<Bytes>, Infallible>> = data
                                .map(Frame::data)
                                .into_iter()
                                .chain([Frame::trailers(trailers)])
                                .map(Ok)
                                .collect();
                            let response = http::Response::builder()
                                .status(200)
                                .header("content-type", "application/grpc")
                                .body(StreamBody::new(futures::stream::iter(frames)))
                                .expect("a response");
                            Ok::<_, Infallible>(response)
                        }
                    },
                );
                let _ =
                    hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
            });
        }
    });
    (url, calls)
}

fn bindings(url: &str) -> GcpBindings {
    GcpBindings::with_endpoints(
        ResourceNames::default().with_bucket("uploads", "shop-uploads-1"),
        Endpoint::from_vars(None, None),
        Endpoint::from_vars(Some(url.to_owned()), None),
    )
}

#[tokio::test]
async fn delete_sends_storage_v2_delete_object_and_a_missing_object_counts_as_deleted() {
    let (url, calls) = fake().await;
    let store = bindings(&url);
    store.delete("uploads", "in/a.txt").await.expect("deleted");
    store
        .delete("uploads", "gone")
        .await
        .expect("missing is deleted");
    let denied = store.delete("uploads", "locked").await.expect_err("denied");
    match denied {
        Error::Binding {
            kind: ResourceKind::Bucket,
            name,
            retryable,
            source,
        } => {
            assert_eq!(name, "uploads");
            assert!(!retryable);
            assert!(
                source.to_string().contains("storage.objects.delete"),
                "{source}"
            );
        }
        other => panic!("{other:?}"),
    }

    let calls = calls.lock().expect("calls").clone();
    assert_eq!(
        calls.len(),
        3,
        "no retries of a non-idempotent delete: {calls:?}"
    );
    let first = &calls[0];
    assert_eq!(first.path, "/google.storage.v2.Storage/DeleteObject");
    assert!(
        first.content_type.starts_with("application/grpc"),
        "{}",
        first.content_type
    );
    assert!(
        first
            .routing
            .split('&')
            .any(|p| p == "bucket=projects%2F_%2Fbuckets%2Fshop-uploads-1"), // percent-encoded, as gRPC routing headers are
        "x-goog-request-params: {}",
        first.routing
    );
    let request = DeleteObjectRequest::decode(&first.body[5..]).expect("decoded");
    assert_eq!(
        request,
        DeleteObjectRequest {
            bucket: BUCKET.into(),
            object: "in/a.txt".into(),
            generation: 0,
        }
    );
}

#[tokio::test]
async fn list_reads_every_page_of_storage_v2_list_objects_in_key_order() {
    let (url, calls) = fake().await;
    let listed = bindings(&url).list("uploads", "in/").await.expect("listed");
    let keys: Vec<(&str, u64)> = listed.iter().map(|o| (o.key.as_str(), o.size)).collect();
    assert_eq!(keys, [("in/a.txt", 1), ("in/b.txt", 2), ("in/c.txt", 3)]);
    assert_eq!(listed[0].etag.as_deref(), Some("etag-in/a.txt"));
    assert_eq!(
        listed[0].last_modified.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-01-01T00:00:00+00:00")
    );

    let calls = calls.lock().expect("calls").clone();
    let requests: Vec<ListObjectsRequest> = calls
        .iter()
        .map(|c| {
            assert_eq!(c.path, "/google.storage.v2.Storage/ListObjects");
            ListObjectsRequest::decode(&c.body[5..]).expect("decoded")
        })
        .collect();
    assert_eq!(requests.len(), 2);
    for (request, token) in requests.iter().zip(["", "page-2"]) {
        assert_eq!(request.parent, BUCKET);
        assert_eq!(request.prefix, "in/");
        assert_eq!(request.page_token, token);
        assert_eq!(
            request.delimiter, "",
            "a flat listing, like S3's and local's"
        );
    }
}
