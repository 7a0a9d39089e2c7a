//! [`Journal`]: the durable option ([`LocalConfig::durable`](crate::LocalConfig::durable)) of
//! queues and asynchronous deliveries, so a process killed at any moment (`SIGKILL`, a power
//! cut) loses no message it accepted.
//!
//! Every accepted message is a file in the state folder's [`JOURNAL_DIR`] before the call that
//! accepted it returns: a queue message (`q.<queue>.<id>.json`) or one asynchronous delivery of
//! a topic message, bucket event, schedule tick or `invoke_async` (`d.<function>.<event
//! id>.json`), in the line format of the [undelivered file](super::undelivered). Each file is
//! written to a temporary name, fsynced, renamed into place, and the folder fsynced, so it is
//! whole or absent. A message is done with when it is acknowledged: the handler succeeded (a
//! queue message deleted, a delivery processed) or it was dead-lettered.
//!
//! # Group commit
//!
//! The two fsyncs cost milliseconds each, so writes that arrive while another is being
//! committed wait and are committed together: the first writer to find no commit under way
//! takes every pending write, puts them in one file (`b.<run>.<n>.json`, one line each; a lone
//! write keeps its own name as above), syncs it and the folder once, and wakes the others with
//! the outcome. Each caller still returns only once its message is durable. A file is removed
//! when the last of its messages is acknowledged; if the process dies before that, its
//! acknowledged messages are delivered again with the others (at least once, as for a message
//! being handled at the time).
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

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

use faasport_core::Error;

use super::buckets::encode;
use super::undelivered::Undelivered;
use super::Hub;

/// The folder, in the state folder, that holds the journal of unacknowledged messages.
pub const JOURNAL_DIR: &str = "journal";

const SUFFIX: &str = ".json";
const TEMP: &str = ".tmp";

/// The durable record of unacknowledged messages: a file per commit, one line per message.
#[derive(Debug)]
pub(crate) struct Journal {
    dir: PathBuf,
    temps: AtomicU64,
    /// Names batch files apart from an earlier run's.
    run: u128,
    group: Mutex<Group>,
    committed: Condvar,
}

/// What the writers share: the writes waiting for a commit, and which file holds each message.
#[derive(Debug, Default)]
struct Group {
    pending: Vec<Pending>,
    /// A writer is committing a batch now.
    committing: bool,
    /// The file (name) holding each message not yet acknowledged, by key.
    files: HashMap<String, String>,
    /// Messages not yet acknowledged per file.
    live: HashMap<String, usize>,
    /// Files an earlier run left, until their messages are journaled again.
    recovered: Vec<String>,
}

