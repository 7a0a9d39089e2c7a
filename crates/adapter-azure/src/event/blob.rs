//! The blob trigger: the content in `Data` (base64, as the host writes `byte[]`), and in
//! `Metadata` the `{name}` captured by the binding's `path`, the blob's `Uri` and its
//! `Properties` (`Length`, `ETag`, `LastModified`).
//!
//! The host drops `BlobTrigger` (the `container/name` path) from `Metadata`, as every key that
//! ends in `trigger`; the generated `path` is `<container>/{name}` so that `name` carries the
//! blob name, already decoded. Without it the name is the `Uri` path after the container,
//! percent-decoded. The blob trigger fires for new and updated blobs only, so the kind is
//! always [`Created`](faasport_core::StorageEventKind::Created). The ETag loses its quotes, as
//! S3 events give it.

use faasport_core::event::percent_decode;
use faasport_core::{Body, Event, StorageEvent, StorageEventKind};
use serde_json::Value;

use super::encoding::{get_ci, number, object, text, time};
use super::{field_error, Decoded, EventError, InvocationRequest};

pub(super) fn blob_event(
    request: &InvocationRequest,
    bucket: &str,
    value: &Value,
) -> Result<Decoded, EventError> {
    let key = match request.meta("name").and_then(text) {
        Some(name) => name,
        None => request
            .meta("Uri")
            .and_then(text)
            .and_then(|uri| name_from_uri(&uri))
            .ok_or_else(|| {
                field_error(
                    "blob",
                    "Metadata.name",
                    "missing, and no `Uri` to read it from",
                )
            })?,
    };
    let properties = request
        .meta("Properties")
        .and_then(object)
        .unwrap_or_default();
    let size = get_ci(&properties, "Length")
        .and_then(number)
        .or_else(|| match value {
            Value::String(s) => Body::from_base64(s).ok().map(|b| b.len() as u64),
            _ => None,
        });
    let mut event = StorageEvent::new(bucket, key, StorageEventKind::Created);
    if let Some(size) = size {
        event = event.with_size(size);
    }
    if let Some(etag) = get_ci(&properties, "ETag").and_then(text) {
        event = event.with_etag(etag);
    }
    if let Some(at) = get_ci(&properties, "LastModified").and_then(time) {
        event = event.with_time(at);
    }
    Ok(Decoded::new(Event::Storage(event)))
}

/// `dir/my file.txt` from `https://acct.blob.core.windows.net/uploads/dir/my%20file.txt`.
fn name_from_uri(uri: &str) -> Option<String> {
    let path = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let path = path.split(['?', '#']).next()?;
    // host / container / name (Azurite adds the account: host / account / container / name)
    let mut segments = path.splitn(3, '/');
    let host = segments.next()?;
    let first = segments.next()?;
    let rest = segments.next()?;
    let name = if host.starts_with("127.0.0.1") || host.starts_with("localhost") {
        rest.split_once('/')?.1
    } else {
        let _ = first;
        rest
    };
    Some(percent_decode(name, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_is_read_from_the_uri_when_the_path_captured_none() {
        assert_eq!(
            name_from_uri("https://acct.blob.core.windows.net/uploads/dir/my%20file.txt")
                .as_deref(),
            Some("dir/my file.txt")
        );
        assert_eq!(
            name_from_uri("http://127.0.0.1:10000/devstoreaccount1/uploads/a%2Bb.txt").as_deref(),
            Some("a+b.txt")
        );
        assert_eq!(
            name_from_uri("https://acct.blob.core.windows.net/uploads"),
            None
        );
    }
}
