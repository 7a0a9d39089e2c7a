//! What the tests that run real peers share: the peer variables `.ci/run` sets, the example
//! binaries `cargo test` builds next to them, and free loopback ports. Included with `#[path]`
//! by `aws_lambda/`, `gcp_peers/` and the conformance drivers.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;

/// Whether `FAASPORT_REQUIRE_PEERS=1` (as in `.ci/run`): a missing peer is then a failure.
pub fn peers_required() -> bool {
    std::env::var("FAASPORT_REQUIRE_PEERS").as_deref() == Ok("1")
}

/// The value of the peer variable `variable`, which `script` (under `.ci/`) sets up; skips with
/// a message when it is unset, and fails when [`peers_required`].
pub fn peer(variable: &str, script: &str) -> Option<String> {
    match std::env::var(variable).ok().filter(|v| !v.is_empty()) {
        Some(value) => Some(value),
        None if peers_required() => {
            panic!("{variable} is not set but FAASPORT_REQUIRE_PEERS=1: start the peers with .ci/{script}")
        }
        None => {
            eprintln!("skipped: {variable} is not set (see .ci/{script}); FAASPORT_REQUIRE_PEERS=1 makes this a failure");
            None
        }
    }
}

/// The example binary `name` built next to this test, or why it is missing: `cargo test
/// --features FEATURE` builds the examples, `cargo test --test NAME` does not.
pub fn built_example(name: &str, feature: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("test binary path: {e}"))?;
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .ok_or("no target dir above the test binary")?;
    let path = dir.join("examples").join(name);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing: run `cargo test --features {feature}` (not `--test`), which builds the examples",
            path.display()
        ))
    }
}

/// The example binary `name`; panics with how to build it when it is missing.
pub fn example(name: &str, feature: &str) -> PathBuf {
    built_example(name, feature).unwrap_or_else(|why| panic!("{why}"))
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
