//! Where the app binary keeps the last run's report, so `report` can print it afterwards.

use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use faasport_adapter_local::{LocalCloud, Report};
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

/// Saves `report` as the last run's.
///
/// # Errors
/// [`Error::Io`] if the folder or file cannot be written.
pub fn save_report(dir: &Path, report: &Report) -> Result<PathBuf, Error> {
    std::fs::create_dir_all(dir)?;
    let path = report_path(dir);
    std::fs::write(&path, serde_json::to_vec_pretty(report)?)?;
    Ok(path)
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
    std::fs::write(&path, serde_json::to_vec_pretty(&kept)?)?;
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
