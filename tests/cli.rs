//! The app binary's command line on the local backend.
#![cfg(feature = "local")]

mod common;

#[cfg(feature = "gcp")]
#[path = "../examples/quickstart/app.rs"]
mod quickstart;

use clap::{CommandFactory, Parser};
use faasport::cli::{execute, Cli};
use faasport::prelude::*;

fn cli(args: &[&str]) -> Cli {
    Cli::try_parse_from(std::iter::once("app").chain(args.iter().copied()))
        .expect("valid arguments")
}

async fn run(args: &[&str]) -> (Result<(), Error>, String) {
    let mut out = Vec::new();
    let result = execute(common::shop::app(), cli(args), &mut out).await;
    (result, String::from_utf8_lossy(&out).into_owned())
}

#[test]
fn help_lists_every_subcommand() {
    let help = Cli::command().render_help().to_string();
    for sub in ["serve", "invoke", "report", "dead-letters", "manifest"] {
        assert!(help.contains(sub), "--help misses {sub}:\n{help}");
    }
}

#[tokio::test]
async fn invoke_prints_the_output_and_record_and_report_prints_the_saved_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().to_str().expect("utf-8 path");
    let event = serde_json::json!({
        "kind": "queue",
        "event": {"queue": "jobs", "messages": [{"id": "1", "body": "ok"}, {"id": "2", "body": "fail"}]}
    })
    .to_string();
    let (result, out) = run(&["--state-dir", state, "invoke", "consume", "--data", &event]).await;
    assert!(result.is_ok(), "{result:?}");
    let printed: serde_json::Value = serde_json::from_str(&out).expect("JSON output");
    assert_eq!(
        printed["output"],
        serde_json::json!({"kind": "batch", "output": {"failed": ["2"]}})
    );
    assert_eq!(printed["record"]["cold"], true);
    assert_eq!(printed["record"]["outcome"], "ok");

    let (result, table) = run(&["--state-dir", state, "report"]).await;
    assert!(result.is_ok(), "{result:?}");
    assert!(table.contains("Cost by provider"), "{table}");
    assert!(table.contains("consume"), "{table}");
    // The saved run names its span, so the report also answers "is serverless a fit?".
    assert!(table.contains("Is serverless a fit?"), "{table}");
    assert!(table.contains("AWS Fargate ARM"), "{table}");

    let (result, json) = run(&["--state-dir", state, "report", "--json"]).await;
    assert!(result.is_ok(), "{result:?}");
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON report");
    assert_eq!(report["app"], "portable");
    assert_eq!(report["functions"][0]["invocations"], 1);
    assert_eq!(report["costs"].as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn each_saved_report_names_its_run_and_replaces_the_last_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().to_str().expect("utf-8 path");
    let event = r#"{"kind": "queue", "event": {"queue": "jobs", "messages": []}}"#;
    let mut runs = Vec::new();
    for _ in 0..2 {
        let (result, _) = run(&["--state-dir", state, "invoke", "consume", "--data", event]).await;
        assert!(result.is_ok(), "{result:?}");
        let (_, json) = run(&["--state-dir", state, "report", "--json"]).await;
        let report: serde_json::Value = serde_json::from_str(&json).expect("JSON report");
        let run = report["run"].clone();
        assert!(run["id"].is_string(), "{run}");
        assert!(
            run["started_at"].as_str() <= run["ended_at"].as_str(),
            "{run}"
        );
        runs.push(run["id"].clone());
    }
    assert_ne!(runs[0], runs[1], "a fresh id per run");
    let files: Vec<String> = std::fs::read_dir(dir.path())
        .expect("state dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("report"))
        .collect();
    assert_eq!(files, ["report.json"], "no temporary file left behind");
}

#[test]
fn serve_keeps_every_record_only_when_asked() {
    use faasport::cli::Command;
    let keeps = |args: &[&str]| match cli(args).command {
        Command::Serve { keep_records, .. } => keep_records,
        other => panic!("{other:?}"),
    };
    assert!(keeps(&["serve", "--keep-records"]));
    assert!(!keeps(&["serve"]));
}

#[tokio::test]
async fn invoke_with_bad_json_is_a_typed_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().to_str().expect("utf-8 path");
    let (result, _) = run(&[
        "--state-dir",
        state,
        "invoke",
        "consume",
        "--data",
        "{not json",
    ])
    .await;
    assert!(matches!(result, Err(Error::Json(_))), "{result:?}");
    let (result, _) = run(&["--state-dir", state, "invoke", "nope"]).await;
    let err = result.expect_err("unknown function");
    assert_eq!(
        err.to_string(),
        "no function named `nope` (available: greet, consume, relay)"
    );
}

