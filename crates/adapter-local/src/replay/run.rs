//! Drives a trace through a [`LocalRuntime`] on the virtual clock.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use faasport_core::Event;

use super::app::synthetic_app;
use super::drain::drain;
use super::error::ReplayError;
use super::limits::{MAX_ARRIVAL, MAX_DURATION};
use super::options::{policy_label, ReplayMatrix, ReplayOptions};
use super::report::{ReplayReport, ReplayRun, RunCost};
use super::trace::{TraceStream, TraceSummary};
use crate::runtime::{InvokeOptions, LocalRuntime};

/// Replays `trace` under one profile and keep-alive policy on the virtual clock.
///
/// Each invocation is spawned at its arrival time, so invocations overlap as in the trace; the
/// handler sleeps for the traced duration. Call it from a current-thread tokio runtime: its clock
/// is paused (and stays paused). [`replay_blocking`] runs it on a thread of its own instead.
///
/// The same trace and options give the same report, figure for figure, when the runtime's clock
/// is paused from its start (`start_paused`, as in `#[tokio::test(start_paused = true)]`, and
/// as [`replay_blocking`] and [`compare_blocking`] do). A clock this function has to pause
/// itself keeps the fraction of a millisecond that passed before, which moves some deadlines
/// to the next millisecond of tokio's timer wheel by chance.
///
/// # Errors
/// [`ReplayError::EmptyTrace`] for a trace without invocations, [`ReplayError::Runtime`] if the
/// clock cannot be paused (a multi-threaded runtime).
pub async fn replay<T: TraceStream + ?Sized>(
    trace: &T,
    options: &ReplayOptions,
) -> Result<ReplayReport, ReplayError> {
    compare(
        trace,
        &ReplayMatrix::new(
            vec![options.config.profile.clone()],
            vec![options.config.keep_alive.clone()],
        ),
        options,
    )
    .await
}

/// Replays `trace` under every profile × keep-alive policy of `matrix`, the other settings from
/// `options`, and reports them side by side.
///
/// # Errors
/// As [`replay`].
pub async fn compare<T: TraceStream + ?Sized>(
    trace: &T,
    matrix: &ReplayMatrix,
    options: &ReplayOptions,
) -> Result<ReplayReport, ReplayError> {
    let scan = scan(trace, options)?;
    let mut results = Vec::new();
    for run in matrix_runs(matrix, options) {
        results.push(Some(replay_once(trace, &scan, &run).await));
    }
    assemble(scan.summary, results)
}

/// The options of each run of `matrix`: every profile with every policy, in report order.
fn matrix_runs(matrix: &ReplayMatrix, options: &ReplayOptions) -> Vec<ReplayOptions> {
    matrix
        .profiles
        .iter()
        .flat_map(|profile| {
            matrix.policies.iter().map(move |policy| {
                options
                    .clone()
                    .profile(profile.clone())
                    .keep_alive(policy.clone())
            })
        })
        .collect()
}

/// The report of a comparison from its runs' results, in matrix order.
fn assemble(
    summary: TraceSummary,
    results: Vec<Option<Result<(ReplayRun, crate::Report), ReplayError>>>,
) -> Result<ReplayReport, ReplayError> {
    let mut report = ReplayReport {
        trace: summary,
        price_version: String::new(),
        currency: String::new(),
        runs: Vec::with_capacity(results.len()),
    };
    for result in results {
        let (run, runtime_report) = result
            .unwrap_or_else(|| Err(ReplayError::Task("a replay thread panicked".to_owned())))?;
        report.price_version = runtime_report.price_version;
        report.currency = runtime_report
            .costs
            .first()
            .map_or_else(|| "USD".to_owned(), |c| c.currency.clone());
        report.runs.push(run);
    }
    Ok(report)
}

/// [`replay`] on a dedicated thread with its own current-thread tokio runtime: callable from
/// synchronous code and from inside any tokio runtime (it blocks the calling thread).
///
/// # Errors
/// As [`replay`], and [`ReplayError::Thread`] if the runtime cannot be started.
pub fn replay_blocking<T: TraceStream + ?Sized>(
    trace: &T,
    options: &ReplayOptions,
) -> Result<ReplayReport, ReplayError> {
    on_own_thread(replay(trace, options))
}

