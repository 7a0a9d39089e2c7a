//! The baseline both replay benches measure against: the same arrivals on tokio's paused
//! clock, each a spawned task that only sleeps for its duration (the cost of simulating time,
//! with no runtime).

use faasport_adapter_local::replay::Trace;

/// Runs `trace`'s arrivals as bare sleeping tasks on a paused current-thread runtime.
pub fn baseline(trace: &Trace) -> Result<(), std::io::Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()?;
    runtime.block_on(async {
        let origin = tokio::time::Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for inv in trace.invocations() {
            let due = origin + inv.at;
            if due > tokio::time::Instant::now() {
                tokio::time::sleep_until(due).await;
            }
            let duration = inv.duration;
            tasks.spawn(async move { tokio::time::sleep(duration).await });
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
    });
    Ok(())
}
