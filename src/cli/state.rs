//! Where the app binary keeps the last run's report, so `report` can print it afterwards.

use std::path::{Path, PathBuf};

use faasport_adapter_local::Report;
use faasport_core::Error;

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
