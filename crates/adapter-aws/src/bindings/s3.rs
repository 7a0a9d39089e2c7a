//! Buckets on S3.

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::ByteStream;
use faasport_core::chrono::{DateTime, Utc};
use faasport_core::resource::{Object, ObjectInfo, ObjectStore};
use faasport_core::{Body, Error, ResourceKind};
use futures::future::BoxFuture;

use super::{sdk_failure, AwsBindings, BindingError};

impl AwsBindings {
    async fn s3(&self) -> &aws_sdk_s3::Client {
        let config = self.sdk_config().await;
        self.s3
            .get_or_init(|| async {
                let builder = aws_sdk_s3::config::Builder::from(config)
                    .force_path_style(Self::endpoint_overridden(config));
                aws_sdk_s3::Client::from_conf(builder.build())
            })
            .await
    }
}

fn failed(bucket: &str, e: impl std::fmt::Display) -> Error {
    Error::Binding {
        kind: ResourceKind::Bucket,
        name: bucket.to_owned(),
        retryable: true,
        source: Box::new(BindingError::Request(e.to_string())),
    }
}

fn time(t: Option<&aws_sdk_s3::primitives::DateTime>) -> Option<DateTime<Utc>> {
    t.and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
}

impl ObjectStore for AwsBindings {
    fn get<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Object>, Error>> {
        Box::pin(async move {
            let physical = self.resolve(ResourceKind::Bucket, bucket)?;
            let out = match self
                .s3()
                .await
                .get_object()
                .bucket(physical)
                .key(key)
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                    return Ok(None)
                }
                Err(e) if e.code() == Some("NoSuchKey") => return Ok(None),
                Err(e) => return Err(sdk_failure(ResourceKind::Bucket, bucket, e)),
            };
            let content_type = out.content_type().map(str::to_owned);
            let bytes = out
                .body
                .collect()
                .await
                .map_err(|e| failed(bucket, e))?
                .into_bytes();
            let object = Object::new(Body::from(bytes));
            Ok(Some(match content_type {
                Some(ct) => object.with_content_type(ct),
                None => object,
            }))
        })
    }

    fn put<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        object: Object,
    ) -> BoxFuture<'a, Result<ObjectInfo, Error>> {
        Box::pin(async move {
            let physical = self.resolve(ResourceKind::Bucket, bucket)?;
            let size = u64::try_from(object.body.len()).unwrap_or(u64::MAX);
            let mut request = self
                .s3()
                .await
                .put_object()
                .bucket(physical)
                .key(key)
                .body(ByteStream::from(object.body.into_bytes()));
            if let Some(content_type) = object.content_type {
                request = request.content_type(content_type);
            }
            let out = request
                .send()
                .await
                .map_err(|e| sdk_failure(ResourceKind::Bucket, bucket, e))?;
            let info = ObjectInfo::new(key, size).with_last_modified(Utc::now());
            Ok(match out.e_tag() {
                Some(etag) => info.with_etag(etag),
                None => info,
            })
        })
    }

    fn delete<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let physical = self.resolve(ResourceKind::Bucket, bucket)?;
            self.s3()
                .await
                .delete_object()
                .bucket(physical)
                .key(key)
                .send()
                .await
                .map_err(|e| sdk_failure(ResourceKind::Bucket, bucket, e))?;
            Ok(())
        })
    }

    fn list<'a>(
        &'a self,
        bucket: &'a str,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ObjectInfo>, Error>> {
        Box::pin(async move {
            let physical = self.resolve(ResourceKind::Bucket, bucket)?;
            let client = self.s3().await;
            let mut listed = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let out = client
                    .list_objects_v2()
                    .bucket(&physical)
                    .prefix(prefix)
                    .set_continuation_token(token.take())
                    .send()
                    .await
                    .map_err(|e| sdk_failure(ResourceKind::Bucket, bucket, e))?;
                for object in out.contents() {
                    let size = object
                        .size()
                        .and_then(|s| u64::try_from(s).ok())
                        .unwrap_or(0);
                    let mut info = ObjectInfo::new(object.key().unwrap_or_default(), size);
                    if let Some(etag) = object.e_tag() {
                        info = info.with_etag(etag);
                    }
                    if let Some(at) = time(object.last_modified()) {
                        info = info.with_last_modified(at);
                    }
                    listed.push(info);
                }
                match out.next_continuation_token() {
                    Some(next) if out.is_truncated() == Some(true) => token = Some(next.to_owned()),
                    _ => break,
                }
            }
            listed.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(listed)
        })
    }
}
