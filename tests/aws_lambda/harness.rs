//! Starts cargo-lambda and an example binary under it, and talks to both.
//!
//! cargo-lambda's `--only-lambda-apis` mode serves one function, `_`, and a runtime attached to
//! it takes every invocation; so each test gets its own cargo-lambda on a free port and its own
//! example process, and tests run in parallel without seeing each other's events.
//!
//! [`Lambda::start_proxied`] puts a recording proxy between the function and cargo-lambda's
//! Runtime API, so a test can compare what the function saw with what the Runtime API sent
//! (request ids, trace ids, ARNs), check what the function reported (`/init/error`, `/error`),
//! and replace cargo-lambda's constant deadline with a real one.

use std::convert::Infallible;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use faasport::http::{self, HeaderMap, HeaderValue};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};

#[path = "../common/peers.rs"]
mod peers;

use peers::free_port;

/// The value of an AWS peer variable set by `.ci/run` (see [`peers::peer`]).
pub fn peer(variable: &str) -> Option<String> {
    peers::peer(variable, "aws-peers.sh")
}

/// An example binary built next to this test (`cargo test --features aws` builds them).
pub fn example(name: &str) -> PathBuf {
    peers::example(name, "aws")
}

/// A running cargo-lambda with one example binary attached as its function.
pub struct Lambda {
    pub port: u16,
    emulator: Child,
    function: Option<Child>,
    proxy: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Lambda {
    /// Starts cargo-lambda and `example` serving `function`; `None` when the peer is not set.
    pub async fn start(example_name: &str, function: &str) -> Option<Self> {
        let mut lambda = Self::emulator().await?;
        lambda.function = Some(lambda.spawn(example_name, function, lambda.port));
        Some(lambda)
    }

    /// Like [`Lambda::start`], with the function talking to the Runtime API through a recording
    /// proxy. With `deadline_in`, each event's `Lambda-Runtime-Deadline-Ms` (a constant under
    /// cargo-lambda) is replaced by that much time from now, as real Lambda sends it.
    pub async fn start_proxied(
        example_name: &str,
        function: &str,
        deadline_in: Option<Duration>,
    ) -> Option<(Self, RuntimeLog)> {
        let mut lambda = Self::emulator().await?;
        let log = RuntimeLog::default();
        let (proxy_port, proxy) = proxy(lambda.port, deadline_in, log.clone()).await;
        lambda.proxy = Some(proxy);
        lambda.function = Some(lambda.spawn(example_name, function, proxy_port));
        Some((lambda, log))
    }

    /// The process id of the function.
    pub fn function_pid(&self) -> u32 {
        self.function.as_ref().expect("function started").id()
    }

    /// Whether the function process is still running.
    pub fn function_running(&mut self) -> bool {
        let child = self.function.as_mut().expect("function started");
        matches!(child.try_wait(), Ok(None))
    }

    async fn emulator() -> Option<Self> {
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
        let lambda = Self {
            port,
            emulator,
            function: None,
            proxy: None,
            _dir: dir,
        };
        lambda.wait_ready().await;
        Some(lambda)
    }

    /// Starts the example with its Runtime API on `runtime_port` (cargo-lambda or the proxy).
    fn spawn(&self, example_name: &str, function: &str, runtime_port: u16) -> Child {
        Command::new(example(example_name))
            .env("FAASPORT_PROVIDER", "aws")
            .env("FAASPORT_FUNCTION", function)
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{runtime_port}/.rt"),
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

    /// Waits (at most 30 s) for the function process to exit, after an init error, and gives
    /// its status. Async, so that a proxy on this runtime can still relay its last calls.
    pub async fn wait_for_exit(&mut self) -> std::process::ExitStatus {
        let child = self.function.as_mut().expect("function started");
        for _ in 0..600 {
            if let Ok(Some(status)) = child.try_wait() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
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
        if let Some(proxy) = &self.proxy {
            proxy.abort();
        }
    }
}

/// One call the function made to the Runtime API and the answer it got, as the proxy saw them.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// The request method.
    pub method: http::Method,
    /// The request path, e.g. `/.rt/2018-06-01/runtime/init/error`.
    pub path: String,
    /// The request headers.
    pub request_headers: HeaderMap,
    /// The request body.
    pub request_body: Bytes,
    /// The answer's status.
    pub status: u16,
    /// The answer's headers, as relayed to the function (after any deadline rewrite).
    pub response_headers: HeaderMap,
    /// The answer's body (for `…/invocation/next`, the event).
    pub response_body: Bytes,
}

impl Exchange {
    /// A response header as text (empty when absent).
    pub fn header(&self, name: &str) -> &str {
        self.response_headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The request body as JSON.
    pub fn read_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.request_body).unwrap_or_else(|e| {
            panic!(
                "{} {} sent no JSON ({e}): {}",
                self.method,
                self.path,
                String::from_utf8_lossy(&self.request_body)
            )
        })
    }
}

/// Every completed call the function made to the Runtime API, in order of completion.
#[derive(Clone, Default)]
pub struct RuntimeLog(Arc<Mutex<Vec<Exchange>>>);

impl RuntimeLog {
    /// Everything recorded so far.
    pub fn all(&self) -> Vec<Exchange> {
        self.0.lock().expect("log").clone()
    }