/// [`compare`] on threads of its own, as [`replay_blocking`]: the runs are independent (each
/// has its runtime and virtual clock), so up to one per core run at once. The report lists them
/// in the same order as [`compare`], with the same figures.
///
/// # Errors
/// As [`replay_blocking`]; the first failing run's error.
pub fn compare_blocking<T: TraceStream + ?Sized>(
    trace: &T,
    matrix: &ReplayMatrix,
    options: &ReplayOptions,
) -> Result<ReplayReport, ReplayError> {
    let scan = scan(trace, options)?;
    let runs = matrix_runs(matrix, options);
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, runs.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<Result<(ReplayRun, crate::Report), ReplayError>>> =
        (0..runs.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(run) = runs.get(i) else { break };
                        done.push((i, block_on_current(replay_once(trace, &scan, run))));
                    }
                    done
                })
            })
            .collect();
        // A worker that panicked leaves its slots empty: `assemble` reports them.
        for (i, result) in workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
        {
            results[i] = Some(result);
        }
    });
    assemble(scan.summary, results)
}

fn on_own_thread<T: Send>(
    work: impl Future<Output = Result<T, ReplayError>> + Send,
) -> Result<T, ReplayError> {
    std::thread::scope(|scope| {
        scope
            .spawn(move || block_on_current(work))
            .join()
            .unwrap_or_else(|_| Err(ReplayError::Task("the replay thread panicked".to_owned())))
    })
}

/// Runs `work` on a current-thread tokio runtime of its own, on the calling thread, its clock
/// paused from the start.
///
/// A clock paused from the start sits on a millisecond of the timer wheel: tokio rounds a
/// deadline up to the wheel's next millisecond, and a paused clock only ever advances by whole
/// milliseconds, so a clock paused later (by the runtime's `virtual_clock`) keeps forever the
/// fraction of a millisecond that passed in real time before the pause. Deadlines with
/// fractions of a millisecond (arrivals and durations in microseconds) then fall on one tick or
/// the next by chance, and work that is due on the same tick in one run is not in the next:
/// two replays of the same throttled day differed by 21 cold starts in 38,943.
fn block_on_current<T>(
    work: impl Future<Output = Result<T, ReplayError>>,
) -> Result<T, ReplayError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .map_err(ReplayError::Thread)?
        .block_on(work)
}

