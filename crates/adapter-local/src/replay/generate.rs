//! Synthetic traces with the published characteristics of the Azure Functions 2019 trace; the
//! model is on [`generate`].

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Write;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal, Normal};

use super::error::TraceError;
use super::trace::{Trace, TraceStream, TracedFunction, TracedInvocation};
use crate::profile::InvocationSource;

const DAY_SECS: f64 = 86_400.0;

/// The trigger groups of the 2019 trace, with their share of functions (Figure 2).
const TRIGGERS: [(Trigger, f64); 7] = [
    (Trigger::Http, 0.55),
    (Trigger::Queue, 0.152),
    (Trigger::Timer, 0.156),
    (Trigger::Orchestration, 0.07),
    (Trigger::Storage, 0.028),
    (Trigger::Event, 0.022),
    (Trigger::Others, 0.022),
];

/// The trigger group of a generated function (the 2019 trace's `Trigger` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Trigger {
    /// HTTP requests: synchronous.
    Http,
    /// Queue messages.
    Queue,
    /// Timers: periodic.
    Timer,
    /// Durable Functions orchestration.
    Orchestration,
    /// Blob storage events.
    Storage,
    /// Event Grid / Event Hubs events.
    Event,
    /// Everything else.
    Others,
}

impl Trigger {
    /// The name the 2019 trace uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Http => "http",
            Trigger::Queue => "queue",
            Trigger::Timer => "timer",
            Trigger::Orchestration => "orchestration",
            Trigger::Storage => "storage",
            Trigger::Event => "event",
            Trigger::Others => "others",
        }
    }

    /// How its invocations reach the runtime: HTTP is synchronous, every other group is an
    /// asynchronous event (as [`Trace::from_azure`] classes them).
    pub fn source(self) -> InvocationSource {
        match self {
            Trigger::Http => InvocationSource::Http,
            _ => InvocationSource::Event,
        }
    }
}

/// What to generate: how many functions, over how long, from which seed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GenerateOptions {
    /// Functions drawn (those drawing zero invocations in the window are dropped).
    pub functions: usize,
    /// The window, from midnight (the diurnal pattern starts at its trough).
    pub span: Duration,
    /// The seed: the same options give the same trace.
    pub seed: u64,
    /// The largest daily invocation count one function may draw (10⁵ by default, about 1.2 a
    /// second).
    pub max_daily: f64,
}

impl GenerateOptions {
    /// `functions` functions over `span`, seed 0.
    pub fn new(functions: usize, span: Duration) -> Self {
        Self {
            functions,
            span,
            seed: 0,
            max_daily: 1e5,
        }
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the largest daily invocation count of one function (at least 1).
    pub fn max_daily(mut self, max_daily: f64) -> Self {
        self.max_daily = max_daily.max(1.0);
        self
    }
}

/// A generated trace with each function's trigger group.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The trace, ready for [`replay`](super::replay).
    pub trace: Trace,
    /// The trigger group of each function, in the order of [`Trace::functions`].
    pub triggers: Vec<Trigger>,
}

impl Generated {
    /// Writes the trace in the simple CSV format with its `memory_mb` and `trigger` columns,
    /// which [`Trace::from_csv`] reads back.
    ///
    /// # Errors
    /// The writer's.
    pub fn write_csv(&self, out: &mut dyn Write) -> std::io::Result<()> {
        write_csv(
            self.trace.functions(),
            &self.triggers,
            self.trace.invocations().iter().copied(),
            out,
        )
    }
}

/// Milliseconds with microsecond precision, without trailing zeros.
fn millis(d: Duration) -> String {
    let micros = d.as_micros();
    let (whole, frac) = (micros / 1000, micros % 1000);
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{frac:03}")
            .trim_end_matches('0')
            .to_owned()
    }
}

