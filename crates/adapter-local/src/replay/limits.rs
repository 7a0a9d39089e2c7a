//! What a replay accepts: the range checks that keep a hostile or corrupt trace from panicking,
//! running for hours or exhausting memory.
//!
//! | bound | value | why |
//! |---|---|---|
//! | arrival (`timestamp_ms`, an Azure minute) | at most [`MAX_ARRIVAL`], 31 days after the trace starts | the Azure Functions 2019 trace covers 14 days; a month of day files fits. The virtual clock walks every timer tick up to the last arrival, so a trace of years would run for hours |
//! | invocation duration (`duration_ms`, Azure `Average` and percentiles, the default duration, the cold start) | at most [`MAX_DURATION`], 24 hours | the longest any provider runs one invocation is 60 minutes (Cloud Run functions, the Azure Premium plan's guarantee); Lambda stops at 15 |
//! | invocations in one trace file | at most [`MAX_INVOCATIONS`], 10 million | a trace read from a file is held in memory, 40 bytes an invocation: 400 MB. Cut a larger Azure day down with [`AzureOptions::minutes`](super::AzureOptions::minutes) or [`AzureOptions::max_functions`](super::AzureOptions::max_functions). A [`GeneratedStream`](super::GeneratedStream) is not held, and not bound by it |
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

/// The most invocations one trace may hold: 10 million.
pub const MAX_INVOCATIONS: usize = 10_000_000;
