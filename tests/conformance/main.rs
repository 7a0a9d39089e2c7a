//! The conformance matrix: one table of scenarios (`scenarios.rs`), one driver per backend,
//! the same expectations for all of them.
//!
//! | driver | how a scenario is sent | needs |
//! |---|---|---|
//! | `local` | in-process: HTTP routed by the gateway's route table, events to the function | nothing |
//! | `local_gateway` | real HTTP to `serve`'s gateway on loopback | nothing |
//! | `aws` | the `conformance` example under cargo-lambda: Function URL requests, Invoke API payloads in each source's format, the SAM template for dead-letter routing | `FAASPORT_CARGO_LAMBDA` (`.ci/run`), `--features aws` |
//! | `gcp` | the `conformance` example under the gcp adapter on a loopback `$PORT`: plain HTTP, Pub/Sub push envelopes, Cloud Scheduler requests, binary-mode CloudEvents | `--features gcp` |
//! | `azure` | the `conformance` example as a custom handler: proxied HTTP requests, invocation requests in each trigger's format, the generated `function.json` for dead-letter routing | `--features azure` (the examples built by `cargo test`) |
//!
//! A row a backend cannot express names the backend and the reason in `not_on`; the driver
//! prints it. The README's feature table is checked against this table
//! (`readme_lists_every_scenario`).

#[path = "../../examples/conformance/app.rs"]
#[allow(dead_code)]
mod app;
#[cfg(feature = "aws")]
mod aws;
#[cfg(feature = "azure")]
mod azure;
#[cfg(feature = "gcp")]
mod gcp;
#[cfg(feature = "local")]
mod local;
// The AWS driver's harness includes the same file for itself.
#[allow(clippy::duplicate_mod)]
#[path = "../common/peers.rs"]
mod peers;
mod scenarios;

use bytes::Bytes;
use faasport::http::HeaderMap;
use serde_json::Value;

use crate::scenarios::{Backend, BodyIs, Expect, Scenario, SCENARIOS};