/// Generates a trace from `options`.
///
/// Synthetic traces with the published characteristics of the Azure Functions 2019 trace
/// (Shahrad et al., "Serverless in the Wild", USENIX ATC 2020, §3; `pricing-and-scaling.md` §4.1),
/// so a replay can be demonstrated and tested without the dataset.
///
/// Each function draws (its properties from the seed's generator, its arrivals and execution
/// times from a generator of its own):
///
/// | property | model | published characteristic it reproduces |
/// |---|---|---|
/// | trigger | HTTP 55 %, queue 15.2 %, timer 15.6 %, orchestration 7 %, storage 2.8 %, event 2.2 %, others 2.2 % of functions | Figure 2 (share of functions per trigger) |
/// | daily invocations | `10^x`, `x ~ Normal(1.603, 1.774)`, cut to `[0, 5]` (1 to 100,000 a day; [`GenerateOptions::max_daily`] moves the top) | 45 % of functions at most once an hour and 81 % at most once a minute on average (Figure 5); the two quantiles fix the normal's mean and deviation. The cut keeps a 1,000-function day at a few million invocations; with it the busiest 18.6 % of functions carry about 98 % of the invocations (99 % with a cut at 10⁶, 99.6 % in the paper, whose rates span eight orders of magnitude). |
/// | arrivals (timer) | periodic, period = day / count, random phase | timers are periodic (§3.3) |
/// | arrivals (others) | 60 %: Poisson; 40 %: bursty (hyper-exponential gaps, coefficient of variation 3.5) | 40 % of applications have an inter-arrival CV above 1 (Figure 7) |
/// | diurnal load | every non-timer rate follows `1 − ⅓·cos(2πt / 24 h)` (trough at midnight, peak at noon, trough at half the peak) | the platform's diurnal pattern over a flat base of about 50 % (Figure 4) |
/// | average execution time | log-normal, log-mean −0.38, σ 2.36 (seconds), cut to `[1 ms, 600 s]` | the paper's log-normal fit (Figure 8) |
/// | one execution's time | the average × a log-normal factor of mean 1 (σ 0.5) | (not published per invocation: a documented choice) |
/// | memory | Burr XII, c = 11.652, k = 0.221, λ = 107.083 MB, rounded up to 64 MB steps, at least 128 MB | the paper's Burr fit of allocated memory (Figure 9; per application there, per function here) |
///
/// Functions invoked zero times in the window are dropped, as the dataset lists only functions
/// that ran. A timer function with fewer than one period in the window still fires once.
///
/// The same options and seed give the same trace on every platform: the generator is ChaCha8
/// (`rand_chacha`, reproducible by specification): the functions' properties are drawn in order
/// from the seed's stream 0, and function `n`'s arrivals and execution times from stream `n + 1`,
/// so the trace does not depend on the order in which it is read. [`GeneratedStream`] draws the
/// same trace without holding it in memory.
///
/// # Errors
/// [`TraceError::Generate`] for zero functions or an empty window.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use faasport_adapter_local::replay::{generate, GenerateOptions};
///
/// let day = generate(&GenerateOptions::new(50, Duration::from_secs(3600)).seed(7))?;
/// assert!(day.trace.functions().len() <= 50);
/// assert_eq!(day, generate(&GenerateOptions::new(50, Duration::from_secs(3600)).seed(7))?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn generate(options: &GenerateOptions) -> Result<Generated, TraceError> {
    let stream = GeneratedStream::new(options)?;
    let mut invocations: Vec<TracedInvocation> = stream.arrivals().collect();
    // Functions in order of first arrival, as a trace file read back lists them.
    let mut renumber = vec![usize::MAX; stream.functions.len()];
    let mut order = Vec::with_capacity(stream.functions.len());
    for inv in &mut invocations {
        if renumber[inv.function] == usize::MAX {
            renumber[inv.function] = order.len();
            order.push(inv.function);
        }
        inv.function = renumber[inv.function];
    }
    let triggers = order.iter().map(|&i| stream.triggers[i]).collect();
    let functions = order.iter().map(|&i| stream.functions[i].clone()).collect();
    Ok(Generated {
        trace: Trace::from_parts(functions, invocations),
        triggers,
    })
}

