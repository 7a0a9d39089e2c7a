//! What a replay accepts: the range checks that keep a hostile or corrupt trace from panicking,
//! running for hours or exhausting memory.
//!
//! | bound | value | why |
//! |---|---|---|
//! | arrival (`timestamp_ms`, an Azure minute) | at most [`MAX_ARRIVAL`], 31 days after the trace starts | the Azure Functions 2019 trace covers 14 days; a month of day files fits. The virtual clock walks every timer tick up to the last arrival, so a trace of years would run for hours |
//! | invocation duration (`duration_ms`, Azure `Average` and percentiles, the default duration, the cold start) | at most [`MAX_DURATION`], 24 hours | the longest any provider runs one invocation is 60 minutes (Cloud Run functions, the Azure Premium plan's guarantee); Lambda stops at 15 |
//! | invocations in one trace file | at most [`MAX_INVOCATIONS`], 10 million | a CSV trace, and an Azure trace collected by [`Trace::from_azure`](super::Trace::from_azure), is held in memory, 40 bytes an invocation: 400 MB. An [`AzureTrace`](super::AzureTrace) holds only the nonzero per-minute counts (12 bytes each) and draws its invocations as they are replayed, but its total is bound all the same, for run time: a replay costs 5 to 10 µs of real time per invocation per run (`BENCHMARKS.md`), so 10 million take about a minute for each of a comparison's runs (six by default), and one count of `10^19` would otherwise be a replay of years. Cut a larger Azure day down with [`AzureOptions::minutes`](super::AzureOptions::minutes) or [`AzureOptions::max_functions`](super::AzureOptions::max_functions). A [`GeneratedStream`](super::GeneratedStream) is not read from a file, and not bound by it |
//!
//! Numbers must also be finite and non-negative: `NaN`, `inf` and `-1` are refused where they
//! are read. A trace file breaking a bound is a [`TraceError`](super::TraceError) naming its
//! line and column; a [`Trace`](super::Trace) built by hand with [`Trace::push`](super::Trace::push)
//! is checked when the replay starts ([`ReplayError::OutOfRange`](super::ReplayError::OutOfRange)).

use std::time::Duration;

/// The latest arrival a replayed invocation may have, from the start of the trace: 31 days.
pub const MAX_ARRIVAL: Duration = Duration::from_secs(31 * 24 * 3600);

/// The longest duration (and cold start) a replayed invocation may have: 24 hours.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

/// The most invocations one trace file may give: 10 million (an Azure counts file's window in all,
/// streamed or not).
pub const MAX_INVOCATIONS: usize = 10_000_000;
