//! Buckets: object storage in memory or in a directory; writes and deletes emit storage events
//! to the functions whose storage trigger matches (bucket, kind and key prefix).
//!
//! In a directory-backed store each bucket is a sub-directory and each object a file whose name
//! is the key percent-encoded (so `a/b.txt` is `a%2Fb%2Etxt`: keys never escape the directory),
//! with its media type in a `.meta` sidecar. Both are written to a temporary file (its name
//! starts with `.`, which no encoded key does) and renamed into place, so a reader or a crash
//! sees the old object or the new one, never part of one; with the durable option
//! ([`LocalConfig::durable`](crate::LocalConfig::durable)) each is fsynced before the rename.
//! A delete emits an event only when the object existed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use faasport_core::{
    Body, Error, Event, Object, ObjectInfo, Operation, ResourceKind, StorageEvent,
    StorageEventKind, Trigger,
};

use super::Hub;

/// Where bucket objects live.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum BucketBackend {
    /// In memory, gone when the process ends.
    #[default]
    Memory,
    /// In files under this directory, one sub-directory per bucket.
    Directory(PathBuf),
}

#[derive(Debug)]
pub(crate) struct Buckets {
    backend: BucketBackend,
    memory: Mutex<BTreeMap<(String, String), Object>>,
    /// Whether directory writes are fsynced (the durable option).
    sync: bool,
    temps: AtomicU64,
}

impl Buckets {
    pub(crate) fn new(backend: BucketBackend, sync: bool) -> Self {
        Self {
            backend,
            memory: Mutex::new(BTreeMap::new()),
            sync,
            temps: AtomicU64::new(0),
        }
    }

    /// Writes `bytes` to `file` through a temporary file in the same folder and a rename,
    /// fsynced when asked.
    async fn write_whole(&self, file: &Path, bytes: Vec<u8>) -> std::io::Result<()> {
        let (Some(dir), Some(name)) = (file.parent(), file.file_name()) else {
            return Err(std::io::Error::other("an object path without a folder"));
        };
        let n = self.temps.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{}.{n}.tmp", name.to_string_lossy()));
        let (file, sync) = (file.to_owned(), self.sync);
        tokio::task::spawn_blocking(move || {
            let written = (|| {
                let mut out = std::fs::File::create(&temp)?;
                std::io::Write::write_all(&mut out, &bytes)?;
                if sync {
                    out.sync_all()?;
                }
                std::fs::rename(&temp, &file)?;
                if sync {
                    if let Some(dir) = file.parent() {
                        std::fs::File::open(dir)?.sync_all()?;
                    }
                }
                Ok(())
            })();
            if written.is_err() {
                let _ = std::fs::remove_file(&temp);
            }
            written
        })
        .await
        .map_err(std::io::Error::other)?
    }

    async fn put(&self, bucket: &str, key: &str, object: Object) -> Result<(), Error> {
        match &self.backend {
            BucketBackend::Memory => {
                self.lock()
                    .insert((bucket.to_owned(), key.to_owned()), object);
                Ok(())
            }
            BucketBackend::Directory(root) => {
                let dir = root.join(bucket);
                let file = dir.join(encode(key));
                let io = |e| io_error(bucket, e);
                tokio::fs::create_dir_all(&dir).await.map_err(io)?;
                self.write_whole(&file, object.body.as_bytes().to_vec())
                    .await
                    .map_err(io)?;
                let meta = meta_path(&file);
                match &object.content_type {
                    Some(ct) => self
                        .write_whole(&meta, ct.clone().into_bytes())
                        .await
                        .map_err(io)?,
                    None => drop(remove_if_present(&meta).await.map_err(io)?),
                }
                Ok(())
            }
        }
    }

    pub(crate) async fn get(&self, bucket: &str, key: &str) -> Result<Option<Object>, Error> {
        match &self.backend {
            BucketBackend::Memory => Ok(self
                .lock()
                .get(&(bucket.to_owned(), key.to_owned()))
                .cloned()),
            BucketBackend::Directory(root) => {
                let file = root.join(bucket).join(encode(key));
                let body = match tokio::fs::read(&file).await {
                    Ok(bytes) => bytes,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(io_error(bucket, e)),
                };
                let mut object = Object::new(body);
                if let Ok(ct) = tokio::fs::read_to_string(meta_path(&file)).await {
                    object = object.with_content_type(ct);
                }
                Ok(Some(object))
            }
        }
    }

    /// Deletes; returns whether the object existed.
    async fn delete(&self, bucket: &str, key: &str) -> Result<bool, Error> {
        match &self.backend {
            BucketBackend::Memory => Ok(self
                .lock()
                .remove(&(bucket.to_owned(), key.to_owned()))
                .is_some()),
            BucketBackend::Directory(root) => {
                let file = root.join(bucket).join(encode(key));
                let io = |e| io_error(bucket, e);
                let existed = remove_if_present(&file).await.map_err(io)?;
                remove_if_present(&meta_path(&file)).await.map_err(io)?;
                Ok(existed)
            }
        }
    }

