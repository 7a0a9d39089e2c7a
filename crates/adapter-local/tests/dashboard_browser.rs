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
    http, App, Context, Error, Function, HttpRequest, HttpResponse, Message, RetryPolicy,
    TopicMessage,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_works_in_a_real_browser() {
    let (playwright, chromium) = match peers() {
        Ok(found) => found,
        Err(why) if std::env::var("FAASPORT_REQUIRE_PEERS").as_deref() == Ok("1") => {
            panic!("{why} (run .ci/browser-peers.sh install)")
        }
        Err(why) => {
            eprintln!("skipped: {why} (run .ci/browser-peers.sh install)");
            return;
        }
    };
    let sources = LocalCloud::builder(app()).build().expect("sources");
    sources.start();
    let config = GatewayConfig::default().addr(([127, 0, 0, 1], 0).into());
    let gateway = Gateway::bind(sources.clone(), config).await.expect("bind");
    let base = format!("http://{}", gateway.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gateway.serve(async move {
        let _ = stopped.await;
    }));
    let shots = std::env::var_os("FAASPORT_DASHBOARD_SHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard"));
    std::fs::create_dir_all(&shots).expect("screenshot directory");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/dashboard.mjs");
    let run = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg("test")
            .arg(&base)
            .arg(&shots)
            .env("FAASPORT_PLAYWRIGHT_CORE", playwright)
            .env("FAASPORT_CHROMIUM", chromium)
            .output()
    })
    .await
    .expect("join")
    .expect("node runs");
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
