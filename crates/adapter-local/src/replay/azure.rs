//! The per-minute invocation counts of the Azure Functions 2019 trace
//! (`invocations_per_function_md.anon.dNN.csv`), optionally paired with its durations file.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use super::csv::{read, records, Field};
use super::durations::{parse_durations, DurationModel, DurationStats};
use super::error::TraceError;
use super::limits::{MAX_ARRIVAL, MAX_INVOCATIONS};
use super::trace::{Trace, TraceStream, TraceSummary, TracedFunction, TracedInvocation};
use crate::profile::InvocationSource;

const FILE: &str = "invocations";
const KEY: [&str; 4] = ["HashOwner", "HashApp", "HashFunction", "Trigger"];
const MINUTE: Duration = Duration::from_secs(60);

/// Where in its minute each of a minute's invocations arrives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Spread {
    /// Evenly: the `i`-th of `n` arrives `i × 60 s / n` into the minute (one call: at its
    /// start).
    #[default]
    Even,
    /// Uniformly at random within the minute, from a seed (the same seed, the same trace),
    /// drawn as sorted order statistics (see [`AzureTrace`]).
    Seeded(u64),
}

/// How the Azure trace is turned into invocations.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AzureOptions {
    /// How a minute's invocations are spread over it.
    pub spread: Spread,
    /// How durations are taken from the durations file.
    pub durations: DurationModel,
    /// The duration of functions missing from the durations file, or of every function when
    /// there is none (1 s).
    pub default_duration: Duration,
    /// The minutes to replay, 0-based (minute column `1` is minute 0); the trace starts at the
    /// first of them. All of the day by default.
    pub minutes: Range<u32>,
    /// Keep only the first `n` functions (in file order) that have invocations in the window.
    pub max_functions: Option<usize>,
}

impl Default for AzureOptions {
    fn default() -> Self {
        Self {
            spread: Spread::Even,
            durations: DurationModel::Average,
            default_duration: Duration::from_secs(1),
            minutes: 0..u32::MAX,
            max_functions: None,
        }
    }
}

impl AzureOptions {
    /// Sets how a minute's invocations are spread.
    pub fn spread(mut self, spread: Spread) -> Self {
        self.spread = spread;
        self
    }

    /// Sets how durations are drawn.
    pub fn durations(mut self, model: DurationModel) -> Self {
        self.durations = model;
        self
    }

    /// Sets the duration of functions without figures.
    pub fn default_duration(mut self, duration: Duration) -> Self {
        self.default_duration = duration;
        self
    }

    /// Replays only these minutes (0-based).
    pub fn minutes(mut self, minutes: Range<u32>) -> Self {
        self.minutes = minutes;
        self
    }

    /// Keeps only the first `n` functions with invocations.
    pub fn max_functions(mut self, n: usize) -> Self {
        self.max_functions = Some(n);
        self
    }
}

