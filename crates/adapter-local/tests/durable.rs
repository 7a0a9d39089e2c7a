//! The durable option in one process: it needs a state folder, acknowledged messages leave the
//! journal, a shutdown leaves the unacknowledged ones there for the next start (instead of the
//! undelivered file), and recovered topic messages count against the topic's depth. The crash
//! itself (SIGKILL of a child process) is `durable_restart.rs`.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use faasport_adapter_local::{undelivered_path, DepthLimit, LocalCloud, LocalConfig, JOURNAL_DIR};
use faasport_core::{App, Context, Error, Function, Message, QueueBatch, TopicMessage};

const SETTLE: Duration = Duration::from_secs(600);

fn journal(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(JOURNAL_DIR))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

async fn stuck(_m: TopicMessage, _cx: Context) -> Result<(), Error> {
    std::future::pending().await
}

fn counting(
    count: Arc<AtomicUsize>,
) -> impl Fn(TopicMessage, Context) -> std::future::Ready<Result<(), Error>>
       + Clone
       + Send
       + Sync
       + 'static {
    move |_m, _cx| {
        count.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok(()))
    }
}

async fn consume(_b: QueueBatch, _cx: Context) -> Result<(), Error> {
    Ok(())
}

async fn refuse(_m: TopicMessage, _cx: Context) -> Result<(), Error> {
    Err(Error::permanent("never"))
}

#[test]
fn the_durable_option_without_a_state_folder_is_refused() {
    let app = App::new("d").topic("t");
    let built = LocalCloud::builder(app)
        .config(LocalConfig::default().durable(true))
        .build();
    let Err(Error::Local { reason }) = built else {
        panic!("expected a refusal, got {built:?}");
    };
    assert!(reason.contains("state folder"), "{reason}");
}

#[tokio::test(start_paused = true)]
async fn processed_consumed_and_dead_lettered_messages_leave_the_journal_empty() {
    let state = tempfile::tempdir().expect("temp dir");
    let count = Arc::new(AtomicUsize::new(0));
    let app = App::new("d")
        .topic("orders")
        .topic("bad")
        .queue("jobs")
        .function(Function::new("audit", counting(count.clone())).subscribe("orders"))
        .function(Function::new("refuse", refuse).subscribe("bad"))
        .function(Function::new("work", consume).queue("jobs"));
    let config = LocalConfig::default().state_dir(state.path()).durable(true);
    let sources = LocalCloud::builder(app)
        .config(config)
        .build()
        .expect("valid");
    sources
        .publish("orders", Message::new("a"))
        .await
        .expect("accepted");
    sources
        .publish("bad", Message::new("b"))
        .await
        .expect("accepted");
    sources
        .send("jobs", Message::new("c"))
        .await
        .expect("accepted");
    assert_eq!(
        journal(state.path()),
        [
            "d.audit.msg-1.json",
            "d.refuse.msg-2.json",
            "q.jobs.msg-3.json"
        ]
    );
    sources.start();
    sources.settle_within(SETTLE).await.expect("settled");
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert_eq!(sources.dead_letters().len(), 1);
    assert!(
        journal(state.path()).is_empty(),
        "{:?}",
        journal(state.path())
    );
}

#[tokio::test(start_paused = true)]
async fn a_shutdown_leaves_unacknowledged_messages_in_the_journal_and_the_next_start_delivers_them()
{
    let state = tempfile::tempdir().expect("temp dir");
    let config = LocalConfig::default().state_dir(state.path()).durable(true);
    let app = App::new("d")
        .topic("orders")
        .queue("jobs")
        .function(Function::new("audit", stuck).subscribe("orders"));
    let first = LocalCloud::builder(app)
        .config(config.clone())
        .build()
        .expect("valid");
    first
        .publish("orders", Message::new("a"))
        .await
        .expect("accepted");
    first
        .send("jobs", Message::new("b"))
        .await
        .expect("accepted");
    let report = first.shutdown(Duration::from_secs(1)).await;
    assert_eq!(report.undelivered.len(), 1);
    assert_eq!(
        report.undelivered_file,
        Some(state.path().join(JOURNAL_DIR))
    );
    assert!(!undelivered_path(state.path()).exists());
    assert_eq!(journal(state.path()).len(), 2);

    let count = Arc::new(AtomicUsize::new(0));
    let app = App::new("d")
        .topic("orders")
        .queue("jobs")
        .function(Function::new("audit", counting(count.clone())).subscribe("orders"))
        .function(Function::new("work", consume).queue("jobs"));
    let second = LocalCloud::builder(app)
        .config(config)
        .build()
        .expect("valid");
    second.start();
    second.settle_within(SETTLE).await.expect("settled");
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert_eq!(second.queue_stats("jobs").expect("declared").deleted, 1);
    assert!(journal(state.path()).is_empty());
    // Ids go on after the recovered ones.
    let next = second
        .publish("orders", Message::new("c"))
        .await
        .expect("accepted");
    assert_eq!(next, "msg-3");
}

#[tokio::test(start_paused = true)]
async fn recovered_topic_messages_hold_their_places_in_the_topics_depth() {
    let state = tempfile::tempdir().expect("temp dir");
    let config = LocalConfig::default()
        .state_dir(state.path())
        .durable(true)
        .max_depth(DepthLimit::new(2));
    let app = || {
        App::new("d")
            .topic("orders")
            .function(Function::new("audit", stuck).subscribe("orders"))
    };
    let first = LocalCloud::builder(app())
        .config(config.clone())
        .build()
        .expect("valid");
    for body in ["a", "b"] {
        first
            .publish("orders", Message::new(body))
            .await
            .expect("room");
    }
    first.shutdown(Duration::from_secs(1)).await;

    let second = LocalCloud::builder(app())
        .config(config)
        .build()
        .expect("valid");
    second.start();
    let refused = second.publish("orders", Message::new("c")).await;
    assert!(
        matches!(refused, Err(Error::Throttled { .. })),
        "{refused:?}"
    );
    assert_eq!(second.deliveries().pending, 2);
    second.shutdown(Duration::from_secs(1)).await;
    assert_eq!(journal(state.path()).len(), 2);
}
