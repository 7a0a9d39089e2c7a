//! Buckets on Azure Blob Storage: a faasport bucket is a blob container, an object a block
//! blob.
//!
//! | call | Blob Storage | notes |
//! |---|---|---|
//! | `get` | `Get Blob` (the SDK's partitioned download) | `None` for `BlobNotFound`; a missing container is an error |
//! | `put` | `Put Blob` | overwrites; the content type as `x-ms-blob-content-type`; the etag (without quotes, as listings and blob trigger events give it) and time from the answer |
//! | `delete` | `Delete Blob` | a missing blob succeeds |
//! | `list` | `List Blobs` with `prefix`, every page | Blob Storage lists in key order |
//!
//! Containers are not created on first use: the deployment creates them, as it creates the
//! buckets on the other clouds.

use azure_core::http::{RequestContent, Url};
use azure_storage_blob::models::{BlobClientUploadOptions, BlobContainerClientListBlobsOptions};
use azure_storage_blob::{BlobServiceClient, BlobServiceClientOptions};
use chrono::{DateTime, Utc};
use faasport_core::resource::{Object, ObjectInfo, ObjectStore};
use faasport_core::{Body, Error, ResourceKind};
use futures::future::BoxFuture;
use futures::TryStreamExt;

use super::storage::Service;
use super::{error_code, failure, sdk_failure, AzureBindings};

/// The Storage error code of a missing blob.
const BLOB_NOT_FOUND: &str = "BlobNotFound";

impl AzureBindings {
    async fn blob_service(&self, bucket: &str) -> Result<&BlobServiceClient, Error> {
        self.blobs
            .get_or_try_init(|| async {
                let (url, credential): (Url, _) = self
                    .endpoint(Service::Blob)
                    .map_err(|e| failure(ResourceKind::Bucket, bucket, false, e))?;
                let options = BlobServiceClientOptions::default();
                BlobServiceClient::new(url, credential, Some(options))
                    .map_err(|e| sdk_failure(ResourceKind::Bucket, bucket, e))
            })
            .await
    }

    fn container(&self, bucket: &str) -> String {
        self.names.id(ResourceKind::Bucket, bucket)
    }
}

/// The `time` instant the SDK gives, as chrono's.
macro_rules! utc {
    ($at:expr) => {
        $at.and_then(|at| DateTime::<Utc>::from_timestamp(at.unix_timestamp(), at.nanosecond()))
    };
}

/// The etag without its quotes: the upload's `ETag` header has them, a listing's `Etag` element
/// does not, and the blob trigger's event drops them.
fn unquoted(etag: &azure_core::http::Etag) -> String {
    etag.as_ref().trim_matches('"').to_owned()
}

impl ObjectStore for AzureBindings {
    fn get<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Object>, Error>> {
        Box::pin(async move {
            let blob = self
                .blob_service(bucket)
                .await?
                .blob_client(&self.container(bucket), key);
            let fail = |e| sdk_failure(ResourceKind::Bucket, bucket, e);
            let download = match blob.download(None).await {
                Ok(download) => download,
                Err(e) if error_code(&e) == Some(BLOB_NOT_FOUND) => return Ok(None),
                Err(e) => return Err(fail(e)),
            };
            let content_type = download.properties.content_type.clone();
            let bytes = download.body.collect().await.map_err(fail)?;
            let mut object = Object::new(Body::from(bytes));
            if let Some(content_type) = content_type {
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
            let blob = self
                .blob_service(bucket)
                .await?
                .blob_client(&self.container(bucket), key);
            let size = object.body.len() as u64;
            let options = BlobClientUploadOptions {
                blob_content_type: object.content_type,
                ..Default::default()
            };
            let uploaded = blob
                .upload(
                    RequestContent::from(Vec::from(object.body.into_bytes())),
                    Some(options),
                )
                .await
                .map_err(|e| sdk_failure(ResourceKind::Bucket, bucket, e))?;
            let mut info = ObjectInfo::new(key, size);
            if let Some(etag) = uploaded.etag {
                info = info.with_etag(unquoted(&etag));
            }
            if let Some(at) = utc!(uploaded.last_modified) {
                info = info.with_last_modified(at);
            }
            Ok(info)
        })
    }

    fn delete<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let blob = self
                .blob_service(bucket)
                .await?
                .blob_client(&self.container(bucket), key);
            match blob.delete(None).await {
                Ok(_) => Ok(()),
                Err(e) if error_code(&e) == Some(BLOB_NOT_FOUND) => Ok(()),
                Err(e) => Err(sdk_failure(ResourceKind::Bucket, bucket, e)),
            }
        })
    }

    fn list<'a>(
        &'a self,
        bucket: &'a str,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ObjectInfo>, Error>> {
        Box::pin(async move {
            let fail = |e| sdk_failure(ResourceKind::Bucket, bucket, e);
            let container = self
                .blob_service(bucket)
                .await?
                .blob_container_client(&self.container(bucket));
            let options = BlobContainerClientListBlobsOptions {
                prefix: (!prefix.is_empty()).then(|| prefix.to_owned()),
                ..Default::default()
            };
            let mut pages = container
                .list_blobs(Some(options))
                .map_err(fail)?
                .into_pages();
            let mut listed = Vec::new();
            while let Some(page) = pages.try_next().await.map_err(fail)? {
                for item in page.into_model().map_err(fail)?.blob_items {
                    let Some(key) = item.name else { continue };
                    let properties = item.properties.unwrap_or_default();
                    let mut info = ObjectInfo::new(key, properties.content_length.unwrap_or(0));
                    if let Some(etag) = properties.etag {
                        info = info.with_etag(unquoted(&etag));
                    }
                    if let Some(at) = utc!(properties.last_modified) {
                        info = info.with_last_modified(at);
                    }
                    listed.push(info);
                }
            }
            listed.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(listed)
        })
    }
}