    /// The events handed to the function (answers to `GET …/invocation/next`), in order.
    pub fn events(&self) -> Vec<Exchange> {
        self.all()
            .into_iter()
            .filter(|e| e.method == http::Method::GET && e.path.ends_with("/invocation/next"))
            .collect()
    }

    /// The POSTs whose path ends with `suffix`, in order.
    pub fn posts(&self, suffix: &str) -> Vec<Exchange> {
        self.all()
            .into_iter()
            .filter(|e| e.method == http::Method::POST && e.path.ends_with(suffix))
            .collect()
    }
}

/// Listens on a free port and relays every request to cargo-lambda on `upstream`, recording it.
async fn proxy(
    upstream: u16,
    deadline_in: Option<Duration>,
    log: RuntimeLog,
) -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("proxy port");
    let port = listener.local_addr().expect("proxy address").port();
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (client, log) = (client.clone(), log.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    relay(request, upstream, deadline_in, client.clone(), log.clone())
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (port, task)
}

async fn relay(
    request: http::Request<hyper::body::Incoming>,
    upstream: u16,
    deadline_in: Option<Duration>,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    log: RuntimeLog,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let request_body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    let mut forward = http::Request::builder()
        .method(parts.method.clone())
        .uri(format!("http://127.0.0.1:{upstream}{path}"));
    for (name, value) in &parts.headers {
        if name != http::header::HOST {
            forward = forward.header(name, value);
        }
    }
    let forward = forward
        .body(Full::new(request_body.clone()))
        .expect("relayed request");
    let answer = match client.request(forward).await {
        Ok(answer) => answer,
        Err(e) => {
            let mut failed = http::Response::new(Full::new(Bytes::from(e.to_string())));
            *failed.status_mut() = http::StatusCode::BAD_GATEWAY;
            return Ok(failed);
        }
    };
    let (mut answer_parts, answer_body) = answer.into_parts();
    let answer_body = answer_body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if let Some(deadline_in) = deadline_in.filter(|_| path.ends_with("/invocation/next")) {
        let deadline = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            + deadline_in;
        answer_parts.headers.insert(
            "lambda-runtime-deadline-ms",
            HeaderValue::from(u64::try_from(deadline.as_millis()).expect("deadline fits")),
        );
    }
    log.0.lock().expect("log").push(Exchange {
        method: parts.method,
        path,
        request_headers: parts.headers,
        request_body,
        status: answer_parts.status.as_u16(),
        response_headers: answer_parts.headers.clone(),
        response_body: answer_body.clone(),
    });
    Ok(http::Response::from_parts(
        answer_parts,
        Full::new(answer_body),
    ))
}

/// A fixture of the AWS adapter.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("crates/adapter-aws/tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}
