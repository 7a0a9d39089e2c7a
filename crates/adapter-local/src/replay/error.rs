//! Errors of trace loading and replay.

use std::path::PathBuf;

/// A trace that could not be read. Every parse error names the 1-based line, and the 1-based
/// column (field) and its header name where one field is at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The file could not be read.
    #[error("cannot read trace file {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The input has no header line.
    #[error("{file}: the trace is empty (expected a header line: {expected})")]
    MissingHeader {
        /// Which input (`trace`, `invocations`, `durations`).
        file: &'static str,
        /// The header the format expects.
        expected: String,
    },
    /// The header line does not match the format.
    #[error("{file}: line {line}: unexpected header `{found}` (expected {expected})")]
    Header {
        /// Which input.
        file: &'static str,
        /// The line.
        line: usize,
        /// What the format expects.
        expected: String,
        /// What was there.
        found: String,
    },
    /// A line has the wrong number of fields.
    #[error("{file}: line {line}: expected {expected} fields, found {found}")]
    FieldCount {
        /// Which input.
        file: &'static str,
        /// The line.
        line: usize,
        /// How many the header asks for (for example `3 or 4`).
        expected: String,
        /// How many there are.
        found: usize,
    },
    /// One field is malformed.
    #[error("{file}: line {line}, column {column} ({name}): `{value}` {reason}")]
    Field {
        /// Which input.
        file: &'static str,
        /// The line.
        line: usize,
        /// The column, 1-based.
        column: usize,
        /// The column's header name.
        name: String,
        /// The field's text.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A synthetic trace could not be generated from the options given.
    #[error("cannot generate a trace: {reason}")]
    Generate {
        /// Why.
        reason: String,
    },
    /// The trace holds more invocations than a replay accepts
    /// ([`MAX_INVOCATIONS`](super::limits::MAX_INVOCATIONS)).
    #[error("{file}: line {line}: the trace holds more than {max} invocations (narrow it: fewer minutes or functions)")]
    TooManyInvocations {
        /// Which input.
        file: &'static str,
        /// The line that went past the limit.
        line: usize,
        /// The limit.
        max: usize,
    },
}

/// A replay that could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The trace has no invocations.
    #[error("the trace has no invocations to replay")]
    EmptyTrace,
    /// The runtime refused the synthetic app or the clock (for example a multi-threaded tokio
    /// runtime, which cannot run on the virtual clock).
    #[error("cannot build the replay runtime")]
    Runtime(#[source] faasport_core::Error),
    /// The dedicated replay thread could not start its tokio runtime.
    #[error("cannot start the replay thread's tokio runtime")]
    Thread(#[source] std::io::Error),
    /// An invocation of a hand-built trace, or a replay setting, is past what a replay accepts
    /// (see [`limits`](super::limits)).
    #[error("{what} of {value:?} is past the replay's limit of {limit:?}")]
    OutOfRange {
        /// What is out of range (`an arrival`, `a duration`, `the cold start`).
        what: &'static str,
        /// Its value.
        value: std::time::Duration,
        /// The limit.
        limit: std::time::Duration,
    },
    /// An invocation task or the replay thread stopped abnormally.
    #[error("a replay task stopped abnormally: {0}")]
    Task(String),
}
