//! The fuzz targets' bodies: every decoder of untrusted input faasport has, fed arbitrary bytes.
//!
//! Each function takes the fuzzer's input and must return without panicking whatever it is;
//! decoding errors are expected and ignored. The binaries in `fuzz_targets/` wrap them for
//! `cargo fuzz` (libFuzzer); `tests/seeds.rs` runs every seed and every past crash through them
//! as a plain test, so the targets keep compiling and the regressions stay fixed.
//!
//! | target | decoder | input |
//! |---|---|---|
//! | [`aws_payload`] | Lambda payload detection and mapping (`faasport_adapter_aws::event`) | a Lambda payload |
//! | [`gcp_request`] | CloudEvents binary and structured, Pub/Sub push, legacy events, Scheduler (`faasport_adapter_gcp::event`) | an HTTP request as text (see [`gcp_request`]) |
//! | [`azure_request`] | the custom handler's invocation request, for every trigger kind (`faasport_adapter_azure::event`) | an invocation request |
//! | [`schedule`] | cron and rate expressions (`faasport_core::Schedule`) | an expression |
//! | [`replay_trace`] | the CSV and Azure 2019 trace formats (`faasport_adapter_local::replay`) | a trace (see [`replay_trace`]) |
//! | [`invoke_event`] | the `invoke` command's event forms (`faasport::cli::read_event`) | `--data`, optionally after an `--http` line |

use std::time::Duration;

use bytes::Bytes;
use chrono::{TimeZone, Utc};

use faasport_adapter_local::replay::limits::{MAX_ARRIVAL, MAX_DURATION, MAX_INVOCATIONS};
use faasport_adapter_local::replay::{
    AzureOptions, AzureTrace, DurationModel, Spread, Trace, TraceStream,
};
use faasport_core::{App, Context, Error, Event, Function, Schedule, StorageEventKind, Trigger};

async fn echo(_event: Event, _cx: Context) -> Result<(), Error> {
    Ok(())
}

/// One function with every trigger kind, so every decoder path is reachable.
fn every_trigger() -> Function {
    Function::new("echo", echo)
        .http_any("/")
        .subscribe("orders")
        .queue("jobs")
        .stream("clicks")
        .storage("uploads", &[StorageEventKind::Created])
        .schedule("0 2 * * *")
        .cloud_event("com.example.thing")
        .change_stream("orders-table")
}

/// A Lambda payload: detected, parsed into its source's type, and mapped to neutral events.
pub fn aws_payload(data: &[u8]) {
    use faasport_adapter_aws::event::{LambdaPayload, SourceNames};
    let Ok(payload) = LambdaPayload::from_slice(data) else {
        return;
    };
    let names = SourceNames {
        schedule: Some("rate(5 minutes)".to_owned()),
        ..SourceNames::default()
    };
    let _ = payload.into_invocation(&names);
}

/// An HTTP request to a Google Cloud function: the first line is the path, the lines up to an
/// empty one are `name: value` headers, the rest is the body. It goes through the request
/// mapping (every form the function accepts), and the body also through the structured
/// CloudEvent, push envelope and legacy decoders directly.
pub fn gcp_request(data: &[u8]) {
    use faasport_adapter_gcp::event::{cloudevent, from_request, legacy, pubsub, SourceNames};
    let (head, body) = split_head(data);
    let head = String::from_utf8_lossy(head);
    let mut lines = head.lines();
    let path = lines.next().unwrap_or("/");
    let mut builder = http::Request::builder().method("POST").uri(path);
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            builder = builder.header(name.trim(), value.trim());
        }
    }
    let function = every_trigger();
    let names = SourceNames::for_function(&function, Default::default());
    if let Ok(request) = builder.body(Bytes::copy_from_slice(body)) {
        let _ = cloudevent::from_binary(request.headers(), body);
        let _ = from_request(request, &names);
    }
    let _ = cloudevent::from_structured(body);
    if let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(body) {
        if legacy::looks_legacy(&object) {
            let _ = legacy::to_cloud_event(&object);
        }
        if let Ok(envelope) = pubsub::PushEnvelope::from_value(serde_json::Value::Object(object)) {
            let _ = envelope.into_delivered("orders".to_owned());
        }
    }
}

/// An Azure Functions custom handler invocation request, decoded for every trigger kind and for
/// both invoke entries (endpoint and queue).
pub fn azure_request(data: &[u8]) {
    use faasport_adapter_azure::event::InvocationRequest;
    use faasport_adapter_azure::names::Entry;
    let Ok(request) = InvocationRequest::from_slice(data) else {
        return;
    };
    let function = every_trigger();
    for trigger in function.triggers() {
        let _ = request.decode(&Entry::Trigger(trigger.clone()));
    }
    let _ = request.decode(&Entry::Invoke);
    let _ = request.decode(&Entry::InvokeQueue);
    let _ = request.decode(&Entry::Trigger(Trigger::Schedule {
        expression: "0 */5 * * * *".to_owned(),
    }));
    let _ = request.raw();
}

