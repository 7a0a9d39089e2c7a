//! The per-minute invocation counts of the Azure Functions 2019 trace
//! (`invocations_per_function_md.anon.dNN.csv`), optionally paired with its durations file.

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use super::csv::{read, records, Field};
use super::durations::{parse_durations, DurationModel};
use super::error::TraceError;
use super::limits::{MAX_ARRIVAL, MAX_INVOCATIONS};
use super::trace::{Trace, TracedFunction, TracedInvocation};
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
    /// Uniformly at random within the minute, from a seed (the same seed, the same trace).
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

impl Trace {
    /// Parses the per-minute invocation counts of the Azure Functions 2019 trace, with durations
    /// from its durations file when given (see the [module docs](crate::replay)).
    ///
    /// # Errors
    /// [`TraceError`] naming the file, line and column of the first malformed field.
    pub fn from_azure(
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
        let seed = match options.spread {
            Spread::Even => None,
            Spread::Seeded(seed) => Some(seed),
        };
        let mut functions = Vec::new();
        let mut invocations = Vec::new();
        for (line, fields) in lines {
            if options.max_functions.is_some_and(|n| functions.len() >= n) {
                break;
            }
            let field = Field::row(FILE, line, &fields, &header)?;
            let key = fields[..3].join(",");
            let figures = stats.get(&key);
            let index = functions.len();
            let mut any = false;
            for column in KEY.len()..fields.len() {
                let minute = column - KEY.len();
                let n = field.count(column)?;
                if n == 0 || !window.contains(&minute) {
                    continue;
                }
                let start = u32::try_from(minute - window.start)
                    .ok()
                    .and_then(|m| MINUTE.checked_mul(m))
                    .filter(|start| *start < MAX_ARRIVAL)
                    .ok_or_else(|| {
                        field.error(
                            column,
                            "is a minute later than the 31 days a trace may span",
                        )
                    })?;
                if n > (MAX_INVOCATIONS - invocations.len()) as u64 {
                    return Err(TraceError::TooManyInvocations {
                        file: FILE,
                        line,
                        max: MAX_INVOCATIONS,
                    });
                }
                any = true;
                for i in 0..n {
                    let offset = match seed {
                        None => MINUTE.mul_f64(i as f64 / n as f64),
                        Some(seed) => MINUTE.mul_f64(unit(seed, index as u64, minute as u64, i)),
                    };
                    let duration = match figures {
                        Some(f) => {
                            f.pick(options.durations, draw(options.durations, index, minute, i))
                        }
                        None => options.default_duration,
                    };
                    invocations.push(TracedInvocation {
                        at: start + offset,
                        function: index,
                        duration,
                    });
                }
            }
            if any {
                functions.push(TracedFunction {
                    name: fields[2].to_owned(),
                    app: Some(fields[1].to_owned()),
                    memory_mb: None,
                    source: source_of(fields[3]),
                });
            }
        }
        Ok(Trace::from_parts(functions, invocations))
    }

    /// Reads and parses the Azure trace's invocation counts file, and its durations file when
    /// given.
    ///
    /// # Errors
    /// [`TraceError::Io`] if a file cannot be read, otherwise as [`Trace::from_azure`].
    pub fn from_azure_files(
        invocations: impl AsRef<Path>,
        durations: Option<&Path>,
        options: &AzureOptions,
    ) -> Result<Self, TraceError> {
        let counts = read(invocations.as_ref())?;
        let durations = durations.map(read).transpose()?;
        Self::from_azure(&counts, durations.as_deref(), options)
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
