//! The in-process hot path of issue 14, each row next to its baseline in the same run. Run with
//! `cargo bench -p faasport-adapter-local --bench hotpath`.
//!
//! * dispatch: a warm [`LocalRuntime::invoke`] of a no-op handler against a direct call of the
//!   same `async fn` (each call timed on its own; the row compares the medians);
//! * throughput: 64 caller tasks on a 2-worker tokio runtime each invoking the no-op in a loop,
//!   against the same callers each running the no-op as a spawned tokio task and joining it;
//! * cold start: the first invocation of a function with an empty initialiser (a fresh runtime
//!   per sample) against the warm invocation that follows it on the same runtime;
//! * route: the gateway's router (routing, the request and response conversions, the
//!   invocation, the status contract) answering `GET /ping` in-process through
//!   `tower::ServiceExt::oneshot`, against a bare axum router with the same handler: the
//!   gateway row of the suite without sockets, so its instructions can be counted (callgrind)
//!   on a shared machine.
//!
//! The two arms of a row alternate, `RUNS` times, so load from other processes on the machine
//! falls on both. Each figure is the median over the runs, with the runs' range. Every row is
//! printed on one line `ROW name | measured | baseline | ours | ratio | target | met/missed`
//! for the suite script to collect; `INFO` lines add the sizes of the futures involved.
//! `HOTPATH_ROWS=dispatch` (or `throughput`, `cold`, `route`, comma-separated) runs only those rows.

use std::convert::Infallible;
use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::DateTime;

use faasport_adapter_local::{LocalRuntime, PriceTable};
use faasport_core::{App, Context, Error, Event, Function, ScheduleTick};

/// Interleaved runs per row (odd, so the median is one of them).
const RUNS: usize = 5;
/// Calls timed per run of the dispatch row, per arm.
const DISPATCH_CALLS: usize = 100_000;
/// Caller tasks of the throughput row.
const CALLERS: usize = 64;
/// Calls per caller per run of the throughput row.
const CALLS_PER_CALLER: usize = 10_000;
/// Worker threads of the throughput row.
const WORKERS: usize = 2;
/// Cold/warm pairs per run of the cold-start row.
const COLD_SAMPLES: usize = 500;
/// Requests timed per run of the route row, per arm.
const ROUTE_CALLS: usize = 50_000;

async fn noop(_event: Event, _cx: Context) -> Result<(), Error> {
    Ok(())
}

fn event() -> Event {
    Event::Schedule(ScheduleTick::new("rate(1 minute)", DateTime::UNIX_EPOCH))
}

fn app() -> App {
    App::new("hotpath")
        .function(Function::new("noop", noop))
        .function(Function::new("cold", noop).init(|| async { Ok::<_, Infallible>(()) }))
}

fn runtime(prices: &PriceTable) -> Result<LocalRuntime, Error> {
    LocalRuntime::builder(app()).prices(prices.clone()).build()
}

/// The median of `xs` and its range.
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

fn spread(mut xs: Vec<f64>) -> Spread {
    xs.sort_by(f64::total_cmp);
    Spread {
        median: xs[xs.len() / 2],
        min: xs[0],
        max: xs[xs.len() - 1],
    }
}