/// The Azure trace's invocations, generated as they are read rather than held.
///
/// [`AzureTrace::parse`] reads the counts file (and the durations file) once, checks every field
/// as [`Trace::from_azure`] does (the same [`TraceError`]s, lines and columns, and the replay's
/// [`limits`](super::limits)), and keeps only the nonzero counts: 12 bytes per function and
/// minute with invocations, plus each function's duration figures. [`TraceStream::arrivals`]
/// then draws the invocations in arrival order, ties in trace order (the function's line, then
/// its minute, then `i`), each time from the start: it merges the functions active in the
/// current minute on a heap, so a replay holds a few entries per function active in a minute,
/// not 40 bytes per invocation of the day ([`AzureArrivals::held`]).
///
/// [`Trace::from_azure`] collects this stream: the same functions and the same invocations.
///
/// * [`Spread::Even`]: the `i`-th of a minute's `n` invocations arrives `i × 60 s / n` into it.
/// * [`Spread::Seeded`]: the minute's `n` arrivals are the sorted order statistics of `n`
///   uniform draws, generated in increasing order, each from the previous one: with `R₀ = 1`,
///   `Rᵢ = Rᵢ₋₁ · (1 − Vᵢ)^(1 / (n − i))` and arrival `i` at `(1 − Rᵢ) × 60 s`, where `Vᵢ` is
///   a uniform draw that is a pure function of (seed, function, minute, `i`). The minimum of the
///   `n − i` draws left, uniform above the last one, is distributed so; the arrivals are
///   therefore exactly as uniform as sorted independent draws, come out already sorted, and
///   cost O(1) memory per function and minute. (Drawing a minute's `n` arrivals and sorting
///   them would hold up to `n` of them, and one minute may count millions.) The same seed gives
///   the same trace; arrivals stay inside their minute.
/// * [`DurationModel::Percentiles`]: invocation `i` of a function's minute draws its share from
///   (seed, function, minute, `i`), whatever order it is read in.
///
/// # Examples
/// ```
/// use faasport_adapter_local::replay::{AzureOptions, AzureTrace, Trace, TraceStream};
///
/// let counts = "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,3,1\n";
/// let stream = AzureTrace::parse(counts, None, &AzureOptions::default())?;
/// assert_eq!(stream.invocations(), 4);
/// let held = Trace::from_azure(counts, None, &AzureOptions::default())?;
/// assert!(stream.arrivals().eq(held.invocations().iter().copied()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct AzureTrace {
    functions: Vec<TracedFunction>,
    /// Each function's durations, indexed like `functions`.
    figures: Vec<Figures>,
    /// The nonzero counts in the window, sorted by minute, then function.
    cells: Vec<Cell>,
    /// The first minute of the window (0-based), the trace's start.
    first_minute: u32,
    spread: Spread,
    model: DurationModel,
    invocations: u64,
}

/// `count` invocations of function `function` in minute `minute` (0-based, of the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cell {
    minute: u32,
    function: u32,
    count: u32,
}

/// How a function's invocations get their durations.
#[derive(Debug, Clone)]
enum Figures {
    /// All the same (the average, or the default duration).
    Fixed(Duration),
    /// Drawn between its percentiles.
    Drawn(DurationStats),
}

impl AzureTrace {
    /// Parses the per-minute invocation counts of the Azure Functions 2019 trace, with durations
    /// from its durations file when given (see the [module docs](crate::replay)); the
    /// invocations are generated when read.
    ///
    /// # Errors
    /// [`TraceError`] naming the file, line and column of the first malformed field, or the line
    /// that takes the window past [`MAX_INVOCATIONS`] in all.
    pub fn parse(
        invocations: &str,
        durations: Option<&str>,
        options: &AzureOptions,
    ) -> Result<Self, TraceError> {
        let stats = match durations {
            Some(text) => parse_durations(text, options.durations)?,
            None => Default::default(),
        };
        let mut lines = records(invocations);
        let expected = || format!("{},1,2,...,1440", KEY.join(","));
        let (line, header) = lines.next().ok_or_else(|| TraceError::MissingHeader {
            file: FILE,
            expected: expected(),
        })?;
        let minutes_ok = header.len() > KEY.len()
            && header[KEY.len()..]
                .iter()
                .enumerate()
                .all(|(i, h)| h.parse::<usize>() == Ok(i + 1));
        if header[..KEY.len().min(header.len())] != KEY || !minutes_ok {
            return Err(TraceError::Header {
                file: FILE,
                line,
                expected: expected(),
                found: header.join(","),
            });
        }
        let window = options.minutes.start as usize..options.minutes.end as usize;
        let mut functions = Vec::new();
        let mut figures = Vec::new();
        let mut cells = Vec::new();
        let mut total = 0_u64;
        for (line, fields) in lines {
            if options.max_functions.is_some_and(|n| functions.len() >= n) {
                break;
            }
            let field = Field::row(FILE, line, &fields, &header)?;
            let too_many = || TraceError::TooManyInvocations {
                file: FILE,
                line,
                max: MAX_INVOCATIONS,
            };
            let key = fields[..3].join(",");
            let index = functions.len();
            let mut any = false;
            for column in KEY.len()..fields.len() {
                let minute = column - KEY.len();
                let n = field.count(column)?;
                if n == 0 || !window.contains(&minute) {
                    continue;
                }
                let late = || {
                    field.error(
                        column,
                        "is a minute later than the 31 days a trace may span",
                    )
                };
                u32::try_from(minute - window.start)
                    .ok()
                    .and_then(|m| MINUTE.checked_mul(m))
                    .filter(|start| *start < MAX_ARRIVAL)
                    .ok_or_else(late)?;
                if n > MAX_INVOCATIONS as u64 - total {
                    return Err(too_many());
                }
                total += n;
                any = true;
                cells.push(Cell {
                    // The window is a range of `u32`, so the minute is one.
                    minute: u32::try_from(minute).map_err(|_| late())?,
                    // At least one invocation each: fewer functions than `MAX_INVOCATIONS`.
                    function: u32::try_from(index).map_err(|_| too_many())?,
                    count: u32::try_from(n).map_err(|_| too_many())?,
                });
            }
            if any {
                figures.push(match stats.get(&key) {
                    Some(f) => match f.fixed(options.durations) {
                        Some(duration) => Figures::Fixed(duration),
                        None => Figures::Drawn(f.clone()),
                    },
                    None => Figures::Fixed(options.default_duration),
                });
                functions.push(TracedFunction {
                    name: fields[2].to_owned(),
                    app: Some(fields[1].to_owned()),
                    memory_mb: None,
                    source: source_of(fields[3]),
                });
            }
        }
        // Read function by function; merged minute by minute.
        cells.sort_unstable_by_key(|c| (c.minute, c.function));
        cells.shrink_to_fit();
        Ok(Self {
            functions,
            figures,
            cells,
            first_minute: options.minutes.start,
            spread: options.spread,
            model: options.durations,
            invocations: total,
        })
    }