/// A generated trace that is never held in memory: [`generate`]'s model, drawn as it is read.
///
/// [`GeneratedStream::new`] draws each function's properties (O(functions) memory, about 400
/// bytes a function with its generator); [`TraceStream::arrivals`] then draws the invocations
/// in arrival order, each time from the start, merging the functions' arrival processes on a
/// heap. A replay of a stream therefore holds no invocation it is not running: its memory does
/// not grow with the trace's length ([`replay`](super::replay) accepts any [`TraceStream`]).
///
/// It is the same trace as [`generate`]'s, which collects it: the same invocations, with the
/// functions numbered in the order they were drawn rather than of their first arrival.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use faasport_adapter_local::replay::{generate, GenerateOptions, GeneratedStream, TraceStream};
///
/// let options = GenerateOptions::new(20, Duration::from_secs(3600)).seed(3);
/// let stream = GeneratedStream::new(&options)?;
/// assert_eq!(stream.arrivals().count(), generate(&options)?.trace.invocations().len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct GeneratedStream {
    seed: u64,
    span: f64,
    model: Model,
    functions: Vec<TracedFunction>,
    triggers: Vec<Trigger>,
    /// Each kept function's draw and its number among all drawn (its generator's stream).
    draws: Vec<(u64, Draw)>,
}

impl GeneratedStream {
    /// Draws the functions of `options`; their invocations are drawn when read.
    ///
    /// # Errors
    /// [`TraceError::Generate`] for zero functions, an empty window, or a window beyond the
    /// replay's [`limits`](super::limits) (31 days).
    pub fn new(options: &GenerateOptions) -> Result<Self, TraceError> {
        if options.functions == 0 || options.span.is_zero() {
            return Err(TraceError::Generate {
                reason: "a trace needs at least one function and a window longer than zero".into(),
            });
        }
        if options.span > super::limits::MAX_ARRIVAL {
            return Err(TraceError::Generate {
                reason: format!(
                    "a window of {:?} is longer than a trace may be ({:?})",
                    options.span,
                    super::limits::MAX_ARRIVAL
                ),
            });
        }
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        let model = Model::new(options.max_daily)?;
        let mut stream = Self {
            seed: options.seed,
            span: options.span.as_secs_f64(),
            model,
            functions: Vec::new(),
            triggers: Vec::new(),
            draws: Vec::new(),
        };
        for n in 0..options.functions {
            let draw = stream.model.draw(&mut rng);
            // Functions invoked zero times in the window are dropped, as the dataset lists only
            // functions that ran.
            if stream.process(n as u64, &draw).next.is_none() {
                continue;
            }
            let trigger = draw.trigger;
            let mut function = TracedFunction::new(format!("f{n:05}-{}", trigger.as_str()));
            function.memory_mb = Some(draw.memory_mb);
            function.source = trigger.source();
            stream.functions.push(function);
            stream.triggers.push(trigger);
            stream.draws.push((n as u64, draw));
        }
        Ok(stream)
    }

    /// The trigger group of each function, in the order of [`TraceStream::functions`].
    pub fn triggers(&self) -> &[Trigger] {
        &self.triggers
    }

    /// Writes the trace in the simple CSV format with its `memory_mb` and `trigger` columns, as
    /// [`Generated::write_csv`] does, without holding it in memory.
    ///
    /// # Errors
    /// The writer's.
    pub fn write_csv(&self, out: &mut dyn Write) -> std::io::Result<()> {
        write_csv(&self.functions, &self.triggers, self.arrivals(), out)
    }

    /// Function `n`'s arrival process from its start, with its first arrival drawn: each
    /// function draws from its own ChaCha8 stream (`n + 1` of the seed), so the order in which
    /// functions are read does not change what they draw.
    fn process(&self, n: u64, draw: &Draw) -> Process {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(n + 1);
        let kind = if draw.trigger == Trigger::Timer {
            let period = DAY_SECS / draw.daily;
            let start = rng.random::<f64>() * period.min(self.span);
            Kind::Periodic { period, t: start }
        } else {
            let expected = draw.daily * self.span / DAY_SECS;
            Kind::Poisson {
                u: 0.0,
                t: 0.0,
                mean_gap: 1.0 / expected.max(f64::MIN_POSITIVE),
                total: cumulative(self.span),
            }
        };
        let mut process = Process {
            rng,
            kind,
            next: None,
        };
        process.next = process.advance(&self.model, draw, self.span, true);
        process
    }
}

impl TraceStream for GeneratedStream {
    fn functions(&self) -> &[TracedFunction] {
        &self.functions
    }