fn p50(mut ns: Vec<u64>) -> f64 {
    ns.sort_unstable();
    ns[ns.len() / 2] as f64
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn row(
    name: &str,
    measured: &str,
    baseline: &str,
    ours: &str,
    ratio: f64,
    target: &str,
    met: bool,
) {
    let verdict = if met { "met" } else { "missed" };
    println!("ROW {name} | {measured} | {baseline} | {ours} | {ratio:.2}x | {target} | {verdict}");
}

fn micros(s: &Spread) -> String {
    format!(
        "{:.3} µs ({:.3}–{:.3})",
        s.median / 1e3,
        s.min / 1e3,
        s.max / 1e3
    )
}

/// Dispatch: per-call p50 of a warm invoke and of a direct call, `RUNS` interleaved runs.
fn dispatch(prices: &PriceTable) -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (direct, invoke) = rt.block_on(async {
        let local = runtime(prices)?;
        let ev = event();
        let cx = Context::new("req-1", "noop");
        // Warm the instance and both code paths.
        for _ in 0..1_000 {
            local.invoke("noop", ev.clone()).await?.result?;
            noop(ev.clone(), cx.clone()).await?;
        }
        let function = Function::new("noop", noop);
        println!(
            "INFO future sizes: LocalRuntime::invoke {} B, Function::call {} B, direct call {} B",
            std::mem::size_of_val(&local.invoke("noop", ev.clone())),
            std::mem::size_of_val(&function.call(ev.clone(), cx.clone())),
            std::mem::size_of_val(&noop(ev.clone(), cx.clone())),
        );
        let mut direct = Vec::with_capacity(RUNS);
        let mut invoke = Vec::with_capacity(RUNS);
        let mut samples = Vec::with_capacity(DISPATCH_CALLS);
        for _ in 0..RUNS {
            samples.clear();
            for _ in 0..DISPATCH_CALLS {
                let (ev, cx) = (ev.clone(), cx.clone());
                let t = Instant::now();
                black_box(noop(black_box(ev), cx).await)?;
                samples.push(nanos(t.elapsed()));
            }
            direct.push(p50(std::mem::take(&mut samples)));
            for _ in 0..DISPATCH_CALLS {
                let ev = ev.clone();
                let t = Instant::now();
                let done = black_box(local.invoke("noop", black_box(ev)).await?);
                samples.push(nanos(t.elapsed()));
                done.result?;
            }
            invoke.push(p50(std::mem::take(&mut samples)));
        }
        Ok::<_, Error>((direct, invoke))
    })?;
    let over: Vec<f64> = direct.iter().zip(&invoke).map(|(d, i)| i - d).collect();
    let (direct, invoke, over) = (spread(direct), spread(invoke), spread(over));
    row(
        "dispatch",
        "warm in-process invoke of a no-op, p50 per call",
        &format!("direct call {}", micros(&direct)),
        &format!("{} (+{})", micros(&invoke), micros(&over)),
        invoke.median / direct.median,
        "< +0.5 µs p50 over direct",
        over.median < 500.0,
    );
    Ok(())
}

/// Throughput: calls per second with 64 callers on 2 workers, invoke against spawn + join.
fn throughput(prices: &PriceTable) -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()?;
    let local = rt.block_on(async { runtime(prices) })?;
    let total = (CALLERS * CALLS_PER_CALLER) as f64;
    let spawned = |calls: usize| {
        rt.block_on(async {
            let start = Instant::now();
            let callers: Vec<_> = (0..CALLERS)
                .map(|i| {
                    tokio::spawn(async move {
                        let (ev, cx) = (event(), Context::new(format!("req-{i}"), "noop"));
                        for _ in 0..calls {
                            tokio::spawn(noop(ev.clone(), cx.clone()))
                                .await
                                .map_err(|e| Error::Local {
                                    reason: e.to_string(),
                                })??;
                        }
                        Ok::<_, Error>(())
                    })
                })
                .collect();
            for caller in callers {
                caller.await.map_err(|e| Error::Local {
                    reason: e.to_string(),
                })??;
            }
            Ok::<_, Error>(start.elapsed())
        })
    };
    let invoked = |calls: usize| {
        rt.block_on(async {
            let start = Instant::now();
            let callers: Vec<_> = (0..CALLERS)
                .map(|_| {
                    let local = local.clone();
                    tokio::spawn(async move {
                        let ev = event();
                        for _ in 0..calls {
                            local.invoke("noop", ev.clone()).await?.result?;
                        }
                        Ok::<_, Error>(())
                    })
                })
                .collect();
            for caller in callers {
                caller.await.map_err(|e| Error::Local {
                    reason: e.to_string(),
                })??;
            }
            Ok::<_, Error>(start.elapsed())
        })
    };
    // Warm up: start the 64 instances, fill the rings.
    spawned(CALLS_PER_CALLER / 10)?;
    invoked(CALLS_PER_CALLER / 10)?;
    let mut base = Vec::with_capacity(RUNS);
    let mut ours = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        base.push(total / spawned(CALLS_PER_CALLER)?.as_secs_f64() / 1e6);
        ours.push(total / invoked(CALLS_PER_CALLER)?.as_secs_f64() / 1e6);
    }
    let ratios: Vec<f64> = ours.iter().zip(&base).map(|(o, b)| o / b).collect();
    let (base, ours, ratios) = (spread(base), spread(ours), spread(ratios));
    let mps = |s: &Spread| format!("{:.2} M/s ({:.2}–{:.2})", s.median, s.min, s.max);
    row(
        "throughput",
        &format!("{CALLERS} callers, no-op, {WORKERS} workers"),
        &format!("tokio spawn + join {}", mps(&base)),
        &format!("invoke {}", mps(&ours)),
        ratios.median,
        ">= 0.5x and >= 1.2 M/s",
        ratios.median >= 0.5 && ours.median >= 1.2,
    );
    drop(local);
    Ok(())
}

