//! Buckets through `google-cloud-storage`.
//!
//! | call | client | wire |
//! |---|---|---|
//! | `put` | `Storage::write_object(..).send_buffered()` | JSON API: one multipart upload (below 16 MiB; resumable above), the CRC32C computed first and checked by the server |
//! | `get` | `Storage::read_object` | JSON API: `GET ..?alt=media`; the checksum is checked as the object arrives |
//! | `delete` | `StorageControl::delete_object` | gRPC `google.storage.v2.Storage/DeleteObject`; a missing object is success |
//! | `list` | `StorageControl::list_objects` | gRPC `google.storage.v2.Storage/ListObjects`, every page, by prefix |
//!
//! Both clients are built on first use with the same endpoint ([`Endpoint::storage`]). The
//! crate wants bucket names as `projects/_/buckets/<name>`; the bucket comes from
//! `FAASPORT_BUCKET_<NAME>` and is the faasport name when that is unset.
//!
//! `send_buffered` is used because it computes the CRC32C before sending, which every server
//! accepts; the unbuffered form sends the checksum as a trailing part that emulators such as
//! fake-gcs-server store as part of the object.

use faasport_core::resource::{Object, ObjectInfo, ObjectStore};
use faasport_core::{Body, Error, ResourceKind};
use futures::future::BoxFuture;
use google_cloud_storage::client::{Storage, StorageControl};
use tokio::sync::OnceCell;

use super::{failure, not_found, retryable, BindingError, Endpoint, GcpBindings};
use crate::names::BUCKET_PREFIX;

/// The lazily built Cloud Storage clients.
pub(super) struct Clients {
    endpoint: Endpoint,
    storage: OnceCell<Storage>,
    control: OnceCell<StorageControl>,
}

impl Clients {
    pub(super) fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            storage: OnceCell::new(),
            control: OnceCell::new(),
        }
    }

    fn anonymous() -> google_cloud_auth::credentials::Credentials {
        google_cloud_auth::credentials::anonymous::Builder::new().build()
    }

    async fn storage(&self) -> Result<&Storage, google_cloud_gax::client_builder::Error> {
        self.storage
            .get_or_try_init(|| async {
                let mut builder = Storage::builder();
                if let Some(url) = &self.endpoint.url {
                    builder = builder.with_endpoint(url.clone());
                }
                if self.endpoint.anonymous {
                    builder = builder.with_credentials(Self::anonymous());
                }
                builder.build().await
            })
            .await
    }

    async fn control(&self) -> Result<&StorageControl, google_cloud_gax::client_builder::Error> {
        self.control
            .get_or_try_init(|| async {
                let mut builder = StorageControl::builder();
                if let Some(url) = &self.endpoint.url {
                    builder = builder.with_endpoint(url.clone());
                }
                if self.endpoint.anonymous {
                    builder = builder.with_credentials(Self::anonymous());
                }
                builder.build().await
            })
            .await
    }
}

/// `projects/_/buckets/<name>` for a bucket name (kept when it already has the prefix).
pub(crate) fn bucket_resource(bucket: &str) -> String {
    if bucket.starts_with(BUCKET_PREFIX) {
        bucket.to_owned()
    } else {
        format!("{BUCKET_PREFIX}{bucket}")
    }
}

impl GcpBindings {
    fn bucket(&self, name: &str) -> String {
        bucket_resource(self.names.id(ResourceKind::Bucket, name).unwrap_or(name))
    }
}

fn builder_failure(name: &str, error: google_cloud_gax::client_builder::Error) -> Error {
    failure(
        ResourceKind::Bucket,
        name,
        false,
        BindingError::Request(error.to_string()),
    )
}

fn call_failure(name: &str, error: google_cloud_gax::error::Error) -> Error {
    let retry = retryable(&error);
    failure(ResourceKind::Bucket, name, retry, error)
}

/// The listing entry of an object the crate returned.
fn info(object: &google_cloud_storage::model::Object) -> ObjectInfo {
    let mut info = ObjectInfo::new(object.name.clone(), u64::try_from(object.size).unwrap_or(0));
    if !object.etag.is_empty() {
        info = info.with_etag(object.etag.clone());
    }
    let written = object
        .update_time
        .as_ref()
        .or(object.finalize_time.as_ref());
    if let Some(at) = written.and_then(|t| {
        chrono::DateTime::from_timestamp(t.seconds(), u32::try_from(t.nanos()).unwrap_or(0))
    }) {
        info = info.with_last_modified(at);
    }
    info
}

impl ObjectStore for GcpBindings {
    fn get<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Object>, Error>> {
        Box::pin(async move {
            let client = self
                .storage
                .storage()
                .await
                .map_err(|e| builder_failure(bucket, e))?;
            let mut response = match client.read_object(self.bucket(bucket), key).send().await {
                Ok(response) => response,
                Err(error) if not_found(&error) => return Ok(None),
                Err(error) => return Err(call_failure(bucket, error)),
            };
            let content_type = response.object().content_type;
            let mut content = Vec::new();
            while let Some(chunk) = response.next().await {
                content.extend_from_slice(&chunk.map_err(|e| call_failure(bucket, e))?);
            }
            let mut object = Object::new(Body::from(content));
            if !content_type.is_empty() {
                object = object.with_content_type(content_type);
            }
            Ok(Some(object))
        })
    }

    fn put<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        object: Object,
    ) -> BoxFuture<'a, Result<ObjectInfo, Error>> {
        Box::pin(async move {
            let client = self
                .storage
                .storage()
                .await
                .map_err(|e| builder_failure(bucket, e))?;
            let mut write = client.write_object(self.bucket(bucket), key, object.body.into_bytes());
            if let Some(content_type) = object.content_type {
                write = write.set_content_type(content_type);
            }
            let written = write
                .send_buffered()
                .await
                .map_err(|e| call_failure(bucket, e))?;
            Ok(info(&written))
        })
    }

    fn delete<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let client = self
                .storage
                .control()
                .await
                .map_err(|e| builder_failure(bucket, e))?;
            match client
                .delete_object()
                .set_bucket(self.bucket(bucket))
                .set_object(key)
                .send()
                .await
            {
                Ok(()) => Ok(()),
                Err(error) if not_found(&error) => Ok(()),
                Err(error) => Err(call_failure(bucket, error)),
            }
        })
    }

    fn list<'a>(
        &'a self,
        bucket: &'a str,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ObjectInfo>, Error>> {
        Box::pin(async move {
            let client = self
                .storage
                .control()
                .await
                .map_err(|e| builder_failure(bucket, e))?;
            let mut out = Vec::new();
            let mut token = String::new();
            loop {
                let page = client
                    .list_objects()
                    .set_parent(self.bucket(bucket))
                    .set_prefix(prefix)
                    .set_page_token(token)
                    .send()
                    .await
                    .map_err(|e| call_failure(bucket, e))?;
                out.extend(page.objects.iter().map(info));
                if page.next_page_token.is_empty() {
                    break;
                }
                token = page.next_page_token;
            }
            out.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_get_the_prefix_the_crate_wants_once() {
        assert_eq!(
            bucket_resource("shop-uploads"),
            "projects/_/buckets/shop-uploads"
        );
        assert_eq!(
            bucket_resource("projects/_/buckets/shop-uploads"),
            "projects/_/buckets/shop-uploads"
        );
    }
}
