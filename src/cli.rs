//! The app binary as its own tool, when it runs on the local backend.
//!
//! ```text
//! app [--profile aws|gcp|azure|custom] [--state-dir DIR] <command>
//!
//! app serve [--port N] [--bucket-dir DIR] [--keep-records] [--resume] [--durable]
//!                                             run the app locally until Ctrl-C or SIGTERM; prints
//!                                             the address, routes, schedules, queues and topics;
//!                                             keeps the last 10,000 records unless told to keep all;
//!                                             `--resume` delivers what the last run left;
//!                                             `--durable` journals every accepted message so a
//!                                             crash loses none
//! app invoke [<function>] [--http 'METHOD /path'] [--data JSON | --file PATH]
//!                                             send one event and print the output and its record;
//!                                             buckets and unconsumed queues persist in the state
//!                                             folder between calls
//! app objects <bucket> [--prefix P] [--url URL] | messages <queue> | published <topic>
//!                                             the objects, queue contents and topic history of a
//!                                             running `serve`
//! app report [--json]                         print what the last run measured and would cost
//! app replay <trace> [--format csv|azure] [--durations FILE] [--cold-start-ms N] [--json]
//!            [--profiles aws,gcp,azure] [--policies fixed,hybrid] [--windows 5,10,20,60]
//!            [--plot FILE.svg]
//! app replay --generate N [--hours H] [--seed S] [--out FILE]
//!                                             a traffic trace (read, or generated with the
//!                                             published 2019 characteristics) under every
//!                                             profile and keep-alive policy: cold starts, idle
//!                                             instance time and memory, cost; a plot
//! app cost --calls 3M --duration 120ms [--memory MB] [--provider aws|gcp|azure] [--arch arm64]
//!          [--concurrency N] [--cold-starts N --init 12ms] [--free-tier] [--json]
//!                                             price N identical invocations without running
//!                                             them, under the meter's rules, in O(1)
//! app dead-letters [--url URL] list|show ID|redrive ID|purge [--function NAME | --queue NAME]
//!                                             the dead letters of a running `serve`; list and
//!                                             purge keep to one function or queue when asked
//! app manifest <aws|gcp|azure|knative> [--out DIR] [--image REF]
//!                                             write the deployment files for a provider (Knative:
//!                                             any cluster with Knative Serving and Eventing)
//! ```
//!
//! `FAASPORT_ADMIN_TOKEN`, when set, is the admin token: `serve` requires it on its
//! `/_faasport/` endpoints (as `Authorization: Bearer`) and the commands that reach a running
//! `serve` send it.
//!
//! `serve` and `invoke` save their run's [`Report`](faasport_adapter_local::Report) as
//! `report.json` in the state folder (`--state-dir`, `FAASPORT_STATE_DIR`, or `.faasport`), which
//! `report` prints as a table or, with `--json`, as JSON. The file is replaced atomically
//! (temporary file, fsync, rename) and names its run (`run.id`, `run.started_at`,
//! `run.ended_at`), so a crash leaves the previous report whole and recognisable.
//! Messages `serve` could not deliver before it stopped are kept there too, bodies included
//! (`undelivered.jsonl`); `serve --resume` delivers them again.
//!
//! `--data` takes either the tagged form of an [`Event`](faasport_core::Event) (`{"kind": "http", "event": {...}}`) or
//! any other JSON, which arrives as a CloudEvent of type `faasport.invoke` (read it with
//! [`Json<T>`](faasport_core::Json)); `invoke --help` shows the forms. `--http 'POST /orders'`
//! builds an HTTP request (body from `--data`) and picks the function its route names.

mod admin;
mod banner;
mod cost;
mod dead_letters;
mod inspect;
mod invoke;
mod replay;
mod state;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use faasport_adapter_local::Profile;
use faasport_core::{App, Error, Provider};

pub use self::cost::{write_break_even, ArchName, CostArgs, CostProvider};
pub use self::dead_letters::{DeadLetterCommand, DeadLetterFilter};
pub use self::inspect::InspectCommand;
pub use self::invoke::{read_event, EVENT_FORMAT_HELP};
pub use self::replay::{PolicyArg, TraceFormat};
pub use self::state::STATE_DIR_ENV;

