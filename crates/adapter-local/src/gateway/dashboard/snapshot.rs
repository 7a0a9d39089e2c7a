//! What the page shows, sampled: one [`Snapshot`] every [`TICK`], and the last [`HISTORY`]
//! samples of each function's instance count for the scaling chart.
//!
//! Every tick reads the running counters and the scaling trace's instance peaks, O(functions).
//! Every [`SLOW_EVERY`] ticks, while a page listens, the slower parts (`readings.rs`) are read
//! again and kept until the next time (a snapshot asked for with no page open reads them
//! then).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::readings::{read_slow, Slow};
use crate::record::Outcome;
use crate::LocalCloud;

/// How often the sampler reads the runtime (and at most how often a page gets a snapshot).
pub(crate) const TICK: Duration = Duration::from_millis(500);

/// The slower parts are read every this many ticks (every 2 s).
pub(crate) const SLOW_EVERY: u64 = 4;

/// Samples kept for the scaling chart: 10 minutes at one per [`TICK`].
pub(crate) const HISTORY: usize = 1200;

/// Samples repeated in each snapshot, so a page that skipped a few snapshots misses no point.
const RECENT: usize = 8;

/// The sampler of one gateway and what it last saw.
pub(crate) struct Feed {
    snapshots: watch::Sender<Arc<str>>,
    state: Mutex<FeedState>,
}

#[derive(Default)]
struct FeedState {
    functions: Vec<String>,
    samples: VecDeque<Sample>,
    previous_cold: Vec<u64>,
    slow: Slow,
    /// Each function's most instances over the run, by the trace.
    peaks: BTreeMap<String, u64>,
    seq: u64,
}

/// One point of the scaling chart: per function (in [`FeedState::functions`] order).
#[derive(Debug, Clone, Serialize)]
struct Sample {
    seq: u64,
    /// Unix time in seconds.
    t: f64,
    /// The most instances alive or starting since the previous sample.
    instances: Vec<u64>,
    /// Cold starts since the previous sample.
    cold: Vec<u64>,
}

/// One function's row.
#[derive(Debug, Clone, Serialize)]
struct FunctionRow<'a> {
    name: &'a str,
    invocations: u64,
    ok: u64,
    errors: u64,
    timeouts: u64,
    throttles: u64,
    cold_starts: u64,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    instances: u64,
    peak: u64,
}

/// What a page receives.
#[derive(Debug, Serialize)]
struct Snapshot<'a> {
    seq: u64,
    uptime_ms: u128,
    app: &'a str,
    profile: String,
    functions: Vec<FunctionRow<'a>>,
    /// Function names in the order of the samples' columns.
    series: &'a [String],
    recent: Vec<&'a Sample>,
    #[serde(flatten)]
    slow: &'a Slow,
}

