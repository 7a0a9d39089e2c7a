//! The dashboard in a real browser: serves a small shop and runs `tests/browser/dashboard.mjs`,
//! which drives Debian's chromium through playwright-core (both installed by
//! `.ci/browser-peers.sh`): it opens the page, fires an HTTP event and a topic message from the
//! form, sees the counters and the chart change, redrives a dead letter and sees it leave the
//! list, and finds a bucket object written by a function.
//!
//! Without node, playwright-core or chromium the test is skipped, unless
//! `FAASPORT_REQUIRE_PEERS=1` (as in CI), when it fails. Screenshots go to
//! `FAASPORT_DASHBOARD_SHOTS` (default: this test's scratch directory under the target).

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use faasport_adapter_local::gateway::{Gateway, GatewayConfig};
use faasport_adapter_local::LocalCloud;
use faasport_core::{
    http, App, Context, Error, Event, Function, HttpRequest, HttpResponse, Json, Message,
    RetryPolicy, TopicMessage,
};

async fn create(req: HttpRequest, cx: Context) -> Result<HttpResponse, Error> {
    let name = req.path_param("name").unwrap_or("?").to_owned();
    tracing::info!(%name, "creating an order");
    cx.topic("orders")
        .publish(Message::new(name.clone()))
        .await?;
    Ok(HttpResponse::text(
        http::StatusCode::CREATED,
        format!("created {name}"),
    ))
}

/// Fails the first poisoned order only, so its redrive succeeds.
static POISONED_ONCE: AtomicBool = AtomicBool::new(false);

async fn bill(msg: TopicMessage, cx: Context) -> Result<(), Error> {
    tracing::warn!(id = %msg.id, "billing");
    if msg.body.as_str() == Some("poison") && !POISONED_ONCE.swap(true, Ordering::SeqCst) {
        return Err(Error::BadRequest {
            reason: "poison order".to_owned(),
        });
    }
    cx.bucket("receipts")
        .put(&format!("receipts/{}", msg.id), msg.body)
        .await?;
    Ok(())
}

fn app() -> App {
    App::new("shop")
        .topic("orders")
        .bucket("receipts")
        .function(
            Function::new("create", create)
                .http(http::Method::POST, "/orders/{name}")
                .publishes("orders"),
        )
        .function(
            Function::new("bill", bill)
                .subscribe("orders")
                .writes("receipts")
                .retry(RetryPolicy::profile_default().with_max_retries(0)),
        )
}

/// What the browser test needs, or why it cannot run.
fn peers() -> Result<(PathBuf, PathBuf), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let playwright = std::env::var_os("FAASPORT_PLAYWRIGHT_CORE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".npm-peers/node_modules/playwright-core"));
    let chromium = std::env::var_os("FAASPORT_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !playwright.join("package.json").is_file() {
        return Err(format!("no playwright-core at {}", playwright.display()));
    }
    if !chromium.is_file() {
        return Err(format!("no chromium at {}", chromium.display()));
    }
    match Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => Ok((playwright, chromium)),
        _ => Err("no node on PATH".to_owned()),
    }
}

/// The peers, or `None` after saying why the test is skipped (a failure with
/// `FAASPORT_REQUIRE_PEERS=1`).
fn required_peers() -> Option<(PathBuf, PathBuf)> {
    match peers() {
        Ok(found) => Some(found),
        Err(why) if std::env::var("FAASPORT_REQUIRE_PEERS").as_deref() == Ok("1") => {
            panic!("{why} (run .ci/browser-peers.sh install)")
        }
        Err(why) => {
            eprintln!("skipped: {why} (run .ci/browser-peers.sh install)");
            None
        }
    }
}

/// One browser at a time: the load test would otherwise slow the end-to-end one.
static BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Where screenshots go.
fn shots() -> PathBuf {
    let shots = std::env::var_os("FAASPORT_DASHBOARD_SHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard"));
    std::fs::create_dir_all(&shots).expect("screenshot directory");
    shots
}

/// Runs `tests/browser/dashboard.mjs` with `args`.
async fn node(args: &[&str], playwright: PathBuf, chromium: PathBuf) -> std::process::Output {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/dashboard.mjs");
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .args(args)
            .env("FAASPORT_PLAYWRIGHT_CORE", playwright)
            .env("FAASPORT_CHROMIUM", chromium)
            .output()
    })
    .await
    .expect("join")
    .expect("node runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_works_in_a_real_browser() {
    let Some((playwright, chromium)) = required_peers() else {
        return;
    };
    let _browser = BROWSER.lock().await;
    let sources = LocalCloud::builder(app()).build().expect("sources");
    sources.start();
    let config = GatewayConfig::default().addr(([127, 0, 0, 1], 0).into());
    let gateway = Gateway::bind(sources.clone(), config).await.expect("bind");
    let base = format!("http://{}", gateway.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gateway.serve(async move {
        let _ = stopped.await;
    }));
    let run = node(
        &["test", &base, &shots().display().to_string()],
        playwright,
        chromium,
    )
    .await;
    let _ = stop.send(());
    let _ = server.await;
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "the browser checks failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("every browser check passed"), "{stdout}");
    assert!(
        sources.dead_letters().is_empty(),
        "the redrive emptied the store"
    );
}

async fn double(Json(n): Json<i64>, _cx: Context) -> Result<Json<i64>, Error> {
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    Ok(Json(n * 2))
}

/// 100 functions and about 1,000 invocations a second while the page is open: the page gets
/// its snapshots, shows every function and answers "try it". What it measured (snapshots
/// applied, main-thread long tasks, the try-it round trip) is printed, not asserted: it is wall
/// time on a shared machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_keeps_up_with_100_functions_and_1000_invocations_a_second() {
    let Some((playwright, chromium)) = required_peers() else {
        return;
    };
    let _browser = BROWSER.lock().await;
    let mut app = App::new("hundred");
    for i in 0..100 {
        app = app.function(Function::new(format!("f{i:03}"), double));
    }
    let sources = LocalCloud::builder(app).build().expect("sources");
    let config = GatewayConfig::default().addr(([127, 0, 0, 1], 0).into());
    let gateway = Gateway::bind(sources.clone(), config).await.expect("bind");
    let base = format!("http://{}", gateway.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gateway.serve(async move {
        let _ = stopped.await;
    }));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let load = {
        let sources = sources.clone();
        let done = done.clone();
        tokio::spawn(async move {
            // 10 invocations every 10 ms, round robin over the functions.
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(10));
            let mut next = 0usize;
            loop {
                tick.tick().await;
                for _ in 0..10 {
                    let name = format!("f{:03}", next % 100);
                    next += 1;
                    let sources = sources.clone();
                    let done = done.clone();
                    tokio::spawn(async move {
                        let _ = sources
                            .runtime()
                            .invoke(&name, Event::from_json(1.into()))
                            .await;
                        done.fetch_add(1, Ordering::Relaxed);
                    });
                }
            }
        })
    };
    let started = std::time::Instant::now();
    let shot = shots().join("dashboard-100-functions.png");
    let run = node(
        &["watch", &base, &shot.display().to_string(), "10"],
        playwright,
        chromium,
    )
    .await;
    let elapsed = started.elapsed();
    load.abort();
    let _ = stop.send(());
    let _ = server.await;
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "the browser checks failed:\n{stdout}\n{stderr}"
    );
    let invocations = done.load(Ordering::Relaxed);
    println!(
        "{} invocations in {elapsed:?} ({:.0}/s) while the page was open; {}",
        invocations,
        invocations as f64 / elapsed.as_secs_f64(),
        stdout.trim()
    );
}