async fn replay_once<T: TraceStream + ?Sized>(
    trace: &T,
    scan: &Scan,
    options: &ReplayOptions,
) -> Result<(ReplayRun, crate::Report), ReplayError> {
    let (app, names) = synthetic_app(trace.functions(), &scan.longest, options);
    let names: Vec<Arc<str>> = names.into_iter().map(Arc::from).collect();
    let mut config = options.config.clone();
    // On a clock that is already paused (a test's), pausing again is not needed.
    config.virtual_clock = !clock_is_paused();
    let runtime = LocalRuntime::builder(app)
        .config(config)
        .build()
        .map_err(ReplayError::Runtime)?;
    // Nothing awaited since the build: this is the runtime's time origin.
    let origin = Instant::now();
    let mut tasks = JoinSet::new();
    for inv in trace.arrivals() {
        let (Some(name), Some(traced)) =
            (names.get(inv.function), trace.functions().get(inv.function))
        else {
            continue;
        };
        let due = origin + inv.at;
        if due > Instant::now() {
            tokio::time::sleep_until(due).await;
        }
        let (rt, name) = (runtime.clone(), name.clone());
        let micros = u64::try_from(inv.duration.as_micros()).unwrap_or(u64::MAX);
        let call = InvokeOptions::default().source(traced.source);
        tasks.spawn(async move {
            rt.invoke_with(&name, Event::from_json(micros.into()), call)
                .await
                .map(drop)
        });
        if let Some(progress) = &options.progress {
            progress.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        while let Some(done) = tasks.try_join_next() {
            settle(done)?;
        }
    }
    while let Some(done) = tasks.join_next().await {
        settle(done)?;
    }
    if let Some(limit) = options.drain {
        drain(&runtime, &names, limit).await;
    }
    let end = origin.elapsed();
    let report = runtime.report();
    let time = runtime.instance_time(end);
    let sum = |f: fn(&crate::FunctionStats) -> u64| report.functions.iter().map(f).sum::<u64>();
    let invocations = sum(|f| f.invocations);
    let cold_starts = sum(|f| f.cold_starts);
    let run = ReplayRun {
        profile: options.config.profile.kind,
        keep_alive: policy_label(&options.config.keep_alive, &options.config.profile),
        invocations,
        cold_starts,
        cold_start_p75: function_quantile(&report.functions, 0.75),
        cold_start_rate: if invocations == 0 {
            0.0
        } else {
            cold_starts as f64 / invocations as f64
        },
        prewarms: report.scaling.iter().map(|s| s.prewarms).sum(),
        throttles: sum(|f| f.throttles),
        errors: sum(|f| f.errors),
        instances: time.instances,
        instance_seconds: time.alive,
        idle_instance_seconds: time.idle,
        idle_gb_seconds: time.idle_gb,
        simulated_seconds: end.as_secs_f64(),
        costs: report
            .costs
            .iter()
            .map(|c| RunCost {
                provider: c.provider,
                label: c.label.clone(),
                total: c.total,
            })
            .collect(),
    };
    Ok((run, report))
}

/// What a replay learns from one pass over its trace before it runs it.
struct Scan {
    /// Each function's longest traced duration (its timeout is sized from it).
    longest: Vec<Duration>,
    summary: TraceSummary,
}

/// Reads `trace` once: each function's longest duration and the summary, and refuses what a
/// trace file could not hold (see [`limits`](super::limits)): a hand-built trace's arrivals and
/// durations, and the cold start. Memory: one duration per function.
fn scan<T: TraceStream + ?Sized>(trace: &T, options: &ReplayOptions) -> Result<Scan, ReplayError> {
    let out_of_range = |what, value, limit| ReplayError::OutOfRange { what, value, limit };
    if options.cold_start > MAX_DURATION {
        return Err(out_of_range(
            "the cold start",
            options.cold_start,
            MAX_DURATION,
        ));
    }
    let mut longest = vec![Duration::ZERO; trace.functions().len()];
    let (mut count, mut first, mut last) = (0_u64, None, Duration::ZERO);
    for inv in trace.arrivals() {
        if inv.at > MAX_ARRIVAL {
            return Err(out_of_range("an arrival", inv.at, MAX_ARRIVAL));
        }
        if inv.duration > MAX_DURATION {
            return Err(out_of_range("a duration", inv.duration, MAX_DURATION));
        }
        if let Some(l) = longest.get_mut(inv.function) {
            *l = (*l).max(inv.duration);
        }
        count += 1;
        first.get_or_insert(inv.at);
        last = inv.at;
    }
    if count == 0 {
        return Err(ReplayError::EmptyTrace);
    }
    let first = first.unwrap_or(Duration::ZERO);
    Ok(Scan {
        longest,
        summary: TraceSummary {
            functions: trace.functions().len(),
            invocations: count,
            span_ms: last.saturating_sub(first).as_secs_f64() * 1000.0,
        },
    })
}

/// The `q` quantile (nearest rank) over the functions with at least one invocation of each
/// function's cold-start rate: the figure Shahrad et al. compare policies by (the 75th
/// percentile of functions' cold-start percentages).
fn function_quantile(functions: &[crate::FunctionStats], q: f64) -> f64 {
    let mut rates: Vec<f64> = functions
        .iter()
        .filter(|f| f.invocations > 0)
        .map(|f| f.cold_starts as f64 / f.invocations as f64)
        .collect();
    if rates.is_empty() {
        return 0.0;
    }
    rates.sort_by(f64::total_cmp);
    let rank = ((q * rates.len() as f64).ceil() as usize).clamp(1, rates.len());
    rates[rank - 1]
}

fn settle(
    done: Result<Result<(), faasport_core::Error>, tokio::task::JoinError>,
) -> Result<(), ReplayError> {
    match done {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(ReplayError::Runtime(e)),
        Err(e) => Err(ReplayError::Task(e.to_string())),
    }
}

/// Whether tokio's clock is paused: a paused clock does not move while nothing is awaited.
/// (Pausing it twice would panic inside tokio, so the runtime is told to pause it only once.)
fn clock_is_paused() -> bool {
    let before = Instant::now();
    std::thread::sleep(Duration::from_micros(1));
    Instant::now() == before
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(invocations: u64, cold_starts: u64) -> crate::FunctionStats {
        crate::FunctionStats {
            invocations,
            cold_starts,
            ..crate::FunctionStats::default()
        }
    }

    #[test]
    fn the_75th_percentile_of_functions_is_the_nearest_rank_over_functions_that_ran() {
        // Rates 0, 1/4, 1/2 and 1 (and a function that never ran, left out): rank ⌈0.75 × 4⌉ = 3.
        let functions = [
            stats(4, 0),
            stats(4, 1),
            stats(2, 1),
            stats(1, 1),
            stats(0, 0),
        ];
        assert_eq!(function_quantile(&functions, 0.75), 0.5);
        assert_eq!(function_quantile(&functions, 1.0), 1.0);
        assert_eq!(function_quantile(&[], 0.75), 0.0);
    }
}