    /// Reads and parses the Azure trace's invocation counts file, and its durations file when
    /// given.
    ///
    /// # Errors
    /// [`TraceError::Io`] if a file cannot be read, otherwise as [`AzureTrace::parse`].
    pub fn from_files(
        invocations: impl AsRef<Path>,
        durations: Option<&Path>,
        options: &AzureOptions,
    ) -> Result<Self, TraceError> {
        let counts = read(invocations.as_ref())?;
        let durations = durations.map(read).transpose()?;
        Self::parse(&counts, durations.as_deref(), options)
    }

    /// How many invocations the stream yields (at most [`MAX_INVOCATIONS`]).
    pub fn invocations(&self) -> u64 {
        self.invocations
    }

    /// How many (function, minute) counts it holds: its size, 12 bytes each.
    pub fn cells(&self) -> usize {
        self.cells.len()
    }

    /// The invocations in arrival order, ties in trace order, from the first: what
    /// [`TraceStream::arrivals`] boxes.
    pub fn iter(&self) -> AzureArrivals<'_> {
        AzureArrivals {
            trace: self,
            next_cell: 0,
            heap: BinaryHeap::new(),
        }
    }

    /// When `minute` (0-based, of the file) starts, from the start of the trace.
    fn start(&self, minute: u32) -> Duration {
        MINUTE.saturating_mul(minute.saturating_sub(self.first_minute))
    }

    /// The first invocation of a cell.
    fn first(&self, cell: &Cell) -> Pending {
        let mut pending = Pending {
            at: self.start(cell.minute),
            function: cell.function,
            minute: cell.minute,
            i: 0,
            count: cell.count,
            log_rest: 0.0,
        };
        let offset = self.offset(&mut pending);
        pending.at += offset;
        pending
    }

    /// Moves `pending` to its next invocation; `false` after its last.
    fn advance(&self, pending: &mut Pending) -> bool {
        if pending.i + 1 >= pending.count {
            return false;
        }
        pending.i += 1;
        // Never before the previous one, whatever the rounding.
        let at = self.start(pending.minute) + self.offset(pending);
        pending.at = pending.at.max(at);
        true
    }

    /// Where in its minute invocation `pending.i` arrives (for [`Spread::Seeded`], moving its
    /// order statistic on from the previous one).
    fn offset(&self, pending: &mut Pending) -> Duration {
        let share = match self.spread {
            Spread::Even => f64::from(pending.i) / f64::from(pending.count),
            Spread::Seeded(seed) => {
                let v = unit(
                    seed,
                    u64::from(pending.function),
                    u64::from(pending.minute),
                    u64::from(pending.i),
                );
                // ln Rᵢ = ln Rᵢ₋₁ + ln(1 − Vᵢ) / (n − i); the arrival is at 1 − Rᵢ.
                pending.log_rest += (-v).ln_1p() / f64::from(pending.count - pending.i);
                -pending.log_rest.exp_m1()
            }
        };
        within_minute(share)
    }

    /// The duration of invocation `i` of `function` in `minute`.
    fn duration(&self, function: u32, minute: u32, i: u32) -> Duration {
        match self.figures.get(function as usize) {
            Some(Figures::Fixed(duration)) => *duration,
            Some(Figures::Drawn(stats)) => stats.pick(
                self.model,
                draw(self.model, function as usize, minute as usize, u64::from(i)),
            ),
            None => Duration::ZERO,
        }
    }

    /// The last arrival of a cell.
    fn last(&self, cell: &Cell) -> Duration {
        let mut pending = self.first(cell);
        match self.spread {
            Spread::Even => {
                pending.i = cell.count - 1;
                self.start(cell.minute) + self.offset(&mut pending)
            }
            Spread::Seeded(_) => {
                while self.advance(&mut pending) {}
                pending.at
            }
        }
    }

    /// The cells of the first or the last minute.
    fn minute_cells(&self, last: bool) -> &[Cell] {
        let (Some(first), Some(final_)) = (self.cells.first(), self.cells.last()) else {
            return &[];
        };
        let minute = if last { final_.minute } else { first.minute };
        let from = self.cells.partition_point(|c| c.minute < minute);
        let to = self.cells.partition_point(|c| c.minute <= minute);
        &self.cells[from..to]
    }
}

