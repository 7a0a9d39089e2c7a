//! The neutral trace model both formats load into.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::profile::InvocationSource;

/// One function of a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TracedFunction {
    /// Its name in the trace (the CSV's `function`, or the Azure trace's `HashFunction`).
    pub name: String,
    /// Its application, when the format has one (the Azure trace's `HashApp`).
    pub app: Option<String>,
    /// Its memory, when the trace gives one (the replay's default otherwise).
    pub memory_mb: Option<u32>,
    /// The class of trigger behind its invocations.
    pub source: InvocationSource,
}

impl TracedFunction {
    /// A function named `name`, invoked over HTTP, with no app and no memory.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            app: None,
            memory_mb: None,
            source: InvocationSource::Http,
        }
    }
}

/// One invocation of a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TracedInvocation {
    /// When it arrives, since the start of the trace.
    pub at: Duration,
    /// Index of its function in [`Trace::functions`].
    pub function: usize,
    /// How long its handler runs (cold-start time excluded).
    pub duration: Duration,
}

/// A trace of invocations, sorted by arrival time.
///
/// Load one with [`Trace::from_csv`] or [`Trace::from_azure`], or build one by hand with
/// [`Trace::new`] and [`Trace::push`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    functions: Vec<TracedFunction>,
    invocations: Vec<TracedInvocation>,
}

impl Trace {
    /// An empty trace.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a function; returns its index for [`Trace::push`].
    pub fn add_function(&mut self, function: TracedFunction) -> usize {
        self.functions.push(function);
        self.functions.len() - 1
    }

    /// Adds an invocation of function `function` (an index from [`Trace::add_function`]) at `at`
    /// running for `duration`. Invocations of unknown functions are ignored.
    pub fn push(&mut self, at: Duration, function: usize, duration: Duration) {
        if function >= self.functions.len() {
            return;
        }
        let invocation = TracedInvocation {
            at,
            function,
            duration,
        };
        // Traces are mostly sorted: append, and insert only out-of-order arrivals.
        let pos = self.invocations.partition_point(|i| i.at <= at);
        self.invocations.insert(pos, invocation);
    }

    /// Sets the class of trigger of every function (for example to replay a CSV trace as
    /// asynchronous events).
    pub fn with_source(mut self, source: InvocationSource) -> Self {
        for f in &mut self.functions {
            f.source = source;
        }
        self
    }

    /// The functions, in order of first appearance.
    pub fn functions(&self) -> &[TracedFunction] {
        &self.functions
    }

    /// The invocations, sorted by arrival (ties in trace order).
    pub fn invocations(&self) -> &[TracedInvocation] {
        &self.invocations
    }

    /// Counts and time span.
    pub fn summary(&self) -> TraceSummary {
        let first = self.invocations.first().map_or(Duration::ZERO, |i| i.at);
        let last = self.invocations.last().map_or(Duration::ZERO, |i| i.at);
        TraceSummary {
            functions: self.functions.len(),
            invocations: self.invocations.len() as u64,
            span_ms: (last - first).as_secs_f64() * 1000.0,
        }
    }

    /// Sorts invocations by arrival after a bulk load (stable, so ties keep trace order).
    pub(crate) fn from_parts(
        functions: Vec<TracedFunction>,
        mut invocations: Vec<TracedInvocation>,
    ) -> Self {
        invocations.sort_by_key(|i| i.at);
        Self {
            functions,
            invocations,
        }
    }
}

/// A trace as a replay reads it: its functions, and its invocations in arrival order, read from
/// the start as often as needed.
///
/// A [`Trace`] holds its invocations in memory (40 bytes each); an
/// [`AzureTrace`](super::AzureTrace) and a [`GeneratedStream`](super::GeneratedStream) draw them
/// as they are read, so a replay of them holds none it is not running. [`replay`](super::replay) and [`compare`](super::compare) read
/// a source twice: once to size the functions' timeouts, count the invocations and check the
/// [`limits`](super::limits), once to run it.
pub trait TraceStream: Sync {
    /// The functions; [`TracedInvocation::function`] indexes them.
    fn functions(&self) -> &[TracedFunction];

    /// The invocations in arrival order (ties in trace order), from the first.
    fn arrivals(&self) -> Box<dyn Iterator<Item = TracedInvocation> + Send + '_>;

    /// Counts and time span, from one pass over [`TraceStream::arrivals`].
    fn summary(&self) -> TraceSummary {
        let (mut count, mut first, mut last) = (0_u64, None, Duration::ZERO);
        for inv in self.arrivals() {
            count += 1;
            first.get_or_insert(inv.at);
            last = inv.at;
        }
        let first = first.unwrap_or(Duration::ZERO);
        TraceSummary {
            functions: self.functions().len(),
            invocations: count,
            span_ms: last.saturating_sub(first).as_secs_f64() * 1000.0,
        }
    }
}

impl TraceStream for Trace {
    fn functions(&self) -> &[TracedFunction] {
        &self.functions
    }

    fn arrivals(&self) -> Box<dyn Iterator<Item = TracedInvocation> + Send + '_> {
        Box::new(self.invocations.iter().copied())
    }

    fn summary(&self) -> TraceSummary {
        Trace::summary(self)
    }
}

/// The size of a trace, as printed at the top of a [`ReplayReport`](super::ReplayReport).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TraceSummary {
    /// Functions in the trace.
    pub functions: usize,
    /// Invocations in the trace.
    pub invocations: u64,
    /// From the first arrival to the last, in milliseconds.
    pub span_ms: f64,
}
