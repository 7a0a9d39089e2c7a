//! The quickstart: `cargo run --example quickstart`.
//!
//! With no arguments it drives a short built-in workload through the local runtime and its event
//! sources on the virtual clock (an hour of simulated traffic in well under a second) and prints
//! what happened, then what it would cost on each cloud. With arguments it is the app binary
//! (`serve`, `invoke`, `report`, `replay`, `manifest`, ...), and the same code deploys to any
//! cloud.

mod app;
mod workload;

use faasport::local::{BillingProvider, Profile};
use faasport::prelude::*;

fn main() -> Result<(), Error> {
    if std::env::args().len() > 1 {
        let runtime = tokio::runtime::Runtime::new()?;
        return runtime.block_on(faasport::run(app::app()));
    }
    // Paused tokio time: sleeps in handlers, keep-alive windows and schedules advance a virtual
    // clock instantly and deterministically.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()?;
    runtime.block_on(async {
        let aws = workload::run(Profile::aws()).await?;
        println!("{}\n", aws.summary());
        println!("{}", aws.report.to_table());
        // Each cloud packs requests onto instances its own way: run the same workload under
        // each provider's scaling profile and price it with that provider's rules.
        println!("Same workload under each provider's own scaling profile");
        println!(
            "{:<10} {:>15} {:>13} {:>12}",
            "profile", "instances", "cold starts", "cost (USD)"
        );
        for (profile, provider) in [
            (Profile::aws(), BillingProvider::AwsLambda),
            (Profile::gcp(), BillingProvider::CloudRun),
            (Profile::azure(), BillingProvider::AzureConsumption),
        ] {
            let run = workload::run(profile).await?;
            let cold: u64 = run.report.functions.iter().map(|f| f.cold_starts).sum();
            let instances: u64 = run
                .report
                .scaling
                .iter()
                .map(|s| s.cold_starts + s.min_instance_starts + s.prewarms)
                .sum();
            let cost = run
                .report
                .costs
                .iter()
                .find(|c| c.provider == provider)
                .map_or(0.0, |c| c.total);
            println!(
                "{:<10} {instances:>15} {cold:>13} {cost:>12.6}",
                run.profile.to_string()
            );
        }
        Ok(())
    })
}
