//! What `serve` prints when it starts: where it listens and what it runs.
//!
//! ```text
//! listening on http://127.0.0.1:8080
//! dashboard at http://127.0.0.1:8080/_faasport/
//! routes:
//!   METHOD  PATH           FUNCTION
//!   GET     /hello/{name}  greet
//! queues:
//!   jobs -> consume
//! topics:
//!   orders -> relay
//! ```
//!
//! Sections without entries are left out, except the routes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;

use faasport_core::{App, Trigger};

/// The text `serve` prints once the gateway listens on `addr`.
pub(crate) fn banner(app: &App, addr: SocketAddr) -> String {
    let mut out = format!("listening on http://{addr}\ndashboard at http://{addr}/_faasport/\n");
    let mut routes = Vec::new();
    let mut schedules = Vec::new();
    let mut queues: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut topics: BTreeMap<&str, Vec<&str>> = app
        .topics()
        .iter()
        .map(|t| (t.as_str(), Vec::new()))
        .collect();
    let mut buckets: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut streams: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in app.functions() {
        for trigger in f.triggers() {
            match trigger {
                Trigger::Http { method, path } => {
                    let method = method.as_ref().map_or("ANY", |m| m.as_str());
                    routes.push([method, path.as_str(), f.name()]);
                }
                Trigger::Schedule { expression } => schedules.push([expression.as_str(), f.name()]),
                Trigger::Queue { queue, .. } => queues.entry(queue).or_default().push(f.name()),
                Trigger::Topic { topic } => topics.entry(topic).or_default().push(f.name()),
                Trigger::Storage { bucket, .. } => {
                    buckets.entry(bucket).or_default().push(f.name());
                }
                Trigger::Stream { stream, .. } => streams.entry(stream).or_default().push(f.name()),
                _ => {}
            }
        }
    }
    out.push_str("routes:\n");
    if routes.is_empty() {
        out.push_str("  (no HTTP functions)\n");
    } else {
        routes.insert(0, ["METHOD", "PATH", "FUNCTION"]);
        table(&mut out, &routes);
    }
    if !schedules.is_empty() {
        out.push_str("schedules:\n");
        table(&mut out, &schedules);
    }
    for (title, map) in [
        ("queues", queues),
        ("streams", streams),
        ("topics", topics),
        ("buckets", buckets),
    ] {
        if map.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{title}:");
        for (name, functions) in map {
            let to = if functions.is_empty() {
                "(no subscribers)".to_owned()
            } else {
                functions.join(", ")
            };
            let _ = writeln!(out, "  {name} -> {to}");
        }
    }
    out
}

/// Writes rows as left-aligned columns, two spaces apart, indented by two.
fn table<const N: usize>(out: &mut String, rows: &[[&str; N]]) {
    let widths: Vec<usize> = (0..N)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        let _ = writeln!(out, "  {}", cells.join("  ").trim_end());
    }
}