/// Cold start: the first invoke of a function with an empty initialiser against the warm
/// invoke after it, on a fresh runtime per sample.
fn cold_start(prices: &PriceTable) -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (warm, cold) = rt.block_on(async {
        let ev = event();
        let mut warm = Vec::with_capacity(RUNS);
        let mut cold = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let mut w = Vec::with_capacity(COLD_SAMPLES);
            let mut c = Vec::with_capacity(COLD_SAMPLES);
            for _ in 0..COLD_SAMPLES {
                let local = runtime(prices)?;
                let t = Instant::now();
                let first = local.invoke("cold", ev.clone()).await?;
                c.push(nanos(t.elapsed()));
                let t = Instant::now();
                let second = local.invoke("cold", ev.clone()).await?;
                w.push(nanos(t.elapsed()));
                if !first.record.cold || second.record.cold {
                    return Err(Error::Local {
                        reason: "expected one cold start, then a warm invocation".to_owned(),
                    });
                }
                first.result?;
                second.result?;
            }
            warm.push(p50(w));
            cold.push(p50(c));
        }
        Ok::<_, Error>((warm, cold))
    })?;
    let over: Vec<f64> = warm.iter().zip(&cold).map(|(w, c)| c - w).collect();
    let (warm, cold, over) = (spread(warm), spread(cold), spread(over));
    row(
        "cold start",
        "empty initialiser, p50 per call",
        &format!("warm invoke {}", micros(&warm)),
        &format!("cold invoke {} (+{})", micros(&cold), micros(&over)),
        cold.median / warm.median,
        "< +50 µs over warm",
        over.median < 50_000.0,
    );
    Ok(())
}

/// Route: per-request p50 of the gateway's router and of a bare axum router, `GET /ping`.
fn route() -> Result<(), Box<dyn std::error::Error>> {
    use faasport_adapter_local::gateway::{router, GatewayConfig};
    use faasport_adapter_local::LocalCloud;
    use faasport_core::{HttpRequest, HttpResponse};
    use tower::ServiceExt as _;

    async fn ping(_req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
        Ok(HttpResponse::text(http::StatusCode::OK, "pong"))
    }
    async fn bare() -> &'static str {
        "pong"
    }
    fn request() -> http::Request<axum::body::Body> {
        http::Request::get("/ping")
            .header(http::header::HOST, "127.0.0.1")
            .body(axum::body::Body::empty())
            .unwrap_or_default()
    }

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (baseline, ours) = rt.block_on(async {
        let app =
            App::new("ping").function(Function::new("ping", ping).http(http::Method::GET, "/ping"));
        let cloud = LocalCloud::builder(app).build()?;
        let gateway = router(cloud, GatewayConfig::default())?;
        let axum_router: axum::Router =
            axum::Router::new().route("/ping", axum::routing::get(bare));
        for _ in 0..1_000 {
            let ours = gateway.clone().oneshot(request()).await?;
            let theirs = axum_router.clone().oneshot(request()).await?;
            assert_eq!(ours.status(), http::StatusCode::OK);
            assert_eq!(theirs.status(), http::StatusCode::OK);
        }
        let mut baseline = Vec::with_capacity(RUNS);
        let mut ours = Vec::with_capacity(RUNS);
        let mut samples = Vec::with_capacity(ROUTE_CALLS);
        for _ in 0..RUNS {
            for (arm, router) in [(&mut baseline, &axum_router), (&mut ours, &gateway)] {
                samples.clear();
                for _ in 0..ROUTE_CALLS {
                    let (router, request) = (router.clone(), request());
                    let t = Instant::now();
                    let response = black_box(router.oneshot(black_box(request)).await?);
                    samples.push(nanos(t.elapsed()));
                    drop(response);
                }
                arm.push(p50(std::mem::take(&mut samples)));
            }
        }
        Ok::<_, Box<dyn std::error::Error>>((baseline, ours))
    })?;
    let ratios: Vec<f64> = baseline.iter().zip(&ours).map(|(b, o)| o / b).collect();
    let (baseline, ours, ratio) = (spread(baseline), spread(ours), spread(ratios));
    row(
        "route",
        "gateway router in-process, GET /ping, p50 per request",
        &format!("bare axum router {}", micros(&baseline)),
        &micros(&ours),
        ratio.median,
        "(figure only; the gateway row is over sockets)",
        true,
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `HOTPATH_ROWS=dispatch,throughput` runs only those rows (for profiling one of them).
    let rows = std::env::var("HOTPATH_ROWS").unwrap_or_default();
    let wanted = |row: &str| rows.is_empty() || rows.split(',').any(|r| r.trim() == row);
    let prices = PriceTable::bundled()?;
    if wanted("dispatch") {
        dispatch(&prices)?;
    }
    if wanted("throughput") {
        throughput(&prices)?;
    }
    if wanted("cold") {
        cold_start(&prices)?;
    }
    if wanted("route") {
        route()?;
    }
    Ok(())
}
