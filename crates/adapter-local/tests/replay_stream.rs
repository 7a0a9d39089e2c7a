//! The Azure trace as a stream ([`AzureTrace`]): the same invocations in the same order as the
//! straightforward expansion, sorted seeded arrivals that stay uniform and reproducible, and a
//! day of millions read holding a few entries.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use faasport_adapter_local::replay::limits::MAX_INVOCATIONS;
use faasport_adapter_local::replay::{
    AzureOptions, AzureTrace, DurationModel, Spread, Trace, TraceError, TraceStream,
    TracedInvocation,
};

const MIN: Duration = Duration::from_secs(60);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/replay")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).expect("fixture")
}

/// A counts file with `minutes` minute columns and one row per function: its trigger and its
/// nonzero `(minute column, count)`s.
fn counts(minutes: usize, rows: &[(&str, &[(usize, u64)])]) -> String {
    let header: Vec<String> = (1..=minutes).map(|m| m.to_string()).collect();
    let mut text = format!(
        "HashOwner,HashApp,HashFunction,Trigger,{}\n",
        header.join(",")
    );
    for (n, (trigger, cells)) in rows.iter().enumerate() {
        let mut row = vec![0_u64; minutes];
        for &(column, count) in *cells {
            row[column - 1] = count;
        }
        let row: Vec<String> = row.iter().map(u64::to_string).collect();
        text.push_str(&format!("o,app{n},f{n},{trigger},{}\n", row.join(",")));
    }
    text
}

/// The expansion `Trace::from_azure` made before it streamed, written out plainly: every row's
/// minutes in order, the `i`-th of `n` at `i × 60 s / n`, with the function's `Average` (or
/// `default`), then a stable sort by arrival. Returns the functions' names and the invocations.
fn reference(
    counts: &str,
    durations: Option<&str>,
    default: Duration,
    window: Range<usize>,
    max_functions: Option<usize>,
) -> (Vec<String>, Vec<(Duration, usize, Duration)>) {
    let mut averages = HashMap::new();
    if let Some(text) = durations {
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().expect("header").split(',').collect();
        let average = header
            .iter()
            .position(|h| *h == "Average")
            .expect("Average");
        for line in lines {
            let fields: Vec<&str> = line.split(',').collect();
            let ms: f64 = fields[average].parse().expect("a number");
            averages.insert(fields[..3].join(","), Duration::from_secs_f64(ms / 1000.0));
        }
    }
    let (mut names, mut invocations) = (Vec::new(), Vec::new());
    for line in counts.lines().skip(1) {
        if max_functions.is_some_and(|n| names.len() >= n) {
            break;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let duration = averages
            .get(&fields[..3].join(","))
            .copied()
            .unwrap_or(default);
        let mut any = false;
        for (minute, field) in fields[4..].iter().enumerate() {
            let n: u64 = field.parse().expect("a count");
            if n == 0 || !window.contains(&minute) {
                continue;
            }
            any = true;
            let start = MIN * (minute - window.start) as u32;
            for i in 0..n {
                let at = start + MIN.mul_f64(i as f64 / n as f64);
                invocations.push((at, names.len(), duration));
            }
        }
        if any {
            names.push(fields[2].to_owned());
        }
    }
    invocations.sort_by_key(|i| i.0);
    (names, invocations)
}

fn triples(arrivals: impl Iterator<Item = TracedInvocation>) -> Vec<(Duration, usize, Duration)> {
    arrivals.map(|i| (i.at, i.function, i.duration)).collect()
}

fn names(stream: &dyn TraceStream) -> Vec<String> {
    stream.functions().iter().map(|f| f.name.clone()).collect()
}

/// Four functions whose minutes share arrivals (2, 4 and 6 a minute meet at 0 s and 30 s), so
/// ties must come out in trace order; one function has none and is left out.
fn tied() -> String {
    counts(
        6,
        &[
            ("http", &[(1, 4), (2, 1), (5, 6)]),
            ("timer", &[(1, 2), (3, 3), (5, 2)]),
            ("queue", &[]),
            ("http", &[(1, 6), (2, 2), (4, 1), (5, 4), (6, 1)]),
        ],
    )
}

/// A counts file, a durations file, the options, and the window and the function cap as the
/// reference reads them.
type Case<'a> = (
    &'a str,
    Option<&'a str>,
    AzureOptions,
    Range<usize>,
    Option<usize>,
);

