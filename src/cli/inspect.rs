//! `objects BUCKET`, `messages QUEUE`, `published TOPIC`: the state of a running `serve`,
//! through its admin endpoints (`/_faasport/buckets/..`, `/_faasport/queues/..`,
//! `/_faasport/topics/..`).

use std::io::Write;

use clap::Subcommand;

use faasport_core::http::Method;
use faasport_core::Error;

use super::admin::{call, encode};

/// Which state to show.
#[derive(Debug, Clone, Subcommand)]
pub enum InspectCommand {
    /// The objects of a bucket (key, size, etag), sorted by key.
    Objects {
        /// The bucket.
        bucket: String,
        /// Only keys that start with this.
        #[arg(long)]
        prefix: Option<String>,
        /// The server's base URL.
        #[arg(long, default_value = DEFAULT_URL)]
        url: String,
    },
    /// The messages a queue holds now, visible ones first.
    Messages {
        /// The queue.
        queue: String,
        /// The server's base URL.
        #[arg(long, default_value = DEFAULT_URL)]
        url: String,
    },
    /// The most recent messages published to a topic, oldest first.
    Published {
        /// The topic.
        topic: String,
        /// The server's base URL.
        #[arg(long, default_value = DEFAULT_URL)]
        url: String,
    },
}

/// Where `serve` listens unless told otherwise.
const DEFAULT_URL: &str = "http://127.0.0.1:8080";

impl InspectCommand {
    fn url(&self) -> &str {
        match self {
            InspectCommand::Objects { url, .. }
            | InspectCommand::Messages { url, .. }
            | InspectCommand::Published { url, .. } => url,
        }
    }

    fn path(&self) -> String {
        match self {
            InspectCommand::Objects { bucket, prefix, .. } => {
                let query = prefix
                    .as_deref()
                    .map(|p| format!("?prefix={}", encode(p)))
                    .unwrap_or_default();
                format!("/_faasport/buckets/{}{query}", encode(bucket))
            }
            InspectCommand::Messages { queue, .. } => {
                format!("/_faasport/queues/{}", encode(queue))
            }
            InspectCommand::Published { topic, .. } => {
                format!("/_faasport/topics/{}", encode(topic))
            }
        }
    }
}

/// Asks the server at the command's `--url` and prints the JSON it answers.
///
/// # Errors
/// [`Error::Io`] if the server cannot be reached; [`Error::InvalidPayload`] with the server's
/// answer for an undeclared name.
pub async fn run(command: &InspectCommand, out: &mut dyn Write) -> Result<(), Error> {
    call(command.url(), Method::GET, &command.path(), out).await
}