#[tokio::test]
async fn report_before_any_run_says_what_to_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().to_str().expect("utf-8 path");
    let (result, _) = run(&["--state-dir", state, "report"]).await;
    let err = result.expect_err("no report yet").to_string();
    assert!(err.contains("run `serve` or `invoke` first"), "{err}");
}

async fn post(url: &str, body: &'static str) -> u16 {
    use http_body_util::Full;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
    let request = faasport::http::Request::post(url)
        .body(Full::new(bytes::Bytes::from_static(body.as_bytes())))
        .expect("request");
    client
        .request(request)
        .await
        .expect("gateway answers")
        .status()
        .as_u16()
}

/// Serves `app` on a free loopback port.
async fn serve_on_loopback(app: &App) -> faasport::local::serve::RunningServer {
    faasport::local::serve::spawn(
        app.clone(),
        faasport::local::serve::ServeOptions::default().port(0),
    )
    .await
    .expect("serving")
}

/// Lists dead letters until `done` says the list is complete (deliveries finish in the
/// background), at most `attempts` times.
async fn wait_for_dead_letters(
    app: &App,
    url: &str,
    attempts: usize,
    done: impl Fn(&[serde_json::Value]) -> bool,
) -> serde_json::Value {
    let mut listed = serde_json::Value::Null;
    for _ in 0..attempts {
        listed = dead_letters(app, url, &["list"]).await.expect("list");
        if listed.as_array().is_some_and(|l| done(l)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    listed
}

async fn dead_letters(app: &App, url: &str, args: &[&str]) -> Result<serde_json::Value, Error> {
    let mut full = vec!["dead-letters", "--url", url];
    full.extend_from_slice(args);
    let mut out = Vec::new();
    execute(app.clone(), cli(&full), &mut out).await?;
    Ok(serde_json::from_slice(&out).unwrap_or_else(|_| {
        serde_json::Value::String(String::from_utf8_lossy(&out).trim().to_owned())
    }))
}

#[tokio::test]
async fn dead_letters_of_a_running_server_are_listed_shown_redriven_and_purged() {
    async fn ingest(req: HttpRequest, cx: Context) -> Result<HttpResponse, Error> {
        cx.topic("orders")
            .publish(Message::new(req.body().clone()))
            .await?;
        Ok(HttpResponse::new(StatusCode::ACCEPTED))
    }
    async fn bill(_m: TopicMessage, _cx: Context) -> Result<(), Error> {
        Err(Error::permanent("cannot bill"))
    }
    let app = App::new("dl")
        .topic("orders")
        .function(Function::new("ingest", ingest).http(Method::POST, "/ingest"))
        .function(Function::new("bill", bill).subscribe("orders"));
    let server = serve_on_loopback(&app).await;
    let url = server.url();

    assert_eq!(post(&format!("{url}/ingest"), "{\"order\": 1}").await, 202);
    // A permanent error is dead-lettered without retries; wait for the delivery to finish.
    let listed = wait_for_dead_letters(&app, &url, 200, |l| !l.is_empty()).await;
    let entries = listed.as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 1, "{listed}");
    let id = entries[0]["id"]
        .as_str()
        .expect("dead letter id")
        .to_owned();

    let shown = dead_letters(&app, &url, &["show", &id])
        .await
        .expect("show");
    assert_eq!(shown["id"], id.as_str());
    let missing = dead_letters(&app, &url, &["show", "no-such-id"])
        .await
        .expect_err("unknown id");
    assert!(missing.to_string().contains("404"), "{missing}");

    dead_letters(&app, &url, &["redrive", &id])
        .await
        .expect("redrive");
    dead_letters(&app, &url, &["purge"]).await.expect("purge");
    let served = server.stop().await.expect("clean serve");
    assert!(served.shutdown.undelivered.is_empty());
    // Redriven, it failed again and was dead-lettered again before or after the purge: every
    // delivery is accounted for.
    let counts = served.shutdown.deliveries;
    assert_eq!(counts.processed, 0);
    assert!(counts.dead_lettered >= 2, "{counts:?}");
}

async fn status_of(method: Method, url: &str) -> u16 {
    use http_body_util::Full;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
    let request = faasport::http::Request::builder()
        .method(method)
        .uri(url)
        .header("x-faasport-admin", "1")
        .body(Full::new(bytes::Bytes::new()))
        .expect("request");
    client
        .request(request)
        .await
        .expect("gateway answers")
        .status()
        .as_u16()
}

fn sources_of(listed: &serde_json::Value) -> Vec<String> {
    let mut sources: Vec<String> = listed
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| format!("{}:{}", e["source"]["kind"], e["source"]["name"]).replace('"', ""))
        .collect();
    sources.sort();
    sources
}

