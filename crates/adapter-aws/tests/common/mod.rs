//! Shared by the adapter-aws tests: fixtures and peer discovery.
#![allow(dead_code)]

use std::path::PathBuf;

/// A fixture's bytes.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A fixture as JSON.
pub fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture(name)).expect("fixture is JSON")
}

/// The value of a peer variable set by `.ci/run`. When it is unset the test is skipped with a
/// message, unless `FAASPORT_REQUIRE_PEERS=1`, where a missing peer fails the test.
pub fn peer(variable: &str) -> Option<String> {
    match std::env::var(variable).ok().filter(|v| !v.is_empty()) {
        Some(value) => Some(value),
        None if std::env::var("FAASPORT_REQUIRE_PEERS").as_deref() == Ok("1") => {
            panic!("{variable} is not set but FAASPORT_REQUIRE_PEERS=1: start the peers with .ci/aws-peers.sh")
        }
        None => {
            eprintln!("skipped: {variable} is not set (see .ci/aws-peers.sh); set FAASPORT_REQUIRE_PEERS=1 to fail instead");
            None
        }
    }
}
