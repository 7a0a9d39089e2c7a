//! What the runtime remembers about each invocation.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use faasport_core::{Error, Output};

/// How an invocation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// The handler returned successfully.
    Ok,
    /// The handler returned an error (or the event did not fit it).
    Error,
    /// The handler ran past its timeout and was cancelled.
    Timeout,
    /// The handler panicked.
    Panic,
    /// No instance was available within the limits; the handler did not run.
    Throttled,
    /// The instance's initialiser failed; the handler did not run.
    InitError,
}

impl Outcome {
    /// Every outcome, in declaration order.
    pub const ALL: [Outcome; 6] = [
        Outcome::Ok,
        Outcome::Error,
        Outcome::Timeout,
        Outcome::Panic,
        Outcome::Throttled,
        Outcome::InitError,
    ];

    /// The outcome's name in JSON and in metric labels (`ok`, `init_error`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Timeout => "timeout",
            Outcome::Panic => "panic",
            Outcome::Throttled => "throttled",
            Outcome::InitError => "init_error",
        }
    }

    /// The position in [`Outcome::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The outcome matching a result.
    pub fn of(result: &Result<Output, Error>) -> Self {
        match result {
            Ok(_) => Outcome::Ok,
            Err(Error::Timeout(_)) => Outcome::Timeout,
            Err(Error::Panic(_)) => Outcome::Panic,
            Err(Error::Throttled { .. }) => Outcome::Throttled,
            Err(Error::Init { .. }) => Outcome::InitError,
            Err(_) => Outcome::Error,
        }
    }
}

/// One invocation, as the meter sees it.
///
/// The function name is shared by every record of the function (the runtime clones one
/// `Arc<str>` per invocation, no allocation), and so is the request id between the record the
/// meter keeps and the one returned in [`Invocation`]. In JSON both are plain strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InvocationRecord {
    /// The function.
    #[serde(with = "arc_str")]
    pub function: Arc<str>,
    /// The request id given to the handler.
    #[serde(with = "arc_str")]
    pub request_id: Arc<str>,
    /// When the invocation arrived, since the runtime started.
    #[serde(rename = "arrived_at_ms", with = "millis")]
    pub arrived_at: Duration,
    /// Time spent waiting for an instance.
    #[serde(rename = "queued_ms", with = "millis")]
    pub queued: Duration,
    /// Time the initialiser took, on a cold start (zero when warm).
    #[serde(rename = "init_ms", with = "millis")]
    pub init: Duration,
    /// Time the handler ran.
    #[serde(rename = "duration_ms", with = "millis")]
    pub duration: Duration,
    /// The billed time under the runtime profile's billing rule (Lambda: init on a cold start
    /// plus duration, to 1 ms; Azure: at least 100 ms; Cloud Run: init plus duration to 100 ms,
    /// before sharing with concurrent requests); zero when throttled.
    #[serde(rename = "billed_ms", with = "millis")]
    pub billed: Duration,
    /// The memory configured for the function (MB).
    pub memory_mb: u32,
    /// Whether this invocation started a new instance.
    pub cold: bool,
    /// The instance that ran it (none when throttled).
    pub instance: Option<u64>,
    /// How it ended.
    pub outcome: Outcome,
    /// The delivery attempt, 1 on the first.
    pub attempt: u32,
    /// The function's architecture, if it chose one (`None`: the meter's default option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<faasport_core::Arch>,
    /// The function's ephemeral storage in MB, if set (`None`: Lambda's free 512 MB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage_mb: Option<u32>,
    /// Response bytes streamed to the caller (Lambda response streaming; the local runtime
    /// does not stream, so only replays and estimates set it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub streamed_bytes: u64,
    /// Whether it ran on an instance started for min instances (provisioned concurrency): the
    /// meter prices those invocations against the capacity kept warm.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provisioned: bool,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl InvocationRecord {
    /// A record of a successful, warm, first-attempt invocation that took no time; set the
    /// public fields to describe another one (replays and tests build records this way).
    pub fn new(function: impl Into<Arc<str>>, request_id: impl Into<Arc<str>>) -> Self {
        Self {
            function: function.into(),
            request_id: request_id.into(),
            arrived_at: Duration::ZERO,
            queued: Duration::ZERO,
            init: Duration::ZERO,
            duration: Duration::ZERO,
            billed: Duration::ZERO,
            memory_mb: faasport_core::DEFAULT_MEMORY_MB,
            cold: false,
            instance: None,
            outcome: Outcome::Ok,
            attempt: 1,
            arch: None,
            ephemeral_storage_mb: None,
            streamed_bytes: 0,
            provisioned: false,
        }
    }
}

/// The result of one invocation through the local runtime: the handler's result and the record.
#[derive(Debug)]
#[non_exhaustive]
pub struct Invocation {
    /// What the handler returned, or why it did not.
    pub result: Result<Output, Error>,
    /// What the meter recorded.
    pub record: InvocationRecord,
}

/// Durations in JSON as milliseconds (a number with fractions), the unit every provider bills in.
pub mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `duration` as milliseconds.
    pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(duration.as_secs_f64() * 1000.0)
    }

    /// Reads milliseconds; negative or non-finite values are an error.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let ms = f64::deserialize(deserializer)?;
        Duration::try_from_secs_f64(ms / 1000.0).map_err(serde::de::Error::custom)
    }
}

/// `Arc<str>` in JSON as a plain string.
pub(crate) mod arc_str {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(s: &Arc<str>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Arc<str>, D::Error> {
        String::deserialize(deserializer).map(Arc::from)
    }
}
