//! `replay [<trace>] [--format csv|azure] [--durations FILE] [--cold-start-ms N]
//! [--max-functions N] [--generate N --hours H --seed S [--out FILE]] [--profiles P,..]
//! [--policies fixed,hybrid] [--windows 5,10,..] [--plot FILE] [--json]`: a traffic trace, read or generated, through
//! the scaler and meter under every profile and keep-alive policy.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::ValueEnum;

use faasport_adapter_local::replay::{
    compare_blocking, AzureOptions, AzureTrace, GenerateOptions, GeneratedStream, ReplayMatrix,
    ReplayOptions, Trace, TraceError, TraceStream,
};
use faasport_adapter_local::{KeepAlive, Profile};
use faasport_core::{chain_message, Error};

/// The trace formats `replay` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// `timestamp_ms,function,duration_ms[,memory_mb[,trigger]]` with a header line.
    Csv,
    /// The per-minute invocation counts of the Azure Functions 2019 public trace.
    Azure,
}

/// The keep-alive policies `replay --policy` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyArg {
    /// The profile's fixed keep-alive window.
    Fixed,
    /// The hybrid histogram policy of Shahrad et al.
    Hybrid,
}

/// Where the trace comes from.
#[derive(Debug, Clone)]
pub enum TraceSource {
    /// A file in a format.
    File {
        /// The trace file.
        path: PathBuf,
        /// Its format.
        format: TraceFormat,
        /// For the Azure format: the durations file of the same day.
        durations: Option<PathBuf>,
        /// For the Azure format: keep only the first N functions.
        max_functions: Option<usize>,
    },
    /// A synthetic trace with the 2019 trace's characteristics.
    Generate {
        /// Functions drawn.
        functions: usize,
        /// Hours from midnight.
        hours: f64,
        /// The seed.
        seed: u64,
        /// Write the trace here (CSV) instead of replaying it.
        out: Option<PathBuf>,
    },
}

/// What `replay` was asked to do.
#[derive(Debug, Clone)]
pub struct ReplayArgs {
    /// The trace.
    pub source: TraceSource,
    /// Initialiser time per new instance (traces exclude cold starts).
    pub cold_start_ms: u64,
    /// Replay under these profiles (aws, gcp and azure when empty).
    pub profiles: Vec<Profile>,
    /// Replay under these keep-alive policies (fixed and hybrid when empty, and no `windows`).
    pub policies: Vec<PolicyArg>,
    /// Also replay under fixed keep-alive windows of these many minutes.
    pub windows: Vec<u64>,
    /// Draw the cold-start / wasted-memory trade-off and the costs into this SVG file.
    pub plot: Option<PathBuf>,
    /// Print JSON instead of a table.
    pub json: bool,
}

/// A trace read from a CSV file (held in memory), from the Azure counts (held as its nonzero
/// per-minute counts, its invocations drawn as they are replayed) or generated (drawn as it is
/// replayed, so a generated trace of any length replays in the same memory).
enum Loaded {
    File(Trace),
    Azure(AzureTrace),
    Generated(GeneratedStream),
}

impl Loaded {
    fn stream(&self) -> &dyn TraceStream {
        match self {
            Loaded::File(trace) => trace,
            Loaded::Azure(stream) => stream,
            Loaded::Generated(stream) => stream,
        }
    }
}

fn load(source: &TraceSource) -> Result<Loaded, Error> {
    let trace = match source {
        TraceSource::File {
            path,
            format: TraceFormat::Csv,
            ..
        } => Trace::from_csv_file(path).map(Loaded::File),
        TraceSource::File {
            path,
            format: TraceFormat::Azure,
            durations,
            max_functions,
        } => {
            let mut options = AzureOptions::default();
            if let Some(n) = max_functions {
                options = options.max_functions(*n);
            }
            AzureTrace::from_files(path, durations.as_deref().map(Path::new), &options)
                .map(Loaded::Azure)
        }
        TraceSource::Generate {
            functions,
            hours,
            seed,
            ..
        } => generated(*functions, *hours, *seed).map(Loaded::Generated),
    };
    trace.map_err(|e| Error::invalid_payload(chain_message(&e)))
}

