//! `dead-letters list | show ID | redrive ID | purge`: the dead-letter store of a running
//! `serve`, through its admin endpoints (`/_faasport/dead-letters`). `list` and `purge` take
//! `--function NAME` or `--queue NAME` to keep to one function's or one queue's dead letters.

use std::io::Write;

use clap::{Args, Subcommand};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use faasport_core::http::{Method, Request, StatusCode};
use faasport_core::Error;

/// Which dead letters `list` and `purge` act on: all, or one function's or one queue's.
#[derive(Debug, Clone, Default, Args)]
pub struct DeadLetterFilter {
    /// Only the dead letters of this function (its asynchronous invocations).
    #[arg(long, conflicts_with = "queue")]
    pub function: Option<String>,
    /// Only the dead letters of this queue (messages past its max receive count).
    #[arg(long)]
    pub queue: Option<String>,
}

impl DeadLetterFilter {
    /// The query string for the admin endpoint (`?function=NAME`, `?queue=NAME`, or nothing).
    fn query(&self) -> String {
        match (&self.function, &self.queue) {
            (Some(function), _) => format!("?function={}", encode(function)),
            (None, Some(queue)) => format!("?queue={}", encode(queue)),
            (None, None) => String::new(),
        }
    }
}

/// What to do with the dead letters.
#[derive(Debug, Clone, Subcommand)]
pub enum DeadLetterCommand {
    /// List the dead letters (all, or one function's or queue's).
    List(DeadLetterFilter),
    /// Show one dead letter.
    Show {
        /// Its id.
        id: String,
    },
    /// Deliver one dead letter again.
    Redrive {
        /// Its id.
        id: String,
    },
    /// Delete the dead letters (all, or one function's or queue's).
    Purge(DeadLetterFilter),
}

impl DeadLetterCommand {
    fn request(&self) -> (Method, String) {
        let base = "/_faasport/dead-letters";
        match self {
            DeadLetterCommand::List(filter) => (Method::GET, format!("{base}{}", filter.query())),
            DeadLetterCommand::Show { id } => (Method::GET, format!("{base}/{}", encode(id))),
            DeadLetterCommand::Redrive { id } => {
                (Method::POST, format!("{base}/{}/redrive", encode(id)))
            }
            DeadLetterCommand::Purge(filter) => {
                (Method::DELETE, format!("{base}{}", filter.query()))
            }
        }
    }
}

fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Sends the command to the server at `base_url` (e.g. `http://127.0.0.1:8080`) and prints the
/// JSON it answers.
///
/// # Errors
/// [`Error::Io`] if the server cannot be reached, and
/// [`Error::InvalidPayload`] with the server's answer for a non-2xx status (an unknown id, say).
pub async fn run(
    base_url: &str,
    command: &DeadLetterCommand,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let (method, path) = command.request();
    let uri = format!("{}{path}", base_url.trim_end_matches('/'));
    let request = Request::builder()
        .method(method)
        .uri(&uri)
        .body(Full::new(bytes::Bytes::new()))
        .map_err(|e| Error::invalid_payload(format!("bad server address `{base_url}`: {e}")))?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
    let response = client
        .request(request)
        .await
        .map_err(|e| unreachable_server(&uri, e))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| unreachable_server(&uri, e))?
        .to_bytes();
    let text = String::from_utf8_lossy(&body);
    if !status.is_success() {
        return Err(Error::invalid_payload(format!(
            "{uri} answered {status}: {text}"
        )));
    }
    if status == StatusCode::NO_CONTENT || body.is_empty() {
        writeln!(out, "ok")?;
    } else {
        match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(json) => writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?,
            Err(_) => writeln!(out, "{text}")?,
        }
    }
    Ok(())
}

fn unreachable_server(uri: &str, e: impl std::fmt::Display) -> Error {
    Error::Io(std::io::Error::other(format!(
        "cannot reach {uri} ({e}); is `serve` running there?"
    )))
}
