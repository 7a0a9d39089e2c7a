//! The app binary as its own tool, when it runs on the local backend.
//!
//! ```text
//! app serve [--port N]                        run the app locally until Ctrl-C
//! app invoke <function> [--data JSON | --file PATH]
//!                                             send one event and print the output and its record
//! app manifest <aws|gcp|azure> [--out DIR]    write the deployment files for a provider
//! ```
//!
//! `--data` takes either the tagged form of an [`Event`] (`{"kind": "http", "event": {...}}`) or
//! any other JSON, which arrives as a CloudEvent of type `faasport.invoke` (read it with
//! [`Json<T>`](faasport_core::Json)).

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use faasport_adapter_local::LocalRuntime;
use faasport_core::{App, Error, Event, Provider};

/// The command line of an app binary on the local backend.
#[derive(Debug, Parser)]
#[command(about = "A faasport app on the local runtime", long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the app locally (HTTP gateway, topics, queues, schedules) until Ctrl-C.
    Serve {
        /// The gateway's port on 127.0.0.1.
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Invoke one function with one event and print its output and invocation record.
    Invoke {
        /// The function's name.
        function: String,
        /// The event as JSON.
        #[arg(long, conflicts_with = "file")]
        data: Option<String>,
        /// A file holding the event as JSON.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Write the deployment files for a provider.
    Manifest {
        /// `aws`, `gcp` or `azure`.
        provider: Provider,
        /// The folder to write into.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
}

/// Parses the process's arguments and runs the command.
///
/// # Errors
/// Bad arguments ([`Error::InvalidPayload`] with clap's message) or the command's failure.
pub async fn run(app: App) -> Result<(), Error> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version print and succeed.
            let _ = e.print();
            return Ok(());
        }
        Err(e) => {
            let _ = e.print();
            std::process::exit(2);
        }
    };
    execute(app, cli.command, &mut std::io::stdout()).await
}

/// Runs one command, writing its output to `out`.
///
/// # Errors
/// The command's failure; for `invoke`, a failed invocation is an error after its record is
/// printed.
pub async fn execute(app: App, command: Command, out: &mut dyn Write) -> Result<(), Error> {
    match command {
        Command::Invoke {
            function,
            data,
            file,
        } => {
            let text = match (data, file) {
                (Some(data), _) => data,
                (None, Some(path)) => std::fs::read_to_string(&path).map_err(|e| {
                    Error::invalid_payload(format!("cannot read {}: {e}", path.display()))
                })?,
                (None, None) => "{}".to_owned(),
            };
            let value: serde_json::Value = serde_json::from_str(&text)?;
            let runtime = LocalRuntime::new(app)?;
            let invocation = runtime.invoke(&function, Event::from_json(value)).await?;
            let printed = serde_json::json!({
                "output": invocation.result.as_ref().map(|o| o.to_json()).ok(),
                "error": invocation.result.as_ref().err().map(|e| e.to_string()),
                "record": invocation.record,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&printed)?)?;
            invocation.result.map(drop)
        }
        Command::Serve { port } => {
            use faasport_adapter_local::serve::{serve_until_ctrl_c, ServeError, ServeOptions};
            let report = serve_until_ctrl_c(app, ServeOptions::default().port(port))
                .await
                .map_err(|e| match e {
                    ServeError::App(e) => e,
                    other => Error::permanent(faasport_core::chain_message(&other)),
                })?;
            writeln!(out, "{}", serde_json::to_string_pretty(&report.shutdown)?)?;
            Ok(())
        }
        Command::Manifest { provider, out: dir } => write_manifest(&app, provider, &dir, out),
    }
}

fn write_manifest(
    app: &App,
    provider: Provider,
    _dir: &std::path::Path,
    _out: &mut dyn Write,
) -> Result<(), Error> {
    app.validate()?;
    Err(Error::Unsupported(format!(
        "manifests for {provider} are not built yet"
    )))
}
