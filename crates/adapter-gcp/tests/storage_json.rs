//! Bucket put and get at the protocol level: what fake-gcs-server does not show.
//!
//! `tests/peers/storage.rs` writes and reads through fake-gcs-server, which ignores the media
//! type the crate sends in the upload's metadata part. This fake of the two JSON API routes the
//! crate uses checks the upload as Cloud Storage reads it (the query names the object, the
//! metadata part carries its media type and checksum, the media part holds the bytes) and answers with the object resource and
//! the download headers Cloud Storage sends, so the media type, entity tag and time are seen to
//! come back through the binding.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use faasport_adapter_gcp::bindings::{Endpoint, GcpBindings};
use faasport_adapter_gcp::names::ResourceNames;
use faasport_core::resource::ObjectStore;
use faasport_core::Object;
use http_body_util::{BodyExt, Full};

/// One upload the fake received: its query, metadata JSON and media bytes.
#[derive(Debug, Clone)]
struct Upload {
    query: String,
    metadata: serde_json::Value,
    media: Bytes,
}

/// The parts of a `multipart/related` body.
fn parts(content_type: &str, body: &[u8]) -> Vec<Vec<u8>> {
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("a boundary")
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let text = body.to_vec();
    let mut out = Vec::new();
    let positions: Vec<usize> = text
        .windows(delimiter.len())
        .enumerate()
        .filter(|(_, w)| *w == delimiter.as_bytes())
        .map(|(i, _)| i)
        .collect();
    for pair in positions.windows(2) {
        let part = &text[pair[0] + delimiter.len()..pair[1]];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let split = part
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("part headers end");
        let content = &part[split + 4..];
        out.push(content.strip_suffix(b"\r\n").unwrap_or(content).to_vec());
    }
    out
}

async fn fake() -> (String, Arc<Mutex<Vec<Upload>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let uploads: Arc<Mutex<Vec<Upload>>> = Arc::default();
    let recorded = uploads.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let recorded = recorded.clone();
            let service =
                hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let recorded = recorded.clone();
                    async move { Ok::<_, Infallible>(answer(request, &recorded).await) }
                });
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, uploads)
}

async fn answer(
    request: http::Request<hyper::body::Incoming>,
    uploads: &Mutex<Vec<Upload>>,
) -> http::Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let content_type = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let json = |status: u16, value: serde_json::Value| {
        http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(value.to_string())))
            .expect("a response")
    };
    if path == "/upload/storage/v1/b/shop-uploads-1/o" {
        let parts = parts(&content_type, &body);
        assert_eq!(parts.len(), 2, "metadata and media, the checksum first");
        let metadata: serde_json::Value = serde_json::from_slice(&parts[0]).expect("JSON metadata");
        let media = Bytes::from(parts[1].clone());
        uploads.lock().expect("uploads").push(Upload {
            query,
            metadata: metadata.clone(),
            media: media.clone(),
        });
        return json(
            200,
            serde_json::json!({
                "kind": "storage#object",
                "bucket": "shop-uploads-1",
                "name": "in/a.png", // the crate names the object in the query, not the metadata
                "size": media.len().to_string(),
                "contentType": metadata["contentType"],
                "crc32c": metadata["crc32c"],
                "generation": "7",
                "metageneration": "1",
                "etag": "CNiB7qK=",
                "updated": "2026-01-01T00:00:00.000Z",
            }),
        );
    }
    if path == "/storage/v1/b/shop-uploads-1/o/in%2Fa.png" && query.contains("alt=media") {
        return http::Response::builder()
            .status(200)
            .header("content-type", "image/png")
            .header("x-goog-generation", "7")
            .header("x-goog-metageneration", "1")
            .header("x-goog-stored-content-length", "3")
            .header("x-goog-hash", "crc32c=96zlOA==")
            .header("x-goog-storage-class", "STANDARD")
            .body(Full::new(Bytes::from_static(b"png")))
            .expect("a response");
    }
    json(
        404,
        serde_json::json!({"error": {"code": 404, "message": "No such object"}}),
    )
}

fn bindings(url: &str) -> GcpBindings {
    GcpBindings::with_endpoints(
        ResourceNames::default().with_bucket("uploads", "shop-uploads-1"),
        Endpoint::from_vars(None, None),
        Endpoint::from_vars(Some(url.to_owned()), None),
    )
}

#[tokio::test]
async fn a_put_sends_the_media_type_in_the_metadata_part_and_reads_back_the_object_resource() {
    let (url, uploads) = fake().await;
    let written = bindings(&url)
        .put(
            "uploads",
            "in/a.png",
            Object::new("png").with_content_type("image/png"),
        )
        .await
        .expect("written");
    assert_eq!(written.key, "in/a.png");
    assert_eq!(written.size, 3);
    assert_eq!(written.etag.as_deref(), Some("CNiB7qK="));
    assert_eq!(
        written.last_modified.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-01-01T00:00:00+00:00")
    );
    let uploads = uploads.lock().expect("uploads").clone();
    assert_eq!(uploads.len(), 1);
    let upload = &uploads[0];
    assert!(
        upload.query.contains("uploadType=multipart"),
        "{}",
        upload.query
    );
    assert!(upload.query.contains("name=in%2Fa.png"), "{}", upload.query);
    assert_eq!(upload.metadata["contentType"], "image/png");
    assert_eq!(
        upload.metadata["crc32c"], "96zlOA==",
        "computed before sending"
    );
    assert_eq!(upload.media.as_ref(), b"png");
}

#[tokio::test]
async fn a_get_gives_the_bytes_and_media_type_and_a_missing_object_is_none() {
    let (url, _) = fake().await;
    let store = bindings(&url);
    let object = store
        .get("uploads", "in/a.png")
        .await
        .expect("read")
        .expect("present");
    assert_eq!(object.body.as_bytes(), b"png");
    assert_eq!(object.content_type.as_deref(), Some("image/png"));
    assert_eq!(store.get("uploads", "in/none").await.expect("read"), None);
}
