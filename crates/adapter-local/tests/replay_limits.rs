//! Hostile traces: arrivals, durations and counts out of range are typed errors naming the line
//! and column, never a panic or a replay that runs for hours (the bounds are in
//! `faasport_adapter_local::replay::limits`).

use std::time::Duration;

use faasport_adapter_local::replay::limits::{MAX_ARRIVAL, MAX_DURATION, MAX_INVOCATIONS};
use faasport_adapter_local::replay::{
    replay, replay_blocking, AzureOptions, DurationModel, ReplayError, ReplayOptions, Trace,
    TraceError,
};

/// The values no arrival or duration may take: too large, not finite, negative, not a number.
const HOSTILE: [&str; 12] = [
    "1e22", "1e17", "1e309", "NaN", "nan", "inf", "-inf", "-1", "-0.5", "0x10", "", "1e-400e",
];

fn csv_error(text: &str) -> (usize, usize, String) {
    match Trace::from_csv(text) {
        Err(TraceError::Field {
            line, column, name, ..
        }) => (line, column, name),
        other => panic!("expected a field error for {text:?}, got {other:?}"),
    }
}

#[test]
fn a_csv_arrival_out_of_range_or_not_a_number_names_its_line_and_column() {
    for value in HOSTILE {
        let text = format!("timestamp_ms,function,duration_ms\n0,f,1\n{value},f,1\n");
        assert_eq!(
            csv_error(&text),
            (3, 1, "timestamp_ms".to_owned()),
            "{value}"
        );
    }
    let late = MAX_ARRIVAL.as_millis() + 1;
    let text = format!("timestamp_ms,function,duration_ms\n{late},f,1\n");
    let message = Trace::from_csv(&text)
        .expect_err("past 31 days")
        .to_string();
    assert!(message.contains("31 days"), "{message}");
}

#[test]
fn a_csv_duration_out_of_range_or_not_a_number_names_its_line_and_column() {
    let mut values = HOSTILE.to_vec();
    let long = (MAX_DURATION.as_millis() + 1).to_string();
    values.push(&long);
    for value in values {
        let text = format!("timestamp_ms,function,duration_ms,memory_mb\n5,f,{value},128\n");
        assert_eq!(
            csv_error(&text),
            (2, 3, "duration_ms".to_owned()),
            "{value}"
        );
    }
}

#[test]
fn arrivals_and_durations_at_the_limits_are_accepted() {
    let text = format!(
        "timestamp_ms,function,duration_ms\n0,f,0\n{},f,{}\n",
        MAX_ARRIVAL.as_millis(),
        MAX_DURATION.as_millis()
    );
    let trace = Trace::from_csv(&text).expect("within the limits");
    let last = trace.invocations()[1];
    assert_eq!((last.at, last.duration), (MAX_ARRIVAL, MAX_DURATION));
}

/// An Azure counts file with `minutes` minute columns and one function counting `count` at
/// minute column `at` (1-based).
fn azure_counts(minutes: usize, at: usize, count: &str) -> String {
    let header: Vec<String> = (1..=minutes).map(|m| m.to_string()).collect();
    let row: Vec<&str> = (1..=minutes)
        .map(|m| if m == at { count } else { "0" })
        .collect();
    format!(
        "HashOwner,HashApp,HashFunction,Trigger,{}\no,a,f,http,{}\n",
        header.join(","),
        row.join(",")
    )
}