#[tokio::test]
async fn dead_letters_are_listed_and_purged_per_function_or_queue() {
    use std::time::Duration;
    async fn ingest(_req: HttpRequest, cx: Context) -> Result<HttpResponse, Error> {
        cx.topic("orders").publish(Message::new("o")).await?;
        cx.queue("jobs").send(Message::new("j")).await?;
        Ok(HttpResponse::new(StatusCode::ACCEPTED))
    }
    async fn refuse(_m: TopicMessage, _cx: Context) -> Result<(), Error> {
        Err(Error::permanent("refused"))
    }
    async fn reject(_b: QueueBatch, _cx: Context) -> Result<BatchOutcome, Error> {
        Err(Error::permanent("rejected"))
    }
    let app = App::new("dl")
        .topic("orders")
        .queue_spec(
            QueueSpec::new("jobs")
                .visibility_timeout(Duration::from_millis(200))
                .max_receive_count(1),
        )
        .function(Function::new("ingest", ingest).http(Method::POST, "/ingest"))
        .function(Function::new("bill", refuse).subscribe("orders"))
        .function(Function::new("audit", refuse).subscribe("orders"))
        .function(
            Function::new("work", reject)
                .queue("jobs")
                .timeout(Duration::from_millis(200)),
        );
    let server = serve_on_loopback(&app).await;
    let url = server.url();
    assert_eq!(post(&format!("{url}/ingest"), "").await, 202);
    // Two permanent failures are dead-lettered at once; the queue message after its one receive
    // and its visibility timeout.
    let listed = wait_for_dead_letters(&app, &url, 300, |l| l.len() == 3).await;
    assert_eq!(
        sources_of(&listed),
        ["function:audit", "function:bill", "queue:jobs"],
        "{listed}"
    );

    let bill = dead_letters(&app, &url, &["list", "--function", "bill"])
        .await
        .expect("list bill");
    assert_eq!(sources_of(&bill), ["function:bill"]);
    let jobs = dead_letters(&app, &url, &["list", "--queue", "jobs"])
        .await
        .expect("list jobs");
    assert_eq!(sources_of(&jobs), ["queue:jobs"]);
    let none = dead_letters(&app, &url, &["list", "--function", "jobs"])
        .await
        .expect("list a function with none");
    assert_eq!(none, serde_json::json!([]));

    // A filter the server does not know, or two at once, is refused rather than purging all.
    let admin = format!("{url}/_faasport/dead-letters");
    assert_eq!(
        status_of(Method::DELETE, &format!("{admin}?fn=bill")).await,
        400
    );
    assert_eq!(
        status_of(Method::DELETE, &format!("{admin}?function=bill&queue=jobs")).await,
        400
    );

    let purged = dead_letters(&app, &url, &["purge", "--function", "audit"])
        .await
        .expect("purge audit");
    assert_eq!(purged, serde_json::json!({"purged": 1}));
    let purged = dead_letters(&app, &url, &["purge", "--queue", "jobs"])
        .await
        .expect("purge jobs");
    assert_eq!(purged, serde_json::json!({"purged": 1}));
    let left = dead_letters(&app, &url, &["list"]).await.expect("list");
    assert_eq!(sources_of(&left), ["function:bill"]);

    server.stop().await.expect("clean serve");
}

