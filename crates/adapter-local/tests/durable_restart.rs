//! The durable option across a crash: `serve` with a state folder and `durable`, killed with
//! SIGKILL while its slow consumers are half way through, then started again on the same
//! folder, delivers every message it had accepted (topic, queue and storage event) at least
//! once, keeps the bucket's objects, and empties its journal once everything is acknowledged.
//!
//! The server runs in a child process: this test binary again, running only the ignored
//! `durable_child_serves_until_killed` with the folder in `FAASPORT_DURABLE_CHILD_DIR`.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use faasport_adapter_local::serve::{serve_until_signal, ServeOptions};
use faasport_adapter_local::{LocalConfig, JOURNAL_DIR};
use faasport_core::http::{Method, StatusCode};
use faasport_core::{
    App, Context, Error, Event, Function, HttpRequest, HttpResponse, Message, StorageEventKind,
};

const CHILD_ENV: &str = "FAASPORT_DURABLE_CHILD_DIR";
const MESSAGES: usize = 30;
/// How long a consumer takes per message; consumers take turns, so the run lasts about
/// 3 × 30 × 40 ms.
const WORK: Duration = Duration::from_millis(40);
/// A bound on waiting for the child, not a timing assertion.
const PATIENCE: Duration = Duration::from_secs(120);

// ---- the child: serve until killed -------------------------------------------------------

fn log_path() -> std::path::PathBuf {
    Path::new(&std::env::var_os(CHILD_ENV).unwrap_or_default()).join("processed.log")
}

/// Notes `line` in the processed log after the consumers' turn of [`WORK`].
async fn handle(line: String) -> Result<(), Error> {
    static TURN: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();
    let _turn = TURN
        .get_or_init(|| tokio::sync::Mutex::new(()))
        .lock()
        .await;
    tokio::time::sleep(WORK).await;
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path())?;
    log.write_all(format!("{line}\n").as_bytes())?;
    Ok(())
}

async fn ingest(req: HttpRequest, cx: Context) -> Result<HttpResponse, Error> {
    let body = req.body().as_str().unwrap_or_default().to_owned();
    cx.topic("orders")
        .publish(Message::new(body.clone()))
        .await?;
    cx.queue("jobs").send(Message::new(body.clone())).await?;
    cx.bucket("uploads").put(&body, body.clone()).await?;
    Ok(HttpResponse::new(StatusCode::ACCEPTED))
}

async fn on_event(event: Event, _cx: Context) -> Result<(), Error> {
    match event {
        Event::Topic(m) => handle(format!("topic {}", m.body.as_str().unwrap_or("?"))).await,
        Event::Queue(batch) => {
            for m in batch.messages {
                handle(format!("queue {}", m.body.as_str().unwrap_or("?"))).await?;
            }
            Ok(())
        }
        Event::Storage(e) => handle(format!("object {}", e.key)).await,
        other => Err(Error::permanent(format!("unexpected {other:?}"))),
    }
}

fn app() -> App {
    App::new("durable")
        .topic("orders")
        .queue("jobs")
        .bucket("uploads")
        .function(Function::new("ingest", ingest).http(Method::POST, "/ingest"))
        .function(Function::new("audit", on_event).subscribe("orders"))
        .function(Function::new("work", on_event).queue_batched("jobs", 1, Duration::ZERO))
        .function(Function::new("index", on_event).storage("uploads", &[StorageEventKind::Created]))
}

#[test]
#[ignore = "the child process of a_process_killed_mid_delivery_redelivers_every_unacknowledged_message"]
fn durable_child_serves_until_killed() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let config = LocalConfig::default().state_dir(dir).durable(true);
        let options = ServeOptions::default().port(0).config(config);
        serve_until_signal(app(), options, |addr| {
            println!("LISTENING {addr}");
            let _ = std::io::stdout().flush();
        })
        .await
        .expect("serves");
    });
}

// ---- the parent: publish, kill, restart, check -------------------------------------------

struct Server {
    child: Child,
    addr: SocketAddr,
}

fn start(dir: &Path) -> Server {
    let mut child = Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "--exact",
            "durable_child_serves_until_killed",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_ENV, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the child starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(addr) = line.strip_prefix("LISTENING ") {
                    break addr.parse().expect("an address");
                }
            }
            other => {
                let _ = child.kill();
                panic!("the child ended before listening: {other:?}");
            }
        }
    };
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, addr }
}

