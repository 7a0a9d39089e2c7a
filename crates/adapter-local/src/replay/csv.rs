//! The simple CSV trace format: `timestamp_ms,function,duration_ms[,memory_mb[,trigger]]`.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use super::error::TraceError;
use super::limits::{MAX_ARRIVAL, MAX_DURATION, MAX_INVOCATIONS};
use super::trace::{Trace, TracedFunction, TracedInvocation};
use crate::profile::InvocationSource;

const FILE: &str = "trace";
const COLUMNS: [&str; 5] = [
    "timestamp_ms",
    "function",
    "duration_ms",
    "memory_mb",
    "trigger",
];

impl Trace {
    /// Parses a trace in the simple CSV format (see the [module docs](crate::replay)).
    ///
    /// # Errors
    /// [`TraceError`] naming the line (and the column) of the first malformed line.
    pub fn from_csv(text: &str) -> Result<Self, TraceError> {
        let mut lines = records(text);
        let expected = || {
            format!(
                "`{}` with an optional `,{}` and then `,{}`",
                COLUMNS[..3].join(","),
                COLUMNS[3],
                COLUMNS[4]
            )
        };
        let (line, header) = lines.next().ok_or_else(|| TraceError::MissingHeader {
            file: FILE,
            expected: expected(),
        })?;
        let width = header.len();
        if !(3..=5).contains(&width) || header.iter().zip(COLUMNS).any(|(h, c)| *h != c) {
            return Err(TraceError::Header {
                file: FILE,
                line,
                expected: expected(),
                found: header.join(","),
            });
        }
        let mut functions: Vec<TracedFunction> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut invocations = Vec::new();
        for (line, fields) in lines {
            if invocations.len() >= MAX_INVOCATIONS {
                return Err(TraceError::TooManyInvocations {
                    file: FILE,
                    line,
                    max: MAX_INVOCATIONS,
                });
            }
            if fields.len() != width {
                return Err(TraceError::FieldCount {
                    file: FILE,
                    line,
                    expected: width.to_string(),
                    found: fields.len(),
                });
            }
            let field = Field {
                file: FILE,
                line,
                fields: &fields,
                names: &COLUMNS,
            };
            let at = field.arrival(0)?;
            let name = fields[1];
            if name.is_empty() {
                return Err(field.error(1, "is not a function name (empty)"));
            }
            let duration = field.duration(2)?;
            let memory = if width >= 4 {
                Some(field.memory(3)?)
            } else {
                None
            };
            let source = if width == 5 {
                Some(field.trigger(4)?)
            } else {
                None
            };
            let function = *index.entry(name.to_owned()).or_insert_with(|| {
                let mut f = TracedFunction::new(name);
                f.source = source.unwrap_or(f.source);
                functions.push(f);
                functions.len() - 1
            });
            if let Some(f) = functions.get_mut(function) {
                // A function's memory is the largest any of its lines gives.
                f.memory_mb = f.memory_mb.max(memory);
            }
            invocations.push(TracedInvocation {
                at,
                function,
                duration,
            });
        }
        Ok(Trace::from_parts(functions, invocations))
    }

    /// Reads and parses a trace file in the simple CSV format.
    ///
    /// # Errors
    /// [`TraceError::Io`] if the file cannot be read, otherwise as [`Trace::from_csv`].
    pub fn from_csv_file(path: impl AsRef<Path>) -> Result<Self, TraceError> {
        Self::from_csv(&read(path.as_ref())?)
    }
}

/// Reads a whole file, naming it on failure.
pub(crate) fn read(path: &Path) -> Result<String, TraceError> {
    std::fs::read_to_string(path).map_err(|source| TraceError::Io {
        path: path.to_owned(),
        source,
    })
}

/// The non-blank, non-comment lines of `text` with their 1-based numbers, split on commas and
/// trimmed. Quoting is not supported: none of the formats needs it.
pub(crate) fn records(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        Some((i + 1, line.split(',').map(str::trim).collect()))
    })
}

/// The fields of one line, for typed parsing with positioned errors.
pub(crate) struct Field<'a> {
    pub(crate) file: &'static str,
    pub(crate) line: usize,
    pub(crate) fields: &'a [&'a str],
    pub(crate) names: &'a [&'a str],
}

