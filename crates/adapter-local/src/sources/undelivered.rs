//! Undelivered messages kept across a restart.
//!
//! When a [state folder](crate::LocalConfig::state_dir) is set, shutdown writes every message
//! it could not deliver, body included, to [`UNDELIVERED_FILE`] there: one JSON object a line,
//! an asynchronous delivery (`{"kind":"delivery","function":..,"event_id":..,"attempt":..,
//! "event":..}`) or a queue message (`{"kind":"queue","queue":..,"message":..}`). The file is
//! written to a temporary file, fsynced and renamed over the old one, so a crash leaves the old
//! file or the new one, never part of one; lines from a file that was not resumed are kept.
//!
//! A runtime built with [`LocalConfig::resume`](crate::LocalConfig::resume) on the same folder
//! reads the file when its sources start, delivers every line again (a delivery to its
//! function under its event id, a queue message back on its queue with its id) and removes the
//! file. Stream records are not kept: a stream's own retention is the provider's redelivery.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use faasport_core::{Error, Event, Message, QueueMessage};

use super::depth::DepthPermit;
use super::Hub;

/// The file, in the state folder, that holds the messages left undelivered at shutdown.
pub const UNDELIVERED_FILE: &str = "undelivered.jsonl";

/// One message left undelivered at shutdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Undelivered {
    /// An asynchronous delivery (topic, schedule, bucket event, `invoke_async`).
    Delivery {
        /// The function it was for.
        function: String,
        /// The event's id.
        event_id: String,
        /// The attempt it was on.
        attempt: u32,
        /// The event, body included.
        event: Box<Event>,
    },
    /// A message a queue still held.
    Queue {
        /// The queue.
        queue: String,
        /// The message, body included.
        message: QueueMessage,
    },
}

/// The path of the undelivered file in `dir`.
pub fn undelivered_path(dir: &Path) -> PathBuf {
    dir.join(UNDELIVERED_FILE)
}

/// Writes `items` to the undelivered file in `dir`, after the lines already there; removes the
/// file when there is nothing to keep. Returns how many lines the file holds.
pub(super) fn write(dir: &Path, items: &[Undelivered]) -> std::io::Result<usize> {
    let path = undelivered_path(dir);
    let kept = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let kept_lines = kept.lines().filter(|l| !l.trim().is_empty()).count();
    if items.is_empty() {
        return Ok(kept_lines);
    }
    fs::create_dir_all(dir)?;
    let temp = dir.join(format!("{UNDELIVERED_FILE}.tmp"));
    let file = File::create(&temp)?;
    let mut out = BufWriter::new(file);
    for line in kept.lines().filter(|l| !l.trim().is_empty()) {
        writeln!(out, "{line}")?;
    }
    for item in items {
        serde_json::to_writer(&mut out, item)?;
        out.write_all(b"\n")?;
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temp, &path)?;
    // The rename is durable once the folder is.
    if let Ok(folder) = File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(kept_lines + items.len())
}

/// Reads the undelivered file in `dir` (nothing when there is none).
///
/// # Errors
/// [`Error::Io`] if it cannot be read, [`Error::Local`] naming the line that is not an
/// undelivered message.
pub fn read_undelivered(dir: &Path) -> Result<Vec<Undelivered>, Error> {
    let path = undelivered_path(dir);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut items = Vec::new();
    for (number, line) in BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let item = serde_json::from_str(&line).map_err(|e| Error::Local {
            reason: format!("{} line {}: {e}", path.display(), number + 1),
        })?;
        items.push(item);
    }
    Ok(items)
}

impl Hub {
    /// What shutdown leaves: the open deliveries and the queues' messages, bodies included.
    pub(super) fn undelivered(&self) -> Vec<Undelivered> {
        let mut items: Vec<Undelivered> = self
            .ledger
            .open_events()
            .into_iter()
            .map(|(pending, event)| Undelivered::Delivery {
                function: pending.function,
                event_id: pending.event_id,
                attempt: pending.attempt,
                event: Box::new(Arc::unwrap_or_clone(event)),
            })
            .collect();
        let mut queues: Vec<_> = self.queues.values().collect();
        queues.sort_by(|a, b| a.name().cmp(b.name()));
        for q in queues {
            items.extend(q.messages().into_iter().map(|message| Undelivered::Queue {
                queue: q.name().to_owned(),
                message,
            }));
        }
        items
    }

    /// Delivers the undelivered file in `dir` again and removes it; returns how many messages.
    pub(super) fn resume(self: &Arc<Self>, dir: &Path) -> Result<usize, Error> {
        let items = read_undelivered(dir)?;
        let count = items.len();
        self.redeliver(items)?;
        match fs::remove_file(undelivered_path(dir)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        if count > 0 {
            tracing::info!(count, folder = %dir.display(), "resumed undelivered messages");
        }
        Ok(count)
    }

    /// Delivers messages accepted by an earlier run again: a delivery to its function under
    /// its event id, a queue message back on its queue with its id. A topic message takes a
    /// place in its topic's depth even past the limit (it was accepted once), so the depth
    /// stays the bound of what is held.
    ///
    /// # Errors
    /// [`Error::Io`] if the journal (durable option) cannot keep one; the rest are not
    /// delivered.
    pub(super) fn redeliver(self: &Arc<Self>, items: Vec<Undelivered>) -> Result<(), Error> {
        // New ids must not collide with redelivered ones (a queue keys its messages by id).
        self.ids
            .fetch_max(highest_id(&items), std::sync::atomic::Ordering::Relaxed);
        let mut places: HashMap<String, Arc<DepthPermit>> = HashMap::new();
        for item in items {
            match item {
                Undelivered::Delivery {
                    function,
                    event_id,
                    event,
                    ..
                } => {
                    if self.runtime.app().get(&function).is_none() {
                        tracing::warn!(
                            function,
                            event_id,
                            "redelivery for a function the app no longer has"
                        );
                        continue;
                    }
                    let place = match (&*event, places.get(&event_id)) {
                        (_, Some(place)) => Some(place.clone()),
                        (Event::Topic(m), None) => self.topic_depths.get(&m.topic).map(|gauge| {
                            let place = Arc::new(gauge.take());
                            places.insert(event_id.clone(), place.clone());
                            place
                        }),
                        _ => None,
                    };
                    self.dispatch(&function, Arc::new(*event), &event_id, place)?;
                }
                Undelivered::Queue { queue, message: m } => match self.queues.get(&queue) {
                    Some(q) => {
                        let mut message = Message::new(m.body);
                        message.attributes = m.attributes;
                        let sent_at = m.sent_at.unwrap_or_else(|| self.now());
                        q.send_with_receives(m.id, message, sent_at, 0)?;
                    }
                    None => tracing::warn!(
                        queue,
                        id = m.id,
                        "redelivery for a queue the app no longer has"
                    ),
                },
            }
        }
        Ok(())
    }
}

/// The highest number of the ids of `items` (0 without any).
pub(super) fn highest_id(items: &[Undelivered]) -> u64 {
    items
        .iter()
        .filter_map(|item| match item {
            Undelivered::Delivery { event_id, .. } => id_number(event_id),
            Undelivered::Queue { message, .. } => id_number(&message.id),
        })
        .max()
        .unwrap_or(0)
}

/// The number at the end of an id made by `Hub::next_id` (`msg-41` is 41).
fn id_number(id: &str) -> Option<u64> {
    id.rsplit_once('-').and_then(|(_, n)| n.parse().ok())
}
