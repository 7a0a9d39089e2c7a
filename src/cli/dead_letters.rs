//! `dead-letters list | show ID | redrive ID | purge`: the dead-letter store of a running
//! `serve`, through its admin endpoints (`/_faasport/dead-letters`). `list` and `purge` take
//! `--function NAME` or `--queue NAME` to keep to one function's or one queue's dead letters.

use std::io::Write;

use clap::{Args, Subcommand};

use faasport_core::http::Method;
use faasport_core::Error;

use super::admin::encode;

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
    super::admin::call(base_url, method, &path, out).await
}