fn post(addr: SocketAddr, body: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connects");
    write!(
        stream,
        "POST /ingest HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("sends");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("reads");
    answer.lines().next().unwrap_or_default().to_owned()
}

fn processed(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("processed.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn journal_entries(dir: &Path) -> usize {
    std::fs::read_dir(dir.join(JOURNAL_DIR)).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
            .count()
    })
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts the server again on `dir`, waits until every line of `expected` was processed and
/// the journal is empty, kills it, and returns every line processed in both runs.
fn restart_until_delivered(dir: &Path, expected: &BTreeSet<String>) -> Vec<String> {
    let mut second = start(dir);
    wait_until("every accepted message delivered after the restart", || {
        let seen: BTreeSet<String> = processed(dir).into_iter().collect();
        expected.is_subset(&seen)
    });
    wait_until("the journal emptied by the acknowledgements", || {
        journal_entries(dir) == 0
    });
    second.child.kill().expect("SIGKILL");
    second.child.wait().expect("reaped");
    processed(dir)
}

#[test]
fn a_process_killed_mid_delivery_redelivers_every_unacknowledged_message() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    let expected: BTreeSet<String> = (0..MESSAGES)
        .flat_map(|i| ["topic", "queue", "object"].map(|kind| format!("{kind} m{i}")))
        .collect();

    let mut first = start(dir);
    for i in 0..MESSAGES {
        assert_eq!(post(first.addr, &format!("m{i}")), "HTTP/1.1 202 Accepted");
    }
    wait_until("a few deliveries before the kill", || {
        processed(dir).len() >= 6
    });
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("reaped");

    let before = processed(dir).len();
    assert!(
        before < expected.len(),
        "everything was delivered before the kill ({before})"
    );
    let left = journal_entries(dir);
    assert!(left > 0, "the kill left nothing in the journal");

    let seen = restart_until_delivered(dir, &expected);
    let distinct: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), expected.len(), "{seen:?}");
    assert!(seen.iter().all(|line| expected.contains(line)), "{seen:?}");
    let objects = std::fs::read_dir(dir.join("buckets/uploads"))
        .expect("the bucket's folder")
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .count();
    assert_eq!(objects, MESSAGES);
    println!(
        "{before} of {} deliveries before SIGKILL, {left} journal entries left, {} deliveries in all ({} again)",
        expected.len(),
        seen.len(),
        seen.len() - expected.len()
    );
}

/// Concurrent posters: how many, and how many messages each.
const POSTERS: usize = 6;
const PER_POSTER: usize = 8;

fn batch_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join(JOURNAL_DIR)).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.starts_with("b.") && name.ends_with(".json")
            })
            .count()
    })
}

/// The status line of a post, or `None` if the connection failed (the server was killed).
fn try_post(addr: SocketAddr, body: &str) -> Option<String> {
    let mut stream = TcpStream::connect(addr).ok()?;
    write!(
        stream,
        "POST /ingest HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.lines().next().map(str::to_owned)
}

/// Group commit under a crash: several clients post at once, so the journal commits their
/// writes together (`b.*` files holding several messages); the process is killed with SIGKILL
/// while they are still posting. Every message that was answered 202 is delivered after the
/// restart (topic, queue and storage event), a post cut off by the kill may or may not be, and
/// nothing is delivered that was never posted.
#[test]
fn a_kill_during_grouped_concurrent_writes_loses_no_accepted_message() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    let mut first = start(dir);
    let addr = first.addr;
    let accepted = Arc::new(Mutex::new(BTreeSet::new()));
    let killed = Arc::new(AtomicBool::new(false));
    let posters: Vec<_> = (0..POSTERS)
        .map(|p| {
            let accepted = Arc::clone(&accepted);
            let killed = Arc::clone(&killed);
            std::thread::spawn(move || {
                // Past the first round, keep posting until the kill, up to PER_POSTER each.
                for i in 0..PER_POSTER {
                    if killed.load(Ordering::SeqCst) {
                        break;
                    }
                    let body = format!("p{p}m{i}");
                    if try_post(addr, &body).as_deref() == Some("HTTP/1.1 202 Accepted") {
                        accepted.lock().expect("lock").insert(body);
                    }
                }
            })
        })
        .collect();
    // Kill once the journal holds a grouped commit and some posts were answered, while the
    // clients are still posting.
    wait_until("a grouped commit in the journal and accepted posts", || {
        (batch_files(dir) > 0 && accepted.lock().expect("lock").len() >= POSTERS)
            || posters.iter().all(std::thread::JoinHandle::is_finished)
    });
    let grouped = batch_files(dir);
    killed.store(true, Ordering::SeqCst);
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("reaped");
    for poster in posters {
        poster.join().expect("a poster");
    }
    assert!(
        grouped > 0,
        "{POSTERS} concurrent clients never had their writes committed together"
    );
    let accepted = std::mem::take(&mut *accepted.lock().expect("lock"));
    assert!(!accepted.is_empty(), "nothing was accepted before the kill");
    let expected: BTreeSet<String> = accepted
        .iter()
        .flat_map(|m| ["topic", "queue", "object"].map(|kind| format!("{kind} {m}")))
        .collect();
    let before = processed(dir).len();
    let left = journal_entries(dir);

    let seen = restart_until_delivered(dir, &expected);
    let posted = |line: &String| {
        let body = line.split_once(' ').map_or("", |(_, body)| body);
        (0..POSTERS).any(|p| (0..PER_POSTER).any(|i| body == format!("p{p}m{i}")))
    };
    assert!(
        seen.iter().all(posted),
        "a delivery nobody posted: {seen:?}"
    );
    println!(
        "{} accepted before SIGKILL, {grouped} grouped commit files, {before} deliveries before it, \
         {left} journal entries left, {} deliveries in all",
        accepted.len(),
        seen.len()
    );
}