impl Feed {
    /// Starts sampling `sources` until `closing` is cancelled or the sources close.
    pub(crate) fn start(sources: LocalCloud, closing: CancellationToken) -> Arc<Self> {
        let feed = Arc::new(Self::new());
        feed.tick(&sources, true);
        let sampler = Arc::clone(&feed);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(TICK);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            interval.tick().await;
            let mut ticks: u64 = 0;
            loop {
                tokio::select! {
                    () = closing.cancelled() => break,
                    _ = interval.tick() => {}
                }
                if sources.is_closing() {
                    closing.cancel();
                    break;
                }
                ticks += 1;
                sampler.tick(&sources, ticks.is_multiple_of(SLOW_EVERY));
            }
        });
        feed
    }

    /// A feed that has sampled nothing, with no sampler.
    fn new() -> Self {
        let (snapshots, _) = watch::channel(Arc::from("{}"));
        Self {
            snapshots,
            state: Mutex::new(FeedState::default()),
        }
    }

    /// Subscribes to the snapshots.
    pub(crate) fn subscribe(&self) -> watch::Receiver<Arc<str>> {
        self.snapshots.subscribe()
    }

    /// The latest snapshot: the one the open pages got, or, when none is open, one taken now.
    pub(crate) fn latest(&self, sources: &LocalCloud) -> Arc<str> {
        if self.snapshots.receiver_count() > 0 {
            let latest = self.snapshots.borrow().clone();
            if &*latest != "{}" {
                return latest;
            }
        }
        let slow = read_slow(sources);
        self.lock().slow = slow;
        self.render(sources)
    }

    /// Every sample kept, with the function names of their columns.
    pub(crate) fn history(&self) -> Arc<str> {
        let state = self.lock();
        let value = serde_json::json!({
            "series": state.functions,
            "samples": state.samples,
        });
        Arc::from(value.to_string())
    }

    /// Takes one sample (and the slow parts when `slow`), and sends a snapshot if a page
    /// listens.
    pub(crate) fn tick(&self, sources: &LocalCloud, slow: bool) {
        let runtime = sources.runtime();
        let metrics = runtime.metrics();
        let peaks: BTreeMap<String, crate::InstancePeaks> = runtime
            .take_instance_peaks()
            .into_iter()
            .map(|p| (p.function.clone(), p))
            .collect();
        {
            let mut state = self.lock();
            if state.functions.is_empty() {
                state.functions = metrics.iter().map(|m| m.function.clone()).collect();
                state.previous_cold = vec![0; metrics.len()];
            }
            let mut cold = Vec::with_capacity(metrics.len());
            let mut instances = Vec::with_capacity(metrics.len());
            for (i, m) in metrics.iter().enumerate() {
                let before = state.previous_cold.get(i).copied().unwrap_or_default();
                cold.push(m.cold_starts.saturating_sub(before));
                instances.push(
                    peaks
                        .get(m.function.as_str())
                        .map_or(m.instances.live, |p| p.window_peak.max(m.instances.live)),
                );
            }
            state.previous_cold = metrics.iter().map(|m| m.cold_starts).collect();
            state.peaks = peaks.into_iter().map(|(f, p)| (f, p.peak)).collect();
            state.seq += 1;
            let sample = Sample {
                seq: state.seq,
                t: unix_seconds(),
                instances,
                cold,
            };
            if state.samples.len() == HISTORY {
                state.samples.pop_front();
            }
            state.samples.push_back(sample);
        }
        // Nobody watching: the slow parts (which lock the meter) wait for a reader.
        let watched = self.snapshots.receiver_count() > 0;
        if slow && watched {
            let slow = read_slow(sources);
            self.lock().slow = slow;
        }
        if watched {
            let snapshot = self.render(sources);
            self.snapshots.send_replace(snapshot);
        }
    }

    /// The snapshot of what was sampled last, with the counters read now.
    fn render(&self, sources: &LocalCloud) -> Arc<str> {
        let runtime = sources.runtime();
        let metrics = runtime.metrics();
        let state = self.lock();
        let functions = metrics
            .iter()
            .map(|m| {
                let count = |o: Outcome| m.count(o);
                let percentiles = state.slow.percentiles.get(&m.function);
                FunctionRow {
                    name: &m.function,
                    invocations: m.invocations.iter().map(|(_, n)| n).sum(),
                    ok: count(Outcome::Ok),
                    errors: count(Outcome::Error)
                        + count(Outcome::Panic)
                        + count(Outcome::InitError),
                    timeouts: count(Outcome::Timeout),
                    throttles: count(Outcome::Throttled),
                    cold_starts: m.cold_starts,
                    p50_ms: percentiles.map(|p| p.0),
                    p99_ms: percentiles.map(|p| p.1),
                    instances: m.instances.live,
                    peak: state.peaks.get(&m.function).copied().unwrap_or_default(),
                }
            })
            .collect();
        let snapshot = Snapshot {
            seq: state.seq,
            uptime_ms: runtime.uptime().as_millis(),
            app: sources.app().name(),
            profile: runtime.profile().kind.to_string(),
            functions,
            series: &state.functions,
            recent: state.samples.iter().rev().take(RECENT).rev().collect(),
            slow: &state.slow,
        };
        match serde_json::to_string(&snapshot) {
            Ok(text) => Arc::from(text),
            Err(_) => Arc::from("{}"),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FeedState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn unix_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use faasport_core::{App, Context, Error, Event, Function};

    async fn noop(_: Event, _cx: Context) -> Result<(), Error> {
        Ok(())
    }

    async fn invoke_each(sources: &LocalCloud, times: usize) {
        for i in 0..100 {
            for _ in 0..times {
                let name = format!("f{i:03}");
                let done = sources
                    .runtime()
                    .invoke(&name, Event::from_json(1.into()))
                    .await;
                assert!(done.is_ok());
            }
        }
    }

    /// The snapshot's size and the sampler's memory depend on the functions, not on the
    /// invocations: ten times the invocations adds only digits to the counters.
    #[tokio::test(start_paused = true)]
    async fn a_snapshot_of_100_functions_does_not_grow_with_the_invocations() {
        let mut app = App::new("many");
        for i in 0..100 {
            app = app.function(Function::new(format!("f{i:03}"), noop));
        }
        let sources = LocalCloud::builder(app).build().expect("sources");
        let feed = Feed::new();
        let _page = feed.subscribe();
        invoke_each(&sources, 10).await;
        feed.tick(&sources, true);
        let first = feed.snapshots.borrow().clone();
        invoke_each(&sources, 90).await;
        feed.tick(&sources, true);
        let tenfold = feed.snapshots.borrow().clone();
        let value: serde_json::Value = serde_json::from_str(&tenfold).expect("JSON");
        assert_eq!(value["functions"].as_array().map(Vec::len), Some(100));
        assert_eq!(value["functions"][0]["invocations"], 100);
        assert_eq!(value["recent"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            value["recent"][1]["instances"].as_array().map(Vec::len),
            Some(100)
        );
        // At most a few more digits per function (invocations, ok, percentiles).
        assert!(
            tenfold.len() <= first.len() + 100 * 16,
            "{} then {} bytes",
            first.len(),
            tenfold.len()
        );
        let timed = |slow: bool| {
            let started = std::time::Instant::now();
            for _ in 0..20 {
                feed.tick(&sources, slow);
            }
            started.elapsed() / 20
        };
        let (slow_tick, fast_tick) = (timed(true), timed(false));
        for _ in 0..HISTORY {
            feed.tick(&sources, false);
        }
        assert_eq!(feed.lock().samples.len(), HISTORY);
        assert!(feed.lock().samples.iter().all(|s| s.instances.len() == 100));
        // Figures for the notes (wall time, not asserted): printed with --nocapture.
        println!(
            "100 functions, 10,000 invocations: snapshot {} bytes; mean tick with the slow parts {:?}, without {:?}",
            tenfold.len(),
            slow_tick,
            fast_tick
        );
    }
}
