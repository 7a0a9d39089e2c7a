//! Starts cargo-lambda and an example binary under it, and talks to both.
//!
//! cargo-lambda's `--only-lambda-apis` mode serves one function, `_`, and a runtime attached to
//! it takes every invocation; so each test gets its own cargo-lambda on a free port and its own
//! example process, and tests run in parallel without seeing each other's events.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use faasport::http;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// The value of a peer variable set by `.ci/run`; skips (with a message) when unset, and fails
/// when `FAASPORT_REQUIRE_PEERS=1`.
pub fn peer(variable: &str) -> Option<String> {
    match std::env::var(variable).ok().filter(|v| !v.is_empty()) {
        Some(value) => Some(value),
        None if std::env::var("FAASPORT_REQUIRE_PEERS").as_deref() == Ok("1") => {
            panic!("{variable} is not set but FAASPORT_REQUIRE_PEERS=1: start the peers with .ci/aws-peers.sh")
        }
        None => {
            eprintln!("skipped: {variable} is not set (see .ci/aws-peers.sh); FAASPORT_REQUIRE_PEERS=1 makes this a failure");
            None
        }
    }
}

/// An example binary built next to this test (`cargo test --features aws` builds them).
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo test --features aws` (not `--test`), which builds the examples",
        path.display()
    );
    path
}

/// A running cargo-lambda with one example binary attached as its function.
pub struct Lambda {
    pub port: u16,
    emulator: Child,
    function: Option<Child>,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Lambda {
    /// Starts cargo-lambda and `example` serving `function`; `None` when the peer is not set.
    pub async fn start(example_name: &str, function: &str) -> Option<Self> {
        let cargo_lambda = peer("FAASPORT_CARGO_LAMBDA")?;
        let dir = tempfile::tempdir().expect("tempdir");
        // cargo-lambda runs `cargo metadata` in its working directory, even in this mode.
        std::fs::create_dir_all(dir.path().join("src")).expect("src");
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"lambda-dummy\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n",
        )
        .expect("manifest");
        std::fs::write(dir.path().join("src/main.rs"), "fn main() {}\n").expect("main");
        let port = free_port();
        let emulator = Command::new(cargo_lambda)
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "-A",
                "127.0.0.1",
                "-P",
            ])
            .arg(port.to_string())
            .current_dir(dir.path())
            .env("CARGO_TARGET_DIR", dir.path().join("target"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start cargo-lambda");
        let mut lambda = Self {
            port,
            emulator,
            function: None,
            _dir: dir,
        };
        lambda.wait_ready().await;
        lambda.function = Some(lambda.spawn(example_name, function));
        Some(lambda)
    }

    fn spawn(&self, example_name: &str, function: &str) -> Child {
        Command::new(example(example_name))
            .env("FAASPORT_PROVIDER", "aws")
            .env("FAASPORT_FUNCTION", function)
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{}/.rt", self.port),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_REGION", "us-east-1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the example")
    }

    async fn wait_ready(&self) {
        for _ in 0..300 {
            if let Ok((404, _)) = self
                .post("/2015-03-31/functions/__ready__/invocations", b"{}")
                .await
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("cargo-lambda did not start on port {}", self.port);
    }

    /// The endpoint of the Invoke API.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sends one event through the Invoke API; returns the status and the body.
    pub async fn invoke(&self, payload: &[u8]) -> (u16, Bytes) {
        self.post("/2015-03-31/functions/_/invocations", payload)
            .await
            .expect("invoke")
    }

    /// Sends one event and reads the answer as JSON.
    pub async fn invoke_json(&self, payload: &[u8]) -> (u16, serde_json::Value) {
        let (status, body) = self.invoke(payload).await;
        let value = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&body)));
        (status, value)
    }

    /// A plain HTTP request, which cargo-lambda turns into a Function URL event.
    pub async fn http(&self, request: http::Request<Full<Bytes>>) -> http::Response<Bytes> {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let response = tokio::time::timeout(Duration::from_secs(60), client.request(request))
            .await
            .expect("answered in time")
            .expect("request");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("body").to_bytes();
        http::Response::from_parts(parts, bytes)
    }

    async fn post(&self, path: &str, payload: &[u8]) -> Result<(u16, Bytes), String> {
        let request = http::Request::post(format!("{}{path}", self.endpoint()))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::copy_from_slice(payload)))
            .map_err(|e| e.to_string())?;
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let response = tokio::time::timeout(Duration::from_secs(60), client.request(request))
            .await
            .map_err(|_| format!("{path} did not answer in 60 s"))?
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?;
        Ok((status, body.to_bytes()))
    }

    /// Waits for the function process to exit (after an init error) and gives its status.
    pub fn wait_for_exit(&mut self) -> std::process::ExitStatus {
        let child = self.function.as_mut().expect("function started");
        for _ in 0..600 {
            if let Ok(Some(status)) = child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the function process did not exit");
    }
}

impl Drop for Lambda {
    fn drop(&mut self) {
        if let Some(function) = &mut self.function {
            let _ = function.kill();
            let _ = function.wait();
        }
        let _ = self.emulator.kill();
        let _ = self.emulator.wait();
    }
}

/// A fixture of the AWS adapter.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("crates/adapter-aws/tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}