    pub(crate) async fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, Error> {
        let mut found = match &self.backend {
            BucketBackend::Memory => self
                .lock()
                .range((bucket.to_owned(), prefix.to_owned())..)
                .take_while(|((b, k), _)| b == bucket && k.starts_with(prefix))
                .map(|((_, k), o)| info(k, &o.body))
                .collect(),
            BucketBackend::Directory(root) => list_dir(&root.join(bucket), bucket, prefix).await?,
        };
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), Object>> {
        self.memory.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Hub {
    fn check_bucket(&self, operation: Operation, bucket: &str) -> Result<(), Error> {
        if self.runtime.app().buckets().iter().any(|b| b == bucket) {
            Ok(())
        } else {
            Err(Self::undeclared(operation, bucket))
        }
    }

    pub(crate) async fn put_object(
        self: &Arc<Self>,
        bucket: &str,
        key: &str,
        object: Object,
    ) -> Result<ObjectInfo, Error> {
        self.check_bucket(Operation::Write, bucket)?;
        self.accepting()?;
        let info = info(key, &object.body).with_last_modified(self.now());
        self.buckets.put(bucket, key, object).await?;
        let mut event = StorageEvent::new(bucket, key, StorageEventKind::Created)
            .with_size(info.size)
            .with_time(self.now());
        if let Some(etag) = &info.etag {
            event = event.with_etag(etag.clone());
        }
        self.emit(event);
        Ok(info)
    }

    pub(crate) async fn get_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<Object>, Error> {
        self.check_bucket(Operation::Read, bucket)?;
        self.buckets.get(bucket, key).await
    }

    pub(crate) async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<ObjectInfo>, Error> {
        self.check_bucket(Operation::Read, bucket)?;
        self.buckets.list(bucket, prefix).await
    }

    pub(crate) async fn delete_object(
        self: &Arc<Self>,
        bucket: &str,
        key: &str,
    ) -> Result<(), Error> {
        self.check_bucket(Operation::Write, bucket)?;
        self.accepting()?;
        if self.buckets.delete(bucket, key).await? {
            self.emit(
                StorageEvent::new(bucket, key, StorageEventKind::Deleted).with_time(self.now()),
            );
        }
        Ok(())
    }

    fn emit(self: &Arc<Self>, event: StorageEvent) {
        let id = format!("{}/{}#{}", event.bucket, event.key, self.next_id("obj"));
        for f in self.runtime.app().functions() {
            let matches = f.triggers().iter().any(|t| match t {
                Trigger::Storage {
                    bucket,
                    kinds,
                    prefix,
                } => {
                    bucket == &event.bucket
                        && (kinds.is_empty() || kinds.contains(&event.kind))
                        && prefix
                            .as_ref()
                            .is_none_or(|p| event.key.starts_with(p.as_str()))
                }
                _ => false,
            });
            if matches {
                let event = Arc::new(Event::Storage(event.clone()));
                if let Err(e) = self.dispatch(f.name(), event, &id, None) {
                    tracing::error!(function = f.name(), error = %e, "could not deliver a storage event");
                }
            }
        }
    }
}

fn info(key: &str, body: &Body) -> ObjectInfo {
    let hash = body
        .as_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
        });
    ObjectInfo::new(key, body.len() as u64).with_etag(format!("{hash:016x}"))
}

async fn list_dir(dir: &Path, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, Error> {
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(bucket, e)),
    };
    let mut found = Vec::new();
    while let Some(entry) = entries
        .next_entry()
        .await
        .map_err(|e| io_error(bucket, e))?
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".meta") || name.starts_with('.') {
            continue;
        }
        let key = faasport_core::event::percent_decode(&name, false);
        if key.starts_with(prefix) {
            let body = tokio::fs::read(entry.path())
                .await
                .map_err(|e| io_error(bucket, e))?;
            found.push(info(&key, &Body::from(body)));
        }
    }
    Ok(found)
}

/// Letters, digits, `-` and `_` as they are; every other byte as `%XX`, so keys never escape a
/// folder (and `.` can separate the parts of a journal entry's name).
pub(super) fn encode(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn meta_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".meta");
    PathBuf::from(name)
}

async fn remove_if_present(path: &Path) -> std::io::Result<bool> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

fn io_error(bucket: &str, error: std::io::Error) -> Error {
    Error::Binding {
        kind: ResourceKind::Bucket,
        name: bucket.to_owned(),
        retryable: true,
        source: Box::new(error),
    }
}
