//! Schedules under the virtual clock: a simulated day of cron and rate expressions, including
//! month ends and every minute, fires exactly the expected ticks.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use faasport_adapter_local::LocalCloud;
use faasport_core::{App, AppError, Context, Error, Function, ScheduleTick};

type Ticks = Arc<Mutex<BTreeMap<String, Vec<DateTime<Utc>>>>>;

/// 2026-02-28 06:00 UTC: the day runs over February's last day into March 1st.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 28, 6, 0, 0)
        .single()
        .expect("valid time")
}

fn at(day: u32, month: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, hour, 0, 0)
        .single()
        .expect("valid time")
}

const EXPRESSIONS: [(&str, usize); 9] = [
    ("* * * * *", 1440),
    ("rate(5 minutes)", 288),
    ("rate(1 day)", 1),
    ("0 0 1 * *", 1),
    ("0 12 L * *", 1),
    ("0 0 29-31 * *", 0),
    ("*/15 9-17 * * *", 36),
    ("0 */30 * * * *", 48),
    ("cron(0 18 ? * SAT *)", 1),
];

fn app(ticks: Ticks) -> App {
    let record = move |tick: ScheduleTick, _cx: Context| {
        let ticks = ticks.clone();
        async move {
            let mut ticks = ticks.lock().map_err(|_| Error::permanent("poisoned"))?;
            ticks
                .entry(tick.schedule)
                .or_default()
                .push(tick.scheduled_at);
            Ok::<(), Error>(())
        }
    };
    EXPRESSIONS
        .iter()
        .enumerate()
        .fold(App::new("clock"), |app, (i, (expression, _))| {
            app.function(Function::new(format!("tick-{i}"), record.clone()).schedule(*expression))
        })
}

#[tokio::test(start_paused = true)]
async fn a_simulated_day_fires_each_schedule_exactly_as_often_as_expected() {
    let ticks = Ticks::default();
    let sources = LocalCloud::builder(app(ticks.clone()))
        .clock_start(start())
        .build()
        .expect("valid app");
    let real = std::time::Instant::now();
    sources.start();
    tokio::time::sleep(Duration::from_secs(24 * 3600 + 30)).await;
    sources
        .settle_within(Duration::from_secs(3600))
        .await
        .expect("settled");
    let report = sources.shutdown(Duration::from_secs(1)).await;
    assert!(report.is_clean(), "{report:?}");
    println!("a simulated day of 9 schedules took {:?}", real.elapsed());

    let ticks = ticks.lock().expect("lock").clone();
    for (expression, expected) in EXPRESSIONS {
        let fired = ticks.get(expression).map_or(0, Vec::len);
        assert_eq!(fired, expected, "`{expression}` fired {fired} times");
    }
    assert_eq!(
        ticks["0 0 1 * *"],
        vec![at(1, 3, 0)],
        "the first of the month after February"
    );
    assert_eq!(
        ticks["0 12 L * *"],
        vec![at(28, 2, 12)],
        "February's last day"
    );
    assert_eq!(ticks["cron(0 18 ? * SAT *)"], vec![at(28, 2, 18)]);
    assert_eq!(ticks["rate(1 day)"], vec![at(1, 3, 6)]);
    let minutes = &ticks["* * * * *"];
    assert_eq!(
        minutes.first(),
        Some(&(start() + chrono::Duration::minutes(1)))
    );
    assert_eq!(minutes.last(), Some(&at(1, 3, 6)));
    assert!(minutes
        .windows(2)
        .all(|w| w[1] - w[0] == chrono::Duration::minutes(1)));
}

#[tokio::test(start_paused = true)]
async fn a_tick_is_scheduled_time_not_run_time_and_stops_at_shutdown() {
    let ticks = Ticks::default();
    let app = app(ticks.clone());
    let sources = LocalCloud::builder(app)
        .clock_start(start())
        .build()
        .expect("valid app");
    sources.start();
    tokio::time::sleep(Duration::from_secs(150)).await;
    sources.shutdown(Duration::from_secs(1)).await;
    tokio::time::sleep(Duration::from_secs(3600)).await;
    let ticks = ticks.lock().expect("lock").clone();
    assert_eq!(
        ticks["* * * * *"],
        vec![
            start() + chrono::Duration::minutes(1),
            start() + chrono::Duration::minutes(2)
        ]
    );
}

async fn noop(_: ScheduleTick, _cx: Context) -> Result<(), Error> {
    Ok(())
}

#[test]
fn a_bad_cron_expression_is_a_typed_error_naming_the_function() {
    for bad in [
        "61 * * * *",
        "* * *",
        "rate(0 minutes)",
        "rate(5 fortnights)",
        "cron(0 18 * * ? 2026)",
    ] {
        let app = App::new("clock").function(Function::new("nightly", noop).schedule(bad));
        let err = LocalCloud::builder(app).build().expect_err(bad);
        match err {
            Error::App(AppError::InvalidSchedule { function, source }) => {
                assert_eq!(function, "nightly");
                assert_eq!(source.expression, bad);
            }
            other => panic!("`{bad}` gave {other:?}"),
        }
    }
}