    fn arrivals(&self) -> Box<dyn Iterator<Item = TracedInvocation> + Send + '_> {
        let mut processes = Vec::with_capacity(self.draws.len());
        let mut heap = BinaryHeap::with_capacity(self.draws.len());
        for (index, (n, draw)) in self.draws.iter().enumerate() {
            let process = self.process(*n, draw);
            if let Some(at) = process.next {
                heap.push(Reverse((at, index)));
            }
            processes.push(process);
        }
        Box::new(Merge {
            stream: self,
            processes,
            heap,
        })
    }
}

/// One function's arrival process: its generator and where it is.
#[derive(Debug)]
struct Process {
    rng: ChaCha8Rng,
    kind: Kind,
    /// The arrival not yet read.
    next: Option<Duration>,
}

#[derive(Debug)]
enum Kind {
    /// A timer: every `period` seconds from a random phase.
    Periodic { period: f64, t: f64 },
    /// Poisson or bursty arrivals in operational time `u` (the window's whole intensity is 1),
    /// mapped through the inverse of the diurnal cumulative intensity to `t`.
    Poisson {
        u: f64,
        t: f64,
        mean_gap: f64,
        total: f64,
    },
}

impl Process {
    /// The next arrival within `span` seconds (`first`: the process's first one).
    fn advance(&mut self, model: &Model, draw: &Draw, span: f64, first: bool) -> Option<Duration> {
        let at = match &mut self.kind {
            Kind::Periodic { period, t } => {
                if !first {
                    *t += *period;
                }
                (*t < span).then_some(*t)
            }
            Kind::Poisson {
                u,
                t,
                mean_gap,
                total,
            } => {
                let scale = if !draw.bursty {
                    1.0
                } else if self.rng.random::<f64>() < 0.9 {
                    // Hyper-exponential: 90 % short gaps (0.2×), 10 % long ones (8.2×), mean 1.
                    0.2
                } else {
                    8.2
                };
                *u += model.unit.sample(&mut self.rng) * scale * *mean_gap;
                if *u >= 1.0 {
                    None
                } else {
                    *t = diurnal_time(*u * *total, *t, span);
                    Some(*t)
                }
            }
        };
        at.map(Duration::from_secs_f64)
    }
}

/// The functions' arrival processes merged in arrival order (ties: the function drawn first).
struct Merge<'a> {
    stream: &'a GeneratedStream,
    processes: Vec<Process>,
    heap: BinaryHeap<Reverse<(Duration, usize)>>,
}

impl Iterator for Merge<'_> {
    type Item = TracedInvocation;

    fn next(&mut self) -> Option<TracedInvocation> {
        let Reverse((at, function)) = self.heap.pop()?;
        let (process, (_, draw)) = (
            self.processes.get_mut(function)?,
            self.stream.draws.get(function)?,
        );
        let duration = Duration::from_secs_f64(self.stream.model.duration(draw, &mut process.rng));
        process.next = process.advance(&self.stream.model, draw, self.stream.span, false);
        if let Some(next) = process.next {
            self.heap.push(Reverse((next, function)));
        }
        Some(TracedInvocation {
            at,
            function,
            duration,
        })
    }
}

/// Writes `arrivals` of `functions` in the simple CSV format with `memory_mb` and `trigger`.
fn write_csv(
    functions: &[TracedFunction],
    triggers: &[Trigger],
    arrivals: impl Iterator<Item = TracedInvocation>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    writeln!(out, "timestamp_ms,function,duration_ms,memory_mb,trigger")?;
    for inv in arrivals {
        let (Some(f), Some(trigger)) = (functions.get(inv.function), triggers.get(inv.function))
        else {
            continue;
        };
        writeln!(
            out,
            "{},{},{},{},{}",
            millis(inv.at),
            f.name,
            millis(inv.duration),
            f.memory_mb.unwrap_or(faasport_core::DEFAULT_MEMORY_MB),
            trigger.as_str()
        )?;
    }
    out.flush()
}

/// One function's draw: what the model decides before its arrivals.
#[derive(Debug, Clone, Copy)]
struct Draw {
    trigger: Trigger,
    /// Expected invocations a day.
    daily: f64,
    /// Average execution time, in seconds.
    average: f64,
    memory_mb: u32,
    bursty: bool,
}