impl<'a> Field<'a> {
    /// A row of `file` whose fields line up with the header `names`.
    ///
    /// # Errors
    /// [`TraceError::FieldCount`] if the row has another number of fields than the header.
    pub(crate) fn row(
        file: &'static str,
        line: usize,
        fields: &'a [&'a str],
        names: &'a [&'a str],
    ) -> Result<Self, TraceError> {
        if fields.len() != names.len() {
            return Err(TraceError::FieldCount {
                file,
                line,
                expected: names.len().to_string(),
                found: fields.len(),
            });
        }
        Ok(Self {
            file,
            line,
            fields,
            names,
        })
    }

    /// The error for column `i` (0-based).
    pub(crate) fn error(&self, i: usize, reason: &'static str) -> TraceError {
        TraceError::Field {
            file: self.file,
            line: self.line,
            column: i + 1,
            name: self.names.get(i).copied().unwrap_or("?").to_owned(),
            value: self.fields.get(i).copied().unwrap_or("").to_owned(),
            reason,
        }
    }

    /// Column `i` as a finite, non-negative number.
    pub(crate) fn number(&self, i: usize) -> Result<f64, TraceError> {
        let text = self.fields.get(i).copied().unwrap_or("");
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
            Ok(_) => Err(self.error(i, "is not a finite, non-negative number")),
            Err(_) => Err(self.error(i, "is not a number")),
        }
    }

    /// Column `i` as milliseconds.
    pub(crate) fn millis(&self, i: usize) -> Result<Duration, TraceError> {
        let ms = self.number(i)?;
        Duration::try_from_secs_f64(ms / 1000.0).map_err(|_| self.error(i, "is out of range"))
    }

    /// Column `i` as an arrival in milliseconds, at most [`MAX_ARRIVAL`].
    pub(crate) fn arrival(&self, i: usize) -> Result<Duration, TraceError> {
        match self.millis(i)? {
            at if at > MAX_ARRIVAL => {
                Err(self.error(i, "is later than the 31 days a trace may span"))
            }
            at => Ok(at),
        }
    }

    /// Column `i` as an invocation's duration in milliseconds, at most [`MAX_DURATION`].
    pub(crate) fn duration(&self, i: usize) -> Result<Duration, TraceError> {
        let ms = self.duration_ms(i)?;
        Duration::try_from_secs_f64(ms / 1000.0).map_err(|_| self.error(i, "is out of range"))
    }

    /// Column `i` as a number of milliseconds an invocation runs, at most [`MAX_DURATION`].
    pub(crate) fn duration_ms(&self, i: usize) -> Result<f64, TraceError> {
        match self.number(i)? {
            ms if ms > MAX_DURATION.as_secs_f64() * 1000.0 => {
                Err(self.error(i, "is longer than the 24 hours an invocation may run"))
            }
            ms => Ok(ms),
        }
    }

    /// Column `i` as a count.
    pub(crate) fn count(&self, i: usize) -> Result<u64, TraceError> {
        let text = self.fields.get(i).copied().unwrap_or("");
        text.parse::<u64>()
            .map_err(|_| self.error(i, "is not a non-negative integer"))
    }

    /// Column `i` as a trigger group of the 2019 trace: `http` is a synchronous request, the
    /// other groups asynchronous events.
    fn trigger(&self, i: usize) -> Result<InvocationSource, TraceError> {
        let text = self.fields.get(i).copied().unwrap_or("");
        match text.to_ascii_lowercase().as_str() {
            "http" => Ok(InvocationSource::Http),
            "queue" | "timer" | "event" | "storage" | "orchestration" | "others" => {
                Ok(InvocationSource::Event)
            }
            _ => Err(self.error(
                i,
                "is not a trigger (http, queue, timer, event, storage, orchestration, others)",
            )),
        }
    }

    /// Column `i` as a memory size in MB.
    fn memory(&self, i: usize) -> Result<u32, TraceError> {
        let text = self.fields.get(i).copied().unwrap_or("");
        match text.parse::<u32>() {
            Ok(mb) if mb > 0 => Ok(mb),
            _ => Err(self.error(i, "is not a positive whole number of MB")),
        }
    }
}