/// A share of a minute in `[0, 1]` as an offset into it, kept inside it.
fn within_minute(share: f64) -> Duration {
    Duration::try_from_secs_f64(share * MINUTE.as_secs_f64())
        .unwrap_or(Duration::ZERO)
        .min(MINUTE - Duration::from_nanos(1))
}

impl TraceStream for AzureTrace {
    fn functions(&self) -> &[TracedFunction] {
        &self.functions
    }

    fn arrivals(&self) -> Box<dyn Iterator<Item = TracedInvocation> + Send + '_> {
        Box::new(self.iter())
    }

    /// Exact without a pass over the invocations: every arrival stays inside its minute, so the
    /// first is in the first minute and the last in the last. With [`Spread::Even`] it reads
    /// one invocation per function of those minutes; with [`Spread::Seeded`], every invocation
    /// of the last minute.
    fn summary(&self) -> TraceSummary {
        let first = self
            .minute_cells(false)
            .iter()
            .map(|c| self.first(c).at)
            .min();
        let last = self.minute_cells(true).iter().map(|c| self.last(c)).max();
        let (first, last) = (
            first.unwrap_or(Duration::ZERO),
            last.unwrap_or(Duration::ZERO),
        );
        TraceSummary {
            functions: self.functions.len(),
            invocations: self.invocations,
            span_ms: last.saturating_sub(first).as_secs_f64() * 1000.0,
        }
    }
}

/// The next invocation of one function in one minute.
#[derive(Debug, Clone, Copy)]
struct Pending {
    at: Duration,
    function: u32,
    minute: u32,
    i: u32,
    count: u32,
    /// `ln Rᵢ` of [`Spread::Seeded`]'s order statistics.
    log_rest: f64,
}

