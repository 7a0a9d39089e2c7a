//! Trace replay: run a recorded workload through the scaler and the meter under each profile and
//! keep-alive policy, and compare cold starts, idle instance time and cost.
//!
//! A [`Trace`] is loaded from one of two formats, then [`replay`] (one profile and policy) or
//! [`compare`] (a [`ReplayMatrix`], by default `aws`/`gcp`/`azure` × fixed/hybrid) builds a
//! synthetic app with one function per traced function, whose handler sleeps for the traced
//! duration, and spawns every invocation at its arrival time on the virtual clock. A day of
//! trace replays in seconds and the result does not depend on the machine's speed: the same
//! trace (a generated one: the same seed) and options give the same report, figure for figure,
//! throttling included, on a clock paused from the runtime's start (as [`replay_blocking`] and
//! [`compare_blocking`] run it; see [`replay`]). The [`ReplayReport`] prints as a table
//! ([`ReplayReport::to_table`]) or serialises to JSON.
//!
//! # The simple CSV format
//!
//! ```text
//! timestamp_ms,function,duration_ms,memory_mb
//! 0,resize,120,256
//! 1500.5,resize,95.25,256
//! 60000,thumbnail,800,512
//! ```
//!
//! * The header line is required: `timestamp_ms,function,duration_ms`, optionally followed by
//!   `,memory_mb`; every line then has that many fields. Fields are split on commas and trimmed;
//!   quoting is not supported. Blank lines and lines starting with `#` are skipped.
//! * `timestamp_ms`: arrival, milliseconds since the start of the trace (fractions allowed);
//!   lines need not be sorted. `duration_ms`: handler time (fractions allowed), cold start
//!   excluded. `memory_mb`: a positive integer; a function's memory is the largest of its lines
//!   (the replay's default, 128 MB, without the column).
//! * `trigger` (optional, after `memory_mb`): the 2019 trace's trigger group; `http` is a
//!   synchronous request, `queue`, `timer`, `event`, `storage`, `orchestration` and `others` are
//!   asynchronous events. Without it invocations are HTTP requests; [`Trace::with_source`]
//!   replays them as events instead.
//! * Arrivals are at most 31 days into the trace, durations at most 24 hours, and a trace holds
//!   at most 10 million invocations ([`limits`]); a line past them is a [`TraceError`].
//!
//! # Synthetic traces
//!
//! [`generate`] draws a trace with the published characteristics of the 2019 trace (rates over
//! five orders of magnitude, periodic timers, bursty arrivals, a diurnal load, the log-normal
//! execution times and Burr memory of the paper) from a seed; its docs give the model.
//!
//! # The Azure Functions 2019 trace
//!
//! [`AzureTrace::parse`] (streamed) and [`Trace::from_azure`] (held in memory) read
//! `invocations_per_function_md.anon.dNN.csv` (header
//! `HashOwner,HashApp,HashFunction,Trigger,1,2,…,1440`: invocations of each function per minute
//! of the day) and optionally `function_durations_percentiles.anon.dNN.csv` (columns found by
//! name: `HashOwner,HashApp,HashFunction,Average` and, for [`DurationModel::Percentiles`],
//! `percentile_Average_0,_1,_25,_50,_75,_99,_100`; execution times in ms). Column names are those
//! of `AzureFunctionsDataset2019.md` in the Azure/AzurePublicDataset repository.
//!
//! * The `n` invocations of a minute are spread over it by [`Spread`]: evenly (`i × 60 s / n`)
//!   or uniformly from a seed.
//! * A function's duration is its `Average` (or a seeded draw between its percentiles); functions
//!   missing from the durations file, or all of them without one, run for
//!   [`AzureOptions::default_duration`] (1 s).
//! * `http` triggers are synchronous requests; the other groups (`timer`, `event`, `queue`,
//!   `storage`, `orchestration`, `others`) are asynchronous events, whose backpressure blocks
//!   rather than rejects.
//! * Memory is per application in that dataset (a separate file), so the replay's default is
//!   used. The keep-alive policy is per function here, where Azure decides per application.
//! * The same [`limits`] apply: a minute at most 31 days in, durations of at most 24 hours, at
//!   most 10 million invocations in all.
//! * An [`AzureTrace`] keeps only the nonzero per-minute counts (12 bytes each) and the
//!   functions' durations, and draws the invocations in arrival order as they are read, merging
//!   the functions active in a minute; [`Trace::from_azure`] collects it (40 bytes an
//!   invocation). A full day of the dataset is still large to replay: [`AzureOptions::minutes`]
//!   and [`AzureOptions::max_functions`] cut it down.
//!
//! # What is measured
//!
//! Per run ([`ReplayRun`]): invocations, cold starts (invocations that started an instance) and
//! their rate, pre-warms, throttles, and the cost on every provider from the runtime's
//! [`Report`](crate::Report). **Idle instance time** comes from the runtime's running instance
//! aggregates ([`LocalRuntime::instance_time`](crate::LocalRuntime::instance_time)): each
//! instance is alive from its `started` to its `reaped` event (or to the end of the replay), and
//! busy while at least one invocation runs on it (from `arrived_at + queued` for `init +
//! duration`, overlaps merged); idle time is the difference, summed over instances, in
//! instance-seconds, and weighted by each function's memory in GB-seconds. By default the replay
//! keeps the clock running after the last invocation until every instance is reaped
//! ([`ReplayOptions::drain`]), so the keep-alive tail counts.
//!
//! # Memory and speed
//!
//! Nothing a replay reports is computed from kept records: counts, percentiles (a sketch),
//! billed quantities and instance time are aggregated as the run goes, and records and scaling
//! events live in the runtime's bounded rings ([`LocalConfig::keep_records`](crate::LocalConfig)).
//! Memory grows with the functions and the instances alive at once, not with what has been
//! replayed. A [`Trace`] read from a file is held in memory (40 bytes per invocation, loaded
//! before the run); an [`AzureTrace`] holds the Azure day's per-minute counts and draws the
//! invocations as they are replayed, and a [`GeneratedStream`] draws them all, so a generated
//! trace of any length replays in the same memory (every [`replay`] entry point takes any
//! [`TraceStream`]; the CLI streams `--format azure` and `--generate`).
//! The runs of [`compare_blocking`] go one per core. `BENCHMARKS.md` has the figures for a
//! generated 1,000-function day, streamed and held.

