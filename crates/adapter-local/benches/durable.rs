//! The cost of the durable option: messages accepted and delivered per second with queues and
//! deliveries in memory and with every message journaled (fsynced file per message), in the
//! same run. Run with `cargo bench -p faasport-adapter-local --bench durable`.
//!
//! Each round publishes 5,000 messages to a topic with one subscriber and sends 5,000 to a
//! queue with one consumer (handlers that do nothing), from one sender and then from 64 at once
//! (where the journal's group commit lets concurrent writes share fsyncs), timing the acceptance (the calls
//! returning: with the durable option, after the fsync) and the whole round (until every
//! message is delivered and acknowledged, so with the journal emptied). The state folder is a
//! temporary directory: its file system (and disk) decides the figure.

use std::time::{Duration, Instant};

use faasport_adapter_local::{DepthLimit, LocalCloud, LocalConfig};
use faasport_core::{App, Context, Error, Function, Message, QueueBatch, TopicMessage};

const N: usize = 5_000;

async fn topic_sink(_m: TopicMessage, _cx: Context) -> Result<(), Error> {
    Ok(())
}

async fn queue_sink(_b: QueueBatch, _cx: Context) -> Result<(), Error> {
    Ok(())
}

/// Senders at once in the concurrent rounds (the gateway's share of `wrk -c64`).
const SENDERS: usize = 64;

/// One round with one sender: returns (time to accept, time until settled) for the 2 × N
/// messages.
async fn round(config: LocalConfig) -> Result<(Duration, Duration), Error> {
    rounds(config, 1).await
}

/// One round with `senders` tasks sending at once, N / `senders` messages each to the topic
/// and to the queue: with the durable option their journal writes can share fsyncs.
async fn rounds(config: LocalConfig, senders: usize) -> Result<(Duration, Duration), Error> {
    let app = App::new("bench")
        .topic("orders")
        .queue("jobs")
        .function(Function::new("audit", topic_sink).subscribe("orders"))
        .function(Function::new("work", queue_sink).queue("jobs"));
    let config = config.max_depth(DepthLimit::new(4 * N));
    let cloud = LocalCloud::builder(app).config(config).build()?;
    cloud.start();
    let start = Instant::now();
    let tasks: Vec<_> = (0..senders)
        .map(|t| {
            let cloud = cloud.clone();
            tokio::spawn(async move {
                for i in (t..N).step_by(senders) {
                    cloud
                        .publish("orders", Message::new(format!("m{i}")))
                        .await?;
                    cloud.send("jobs", Message::new(format!("m{i}"))).await?;
                }
                Ok::<(), Error>(())
            })
        })
        .collect();
    for task in tasks {
        task.await.map_err(|e| Error::Local {
            reason: e.to_string(),
        })??;
    }
    let accepted = start.elapsed();
    cloud
        .settle_within(Duration::from_secs(600))
        .await
        .map_err(|e| Error::Local {
            reason: e.to_string(),
        })?;
    let settled = start.elapsed();
    cloud.shutdown(Duration::from_secs(1)).await;
    Ok((accepted, settled))
}

fn rate(d: Duration) -> f64 {
    (2 * N) as f64 / d.as_secs_f64()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    runtime.block_on(async {
        // Warm-up, then the two measured rounds.
        round(LocalConfig::default()).await?;
        let (mem_accept, mem_all) = round(LocalConfig::default()).await?;
        let durable = LocalConfig::default().state_dir(dir.path()).durable(true);
        let (dur_accept, dur_all) = round(durable.clone()).await?;
        let (mem_accept_n, mem_all_n) = rounds(LocalConfig::default(), SENDERS).await?;
        let (dur_accept_n, dur_all_n) = rounds(durable, SENDERS).await?;
        println!(
            "{} messages per round (topic + queue), state folder {}",
            2 * N,
            dir.path().display()
        );
        println!("{:<10} {:>12} {:>14}", "", "accepted/s", "delivered/s");
        println!(
            "{:<10} {:>12.0} {:>14.0}",
            "in memory",
            rate(mem_accept),
            rate(mem_all)
        );
        println!(
            "{:<10} {:>12.0} {:>14.0}",
            "durable",
            rate(dur_accept),
            rate(dur_all)
        );
        println!(
            "durable / in memory: {:.3} accepted, {:.3} delivered",
            rate(dur_accept) / rate(mem_accept),
            rate(dur_all) / rate(mem_all)
        );
        println!("{SENDERS} senders at once:");
        println!(
            "{:<10} {:>12.0} {:>14.0}",
            "in memory",
            rate(mem_accept_n),
            rate(mem_all_n)
        );
        println!(
            "{:<10} {:>12.0} {:>14.0}",
            "durable",
            rate(dur_accept_n),
            rate(dur_all_n)
        );
        println!(
            "durable / in memory: {:.3} accepted, {:.3} delivered",
            rate(dur_accept_n) / rate(mem_accept_n),
            rate(dur_all_n) / rate(mem_all_n)
        );
        Ok::<_, Error>(())
    })?;
    Ok(())
}
