//! `replay <trace> [--format csv|azure] [--durations FILE] [--cold-start-ms N]
//! [--max-functions N] [--json]`: a traffic trace through the scaler and meter under every
//! profile and keep-alive policy.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::ValueEnum;

use faasport_adapter_local::replay::{
    compare_blocking, AzureOptions, ReplayMatrix, ReplayOptions, Trace,
};
use faasport_core::{chain_message, Error};

/// The trace formats `replay` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// `timestamp_ms,function,duration_ms[,memory_mb]` with a header line.
    Csv,
    /// The per-minute invocation counts of the Azure Functions 2019 public trace.
    Azure,
}

/// What `replay` was asked to do.
#[derive(Debug, Clone)]
pub struct ReplayArgs {
    /// The trace file.
    pub trace: PathBuf,
    /// Its format.
    pub format: TraceFormat,
    /// For the Azure format: the durations file of the same day.
    pub durations: Option<PathBuf>,
    /// Initialiser time per new instance (traces exclude cold starts).
    pub cold_start_ms: u64,
    /// For the Azure format: keep only the first N functions.
    pub max_functions: Option<usize>,
    /// Print JSON instead of a table.
    pub json: bool,
}

fn load(args: &ReplayArgs) -> Result<Trace, Error> {
    let trace = match args.format {
        TraceFormat::Csv => Trace::from_csv_file(&args.trace),
        TraceFormat::Azure => {
            let mut options = AzureOptions::default();
            if let Some(n) = args.max_functions {
                options = options.max_functions(n);
            }
            Trace::from_azure_files(
                &args.trace,
                args.durations.as_deref().map(Path::new),
                &options,
            )
        }
    };
    trace.map_err(|e| Error::invalid_payload(chain_message(&e)))
}

/// Replays the trace under aws, gcp and azure, each with its fixed keep-alive window and with the
/// hybrid histogram policy, and prints the comparison.
///
/// # Errors
/// [`Error::InvalidPayload`] for an unreadable or malformed trace (the message names the line and
/// column), or the replay's failure.
pub fn run(args: &ReplayArgs, out: &mut dyn Write) -> Result<(), Error> {
    let trace = load(args)?;
    let options = ReplayOptions::default().cold_start(Duration::from_millis(args.cold_start_ms));
    let report = compare_blocking(&trace, &ReplayMatrix::standard(), &options).map_err(|e| {
        Error::Local {
            reason: format!("replay failed: {}", chain_message(&e)),
        }
    })?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write!(out, "{}", report.to_table())?;
    }
    Ok(())
}