/// What a driver saw.
#[derive(Debug)]
pub enum Observed {
    /// An HTTP answer.
    Http {
        /// The status code.
        status: u16,
        /// The headers.
        headers: HeaderMap,
        /// The body.
        body: Bytes,
    },
    /// The event was acknowledged.
    Ack,
    /// These batch items were reported failed.
    Partial(Vec<String>),
    /// The whole event failed, with this error type.
    Failed(String),
    /// A JSON answer.
    Json(Value),
    /// Whether the exhausted event reached a dead-letter target.
    DeadLettered(bool),
    /// The backend cannot express the scenario.
    NotExpressible(&'static str),
}

/// Compares what a driver saw with the scenario's expectation.
pub fn check(scenario: &Scenario, observed: &Observed) -> Result<(), String> {
    let fail = |why: String| Err(format!("{why}; observed {observed:?}"));
    match (&scenario.expect, observed) {
        (_, Observed::NotExpressible(_)) => Ok(()),
        (
            Expect::Http {
                status,
                headers: want,
                body,
            },
            Observed::Http {
                status: got,
                headers,
                body: bytes,
            },
        ) => {
            if status != got {
                return fail(format!("status {got}, expected {status}"));
            }
            for (name, value) in *want {
                let all: Vec<&str> = headers
                    .get_all(*name)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect();
                if !all
                    .iter()
                    .any(|v| v == value || v.split(", ").any(|p| p == *value))
                {
                    return fail(format!("header {name}: {all:?}, expected {value}"));
                }
            }
            let request_id = headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if request_id.is_empty() {
                return fail("no x-request-id header".into());
            }
            let json = || serde_json::from_slice::<Value>(bytes).unwrap_or(Value::Null);
            match body {
                BodyIs::Bytes(expected) if bytes.as_ref() != *expected => {
                    fail(format!("body {bytes:?}, expected {expected:?}"))
                }
                BodyIs::Json(expected) if json() != expected() => {
                    fail(format!("body {}, expected {}", json(), expected()))
                }
                BodyIs::Error(message) => {
                    let want = serde_json::json!({ "error": message, "request_id": request_id });
                    if json() == want {
                        Ok(())
                    } else {
                        fail(format!("body {}, expected {want}", json()))
                    }
                }
                BodyIs::JsonWhere(what, predicate) if !predicate(&json()) => {
                    fail(format!("body {} is not {what}", json()))
                }
                _ => Ok(()),
            }
        }
        (Expect::Ack, Observed::Ack) => Ok(()),
        (Expect::Partial(want), Observed::Partial(got)) if got == want => Ok(()),
        (Expect::Json(want), Observed::Json(got)) if *got == want() => Ok(()),
        (Expect::DeadLettered, Observed::DeadLettered(true)) => Ok(()),
        (expect, _) => fail(format!("expected {expect:?}")),
    }
}

/// Runs every scenario through `drive` and fails with every mismatch at once.
pub async fn run_matrix<F, Fut>(backend: Backend, mut drive: F)
where
    F: FnMut(&'static Scenario) -> Fut,
    Fut: std::future::Future<Output = Observed>,
{
    let mut failures = Vec::new();
    let mut ran = 0;
    for scenario in SCENARIOS {
        if let Some((_, why)) = scenario.not_on.iter().find(|(b, _)| *b == backend) {
            eprintln!("{backend:?}: `{}` not expressible: {why}", scenario.name);
            continue;
        }
        let observed = drive(scenario).await;
        if let Observed::NotExpressible(why) = observed {
            failures.push(format!(
                "`{}`: the driver says it cannot express it ({why}) but the table does not mark it",
                scenario.name
            ));
            continue;
        }
        ran += 1;
        if let Err(why) = check(scenario, &observed) {
            failures.push(format!("`{}`: {why}", scenario.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{backend:?}: {} of {ran} scenarios differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(ran > 0, "{backend:?} ran no scenario");
}

#[test]
fn readme_lists_every_scenario() {
    let readme = include_str!("../../README.md");
    let columns = [
        ("local", Backend::Local),
        ("local gateway", Backend::LocalGateway),
        ("aws", Backend::Aws),
        ("gcp", Backend::Gcp),
        ("azure", Backend::Azure),
    ];
    let cells = |line: &str| -> Vec<String> {
        line.trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_owned())
            .collect()
    };
    let header = readme
        .lines()
        .find(|l| l.starts_with("| scenario |"))
        .expect("README.md has the conformance table");
    let names: Vec<String> = cells(header);
    let expected: Vec<String> = std::iter::once("scenario".to_owned())
        .chain(columns.iter().map(|(name, _)| (*name).to_owned()))
        .collect();
    assert_eq!(names, expected, "README.md's conformance table columns");
    // A footnote marker after a cell's word: `n/a³`, `yes²`.
    let footnote = |cell: &str| -> Option<String> {
        let marker: String = cell
            .chars()
            .skip_while(|c| c.is_ascii_alphanumeric() || *c == '/')
            .collect();
        (!marker.is_empty()).then_some(marker)
    };
    for scenario in SCENARIOS {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", scenario.name)))
            .unwrap_or_else(|| panic!("README.md's conformance table lacks `{}`", scenario.name));
        let row = cells(row);
        assert_eq!(
            row.len(),
            columns.len() + 1,
            "README.md's row for `{}`",
            scenario.name
        );
        for ((column, backend), cell) in columns.iter().zip(&row[1..]) {
            let why = scenario
                .not_on
                .iter()
                .find(|(b, _)| b == backend)
                .map(|(_, why)| *why);
            match why {
                Some(why) => {
                    assert!(
                        cell.starts_with("n/a"),
                        "README.md says `{cell}` for `{}` on {column}; the matrix does not run it there: {why}",
                        scenario.name
                    );
                    let marker = footnote(cell).unwrap_or_else(|| {
                        panic!(
                            "`{}` n/a on {column} needs a footnote with the reason",
                            scenario.name
                        )
                    });
                    let note = readme
                        .lines()
                        .find(|l| l.starts_with(&format!("{marker} ")))
                        .unwrap_or_else(|| panic!("README.md lacks footnote {marker}"));
                    assert!(
                        note.contains(why),
                        "footnote {marker} of `{}` on {column} does not give the reason: {why}",
                        scenario.name
                    );
                }
                None => assert!(
                    cell.starts_with("yes"),
                    "README.md says `{cell}` for `{}` on {column}, but the matrix runs it there",
                    scenario.name
                ),
            }
        }
    }
}
