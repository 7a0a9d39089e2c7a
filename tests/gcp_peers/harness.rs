//! Starts Google's functions-framework (Python) and the echo example under the gcp adapter on
//! free loopback ports, and sends them the same requests.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use faasport::http;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

#[path = "../common/peers.rs"]
mod peers;

use peers::free_port;

/// The value of a Google Cloud peer variable set by `.ci/run` (see [`peers::peer`]).
pub fn peer(variable: &str) -> Option<String> {
    peers::peer(variable, "gcp-peers.sh")
}

fn example(name: &str) -> PathBuf {
    peers::example(name, "gcp")
}

/// A payload fixture of the gcp adapter.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/adapter-gcp/tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A server process on a loopback port, killed (with its process group) when dropped.
pub struct Served {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Served {
    /// functions-framework serving `tests/gcp_peers/peer.py:target` with `signature`.
    pub async fn functions_framework(binary: &str, target: &str, signature: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("events.jsonl");
        let port = free_port();
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gcp_peers/peer.py");
        let mut command = Command::new(binary);
        command
            .args([
                "--target",
                target,
                "--signature-type",
                signature,
                "--host",
                "127.0.0.1",
            ])
            .arg("--source")
            .arg(source)
            .arg("--port")
            .arg(port.to_string())
            .env("PEER_LOG", &log)
            .current_dir(dir.path());
        Self::spawn(command, port, log, dir).await
    }

    /// The echo example under the gcp adapter.
    pub async fn echo() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let mut command = Command::new(example("echo"));
        command
            .env("FAASPORT_PROVIDER", "gcp")
            .env("FUNCTION_TARGET", "echo")
            .env("K_SERVICE", "echo")
            .env("PORT", port.to_string());
        Self::spawn(command, port, dir.path().join("none"), dir).await
    }

    async fn spawn(mut command: Command, port: u16, log: PathBuf, dir: tempfile::TempDir) -> Self {
        use std::os::unix::process::CommandExt;
        let child = command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the server");
        let served = Self {
            child,
            port,
            log,
            _dir: dir,
        };
        for _ in 0..300 {
            if served.send(Request::get("/robots.txt")).await.is_ok() {
                return served;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("nothing answered on port {port}");
    }

    /// Sends one request; the status and the body.
    pub async fn send(&self, request: Request) -> Result<(u16, Bytes), String> {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let mut builder = http::Request::builder()
            .method(request.method)
            .uri(format!("http://127.0.0.1:{}{}", self.port, request.path));
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let req = builder
            .body(Full::new(Bytes::from(request.body)))
            .map_err(|e| e.to_string())?;
        let response = tokio::time::timeout(Duration::from_secs(10), client.request(req))
            .await
            .map_err(|_| "timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, body))
    }

    /// The last event the Python event peer logged.
    pub fn last_event(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let line = text.lines().last().unwrap_or("null");
        serde_json::from_str(line).expect("a JSON line")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // gunicorn's workers share the group; SIGKILL the group, then reap the leader. Bash's
        // builtin `kill`, not /usr/bin/kill: procps 4.0.2 (Debian 12) reads `kill -9 -PGID` as
        // `kill -9 -1` and kills every process of the user.
        let _ = Command::new("bash")
            .arg("-c")
            .arg(format!("kill -KILL -- -{}", self.child.id()))
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request, sent unchanged to both servers.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn get(path: &str) -> Self {
        Self {
            method: "GET",
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn post(path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Self {
        Self {
            method: "POST",
            path: path.to_owned(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body,
        }
    }

    /// The same request as the adapter's event mapping takes it.
    pub fn to_http(&self) -> http::Request<Bytes> {
        let mut builder = http::Request::builder()
            .method(self.method)
            .uri(self.path.as_str());
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder
            .body(Bytes::from(self.body.clone()))
            .expect("request")
    }
}