/// The distributions of [`generate`]'s model.
#[derive(Debug, Clone)]
struct Model {
    rate: Normal<f64>,
    average: LogNormal<f64>,
    factor: LogNormal<f64>,
    unit: Exp<f64>,
    max_exponent: f64,
}

impl Model {
    fn new(max_daily: f64) -> Result<Self, TraceError> {
        Ok(Self {
            // 45 % at most 24 a day and 81 % at most 1,440 a day: z(0.45) = −0.1257 and
            // z(0.81) = 0.8779, so σ = (log10 1440 − log10 24) / (0.8779 + 0.1257) = 1.774 and
            // μ = log10 24 + 0.1257σ = 1.603.
            rate: Normal::new(1.603, 1.774).map_err(generate_error)?,
            average: LogNormal::new(-0.38, 2.36).map_err(generate_error)?,
            // A factor of mean 1: exp(N(−σ²/2, σ)).
            factor: LogNormal::new(-0.125, 0.5).map_err(generate_error)?,
            unit: Exp::new(1.0).map_err(generate_error)?,
            max_exponent: max_daily.max(1.0).log10(),
        })
    }

    fn draw(&self, rng: &mut ChaCha8Rng) -> Draw {
        Draw {
            trigger: draw_trigger(rng.random::<f64>()),
            daily: 10f64.powf(self.rate.sample(rng).clamp(0.0, self.max_exponent)),
            average: self.average.sample(rng).clamp(0.001, 600.0),
            memory_mb: burr_memory_mb(rng.random::<f64>()),
            bursty: rng.random::<f64>() < 0.4,
        }
    }

    /// One execution's time, in seconds.
    fn duration(&self, draw: &Draw, rng: &mut ChaCha8Rng) -> f64 {
        (draw.average * self.factor.sample(rng)).clamp(0.000_001, 600.0)
    }
}

fn generate_error(e: impl std::fmt::Display) -> TraceError {
    TraceError::Generate {
        reason: e.to_string(),
    }
}

fn draw_trigger(u: f64) -> Trigger {
    let mut acc = 0.0;
    for (trigger, share) in TRIGGERS {
        acc += share;
        if u < acc {
            return trigger;
        }
    }
    Trigger::Others
}

/// The inverse of the Burr XII CDF `F(x) = 1 − (1 + (x/λ)^c)^−k`, rounded up to 64 MB, at
/// least 128 MB, at most 10,240 MB.
fn burr_memory_mb(u: f64) -> u32 {
    let (c, k, lambda) = (11.652_f64, 0.221_f64, 107.083_f64);
    let u = u.clamp(0.0, 0.999_999);
    let x = lambda * ((1.0 - u).powf(-1.0 / k) - 1.0).powf(1.0 / c);
    let steps = (x / 64.0).ceil().clamp(2.0, 160.0);
    (steps as u32) * 64
}

/// The cumulative diurnal intensity from midnight: the integral of `1 − ⅓·cos(2πt/day)`.
fn cumulative(t: f64) -> f64 {
    let w = std::f64::consts::TAU / DAY_SECS;
    t - (t * w).sin() / (3.0 * w)
}