#[test]
fn an_azure_minute_past_31_days_is_refused_and_the_last_minute_before_is_not() {
    let last_minute = (MAX_ARRIVAL.as_secs() / 60) as usize; // 0-based 44,639 is column 44,640
    let ok = Trace::from_azure(
        &azure_counts(last_minute + 1, last_minute, "1"),
        None,
        &AzureOptions::default(),
    )
    .expect("the last minute of the 31st day");
    assert_eq!(ok.invocations().len(), 1);
    match Trace::from_azure(
        &azure_counts(last_minute + 2, last_minute + 1, "1"),
        None,
        &AzureOptions::default(),
    ) {
        Err(TraceError::Field { line, column, .. }) => {
            assert_eq!((line, column), (2, 4 + last_minute + 1));
        }
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn an_azure_count_beyond_the_invocation_limit_is_refused_before_any_is_built() {
    for count in [
        u64::MAX.to_string(),
        (MAX_INVOCATIONS as u64 + 1).to_string(),
    ] {
        match Trace::from_azure(&azure_counts(3, 2, &count), None, &AzureOptions::default()) {
            Err(TraceError::TooManyInvocations { line, max, .. }) => {
                assert_eq!((line, max), (2, MAX_INVOCATIONS));
            }
            other => panic!("expected TooManyInvocations for {count}, got {other:?}"),
        }
    }
    for count in ["-1", "1.5", "1e3", "NaN", "18446744073709551616"] {
        assert!(
            matches!(
                Trace::from_azure(&azure_counts(3, 2, count), None, &AzureOptions::default()),
                Err(TraceError::Field {
                    line: 2,
                    column: 6,
                    ..
                })
            ),
            "{count}"
        );
    }
}

#[test]
fn an_azure_duration_out_of_range_or_not_a_number_names_its_line_and_column() {
    let counts = azure_counts(2, 1, "1");
    let long = (MAX_DURATION.as_millis() + 1).to_string();
    let mut values = HOSTILE.to_vec();
    values.push(&long);
    for value in values {
        let average = format!("HashOwner,HashApp,HashFunction,Average\no,a,f,{value}\n");
        assert!(
            matches!(
                Trace::from_azure(&counts, Some(&average), &AzureOptions::default()),
                Err(TraceError::Field {
                    file: "durations",
                    line: 2,
                    column: 4,
                    ..
                })
            ),
            "average {value}"
        );
        let percentiles = format!(
            "HashOwner,HashApp,HashFunction,Average,percentile_Average_0,percentile_Average_1,\
             percentile_Average_25,percentile_Average_50,percentile_Average_75,\
             percentile_Average_99,percentile_Average_100\no,a,f,1,1,1,1,1,1,1,{value}\n"
        );
        let model = AzureOptions::default().durations(DurationModel::Percentiles { seed: 1 });
        assert!(
            matches!(
                Trace::from_azure(&counts, Some(&percentiles), &model),
                Err(TraceError::Field {
                    file: "durations",
                    line: 2,
                    column: 11,
                    ..
                })
            ),
            "percentile {value}"
        );
    }
}

#[test]
fn a_hand_built_trace_past_the_limits_is_refused_when_the_replay_starts() {
    let far = Duration::from_secs(10_u64.pow(19)); // the 1e22 ms that used to panic
    for (at, duration, what) in [
        (far, Duration::ZERO, "an arrival"),
        (
            MAX_ARRIVAL + Duration::from_nanos(1),
            Duration::ZERO,
            "an arrival",
        ),
        (Duration::ZERO, Duration::MAX, "a duration"),
        (Duration::ZERO, MAX_DURATION * 2, "a duration"),
    ] {
        let mut trace = Trace::new();
        let f = trace.add_function(faasport_adapter_local::replay::TracedFunction::new("f"));
        trace.push(at, f, duration);
        match replay_blocking(&trace, &ReplayOptions::default()) {
            Err(ReplayError::OutOfRange { what: found, .. }) => assert_eq!(found, what),
            other => panic!("expected OutOfRange for {at:?}/{duration:?}, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_cold_start_past_a_day_is_refused_rather_than_overflowing_the_clock() {
    let trace = Trace::from_csv("timestamp_ms,function,duration_ms\n0,f,1\n").expect("valid");
    let options = ReplayOptions::default().cold_start(Duration::from_millis(u64::MAX));
    assert!(matches!(
        replay(&trace, &options).await,
        Err(ReplayError::OutOfRange {
            what: "the cold start",
            ..
        })
    ));
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_trace_spanning_the_full_31_days_replays_to_the_end() {
    let text = format!(
        "timestamp_ms,function,duration_ms\n0,f,100\n{},f,{}\n",
        MAX_ARRIVAL.as_millis(),
        MAX_DURATION.as_millis()
    );
    let trace = Trace::from_csv(&text).expect("within the limits");
    let report = replay(&trace, &ReplayOptions::default())
        .await
        .expect("replayed");
    let run = &report.runs[0];
    assert_eq!((run.invocations, run.cold_starts), (2, 2));
    assert!(run.simulated_seconds >= MAX_ARRIVAL.as_secs_f64());
}