#[test]
fn the_even_stream_yields_the_invocations_of_the_plain_expansion_in_its_order() {
    let (invocations, durations) = (read("azure_invocations.csv"), read("azure_durations.csv"));
    let second = Duration::from_secs(1);
    let varied = varied();
    let cases: [Case<'_>; 9] = [
        (
            &invocations,
            Some(&durations),
            AzureOptions::default(),
            0..usize::MAX,
            None,
        ),
        (
            &invocations,
            None,
            AzureOptions::default(),
            0..usize::MAX,
            None,
        ),
        (
            &invocations,
            Some(&durations),
            AzureOptions::default().minutes(30..61),
            30..61,
            None,
        ),
        (
            &invocations,
            Some(&durations),
            AzureOptions::default().max_functions(1),
            0..usize::MAX,
            Some(1),
        ),
        (&tied(), None, AzureOptions::default(), 0..usize::MAX, None),
        (
            &tied(),
            None,
            AzureOptions::default().minutes(1..5),
            1..5,
            None,
        ),
        (&varied, None, AzureOptions::default(), 0..usize::MAX, None),
        (
            &varied,
            None,
            AzureOptions::default().minutes(17..90),
            17..90,
            None,
        ),
        (
            &varied,
            None,
            AzureOptions::default().max_functions(7),
            0..usize::MAX,
            Some(7),
        ),
    ];
    for (counts, durations, options, window, max) in cases {
        let (names_then, then) = reference(counts, durations, second, window.clone(), max);
        assert!(!then.is_empty());
        let stream = AzureTrace::parse(counts, durations, &options).expect("valid");
        assert_eq!(names(&stream), names_then, "{window:?}");
        assert_eq!(triples(stream.arrivals()), then, "{window:?}");
        assert_eq!(stream.invocations(), then.len() as u64);
        // Read twice, the same; collected, the same.
        assert_eq!(triples(stream.arrivals()), then);
        let held = Trace::from_azure(counts, durations, &options).expect("valid");
        assert_eq!(triples(held.invocations().iter().copied()), then);
    }
    // The fixture read from its files, as the CLI does.
    let stream = AzureTrace::from_files(
        fixture("azure_invocations.csv"),
        Some(&fixture("azure_durations.csv")),
        &AzureOptions::default(),
    )
    .expect("valid fixture");
    let (_, then) = reference(&invocations, Some(&durations), second, 0..usize::MAX, None);
    assert_eq!(triples(stream.arrivals()), then);
}

/// 20 functions over 2 hours, 0 to 8 invocations a minute (many ties, some empty minutes).
fn varied() -> String {
    let rows: Vec<Vec<(usize, u64)>> = (0..20_u64)
        .map(|f| {
            (1..=120)
                .map(|m| (m, (f * 7 + m as u64 * 13 + f * m as u64) % 9))
                .collect()
        })
        .collect();
    let rows: Vec<(&str, &[(usize, u64)])> = rows.iter().map(|r| ("http", r.as_slice())).collect();
    counts(120, &rows)
}

#[test]
fn ties_come_out_in_trace_order() {
    let stream = AzureTrace::parse(&tied(), None, &AzureOptions::default()).expect("valid");
    let at_zero: Vec<usize> = stream
        .arrivals()
        .take_while(|i| i.at == Duration::ZERO)
        .map(|i| i.function)
        .collect();
    assert_eq!(at_zero, [0, 1, 2]);
    let at_half: Vec<usize> = stream
        .arrivals()
        .filter(|i| i.at == MIN / 2)
        .map(|i| i.function)
        .collect();
    assert_eq!(at_half, [0, 1, 2]);
}

/// Per function, the arrivals' minutes and how many in each.
fn per_minute(arrivals: &[TracedInvocation]) -> HashMap<(usize, u64), u64> {
    let mut out = HashMap::new();
    for i in arrivals {
        *out.entry((i.function, i.at.as_secs() / 60)).or_insert(0) += 1;
    }
    out
}