/// A cron or rate expression: parsed, and when valid, its next ticks after instants from the
/// epoch to 2199, its rate and its rate as cron.
pub fn schedule(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(schedule) = Schedule::parse(text) else {
        return;
    };
    let _ = schedule.rate();
    let _ = schedule.rate_as_cron();
    // Instants the runtime meets (its clock reads now, or a test's start). The calendar's
    // extremes are left out: croner walks year by year from them, which made a run 59 exec/s.
    let instants = [
        Utc.timestamp_opt(0, 0).single(),
        Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 59).single(),
        Utc.with_ymd_and_hms(2199, 12, 31, 23, 59, 0).single(),
    ];
    for at in instants.into_iter().flatten() {
        match schedule.next_after(at) {
            Some(next) => assert!(next > at, "{text}: next tick {next} is not after {at}"),
            // A cron expression that parses fires on some day (a never-firing one is refused),
            // and every such day comes round within croner's search, which ends in year 5000.
            None => assert!(
                schedule.rate().is_some(),
                "{text}: a cron schedule that parsed never fires after {at}"
            ),
        }
    }
}

/// A trace file: the first byte picks the format (even: the simple CSV; odd: the Azure 2019
/// counts, with a durations file after the first NUL byte) and the options. Whatever loads must
/// be within the replay's limits.
///
/// The Azure counts are parsed into an [`AzureTrace`] stream, whose arrivals are checked (in
/// order, function in range, arrival and duration within the limits) for the first
/// [`AZURE_PREFIX`] of them only, with its totals: the counts (at most [`MAX_INVOCATIONS`])
/// and, when the prefix is the whole stream, its length and summary against what was read. Every
/// field is checked at parse time; what follows is a loop expanding checked counts, at up to
/// ten million invocations an input. Walking all of it made an input take up to 0.9 s and
/// 268 MB held, and the run fall from 6,680 to 1,100 executions a second on its grown corpus;
/// bounded, an input takes a few milliseconds and the decoder, the part that reads hostile
/// input, gets the executions. (`tests/replay_stream.rs` in `faasport-adapter-local` checks
/// whole streams of millions.)
pub fn replay_trace(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    if selector % 2 == 0 {
        let Ok(trace) = Trace::from_csv(&String::from_utf8_lossy(rest)) else {
            return;
        };
        assert!(trace.invocations().len() <= MAX_INVOCATIONS);
        for invocation in trace.invocations() {
            assert!(invocation.at <= MAX_ARRIVAL, "{:?}", invocation.at);
            assert!(
                invocation.duration <= MAX_DURATION,
                "{:?}",
                invocation.duration
            );
            assert!(invocation.function < trace.functions().len());
        }
        let _ = trace.summary();
        return;
    }
    let (counts, durations) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], Some(String::from_utf8_lossy(&rest[i + 1..]))),
        None => (rest, None),
    };
    let mut options = AzureOptions::default();
    if selector & 2 != 0 {
        options = options.spread(Spread::Seeded(u64::from(selector)));
    }
    if selector & 4 != 0 {
        options = options.durations(DurationModel::Percentiles {
            seed: u64::from(selector),
        });
    }
    if selector & 8 != 0 {
        options = options.minutes(u32::from(selector >> 4)..u32::from(selector));
    }
    if selector & 16 != 0 {
        options = options.max_functions(usize::from(selector >> 5));
    }
    let Ok(stream) = AzureTrace::parse(
        &String::from_utf8_lossy(counts),
        durations.as_deref(),
        &options,
    ) else {
        return;
    };
    let total = stream.invocations();
    assert!(total <= MAX_INVOCATIONS as u64);
    let functions = stream.functions().len();
    assert!(functions as u64 <= total, "a function without invocations");
    let (mut read, mut first, mut last) = (0_u64, None, Duration::ZERO);
    for invocation in stream.arrivals().take(AZURE_PREFIX) {
        assert!(invocation.at >= last, "{:?} after {last:?}", invocation.at);
        assert!(invocation.at <= MAX_ARRIVAL, "{:?}", invocation.at);
        assert!(
            invocation.duration <= MAX_DURATION,
            "{:?}",
            invocation.duration
        );
        assert!(invocation.function < functions);
        first.get_or_insert(invocation.at);
        last = invocation.at;
        read += 1;
    }
    assert_eq!(read, total.min(AZURE_PREFIX as u64));
    if total <= AZURE_PREFIX as u64 {
        let summary = stream.summary();
        let span = last.saturating_sub(first.unwrap_or(Duration::ZERO));
        assert_eq!(
            (summary.functions, summary.invocations, summary.span_ms),
            (functions, total, span.as_secs_f64() * 1000.0)
        );
    }
}

/// How many of an Azure input's invocations [`replay_trace`] reads: 65,536.
pub const AZURE_PREFIX: usize = 1 << 16;

/// The `invoke` command's event: a first line `HTTP METHOD /path` is its `--http` option, the
/// rest is `--data` (the tagged form of an event, or any JSON).
pub fn invoke_event(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (http, data) = match text.strip_prefix("HTTP ") {
        Some(rest) => match rest.split_once('\n') {
            Some((line, data)) => (Some(line), data),
            None => (Some(rest), ""),
        },
        None => (None, text),
    };
    let app = App::new("fuzz")
        .topic("orders")
        .function(every_trigger())
        .function(
            Function::new("orders", echo)
                .http(http::Method::POST, "/orders/{id}")
                .subscribe("orders"),
        );
    let _ = faasport::cli::read_event(&app, http, Some(data.to_owned()), None);
}

/// Splits at the first empty line (`\n\n`): the head before it, the body after.
fn split_head(data: &[u8]) -> (&[u8], &[u8]) {
    match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &[]),
    }
}