/// The time at which the cumulative intensity reaches `target`, found by Newton's method from
/// `from` (an earlier root, or 0): the intensity lies between ⅔ and 4⁄3, so the function is
/// increasing and every step converges; the result stays within `[from, span]`.
fn diurnal_time(target: f64, from: f64, span: f64) -> f64 {
    let w = std::f64::consts::TAU / DAY_SECS;
    let mut t = from.max(target.min(span));
    for _ in 0..50 {
        let step = (cumulative(t) - target) / (1.0 - (t * w).cos() / 3.0);
        t = (t - step).clamp(from, span);
        if step.abs() < 1e-7 {
            break;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    /// `n` function draws from seed `seed`, without their arrivals.
    fn draws(n: usize, seed: u64) -> Vec<Draw> {
        let model = Model::new(1e6).expect("model");
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| model.draw(&mut rng)).collect()
    }

    fn small(functions: usize, span: Duration, seed: u64) -> Generated {
        generate(
            &GenerateOptions::new(functions, span)
                .seed(seed)
                .max_daily(2e4),
        )
        .expect("generated")
    }

    #[test]
    fn the_same_seed_gives_the_same_trace_and_another_seed_another() {
        let a = small(100, HOUR, 1);
        assert_eq!(a, small(100, HOUR, 1));
        assert_ne!(
            a.trace.invocations(),
            small(100, HOUR, 2).trace.invocations()
        );
    }

    #[test]
    fn the_rates_match_the_published_quantiles() {
        // 45 % of functions at most once an hour, 81 % at most once a minute (Shahrad et al.,
        // Figure 5). 20,000 draws put each share within ±1.5 points (3 standard errors).
        let d = draws(20_000, 11);
        let share = |max: f64| d.iter().filter(|f| f.daily <= max).count() as f64 / 20_000.0;
        let (hourly, minutely) = (share(24.0), share(1440.0));
        assert!((0.435..=0.465).contains(&hourly), "{hourly}");
        assert!((0.795..=0.825).contains(&minutely), "{minutely}");
    }

    #[test]
    fn a_few_functions_carry_most_of_the_load() {
        // 18.6 % of applications produce 99.6 % of invocations (Shahrad et al., §3.2); the cut
        // of the rates lowers the share (see the model's table).
        for (cap, share) in [(1e5, 0.97), (1e6, 0.985)] {
            let model = Model::new(cap).expect("model");
            let mut rng = ChaCha8Rng::seed_from_u64(3);
            let mut daily: Vec<f64> = (0..1000).map(|_| model.draw(&mut rng).daily).collect();
            daily.sort_by(|a, b| b.total_cmp(a));
            let total: f64 = daily.iter().sum();
            let top: f64 = daily.iter().take(186).sum();
            assert!(top / total > share, "cap {cap}: {top} of {total}");
        }
    }

    #[test]
    fn execution_times_and_memory_follow_the_published_fits() {
        let d = draws(20_000, 9);
        let mut averages: Vec<f64> = d.iter().map(|f| f.average).collect();
        averages.sort_by(f64::total_cmp);
        // The log-normal fit: median e^−0.38 = 0.68 s; 96 % average under 60 s (§4.1).
        assert!(
            (0.6..=0.77).contains(&averages[10_000]),
            "{}",
            averages[10_000]
        );
        let under_a_minute = averages.iter().filter(|a| **a < 60.0).count() as f64 / 20_000.0;
        assert!((0.95..=0.985).contains(&under_a_minute), "{under_a_minute}");
        let mut memory: Vec<u32> = d.iter().map(|f| f.memory_mb).collect();
        memory.sort_unstable();
        // The Burr fit's median is 140 MB and its 90th percentile 262 MB: 192 and 320 in
        // 64 MB steps.
        assert_eq!((memory[10_000], memory[18_000]), (192, 320));
        assert!(memory.iter().all(|m| *m >= 128 && m % 64 == 0));
    }

    #[test]
    fn the_triggers_have_the_published_shares() {
        let d = draws(20_000, 8);
        let share = |t: Trigger| d.iter().filter(|f| f.trigger == t).count() as f64 / 20_000.0;
        assert!((share(Trigger::Http) - 0.55).abs() < 0.015);
        assert!((share(Trigger::Timer) - 0.156).abs() < 0.01);
        assert!((share(Trigger::Queue) - 0.152).abs() < 0.01);
    }

    #[test]
    fn timers_are_periodic_events() {
        let g = small(200, 6 * HOUR, 5);
        let timer = (0..g.triggers.len())
            .filter(|&i| g.triggers[i] == Trigger::Timer)
            .max_by_key(|&i| {
                g.trace
                    .invocations()
                    .iter()
                    .filter(|inv| inv.function == i)
                    .count()
            })
            .expect("a timer");
        let at: Vec<f64> = g
            .trace
            .invocations()
            .iter()
            .filter(|inv| inv.function == timer)
            .map(|inv| inv.at.as_secs_f64())
            .collect();
        assert!(at.len() > 10, "{at:?}");
        let gaps: Vec<f64> = at.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|g| (g - gaps[0]).abs() < 1e-3), "{gaps:?}");
        assert_eq!(g.trace.functions()[timer].source, InvocationSource::Event);
    }

    #[test]
    fn the_load_peaks_at_noon_and_dips_at_midnight() {
        let g = small(200, 24 * HOUR, 4);
        let per_hour = |h: u64| {
            g.trace
                .invocations()
                .iter()
                .filter(|inv| g.triggers[inv.function] != Trigger::Timer)
                .filter(|inv| inv.at.as_secs() / 3600 == h)
                .count() as f64
        };
        let (night, noon) = (per_hour(0) + per_hour(23), per_hour(11) + per_hour(12));
        // The intensity is ⅔ at midnight and 4⁄3 at noon: twice as many arrivals.
        assert!(noon > 1.5 * night, "noon {noon}, midnight {night}");
    }

    #[test]
    fn the_diurnal_inverse_lands_on_its_target() {
        for target in [0.0, 1.0, 3600.0, 40_000.0, 86_000.0] {
            let t = diurnal_time(target, 0.0, DAY_SECS);
            assert!((cumulative(t) - target).abs() < 1e-6, "{target} → {t}");
        }
    }

    #[test]
    fn the_csv_reads_back_as_the_same_trace() {
        let g = small(40, HOUR, 2);
        let mut csv = Vec::new();
        g.write_csv(&mut csv).expect("written");
        let back = Trace::from_csv(std::str::from_utf8(&csv).expect("utf-8")).expect("parsed");
        assert_eq!(back.functions().len(), g.trace.functions().len());
        assert_eq!(back.invocations().len(), g.trace.invocations().len());
        for (a, b) in back.functions().iter().zip(g.trace.functions()) {
            assert_eq!(
                (&a.name, a.memory_mb, a.source),
                (&b.name, b.memory_mb, b.source)
            );
        }
        for (a, b) in back.invocations().iter().zip(g.trace.invocations()) {
            // Written with microsecond precision.
            assert_eq!(a.function, b.function);
            assert!(
                a.at.abs_diff(b.at) < Duration::from_micros(1),
                "{a:?} {b:?}"
            );
            assert!(a.duration.abs_diff(b.duration) < Duration::from_micros(1));
        }
    }

    #[test]
    fn the_stream_is_the_generated_trace_in_arrival_order_and_reads_the_same_twice() {
        let options = GenerateOptions::new(60, 2 * HOUR).seed(5).max_daily(2e4);
        let stream = GeneratedStream::new(&options).expect("stream");
        let first: Vec<TracedInvocation> = stream.arrivals().collect();
        assert_eq!(first, stream.arrivals().collect::<Vec<_>>());
        assert!(first.len() > 1000, "{}", first.len());
        assert!(first.windows(2).all(|w| w[0].at <= w[1].at));
        // The same invocations as `generate`, whose functions are numbered by first arrival.
        let g = generate(&options).expect("generated");
        assert_eq!(g.trace.invocations().len(), first.len());
        let named = |functions: &[TracedFunction], invs: &[TracedInvocation]| {
            let mut v: Vec<(Duration, String, Duration)> = invs
                .iter()
                .map(|i| (i.at, functions[i.function].name.clone(), i.duration))
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            named(stream.functions(), &first),
            named(g.trace.functions(), g.trace.invocations())
        );
        let mut kinds: Vec<(String, Trigger)> = stream
            .functions()
            .iter()
            .map(|f| f.name.clone())
            .zip(stream.triggers().iter().copied())
            .collect();
        kinds.sort_by(|a, b| a.0.cmp(&b.0));
        let mut expected: Vec<(String, Trigger)> = g
            .trace
            .functions()
            .iter()
            .map(|f| f.name.clone())
            .zip(g.triggers.iter().copied())
            .collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(kinds, expected);
        assert_eq!(stream.summary(), g.trace.summary());
    }

    #[test]
    fn a_window_longer_than_a_trace_may_be_is_refused() {
        let long = GenerateOptions::new(3, super::super::limits::MAX_ARRIVAL + HOUR);
        assert!(matches!(
            GeneratedStream::new(&long),
            Err(TraceError::Generate { .. })
        ));
    }

    #[test]
    fn nothing_to_generate_is_an_error() {
        assert!(generate(&GenerateOptions::new(0, Duration::from_secs(1))).is_err());
        assert!(generate(&GenerateOptions::new(3, Duration::ZERO)).is_err());
    }
}