#[test]
fn seeded_arrivals_come_sorted_inside_their_minute_and_reproducibly() {
    let text = counts(
        4,
        &[
            ("http", &[(1, 500), (2, 3), (4, 1)]),
            ("timer", &[(1, 2), (3, 3000)]),
            ("event", &[(1, 1), (2, 40), (3, 7), (4, 900)]),
        ],
    );
    let seeded = |seed| {
        let options = AzureOptions::default().spread(Spread::Seeded(seed));
        let stream = AzureTrace::parse(&text, None, &options).expect("valid");
        stream.arrivals().collect::<Vec<_>>()
    };
    let seven = seeded(7);
    assert_eq!(seven.len(), 500 + 3 + 1 + 2 + 3000 + 1 + 40 + 7 + 900);
    assert!(seven.windows(2).all(|w| w[0].at <= w[1].at), "sorted");
    let even = AzureTrace::parse(&text, None, &AzureOptions::default()).expect("valid");
    let even: Vec<TracedInvocation> = even.arrivals().collect();
    assert_eq!(
        per_minute(&seven),
        per_minute(&even),
        "each function's minutes keep their counts"
    );
    assert_eq!(seven, seeded(7), "the same seed, the same trace");
    assert_ne!(seven, seeded(8));
    let options = AzureOptions::default().spread(Spread::Seeded(7));
    let held = Trace::from_azure(&text, None, &options).expect("valid");
    assert_eq!(held.invocations(), seven.as_slice());
}

/// The Kolmogorov–Smirnov distance between sorted samples in `[0, 1)` and the uniform law.
fn ks(sorted: &[f64]) -> f64 {
    let n = sorted.len() as f64;
    sorted
        .iter()
        .enumerate()
        .map(|(k, &x)| (x - k as f64 / n).abs().max(((k + 1) as f64 / n - x).abs()))
        .fold(0.0, f64::max)
}

#[test]
fn seeded_arrivals_are_uniform_over_the_minute() {
    // One minute of 100,000: the positions pass a Kolmogorov–Smirnov test at 1 % (D < 1.63/√n),
    // and the gaps are exponential-like (coefficient of variation near 1; an even spread has 0).
    let n = 100_000;
    let text = counts(1, &[("http", &[(1, n)])]);
    for seed in [1, 2, 3] {
        let options = AzureOptions::default().spread(Spread::Seeded(seed));
        let stream = AzureTrace::parse(&text, None, &options).expect("valid");
        let x: Vec<f64> = stream
            .arrivals()
            .map(|i| i.at.as_secs_f64() / 60.0)
            .collect();
        assert_eq!(x.len() as u64, n);
        let d = ks(&x);
        assert!(d < 1.63 / (n as f64).sqrt(), "seed {seed}: D = {d}");
        let gaps: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
        let cv = var.sqrt() / mean;
        assert!((0.97..1.03).contains(&cv), "seed {seed}: gaps' CV {cv}");
    }
    // 2,000 minutes of 5: the k-th of 5 averages k/6 (the uniform order statistic's mean), and
    // the pooled offsets are uniform.
    let minutes = 2000;
    let cells: Vec<(usize, u64)> = (1..=minutes).map(|m| (m, 5)).collect();
    let text = counts(minutes, &[("http", &cells)]);
    let options = AzureOptions::default().spread(Spread::Seeded(11));
    let stream = AzureTrace::parse(&text, None, &options).expect("valid");
    let offsets: Vec<f64> = stream
        .arrivals()
        .map(|i| (i.at.as_secs_f64() % 60.0) / 60.0)
        .collect();
    assert_eq!(offsets.len(), minutes * 5);
    for k in 0..5 {
        let mean = offsets.iter().skip(k).step_by(5).sum::<f64>() / minutes as f64;
        let expected = (k + 1) as f64 / 6.0;
        assert!(
            (mean - expected).abs() < 0.015,
            "rank {k}: {mean} for {expected}"
        );
    }
    let mut pooled = offsets.clone();
    pooled.sort_by(f64::total_cmp);
    let d = ks(&pooled);
    assert!(d < 1.63 / (pooled.len() as f64).sqrt(), "pooled: D = {d}");
}