//! # Examples
//!
//! ```
//! use faasport_adapter_local::replay::{compare_blocking, ReplayMatrix, ReplayOptions, Trace};
//! use faasport_adapter_local::ProfileKind;
//!
//! let csv = "timestamp_ms,function,duration_ms\n0,f,100\n1800000,f,100\n3600000,f,100\n";
//! let trace = Trace::from_csv(csv)?;
//! let report = compare_blocking(&trace, &ReplayMatrix::standard(), &ReplayOptions::default())?;
//! let fixed = report.run(ProfileKind::Aws, "fixed 10 min").expect("replayed");
//! assert_eq!(fixed.cold_starts, 3);
//! println!("{}", report.to_table());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod app;
mod azure;
mod csv;
mod drain;
mod durations;
mod error;
mod generate;
pub mod limits;
mod options;
mod plot;
mod report;
mod run;
mod trace;

pub use azure::{AzureArrivals, AzureOptions, AzureTrace, Spread};
pub use durations::DurationModel;
pub use error::{ReplayError, TraceError};
pub use generate::{generate, GenerateOptions, Generated, GeneratedStream, Trigger};
pub use options::{ReplayMatrix, ReplayOptions};
pub use plot::{PlotError, PLOT_SIZE};
pub use report::{ReplayReport, ReplayRun, RunCost};
pub use run::{compare, compare_blocking, replay, replay_blocking};
pub use trace::{Trace, TraceStream, TraceSummary, TracedFunction, TracedInvocation};