/// A writer the test can read while `execute` writes to it.
#[derive(Clone, Default)]
struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

#[cfg(unix)]
#[tokio::test]
async fn serve_prints_its_address_and_what_it_runs_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().to_str().expect("utf-8 path");
    let out = Shared::default();
    let mut writer = out.clone();
    let serving = execute(
        common::shop::app(),
        cli(&["--state-dir", state, "serve", "--port", "0"]),
        &mut writer,
    );
    let stop = async {
        while !out.text().contains("topics:") {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let status = std::process::Command::new("kill")
            .args(["-TERM", &std::process::id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    };
    let (result, ()) = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        tokio::join!(serving, stop)
    })
    .await
    .expect("serve stopped on SIGTERM");
    assert!(result.is_ok(), "{result:?}");
    let text = out.text();
    let first = text.lines().next().unwrap_or_default();
    let port = first
        .strip_prefix("listening on http://127.0.0.1:")
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("no address line: {text}"));
    assert_ne!(port, 0);
    let expected = format!(
        "listening on http://127.0.0.1:{port}\n\
         dashboard at http://127.0.0.1:{port}/_faasport/\n\
         routes:\n\
         \x20 METHOD  PATH           FUNCTION\n\
         \x20 GET     /hello/{{name}}  greet\n\
         queues:\n\
         \x20 jobs -> consume\n\
         topics:\n\
         \x20 audit -> (no subscribers)\n\
         \x20 orders -> relay\n"
    );
    assert!(text.starts_with(&expected), "{text}");
    assert!(text.contains("report saved to "), "{text}");
}

#[tokio::test]
async fn dead_letters_without_a_server_says_serve_is_not_running() {
    let (result, _) = run(&["dead-letters", "--url", "http://127.0.0.1:9", "list"]).await;
    let err = result.expect_err("nothing listens on port 9");
    assert!(
        faasport::core::chain_message(&err).contains("is `serve` running there?"),
        "{err}"
    );
}

#[tokio::test]
async fn replay_compares_profiles_and_keep_alive_policies_on_a_trace() {
    let trace = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/adapter-local/tests/fixtures/replay/periodic.csv"
    );
    let (result, json) = run(&["replay", trace, "--json"]).await;
    assert!(result.is_ok(), "{result:?}");
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON replay report");
    let runs = report["runs"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        runs.len(),
        6,
        "aws, gcp and azure, each with a fixed window and hybrid"
    );
    let (result, table) = run(&["replay", trace]).await;
    assert!(result.is_ok(), "{result:?}");
    assert!(table.contains("hybrid"), "{table}");
}

#[tokio::test]
async fn replay_generates_a_trace_writes_it_and_plots_the_policies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("day.csv");
    let svg = dir.path().join("tradeoff.svg");
    let (csv_arg, svg_arg) = (csv.to_str().expect("utf-8"), svg.to_str().expect("utf-8"));
    let (result, said) = run(&[
        "replay",
        "--generate",
        "30",
        "--hours",
        "2",
        "--seed",
        "5",
        "--out",
        csv_arg,
    ])
    .await;
    assert!(result.is_ok(), "{result:?}");
    // Functions drawing no invocation in the two hours are dropped, so at most 30.
    assert!(
        said.starts_with("wrote ") && said.contains(" functions, "),
        "{said}"
    );
    let written = std::fs::read_to_string(&csv).expect("the trace");
    assert!(written.starts_with("timestamp_ms,function,duration_ms,memory_mb,trigger\n"));
    // The written trace replays like the generated one: same invocations, same figures.
    let (result, from_file) = run(&["replay", csv_arg, "--profiles", "aws", "--json"]).await;
    assert!(result.is_ok(), "{result:?}");
    let (result, generated) = run(&[
        "replay",
        "--generate",
        "30",
        "--hours",
        "2",
        "--seed",
        "5",
        "--profiles",
        "aws",
        "--plot",
        svg_arg,
        "--json",
    ])
    .await;
    assert!(result.is_ok(), "{result:?}");
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&from_file).expect("JSON"),
        serde_json::from_str(&generated).expect("JSON"),
    );
    assert_eq!(
        a["runs"].as_array().map(Vec::len),
        Some(2),
        "aws × fixed, hybrid"
    );
    assert_eq!(a["trace"]["invocations"], b["trace"]["invocations"]);
    assert_eq!(a["runs"][0]["cold_starts"], b["runs"][0]["cold_starts"]);
    let picture = std::fs::read_to_string(&svg).expect("the plot");
    assert!(
        picture.starts_with("<svg") && picture.contains("aws hybrid"),
        "{picture}"
    );
}