/// One write waiting for its commit.
#[derive(Debug)]
struct Pending {
    key: String,
    line: Vec<u8>,
    outcome: Arc<OnceLock<Result<(), (io::ErrorKind, String)>>>,
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
        let run = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Ok(Self {
            dir,
            temps: AtomicU64::new(0),
            run,
            group: Mutex::new(Group::default()),
            committed: Condvar::new(),
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
    ///
    /// Blocks until the write is durable, sharing the fsyncs with the writes that arrive
    /// meanwhile (see [Group commit](self#group-commit)). On a multi-threaded tokio runtime it
    /// blocks in [`tokio::task::block_in_place`], so the worker's other tasks, other writers
    /// among them, go on running while it waits.
    pub(crate) fn write(&self, key: &str, item: &Undelivered) -> Result<(), Error> {
        use tokio::runtime::{Handle, RuntimeFlavor};
        match Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| self.write_now(key, item))
            }
            _ => self.write_now(key, item),
        }
    }

    fn write_now(&self, key: &str, item: &Undelivered) -> Result<(), Error> {
        let mut line = serde_json::to_vec(item)?;
        line.push(b'\n');
        let outcome = Arc::new(OnceLock::new());
        let mut group = self.lock();
        group.pending.push(Pending {
            key: key.to_owned(),
            line,
            outcome: Arc::clone(&outcome),
        });
        loop {
            if let Some(done) = outcome.get() {
                return done.clone().map_err(|(kind, message)| {
                    Error::Io(io::Error::new(
                        kind,
                        format!("cannot journal {key}: {message}"),
                    ))
                });
            }
            if group.committing {
                group = self
                    .committed
                    .wait(group)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            group.committing = true;
            let batch = std::mem::take(&mut group.pending);
            drop(group);
            let written = self.commit(&batch);
            group = self.lock();
            let result = match written {
                Ok(name) => {
                    for pending in &batch {
                        let old = group.files.insert(pending.key.clone(), name.clone());
                        match old {
                            Some(old) if old != name => self.release(&mut group, &old),
                            Some(_) => {}
                            None => {}
                        }
                    }
                    // A key written twice in one batch counts once.
                    let keys = batch
                        .iter()
                        .map(|p| p.key.as_str())
                        .collect::<std::collections::HashSet<_>>()
                        .len();
                    group.live.insert(name, keys);
                    Ok(())
                }
                Err(e) => Err((e.kind(), e.to_string())),
            };
            for pending in &batch {
                let _ = pending.outcome.set(result.clone());
            }
            group.committing = false;
            self.committed.notify_all();
        }
    }

    /// Writes `batch` as one file, durably: its name.
    fn commit(&self, batch: &[Pending]) -> io::Result<String> {
        let n = self.temps.fetch_add(1, Ordering::Relaxed);
        let name = match batch {
            [one] => format!("{}{SUFFIX}", one.key),
            _ => format!("b.{}.{n}{SUFFIX}", self.run),
        };
        let path = self.dir.join(&name);
        let temp = self.dir.join(format!("{name}.{n}{TEMP}"));
        let written = (|| {
            let mut file = File::create(&temp)?;
            for pending in batch {
                file.write_all(&pending.line)?;
            }
            file.sync_all()?;
            fs::rename(&temp, &path)?;
            // The rename is durable once the folder is.
            File::open(&self.dir)?.sync_all()
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written.map(|()| name)
    }

    /// Marks `key` acknowledged, removing its file once every message in it is. A removal
    /// that fails is logged; the file's messages are then delivered again after a restart (at
    /// least once).
    pub(crate) fn remove(&self, key: &str) {
        let mut group = self.lock();
        if let Some(name) = group.files.remove(key) {
            self.release(&mut group, &name);
        }
    }

    /// One message of file `name` is done with; the last one removes the file.
    fn release(&self, group: &mut Group, name: &str) {
        let left = group.live.get_mut(name).map(|n| {
            *n = n.saturating_sub(1);
            *n
        });
        if left == Some(0) {
            group.live.remove(name);
            self.delete(name);
        }
    }

    /// Removes the files an earlier run left ([`Journal::read_all`]) once their messages are
    /// journaled again, except a file this run has written since under the same name.
    pub(crate) fn forget_recovered(&self) {
        let mut group = self.lock();
        for name in std::mem::take(&mut group.recovered) {
            if !group.live.contains_key(&name) {
                self.delete(&name);
            }
        }
    }

    fn delete(&self, name: &str) {
        match fs::remove_file(self.dir.join(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(file = name, error = %e, "could not remove acknowledged messages from the journal")
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Group> {
        self.group.lock().unwrap_or_else(PoisonError::into_inner)
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
        let mut items = Vec::new();
        let mut read = Vec::new();
        for (_, _, path) in files {
            let parsed = fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    bytes
                        .split(|b| *b == b'\n')
                        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
                        .map(serde_json::from_slice::<Undelivered>)
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| e.to_string())
                });
            match parsed {
                Ok(mut lines) => {
                    items.append(&mut lines);
                    if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                        read.push(name.to_owned());
                    }
                }
                Err(error) => {
                    tracing::error!(file = %path.display(), error, "unreadable journal entry left in place");
                }
            }
        }
        self.lock().recovered = read;
        items
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
                // Every message is journaled again under its key: the old files can go.
                if let Some(journal) = &self.journal {
                    journal.forget_recovered();
                }
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

    fn item(id: u64) -> Undelivered {
        Undelivered::Delivery {
            function: "audit".to_owned(),
            event_id: format!("msg-{id}"),
            attempt: 1,
            event: Box::new(faasport_core::Event::from_json(id.into())),
        }
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir.join(JOURNAL_DIR))
            .expect("journal folder")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn concurrent_writes_are_all_durable_and_each_file_goes_with_its_last_message() {
        let state = tempfile::tempdir().expect("temp dir");
        let journal = Journal::open(state.path()).expect("opened");
        std::thread::scope(|s| {
            for t in 0..8u64 {
                let journal = &journal;
                s.spawn(move || {
                    for i in 0..50 {
                        let id = t * 1_000 + i;
                        let key = Journal::queue_key("jobs", &format!("msg-{id}"));
                        journal.write(&key, &item(id)).expect("durable");
                    }
                });
            }
        });
        let written = files(state.path());
        assert!(written.len() <= 400, "{} files", written.len());
        // A restart reads back all 400 messages, however they were grouped.
        let again = Journal::open(state.path()).expect("reopened");
        assert_eq!(again.read_all().len(), 400);
        for t in 0..8u64 {
            for i in 0..50 {
                journal.remove(&Journal::queue_key(
                    "jobs",
                    &format!("msg-{}", t * 1_000 + i),
                ));
            }
        }
        assert_eq!(files(state.path()), Vec::<String>::new());
    }

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