impl Pending {
    /// Arrival order, ties in trace order: the function's line, then its minute (a cursor has
    /// one pending invocation at a time, so its `i` need not be compared).
    fn key(&self) -> (Duration, u32, u32) {
        (self.at, self.function, self.minute)
    }
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// The invocations of an [`AzureTrace`] in arrival order: [`AzureTrace::iter`].
#[derive(Debug)]
pub struct AzureArrivals<'a> {
    trace: &'a AzureTrace,
    /// The first cell not yet on the heap.
    next_cell: usize,
    heap: BinaryHeap<Reverse<Pending>>,
}

impl AzureArrivals<'_> {
    /// How many invocations it holds drawn and not yet yielded: one per function active in the
    /// current minute (and, at a minute's turn, in the next), whatever the counts.
    pub fn held(&self) -> usize {
        self.heap.len()
    }
}

impl Iterator for AzureArrivals<'_> {
    type Item = TracedInvocation;

    fn next(&mut self) -> Option<TracedInvocation> {
        let trace = self.trace;
        // A minute's invocations join the merge once nothing held arrives before it starts.
        while let Some(minute) = trace.cells.get(self.next_cell).map(|c| c.minute) {
            let start = trace.start(minute);
            if self.heap.peek().is_some_and(|Reverse(p)| p.at < start) {
                break;
            }
            while let Some(cell) = trace
                .cells
                .get(self.next_cell)
                .filter(|c| c.minute == minute)
            {
                self.heap.push(Reverse(trace.first(cell)));
                self.next_cell += 1;
            }
        }
        let Reverse(mut pending) = self.heap.pop()?;
        let invocation = TracedInvocation {
            at: pending.at,
            function: pending.function as usize,
            duration: trace.duration(pending.function, pending.minute, pending.i),
        };
        if trace.advance(&mut pending) {
            self.heap.push(Reverse(pending));
        }
        Some(invocation)
    }
}

impl Trace {
    /// Parses the per-minute invocation counts of the Azure Functions 2019 trace, with durations
    /// from its durations file when given (see the [module docs](crate::replay)), into memory:
    /// [`AzureTrace::parse`], collected.
    ///
    /// # Errors
    /// [`TraceError`] naming the file, line and column of the first malformed field.
    pub fn from_azure(
        invocations: &str,
        durations: Option<&str>,
        options: &AzureOptions,
    ) -> Result<Self, TraceError> {
        AzureTrace::parse(invocations, durations, options).map(Self::collect)
    }

    /// Reads and parses the Azure trace's invocation counts file, and its durations file when
    /// given, into memory ([`AzureTrace::from_files`] streams it instead).
    ///
    /// # Errors
    /// [`TraceError::Io`] if a file cannot be read, otherwise as [`Trace::from_azure`].
    pub fn from_azure_files(
        invocations: impl AsRef<Path>,
        durations: Option<&Path>,
        options: &AzureOptions,
    ) -> Result<Self, TraceError> {
        AzureTrace::from_files(invocations, durations, options).map(Self::collect)
    }

    /// Every invocation of `stream`, in memory.
    fn collect(stream: AzureTrace) -> Self {
        let mut invocations = Vec::with_capacity(usize::try_from(stream.invocations).unwrap_or(0));
        invocations.extend(stream.iter());
        Trace::from_parts(stream.functions, invocations)
    }
}

/// `http` triggers are synchronous requests; every other group (timer, event, queue, storage,
/// orchestration, others) is an asynchronous event.
fn source_of(trigger: &str) -> InvocationSource {
    if trigger.eq_ignore_ascii_case("http") {
        InvocationSource::Http
    } else {
        InvocationSource::Event
    }
}

fn draw(model: DurationModel, function: usize, minute: usize, i: u64) -> f64 {
    match model {
        DurationModel::Average => 0.0,
        DurationModel::Percentiles { seed } => unit(!seed, function as u64, minute as u64, i),
    }
}

/// A uniform draw in `[0, 1)`, a pure function of its inputs (SplitMix64 mixing).
fn unit(seed: u64, a: u64, b: u64, c: u64) -> f64 {
    let mut h = mix(seed);
    for x in [a, b, c] {
        h = mix(h ^ x);
    }
    (h >> 11) as f64 / (1u64 << 53) as f64
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
