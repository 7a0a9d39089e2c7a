//! [`Journal`]: the durable option ([`LocalConfig::durable`](crate::LocalConfig::durable)) of
//! queues and asynchronous deliveries, so a process killed at any moment (`SIGKILL`, a power
//! cut) loses no message it accepted.
//!
//! Every accepted message is a file in the state folder's [`JOURNAL_DIR`] before the call that
//! accepted it returns: a queue message (`q.<queue>.<id>.json`) or one asynchronous delivery of
//! a topic message, bucket event, schedule tick or `invoke_async` (`d.<function>.<event
//! id>.json`), in the line format of the [undelivered file](super::undelivered). Each file is
//! written to a temporary name, fsynced, renamed into place, and the folder fsynced, so it is
//! whole or absent. The file is removed when the message is acknowledged: the handler
//! succeeded (a queue message deleted, a delivery processed) or it was dead-lettered.
//!
//! The files an earlier run left are read when the sources are built (new ids go on after
//! theirs) and delivered again when they start ([`LocalCloud::start`](super::LocalCloud::start)): a delivery to its function under its event id, a queue message
//! back on its queue with its id and attempt count reset. Delivery is therefore at least once
//! across a crash: a message being handled when the process died runs again.
//!
//! The journal never holds more than the sources do: a topic's recovered messages take places
//! in its [`DepthLimit`](super::DepthLimit) and a queue's count as held messages, so after a
//! restart new publishes are refused until they drain. Stream records and the dead-letter store
//! are not journaled.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use faasport_core::Error;

use super::buckets::encode;
use super::undelivered::Undelivered;
use super::Hub;

/// The folder, in the state folder, that holds the journal of unacknowledged messages.
pub const JOURNAL_DIR: &str = "journal";

const SUFFIX: &str = ".json";
const TEMP: &str = ".tmp";

/// The durable record of unacknowledged messages: one file each.
#[derive(Debug)]
pub(crate) struct Journal {
    dir: PathBuf,
    temps: AtomicU64,
}

impl Journal {
    /// Opens (creates) the journal in the state folder `state_dir`, removing temporary files a
    /// crash left behind.
    pub(crate) fn open(state_dir: &Path) -> io::Result<Self> {
        let dir = state_dir.join(JOURNAL_DIR);
        fs::create_dir_all(&dir)?;
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| *e == TEMP[1..]) {
                let _ = fs::remove_file(&path);
            }
        }
        Ok(Self {
            dir,
            temps: AtomicU64::new(0),
        })
    }

    /// The key of the delivery of event `event_id` to `function`.
    pub(crate) fn delivery_key(function: &str, event_id: &str) -> String {
        format!("d.{}.{}", encode(function), encode(event_id))
    }

    /// The key of message `id` of queue `queue`.
    pub(crate) fn queue_key(queue: &str, id: &str) -> String {
        format!("q.{}.{}", encode(queue), encode(id))
    }

    /// Writes `item` under `key`, durably, replacing what was there.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be written or synced; the message must then be
    /// refused.
    pub(crate) fn write(&self, key: &str, item: &Undelivered) -> Result<(), Error> {
        let path = self.path(key);
        let n = self.temps.fetch_add(1, Ordering::Relaxed);
        let temp = self.dir.join(format!("{key}.{n}{TEMP}"));
        let written = (|| {
            let mut file = File::create(&temp)?;
            file.write_all(&serde_json::to_vec(item)?)?;
            file.sync_all()?;
            fs::rename(&temp, &path)?;
            // The rename is durable once the folder is.
            File::open(&self.dir)?.sync_all()
        })();
        written.map_err(|e| {
            let _ = fs::remove_file(&temp);
            Error::Io(io::Error::new(
                e.kind(),
                format!("cannot journal {}: {e}", path.display()),
            ))
        })
    }

    /// Removes `key`: its message was acknowledged. A removal that fails is logged; the
    /// message is then delivered again after a restart (at least once).
    pub(crate) fn remove(&self, key: &str) {
        match fs::remove_file(self.path(key)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(key, error = %e, "could not remove an acknowledged message from the journal")
            }
        }
    }

    /// Every message in the journal, oldest file first. Files that cannot be read or parsed are
    /// logged and left in place for a person to look at.
    pub(crate) fn read_all(&self) -> Vec<Undelivered> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) => {
                tracing::error!(folder = %self.dir.display(), error = %e, "cannot read the journal");
                return Vec::new();
            }
        };
        let mut files: Vec<(std::time::SystemTime, String, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().to_str()?.strip_suffix(SUFFIX)?.to_owned();
                let modified = entry.metadata().and_then(|m| m.modified()).ok()?;
                Some((modified, name, entry.path()))
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, _, path)| {
                let parsed = fs::read(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()));
                match parsed {
                    Ok(item) => Some(item),
                    Err(error) => {
                        tracing::error!(file = %path.display(), error, "unreadable journal entry left in place");
                        None
                    }
                }
            })
            .collect()
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}{SUFFIX}"))
    }
}

impl Hub {
    /// Delivers again every message the journal held when the sources were built (see the
    /// [module docs](self)).
    pub(super) fn recover(self: &Arc<Self>) {
        let items = std::mem::take(
            &mut *self
                .recovered
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let count = items.len();
        match self.redeliver(items) {
            Ok(()) if count > 0 => {
                tracing::info!(count, "redelivering the journal's unacknowledged messages");
            }
            Ok(()) => {}
            Err(e) => tracing::error!(error = %faasport_core::chain_message(&e),
                "could not redeliver the journal's messages"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_names_and_ids_inside_the_folder_and_apart() {
        assert_eq!(Journal::delivery_key("audit", "msg-7"), "d.audit.msg-7");
        assert_eq!(
            Journal::delivery_key("a", "uploads/../x#obj-1"),
            "d.a.uploads%2F%2E%2E%2Fx%23obj-1"
        );
        assert_ne!(
            Journal::queue_key("a.b", "c"),
            Journal::queue_key("a", "b.c")
        );
    }
}