fn generated(functions: usize, hours: f64, seed: u64) -> Result<GeneratedStream, TraceError> {
    let span = Duration::try_from_secs_f64(hours * 3600.0).unwrap_or(Duration::ZERO);
    GeneratedStream::new(&GenerateOptions::new(functions, span).seed(seed))
}

fn matrix(args: &ReplayArgs) -> ReplayMatrix {
    let standard = ReplayMatrix::standard();
    let profiles = if args.profiles.is_empty() {
        standard.profiles
    } else {
        args.profiles.clone()
    };
    let mut policies: Vec<KeepAlive> = args
        .policies
        .iter()
        .map(|p| match p {
            PolicyArg::Fixed => KeepAlive::ProfileDefault,
            PolicyArg::Hybrid => KeepAlive::hybrid(),
        })
        .collect();
    policies.extend(
        args.windows
            .iter()
            .map(|m| KeepAlive::Fixed(Duration::from_secs(m.saturating_mul(60)))),
    );
    if policies.is_empty() {
        policies = standard.policies;
    }
    ReplayMatrix::new(profiles, policies)
}

/// Replays the trace under aws, gcp and azure (or the `--profiles`), each with its fixed
/// keep-alive window and with the hybrid histogram policy (or the `--policies`), and prints
/// the comparison; with `--generate N --out FILE`, writes the generated trace instead.
///
/// # Errors
/// [`Error::InvalidPayload`] for an unreadable or malformed trace (the message names the line and
/// column) or bad generator options, [`Error::Local`] for the replay's failure or a file that
/// cannot be written.
pub fn run(args: &ReplayArgs, out: &mut dyn Write) -> Result<(), Error> {
    if let TraceSource::Generate {
        functions,
        hours,
        seed,
        out: Some(path),
    } = &args.source
    {
        let g = generated(*functions, *hours, *seed)
            .map_err(|e| Error::invalid_payload(chain_message(&e)))?;
        let mut file = std::fs::File::create(path).map_err(|e| file_error(path, &e))?;
        g.write_csv(&mut file).map_err(|e| file_error(path, &e))?;
        let summary = g.summary();
        writeln!(
            out,
            "wrote {}: {} functions, {} invocations over {:.1} h",
            path.display(),
            summary.functions,
            summary.invocations,
            summary.span_ms / 3_600_000.0
        )?;
        return Ok(());
    }
    let trace = load(&args.source)?;
    let matrix = matrix(args);
    let runs = (matrix.profiles.len() * matrix.policies.len()) as u64;
    let counter = Arc::new(AtomicU64::new(0));
    let options = ReplayOptions::default()
        .cold_start(Duration::from_millis(args.cold_start_ms))
        .progress(counter.clone());
    let trace = trace.stream();
    let total = trace.summary().invocations * runs;
    let report = with_progress(total, &counter, || {
        compare_blocking(trace, &matrix, &options)
    })
    .map_err(|e| Error::Local {
        reason: format!("replay failed: {}", chain_message(&e)),
    })?;
    if let Some(path) = &args.plot {
        let svg = report.to_svg().map_err(|e| Error::Local {
            reason: chain_message(&e),
        })?;
        std::fs::write(path, svg).map_err(|e| file_error(path, &e))?;
    }
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write!(out, "{}", report.to_table())?;
    }
    Ok(())
}

/// Runs `work` while a progress bar on stderr (drawn only when stderr is a terminal) follows
/// `counter` up to `total`.
fn with_progress<T>(total: u64, counter: &AtomicU64, work: impl FnOnce() -> T) -> T {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} replay [{bar:40}] {pos}/{len} invocations ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                bar.set_position(counter.load(Ordering::Relaxed));
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let result = work();
        done.store(true, Ordering::Relaxed);
        bar.finish_and_clear();
        result
    })
}

fn file_error(path: &Path, e: &std::io::Error) -> Error {
    Error::Local {
        reason: format!("cannot write {}: {e}", path.display()),
    }
}
