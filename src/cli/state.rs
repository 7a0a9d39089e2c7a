//! Where the app binary keeps the last run's report, so `report` can print it afterwards.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use faasport_adapter_local::{LocalCloud, Report, RunInfo};
use faasport_core::{Error, Message};

/// Sets the folder for the last run's report (`.faasport` in the working directory otherwise).
pub const STATE_DIR_ENV: &str = "FAASPORT_STATE_DIR";

/// The file holding the last report in `dir`.
pub fn report_path(dir: &Path) -> PathBuf {
    dir.join("report.json")
}

/// The state folder from the flag, the environment, or the default.
pub fn state_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os(STATE_DIR_ENV).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(".faasport"))
}

/// When a run started, and under which id its report will be saved.
#[derive(Debug, Clone)]
pub struct RunStart {
    id: String,
    at: DateTime<Utc>,
}

impl RunStart {
    /// A run starting now, with a fresh id (start time in nanoseconds and process id, in hex).
    pub fn now() -> Self {
        let at = Utc::now();
        let nanos = at.timestamp_nanos_opt().unwrap_or_default();
        Self {
            id: format!("{nanos:x}-{:x}", std::process::id()),
            at,
        }
    }

    /// The run, ending now.
    pub fn ended(&self) -> RunInfo {
        RunInfo::new(self.id.clone(), self.at, Utc::now())
    }
}

/// Saves `report` as the last run's, atomically: a crash leaves the previous report or the new
/// one, never part of one.
///
/// # Errors
/// [`Error::Io`] if the folder or file cannot be written.
pub fn save_report(dir: &Path, report: &Report) -> Result<PathBuf, Error> {
    std::fs::create_dir_all(dir)?;
    let path = report_path(dir);
    write_atomically(&path, &serde_json::to_vec_pretty(report)?)?;
    Ok(path)
}

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk, then renames it over
/// `path` (and flushes the folder, where the platform allows, so the rename survives a crash).
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    if let Some(dir) = path.parent().and_then(|d| std::fs::File::open(d).ok()) {
        // Directories cannot be opened for syncing everywhere (Windows); best effort.
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Loads the last run's report.
///
/// # Errors
/// [`Error::InvalidPayload`] naming the file if there is none or it cannot be read.
pub fn load_report(dir: &Path) -> Result<Report, Error> {
    let path = report_path(dir);
    let bytes = std::fs::read(&path).map_err(|e| {
        Error::invalid_payload(format!(
            "no report at {} ({e}): run `serve` or `invoke` first",
            path.display()
        ))
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::invalid_payload(format!("{} is not a faasport report: {e}", path.display()))
    })
}

/// The file holding the messages of unconsumed queues in `dir`.
pub fn queues_path(dir: &Path) -> PathBuf {
    dir.join("queues.json")
}

/// Saves what the queues no function consumes still hold, by queue name; removes the file
/// when they hold nothing.
///
/// # Errors
/// [`Error::Io`] if the file cannot be written.
pub fn save_queues(dir: &Path, sources: &LocalCloud) -> Result<(), Error> {
    let kept: BTreeMap<&str, Vec<Message>> = unconsumed(sources)
        .filter_map(|queue| {
            let messages = sources.queue_messages(queue)?;
            let messages: Vec<Message> = messages
                .into_iter()
                .map(|m| {
                    let mut message = Message::new(m.body);
                    message.attributes = m.attributes;
                    message
                })
                .collect();
            (!messages.is_empty()).then_some((queue, messages))
        })
        .collect();
    let path = queues_path(dir);
    if kept.is_empty() {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => return Ok(()),
        }
    }
    std::fs::create_dir_all(dir)?;
    write_atomically(&path, &serde_json::to_vec_pretty(&kept)?)?;
    Ok(())
}

/// Sends the saved messages back into their queues (those the app still declares and no
/// function consumes).
///
/// # Errors
/// [`Error::InvalidPayload`] naming the file if it is not what [`save_queues`] writes.
pub async fn restore_queues(dir: &Path, sources: &LocalCloud) -> Result<(), Error> {
    let path = queues_path(dir);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let saved: BTreeMap<String, Vec<Message>> = serde_json::from_slice(&bytes).map_err(|e| {
        Error::invalid_payload(format!(
            "{} is not a saved queue state: {e}",
            path.display()
        ))
    })?;
    let restorable: Vec<&str> = unconsumed(sources).collect();
    for (queue, messages) in saved {
        if !restorable.contains(&queue.as_str()) {
            continue;
        }
        for message in messages {
            sources.send(&queue, message).await?;
        }
    }
    Ok(())
}

/// The declared queues without a consuming function.
fn unconsumed(sources: &LocalCloud) -> impl Iterator<Item = &str> {
    let app = sources.app();
    app.queues()
        .iter()
        .map(|q| q.name.as_str())
        .filter(move |name| {
            !app.functions().iter().any(|f| {
                f.triggers().iter().any(
                    |t| matches!(t, faasport_core::Trigger::Queue { queue, .. } if queue == name),
                )
            })
        })
}