#[tokio::test]
async fn replay_compares_fixed_windows_by_the_75th_percentile_of_functions() {
    let trace = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/adapter-local/tests/fixtures/replay/periodic.csv"
    );
    let (result, json) = run(&[
        "replay",
        trace,
        "--profiles",
        "aws",
        "--windows",
        "5,60",
        "--json",
    ])
    .await;
    assert!(result.is_ok(), "{result:?}");
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON replay report");
    let runs = report["runs"].as_array().cloned().unwrap_or_default();
    let summary: Vec<(String, u64, f64)> = runs
        .iter()
        .map(|r| {
            (
                r["keep_alive"].as_str().unwrap_or_default().to_owned(),
                r["cold_starts"].as_u64().unwrap_or_default(),
                r["cold_start_p75"].as_f64().unwrap_or_default(),
            )
        })
        .collect();
    // A call every 30 minutes: a 5-minute window makes all nine cold, a 60-minute one only the
    // first.
    assert_eq!(
        summary,
        [
            ("fixed 5 min".to_owned(), 9, 1.0),
            ("fixed 60 min".to_owned(), 1, 1.0 / 9.0)
        ]
    );
}

#[tokio::test]
async fn replay_streams_the_azure_counts_with_their_durations() {
    let fixtures = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/adapter-local/tests/fixtures/replay/"
    );
    let counts = format!("{fixtures}azure_invocations.csv");
    let durations = format!("{fixtures}azure_durations.csv");
    let args = [
        "replay",
        counts.as_str(),
        "--format",
        "azure",
        "--durations",
        durations.as_str(),
        "--profiles",
        "aws",
        "--json",
    ];
    let (result, json) = run(&args).await;
    assert!(result.is_ok(), "{result:?}");
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON replay report");
    // fa: once every 30 minutes for 4 hours (9); fb: 3 in minute 6.
    assert_eq!(report["trace"]["functions"], 2, "{json}");
    assert_eq!(report["trace"]["invocations"], 12, "{json}");
    assert_eq!(report["trace"]["span_ms"], 240.0 * 60_000.0, "{json}");
    let runs = report["runs"].as_array().cloned().unwrap_or_default();
    assert!(!runs.is_empty());
    assert!(runs.iter().all(|r| r["invocations"] == 12), "{json}");
    let (result, _) = run(&[
        "replay",
        counts.as_str(),
        "--format",
        "azure",
        "--max-functions",
        "1",
    ])
    .await;
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn replay_of_a_malformed_trace_names_the_line_and_column() {
    let trace = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/adapter-local/tests/fixtures/replay/bad_duration.csv"
    );
    let (result, _) = run(&["replay", trace]).await;
    let err = result.expect_err("bad trace").to_string();
    assert!(err.contains("line 3, column 3"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn invoke_lists_asynchronous_work_still_retrying_as_undelivered() {
    async fn ingest(_: Json<serde_json::Value>, cx: Context) -> Result<(), Error> {
        cx.topic("orders")
            .publish(Message::new("o1"))
            .await
            .map(drop)
    }
    async fn flaky(_m: TopicMessage, _cx: Context) -> Result<(), Error> {
        Err(Error::transient("downstream is down"))
    }
    let app = App::new("retrying")
        .topic("orders")
        .function(Function::new("ingest", ingest))
        .function(Function::new("bill", flaky).subscribe("orders"));
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().to_str().expect("utf-8 path");
    let mut out = Vec::new();
    execute(
        app,
        cli(&["--state-dir", state, "invoke", "ingest"]),
        &mut out,
    )
    .await
    .expect("ingest succeeds");
    let printed: serde_json::Value = serde_json::from_slice(&out).expect("JSON output");
    // Lambda retries after 1 and 2 minutes, longer than `invoke` waits: the delivery is listed,
    // not dropped.
    let undelivered = printed["undelivered"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(undelivered.len(), 1, "{printed}");
    assert_eq!(undelivered[0]["function"], "bill");
}

#[test]
fn invoke_help_documents_the_tagged_event_format_and_http_requests() {
    let mut command = Cli::command();
    let help = command
        .find_subcommand_mut("invoke")
        .expect("invoke")
        .render_help()
        .to_string();
    for needle in [
        r#"{"kind": KIND, "event": {...}}"#,
        r#"{"kind": "queue", "event": {"queue": "jobs""#,
        "--http 'METHOD /path?query'",
        "STATE_DIR/buckets",
    ] {
        assert!(
            help.contains(needle),
            "invoke --help misses {needle}:\n{help}"
        );
    }
}

#[tokio::test]
async fn invoke_http_builds_the_request_and_picks_the_function_by_route() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().to_str().expect("utf-8 path");
    let (result, out) = run(&["--state-dir", state, "invoke", "--http", "GET /hello/ada"]).await;
    assert!(result.is_ok(), "{result:?}");
    let printed: serde_json::Value = serde_json::from_str(&out).expect("JSON output");
    assert_eq!(printed["record"]["function"], "greet");
    assert_eq!(printed["output"]["output"]["status"], 200);
    assert_eq!(printed["output"]["output"]["body"], r#"{"hello":"ada"}"#);

    let (result, _) = run(&["--state-dir", state, "invoke", "--http", "GET /nowhere"]).await;
    let err = result.expect_err("no route").to_string();
    assert_eq!(
        err,
        "invalid payload: no route for GET /nowhere (routes: GET /hello/{name})"
    );
    let (result, _) = run(&["--state-dir", state, "invoke", "--http", "/hello/ada"]).await;
    let err = result.expect_err("no method").to_string();
    assert!(err.contains("expected `METHOD /path`"), "{err}");
}

#[tokio::test]
async fn a_plain_payload_for_an_http_function_suggests_the_http_flag_and_tagged_form() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().to_str().expect("utf-8 path");
    let (result, out) = run(&[
        "--state-dir",
        state,
        "invoke",
        "greet",
        "--data",
        r#"{"name": "ada"}"#,
    ])
    .await;
    let err = result.expect_err("a plain payload does not fit");
    assert!(matches!(err, Error::InvalidPayload { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "invalid payload: the handler expects http events but received a cloud_event event; \
         send an HTTP request with `--http 'METHOD /path' --data BODY`, or \
         --data '{\"kind\": \"http\", \"event\": {...}}' (the formats are in `invoke --help`)"
    );
    let printed: serde_json::Value = serde_json::from_str(&out).expect("JSON output");
    assert!(printed["hint"]
        .as_str()
        .is_some_and(|h| h.contains("--http")));
}

fn store_app() -> App {
    async fn store(Json(doc): Json<serde_json::Value>, cx: Context) -> Result<(), Error> {
        let key = doc["key"].as_str().unwrap_or("none").to_owned();
        cx.bucket("docs").put(&key, doc.to_string()).await?;
        cx.queue("outbox").send(Message::new(key)).await.map(drop)
    }
    async fn count(_: Json<serde_json::Value>, cx: Context) -> Result<Json<usize>, Error> {
        Ok(Json(cx.bucket("docs").list("").await?.len()))
    }
    App::new("store")
        .bucket("docs")
        .queue("outbox")
        .function(Function::new("store", store))
        .function(Function::new("count", count))
}

async fn run_app(app: App, args: &[&str]) -> (Result<(), Error>, String) {
    let mut out = Vec::new();
    let result = execute(app, cli(args), &mut out).await;
    (result, String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn consecutive_invokes_share_buckets_and_unconsumed_queues_through_the_state_dir() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().to_str().expect("utf-8 path");
    for key in ["a", "b"] {
        let data = format!(r#"{{"key": "{key}"}}"#);
        let (result, _) = run_app(
            store_app(),
            &["--state-dir", state, "invoke", "store", "--data", &data],
        )
        .await;
        assert!(result.is_ok(), "{result:?}");
    }
    let (result, out) = run_app(store_app(), &["--state-dir", state, "invoke", "count"]).await;
    assert!(result.is_ok(), "{result:?}");
    let printed: serde_json::Value = serde_json::from_str(&out).expect("JSON output");
    assert_eq!(printed["output"], 2, "{printed}");
    let saved: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("queues.json")).expect("saved queues"),
    )
    .expect("JSON");
    let bodies: Vec<&str> = saved["outbox"]
        .as_array()
        .expect("outbox kept")
        .iter()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert_eq!(bodies, ["a", "b"]);
}

#[test]
fn serve_takes_a_bucket_directory() {
    let parsed = cli(&["serve", "--port", "0", "--bucket-dir", "/tmp/objects"]);
    assert!(
        matches!(
            &parsed.command,
            faasport::cli::Command::Serve { port: 0, bucket_dir: Some(dir), keep_records: false, resume: false, durable: false }
                if dir == std::path::Path::new("/tmp/objects")
        ),
        "{parsed:?}"
    );
}

#[test]
fn serve_takes_durable() {
    let parsed = cli(&["serve", "--durable"]);
    assert!(
        matches!(
            &parsed.command,
            faasport::cli::Command::Serve {
                durable: true,
                resume: false,
                ..
            }
        ),
        "{parsed:?}"
    );
}

#[test]
fn serve_takes_resume() {
    let parsed = cli(&["serve", "--resume"]);
    assert!(
        matches!(
            &parsed.command,
            faasport::cli::Command::Serve { resume: true, .. }
        ),
        "{parsed:?}"
    );
}

#[tokio::test]
async fn objects_messages_and_published_show_the_state_of_a_running_server() {
    async fn ingest(req: HttpRequest, cx: Context) -> Result<HttpResponse, Error> {
        cx.bucket("docs").put("d1", req.body().clone()).await?;
        cx.queue("outbox").send(Message::new("mail")).await?;
        cx.topic("news").publish(Message::new("fresh")).await?;
        Ok(HttpResponse::new(StatusCode::ACCEPTED))
    }
    let app = App::new("state")
        .bucket("docs")
        .queue("outbox")
        .topic("news")
        .function(Function::new("ingest", ingest).http(Method::POST, "/ingest"));
    let server = serve_on_loopback(&app).await;
    let url = server.url();
    assert_eq!(post(&format!("{url}/ingest"), "hello").await, 202);

    let ask = |args: Vec<&str>| {
        let app = app.clone();
        let mut full = args;
        full.extend(["--url", url.as_str()]);
        let parsed = cli(&full);
        async move {
            let mut out = Vec::new();
            execute(app, parsed, &mut out)
                .await
                .map(|()| serde_json::from_slice::<serde_json::Value>(&out).expect("JSON"))
        }
    };
    let objects = ask(vec!["objects", "docs"]).await.expect("objects");
    assert_eq!(
        (objects[0]["key"].as_str(), objects[0]["size"].as_u64()),
        (Some("d1"), Some(5))
    );
    let messages = ask(vec!["messages", "outbox"]).await.expect("messages");
    assert_eq!(messages[0]["body"], "mail");
    let published = ask(vec!["published", "news"]).await.expect("published");
    assert_eq!(published[0]["body"], "fresh");
    let missing = ask(vec!["published", "nope"])
        .await
        .expect_err("undeclared");
    assert!(missing.to_string().contains("404"), "{missing}");
    server.stop().await.expect("clean serve");
}

#[cfg(feature = "gcp")]
#[tokio::test]
async fn manifest_gcp_and_knative_write_the_quickstart_deployment() {
    let dir = tempfile::tempdir().expect("temp dir");
    let gcp = dir.path().join("gcp");
    let gcp_arg = gcp.to_str().expect("utf-8 path");
    let mut out = Vec::new();
    execute(
        quickstart::app(),
        cli(&["manifest", "gcp", "--out", gcp_arg]),
        &mut out,
    )
    .await
    .expect("manifest gcp");
    assert_eq!(
        String::from_utf8_lossy(&out),
        format!("wrote {}\n", gcp.join("deploy.sh").display())
    );
    let script = std::fs::read_to_string(gcp.join("deploy.sh")).expect("deploy.sh");
    assert!(script.starts_with("#!/usr/bin/env bash\n"), "{script}");
    for service in ["shop-create-order", "shop-bill", "shop-nightly"] {
        assert!(
            script.contains(&format!("gcloud run deploy {service} ")),
            "{service}"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(gcp.join("deploy.sh"))
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
    }

    let knative = dir.path().join("knative");
    let knative_arg = knative.to_str().expect("utf-8 path");
    let mut out = Vec::new();
    let args = [
        "manifest",
        "knative",
        "--out",
        knative_arg,
        "--image",
        "registry.example/shop:1",
    ];
    execute(quickstart::app(), cli(&args), &mut out)
        .await
        .expect("manifest knative");
    let written: Vec<String> = ["shop-create-order", "shop-bill", "shop-nightly"]
        .iter()
        .map(|f| format!("wrote {}", knative.join(format!("{f}.yaml")).display()))
        .collect();
    assert_eq!(
        String::from_utf8_lossy(&out).lines().collect::<Vec<_>>(),
        written
    );
    let bill = std::fs::read_to_string(knative.join("shop-bill.yaml")).expect("shop-bill.yaml");
    assert!(bill.contains("image: registry.example/shop:1"), "{bill}");
    assert!(bill.contains("kind: Trigger"), "{bill}");
}

#[tokio::test]
async fn cost_prices_the_pricing_page_example_without_running_it() {
    // aws.amazon.com/lambda/pricing example 1 (reference pricing-and-scaling §1.1, §11.1): 3 M
    // calls × 120 ms × 1.5 GB = 540,000 GB-s × $0.0000166667 = $9.00, + 3 M × $0.20/M = $0.60:
    // $9.60.
    let (result, text) = run(&[
        "cost",
        "--calls",
        "3M",
        "--duration",
        "120ms",
        "--memory",
        "1536",
        "--provider",
        "aws",
    ])
    .await;
    result.expect("cost succeeds");
    assert!(text.contains("AWS Lambda (x86_64)"), "{text}");
    assert!(text.contains(" 9.60 USD"), "{text}");
    assert!(
        !text.lines().any(|l| l.starts_with("Azure Functions (")),
        "only the provider asked for is priced: {text}"
    );
    let (result, json) = run(&[
        "cost",
        "--calls",
        "300M",
        "--duration",
        "120ms",
        "--memory",
        "1536",
        "--json",
    ])
    .await;
    result.expect("cost succeeds");
    let json: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(json["costs"].as_array().map(Vec::len), Some(4));
    assert_eq!(json["costs"][0]["quantities"]["requests"], 300_000_000);
    assert!(json["break_even"].as_array().is_some_and(|b| !b.is_empty()));
    // The reference's worked example (pricing and scaling notes §12.3): 26.28 M requests a
    // month of 100 ms at 512 MB, 5 ms of CPU, peak 3×: one Fargate ARM task (K = 70 req/s)
    // costs $14.42 a month and beats Lambda x86 above 5.31 req/s.
    let (result, text) = run(&[
        "cost",
        "--calls",
        "26.28M",
        "--duration",
        "100ms",
        "--memory",
        "512",
        "--cpu",
        "5ms",
        "--peak-factor",
        "3",
        "--provider",
        "aws",
    ])
    .await;
    result.expect("cost succeeds");
    let fargate = text
        .lines()
        .find(|l| l.starts_with("AWS Fargate ARM"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        fargate.contains("14.42") && fargate.contains("lambda 5.31"),
        "{fargate}"
    );
}

#[test]
fn cost_refuses_a_duration_without_a_unit() {
    let err = Cli::try_parse_from(["app", "cost", "--calls", "3M", "--duration", "120"])
        .expect_err("a unit is required");
    assert!(err.to_string().contains("needs a unit"), "{err}");
}
