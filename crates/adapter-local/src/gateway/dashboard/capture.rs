//! The log lines of one invocation, for the "try it" form.
//!
//! The runtime does not keep logs: handlers log through `tracing` to whatever subscriber the
//! process installed. For a test event, the invocation's future runs under a [`LogCapture`]
//! subscriber that passes everything on to the subscriber in place (the process's log is
//! unchanged) and also keeps the events it sees, at `DEBUG` and above, as [`LogLine`]s: at most
//! [`MAX_LINES`] lines of at most [`MAX_LINE`] bytes each, the rest counted as dropped. The
//! runtime's own `INFO` and `DEBUG` events (`faasport_adapter_local`) are left out, so the lines
//! are the handler's.
//!
//! Only what runs on the invocation's own task is seen: work a handler spawns on another task,
//! and the invocations its events cause later (a published message's subscribers), log to the
//! process only.

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};

/// Lines kept per invocation.
pub(crate) const MAX_LINES: usize = 200;

/// Bytes kept per line.
pub(crate) const MAX_LINE: usize = 2048;

/// One log event of the invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct LogLine {
    pub(crate) level: String,
    pub(crate) target: String,
    /// The message, then the other fields as `name=value`.
    pub(crate) message: String,
}

/// What was captured.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Captured {
    pub(crate) lines: Vec<LogLine>,
    pub(crate) dropped: u64,
}

/// A subscriber that forwards to `inner` and keeps the events it captures.
pub(crate) struct LogCapture {
    inner: Dispatch,
    captured: Arc<Mutex<Captured>>,
}

impl LogCapture {
    /// A capture forwarding to the subscriber in place now.
    pub(crate) fn new() -> (Self, Arc<Mutex<Captured>>) {
        let inner = tracing::dispatcher::get_default(Clone::clone);
        let captured = Arc::new(Mutex::new(Captured::default()));
        (
            Self {
                inner,
                captured: Arc::clone(&captured),
            },
            captured,
        )
    }

    fn captures(metadata: &Metadata<'_>) -> bool {
        metadata.is_event()
            && *metadata.level() <= Level::DEBUG
            && (*metadata.level() <= Level::WARN
                || !metadata.target().starts_with("faasport_adapter_local"))
    }
}

impl Subscriber for LogCapture {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        let inner = self.inner.register_callsite(metadata);
        if Self::captures(metadata) {
            Interest::always()
        } else {
            inner
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        Self::captures(metadata) || self.inner.enabled(metadata)
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        None
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.inner.new_span(span)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        self.inner.record(span, values);
    }

    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.inner.record_follows_from(span, follows);
    }

    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        if Self::captures(metadata) {
            let mut captured = self.captured.lock().unwrap_or_else(PoisonError::into_inner);
            if captured.lines.len() < MAX_LINES {
                let mut line = Line::default();
                event.record(&mut line);
                captured.lines.push(LogLine {
                    level: metadata.level().to_string(),
                    target: metadata.target().to_owned(),
                    message: line.finish(),
                });
            } else {
                captured.dropped += 1;
            }
        }
        if self.inner.enabled(metadata) {
            self.inner.event(event);
        }
    }

    fn enter(&self, span: &Id) {
        self.inner.enter(span);
    }

    fn exit(&self, span: &Id) {
        self.inner.exit(span);
    }

    fn clone_span(&self, id: &Id) -> Id {
        self.inner.clone_span(id)
    }

    fn try_close(&self, id: Id) -> bool {
        self.inner.try_close(id)
    }

    fn current_span(&self) -> tracing_core::span::Current {
        self.inner.current_span()
    }
}

/// An event's message and fields as one line.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Line {
    fn finish(self) -> String {
        let mut text = self.message;
        if !self.fields.is_empty() {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&self.fields);
        }
        if text.len() > MAX_LINE {
            let mut end = MAX_LINE;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            text.push('…');
        }
        text
    }
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.field(field, format_args!("{value:?}"));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            self.field(field, format_args!("{value:?}"));
        }
    }
}

impl Line {
    fn field(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        if self.fields.len() > MAX_LINE {
            return;
        }
        if !self.fields.is_empty() {
            self.fields.push(' ');
        }
        let _ = write!(self.fields, "{}={value}", field.name());
    }
}