#[test]
fn percentile_draws_depend_on_the_invocation_not_on_the_spread() {
    let text = counts(
        3,
        &[("http", &[(1, 50), (3, 7)]), ("queue", &[(2, 30), (3, 20)])],
    );
    let durations = "HashOwner,HashApp,HashFunction,Average,percentile_Average_0,\
                     percentile_Average_1,percentile_Average_25,percentile_Average_50,\
                     percentile_Average_75,percentile_Average_99,percentile_Average_100\n\
                     o,app0,f0,50,1,2,25,50,75,99,100\no,app1,f1,5,1,1,2,5,8,9,10\n";
    let by_cell = |spread| {
        let options = AzureOptions::default()
            .spread(spread)
            .durations(DurationModel::Percentiles { seed: 5 });
        let stream = AzureTrace::parse(&text, Some(durations), &options).expect("valid");
        let mut cells: HashMap<(usize, u64), Vec<Duration>> = HashMap::new();
        for i in stream.arrivals() {
            cells
                .entry((i.function, i.at.as_secs() / 60))
                .or_default()
                .push(i.duration);
        }
        cells
    };
    let even = by_cell(Spread::Even);
    assert_eq!(even.len(), 4);
    assert!(
        even[&(0, 0)].iter().any(|d| *d != even[&(0, 0)][0]),
        "drawn, not all the same"
    );
    assert_eq!(even, by_cell(Spread::Seeded(1)));
    assert_eq!(even, by_cell(Spread::Seeded(2)));
}

#[test]
fn the_summary_is_that_of_a_pass_over_the_arrivals() {
    let text = tied();
    for spread in [Spread::Even, Spread::Seeded(3), Spread::Seeded(4)] {
        for window in [0..u32::MAX, 1..5, 3..4, 6..9] {
            let options = AzureOptions::default()
                .spread(spread)
                .minutes(window.clone());
            let stream = AzureTrace::parse(&text, None, &options).expect("valid");
            let arrivals: Vec<TracedInvocation> = stream.arrivals().collect();
            let held = Trace::from_azure(&text, None, &options).expect("valid");
            assert_eq!(held.invocations(), arrivals.as_slice());
            assert_eq!(
                stream.summary(),
                held.summary(),
                "{spread:?} {window:?}: {} arrivals",
                arrivals.len()
            );
        }
    }
}

#[test]
fn five_million_invocations_stream_holding_one_entry_per_active_function() {
    // 4 functions × 1,440 minutes × 868 = 4,999,680 invocations: 200 MB held in a `Trace`.
    let cells: Vec<(usize, u64)> = (1..=1440).map(|m| (m, 868)).collect();
    let rows: Vec<(&str, &[(usize, u64)])> = (0..4).map(|_| ("http", cells.as_slice())).collect();
    let text = counts(1440, &rows);
    let total = 4 * 1440 * 868;
    for spread in [Spread::Even, Spread::Seeded(9)] {
        let stream =
            AzureTrace::parse(&text, None, &AzureOptions::default().spread(spread)).expect("valid");
        assert_eq!(stream.invocations(), total);
        assert_eq!(
            stream.cells(),
            4 * 1440,
            "one count per function and minute"
        );
        let mut arrivals = stream.iter();
        let (mut count, mut most, mut last) = (0_u64, 0, Duration::ZERO);
        while let Some(i) = arrivals.next() {
            most = most.max(arrivals.held());
            assert!(i.at >= last);
            last = i.at;
            count += 1;
        }
        assert_eq!(count, total);
        assert!(
            most <= 2 * 4,
            "{spread:?}: held {most}, more than the functions of two minutes"
        );
        assert!(last < 1440 * MIN);
    }
}

#[test]
fn the_invocation_limit_applies_to_the_whole_window() {
    let half = (MAX_INVOCATIONS / 2 + 1) as u64;
    let text = counts(2, &[("http", &[(1, half)]), ("http", &[(2, half)])]);
    for result in [
        AzureTrace::parse(&text, None, &AzureOptions::default()).map(|_| ()),
        Trace::from_azure(&text, None, &AzureOptions::default()).map(|_| ()),
    ] {
        match result {
            Err(TraceError::TooManyInvocations { line, max, .. }) => {
                assert_eq!((line, max), (3, MAX_INVOCATIONS));
            }
            other => panic!("expected TooManyInvocations on line 3, got {other:?}"),
        }
    }
    // Either one alone fits, and so do both once the window drops one.
    let one = AzureOptions::default().minutes(1..2);
    let stream = AzureTrace::parse(&text, None, &one).expect("within the limit");
    assert_eq!(stream.invocations(), half);
    // The errors are the parser's: the same message whichever way it is read.
    let bad = read("azure_bad_count.csv");
    let streamed = AzureTrace::parse(&bad, None, &AzureOptions::default()).expect_err("bad");
    let held = Trace::from_azure(&bad, None, &AzureOptions::default()).expect_err("bad");
    assert_eq!(streamed.to_string(), held.to_string());
    assert_eq!(
        streamed.to_string(),
        "invocations: line 3, column 11 (7): `x` is not a non-negative integer"
    );
}