/// The command line of an app binary on the local backend.
#[derive(Debug, Parser)]
#[command(about = "A faasport app on the local runtime", long_about = None)]
pub struct Cli {
    /// Scale, throttle and bill like this provider.
    #[arg(long, value_enum, default_value_t = ProfileName::Aws, global = true)]
    pub profile: ProfileName,
    /// Where the last run's report, and `invoke`'s buckets and queues, are kept (default:
    /// `$FAASPORT_STATE_DIR` or `.faasport`).
    #[arg(long, global = true)]
    pub state_dir: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The scaling profiles by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileName {
    /// AWS Lambda: one request per instance, throttle at the limit.
    Aws,
    /// Google Cloud Run: 80 requests per instance, queue up to 60 s.
    Gcp,
    /// Azure Functions Consumption.
    Azure,
    /// No provider's limits.
    Custom,
}

impl ProfileName {
    /// The profile.
    pub fn profile(self) -> Profile {
        match self {
            ProfileName::Aws => Profile::aws(),
            ProfileName::Gcp => Profile::gcp(),
            ProfileName::Azure => Profile::azure(),
            ProfileName::Custom => Profile::custom(),
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the app locally (HTTP gateway, topics, queues, schedules) until Ctrl-C or SIGTERM.
    Serve {
        /// The gateway's port on 127.0.0.1.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Keep bucket objects as files under this folder (in memory otherwise).
        #[arg(long)]
        bucket_dir: Option<PathBuf>,
        /// Keep every invocation record and scaling event in memory and in the report (only
        /// the most recent 10,000 otherwise; the report's figures cover every invocation
        /// either way). Memory then grows with every request.
        #[arg(long)]
        keep_records: bool,
        /// Deliver again the messages the last run on this state folder left undelivered
        /// (its `undelivered.jsonl`).
        #[arg(long)]
        resume: bool,
        /// Journal every accepted queue message and asynchronous delivery in the state folder
        /// (`journal/`, fsynced files, each removed once its messages are handled), and keep
        /// buckets there (`buckets/`), so a crash or `kill -9` loses nothing accepted: the next
        /// `serve --durable` on the folder delivers what is left. Costs an fsync pair per
        /// commit; messages accepted at the same time share one.
        #[arg(long)]
        durable: bool,
    },
    /// Invoke one function with one event and print its output and invocation record.
    #[command(after_help = EVENT_FORMAT_HELP)]
    Invoke {
        /// The function's name (with `--http`, the route's function by default).
        #[arg(required_unless_present = "http")]
        function: Option<String>,
        /// Send an HTTP request, `METHOD /path?query`, with `--data` as its body.
        #[arg(long, value_name = "METHOD /PATH")]
        http: Option<String>,
        /// The event as JSON (see EVENTS below), or the body with `--http`.
        #[arg(long, conflicts_with = "file")]
        data: Option<String>,
        /// A file holding the event as JSON.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Print what the last `serve` or `invoke` measured and what it would cost on each provider.
    Report {
        /// Print JSON (the schema is documented on `faasport_adapter_local::Report`) instead of
        /// tables.
        #[arg(long)]
        json: bool,
    },
    /// Replay a traffic trace through the scaler and meter under every profile and keep-alive
    /// policy: cold starts, idle instance time and cost, side by side.
    Replay {
        /// The trace file (not with `--generate`).
        #[arg(required_unless_present = "generate", conflicts_with = "generate")]
        trace: Option<PathBuf>,
        /// `csv` (`timestamp_ms,function,duration_ms[,memory_mb[,trigger]]`) or `azure` (the
        /// Azure Functions 2019 per-minute invocation counts).
        #[arg(long, value_enum, default_value_t = TraceFormat::Csv)]
        format: TraceFormat,
        /// For `--format azure`: the durations file of the same day.
        #[arg(long)]
        durations: Option<PathBuf>,
        /// Initialiser time per new instance, in ms (traces exclude cold starts).
        #[arg(long, default_value_t = 0)]
        cold_start_ms: u64,
        /// For `--format azure`: keep only the first N functions.
        #[arg(long)]
        max_functions: Option<usize>,
        /// Generate a synthetic trace of N functions with the published characteristics of the
        /// Azure Functions 2019 trace, and replay it (or write it with `--out`).
        #[arg(long, value_name = "N")]
        generate: Option<usize>,
        /// With `--generate`: hours of trace from midnight.
        #[arg(long, default_value_t = 24.0, requires = "generate")]
        hours: f64,
        /// With `--generate`: the seed (the same seed, the same trace).
        #[arg(long, default_value_t = 0, requires = "generate")]
        seed: u64,
        /// With `--generate`: write the trace as CSV to this file instead of replaying it.
        #[arg(long, requires = "generate")]
        out: Option<PathBuf>,
        /// Replay under these profiles only (comma-separated; default aws,gcp,azure).
        #[arg(long, value_enum, value_delimiter = ',')]
        profiles: Vec<ProfileName>,
        /// Replay under these keep-alive policies only (comma-separated; default fixed,hybrid).
        #[arg(long, value_enum, value_delimiter = ',')]
        policies: Vec<replay::PolicyArg>,
        /// Also replay under fixed keep-alive windows of these many minutes (comma-separated,
        /// e.g. `5,10,20,60`); the table's `p75 fn cold %` is the figure to compare them by.
        #[arg(long, value_delimiter = ',', value_name = "MINUTES")]
        windows: Vec<u64>,
        /// Draw cold starts against wasted memory, and the cost per provider, into this SVG.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Price N identical invocations on each provider without running them (the meter's
    /// rules, analytically).
    Cost(CostArgs),
    /// List, inspect, redrive or purge the dead letters of a running `serve`.
    DeadLetters {
        /// The server's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// What to do.
        #[command(subcommand)]
        command: DeadLetterCommand,
    },
    /// Show the objects of a bucket, the messages of a queue or the history of a topic in a
    /// running `serve`.
    #[command(flatten)]
    Inspect(InspectCommand),
    /// Write the deployment files for a provider.
    Manifest {
        /// `aws`, `gcp`, `azure` or `knative`.
        #[arg(value_enum)]
        target: ManifestTarget,
        /// The folder to write into.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// For `knative`: the app's container image (`gcp` reads `$IMAGE` when the script runs).
        #[arg(long, default_value = "app:latest")]
        image: String,
    },
}

/// What `manifest` writes files for: a provider, or Knative, a deployment target without a
/// runtime of its own (the gcp adapter serves it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ManifestTarget {
    /// A SAM template (`template.yaml`); needs the `aws` feature.
    #[value(alias = "lambda")]
    Aws,
    /// `deploy.sh` of gcloud commands (Cloud Run); needs the `gcp` feature.
    #[value(alias = "google")]
    Gcp,
    /// An Azure Functions project folder; needs the `azure` feature.
    Azure,
    /// Knative Serving and Eventing YAML, one file per function; needs the `gcp` feature.
    Knative,
}

impl ManifestTarget {
    /// The provider whose adapter writes the files (Knative's is Google Cloud's).
    pub fn provider(self) -> Provider {
        match self {
            ManifestTarget::Aws => Provider::Aws,
            ManifestTarget::Gcp | ManifestTarget::Knative => Provider::Gcp,
            ManifestTarget::Azure => Provider::Azure,
        }
    }
}

/// Parses the process's arguments and runs the command. Bad arguments exit with status 2 and a
/// failed command with status 1, after printing the error on stderr.
///
/// # Errors
/// None in practice: failures end the process with a status, as a command-line tool does.
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
    if let Err(e) = execute(app, cli, &mut std::io::stdout()).await {
        // A command-line tool reports failures as a line, not a Debug dump, and exits non-zero.
        eprintln!("error: {}", faasport_core::chain_message(&e));
        std::process::exit(1);
    }
    Ok(())
}

/// Runs one parsed command line, writing its output to `out`.
///
/// # Errors
/// The command's failure; for `invoke`, a failed invocation is an error after its record is
/// printed.
pub async fn execute(app: App, cli: Cli, out: &mut dyn Write) -> Result<(), Error> {
    let state_dir = state::state_dir(cli.state_dir);
    match cli.command {
        Command::Invoke {
            function,
            http,
            data,
            file,
        } => {
            let (event, routed) = invoke::read_event(&app, http.as_deref(), data, file)?;
            let Some(function) = function.or(routed) else {
                return Err(Error::invalid_payload("name the function to invoke"));
            };
            let run = state::RunStart::now();
            let mut report = invoke::invoke(
                app,
                cli.profile.profile(),
                &function,
                event,
                Some(&state_dir),
                out,
            )
            .await?;
            report.run = Some(run.ended());
            state::save_report(&state_dir, &report)?;
            Ok(())
        }
        Command::Serve {
            port,
            bucket_dir,
            keep_records,
            resume,
            durable,
        } => {
            use faasport_adapter_local::serve::{serve_until_signal, ServeError, ServeOptions};
            let run = state::RunStart::now();
            let mut options = ServeOptions::default()
                .port(port)
                .profile(cli.profile.profile());
            if keep_records {
                options.config.keep_records = faasport_adapter_local::meter::RecordRetention::All;
            }
            // Shutdown keeps what it could not deliver in the state folder, for `--resume`.
            options.config = options
                .config
                .state_dir(state_dir.clone())
                .resume(resume)
                .durable(durable);
            if let Some(dir) = bucket_dir {
                options = options.bucket_dir(dir);
            }
            if let Some(token) = admin::admin_token() {
                options = options.admin_token(token);
            }
            let routes = app.clone();
            let served = serve_until_signal(app, options, |addr| {
                // Written before serving starts, and flushed, so scripts can wait for it.
                let _ = out.write_all(banner::banner(&routes, addr).as_bytes());
                let _ = out.flush();
            })
            .await
            .map_err(|e| match e {
                ServeError::App(e) => e,
                other => Error::Io(std::io::Error::other(faasport_core::chain_message(&other))),
            })?;
            writeln!(out, "{}", shutdown_summary(&served.shutdown))?;
            let mut report = served.report;
            report.run = Some(run.ended());
            let path = state::save_report(&state_dir, &report)?;
            writeln!(
                out,
                "report saved to {} (print it with `report`)",
                path.display()
            )?;
            Ok(())
        }
        Command::Report { json } => {
            let report = state::load_report(&state_dir)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                write!(out, "{}", report.to_table())?;
                // Is serverless a fit? The run's workload over its wall time, against capacity
                // kept running for that time.
                if let (Some(run), Ok(table)) =
                    (&report.run, faasport_adapter_local::PriceTable::bundled())
                {
                    let period = (run.ended_at - run.started_at)
                        .to_std()
                        .unwrap_or_default()
                        .max(std::time::Duration::from_secs(1));
                    let pricing = faasport_adapter_local::meter::Pricing::new(
                        table,
                        faasport_adapter_local::PricingOptions::default(),
                    );
                    let question = faasport_adapter_local::meter::FitQuestion::default();
                    let fits = report.break_even(&pricing, period, &question);
                    if !fits.is_empty() {
                        writeln!(
                            out,
                            "\nIs serverless a fit? This run's calls over its {period:?}, at that rate:"
                        )?;
                        let providers: Vec<_> = report.costs.iter().map(|c| c.provider).collect();
                        cost::write_break_even(out, &fits, &providers)?;
                    }
                }
            }
            Ok(())
        }
        Command::Cost(args) => cost::run(&args, out),
        Command::DeadLetters { url, command } => dead_letters::run(&url, &command, out).await,
        Command::Inspect(command) => inspect::run(&command, out).await,
        Command::Replay {
            trace,
            format,
            durations,
            cold_start_ms,
            max_functions,
            generate,
            hours,
            seed,
            out: trace_out,
            profiles,
            policies,
            windows,
            plot,
            json,
        } => {
            let source = match (generate, trace) {
                (Some(functions), _) => replay::TraceSource::Generate {
                    functions,
                    hours,
                    seed,
                    out: trace_out,
                },
                (None, Some(path)) => replay::TraceSource::File {
                    path,
                    format,
                    durations,
                    max_functions,
                },
                (None, None) => {
                    return Err(Error::invalid_payload(
                        "replay needs a trace file or --generate N",
                    ))
                }
            };
            let args = replay::ReplayArgs {
                source,
                cold_start_ms,
                profiles: profiles.into_iter().map(ProfileName::profile).collect(),
                policies,
                windows,
                plot,
                json,
            };
            replay::run(&args, out)
        }
        Command::Manifest {
            target,
            out: dir,
            image,
        } => write_manifest(&app, target, &image, &dir, out),
    }
}

fn write_manifest(
    app: &App,
    target: ManifestTarget,
    image: &str,
    dir: &std::path::Path,
    out: &mut dyn Write,
) -> Result<(), Error> {
    app.validate()?;
    let _ = image; // read by the `gcp` feature only
    let provider = target.provider();
    let manifest: Option<Vec<(String, String)>> = match target {
        #[cfg(feature = "aws")]
        ManifestTarget::Aws => {
            // `cargo lambda build` puts each binary in target/lambda/<binary>/.
            let binary = std::env::current_exe()
                .ok()
                .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .unwrap_or_else(|| app.name().to_owned());
            let options = faasport_adapter_aws::SamOptions::default()
                .code_uri(format!("target/lambda/{binary}/"));
            Some(vec![(
                "template.yaml".to_owned(),
                faasport_adapter_aws::sam_template_with(app, &options)?,
            )])
        }
        #[cfg(feature = "gcp")]
        ManifestTarget::Gcp => Some(
            faasport_adapter_gcp::manifest::gcloud(app)?
                .into_iter()
                .map(|f| (f.path, f.contents))
                .collect(),
        ),
        #[cfg(feature = "gcp")]
        ManifestTarget::Knative => {
            let options = faasport_adapter_gcp::manifest::KnativeOptions::new(image);
            Some(
                faasport_adapter_gcp::manifest::knative(app, &options)?
                    .into_iter()
                    .map(|f| (f.path, f.contents))
                    .collect(),
            )
        }
        #[cfg(feature = "azure")]
        ManifestTarget::Azure => {
            // The host starts `handler` in the project folder: copy the binary there.
            let options = faasport_adapter_azure::ProjectOptions::default();
            let files = faasport_adapter_azure::project(app, &options)?;
            Some(
                files
                    .iter()
                    .map(|f| (f.path.clone(), f.contents()))
                    .collect(),
            )
        }
        // Reached when a target's feature is off.
        #[allow(unreachable_patterns)]
        _ => None,
    };
    let Some(files) = manifest else {
        let reason = match target {
            ManifestTarget::Aws => {
                "writing the SAM template needs the `aws` feature (build with `--features aws`)"
            }
            ManifestTarget::Gcp => {
                "writing deploy.sh needs the `gcp` feature (build with `--features gcp`)"
            }
            ManifestTarget::Knative => {
                "writing the Knative YAML needs the `gcp` feature (build with `--features gcp`)"
            }
            ManifestTarget::Azure => {
                "writing the Azure Functions project needs the `azure` feature (build with `--features azure`)"
            }
        }
        .to_owned();
        return Err(Error::Manifest { provider, reason });
    };
    for (file, text) in files {
        let path = dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
        #[cfg(unix)]
        if path.extension().is_some_and(|e| e == "sh") {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        }
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(())
}

/// What shutdown found, in one JSON object of counts (the undelivered messages themselves are
/// in the state folder, not on stdout).
fn shutdown_summary(report: &faasport_adapter_local::ShutdownReport) -> serde_json::Value {
    let queued: usize = report.queues.iter().map(|q| q.message_ids.len()).sum();
    serde_json::json!({
        "drained": report.drained,
        "deliveries": report.deliveries,
        "undelivered": report.undelivered.len(),
        "queued_messages": queued,
        "requests_abandoned": report.requests_abandoned,
        "dead_letters": report.dead_letters,
        "undelivered_file": report.undelivered_file,
    })
}
