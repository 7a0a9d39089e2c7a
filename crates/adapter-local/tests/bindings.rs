//! Resource bindings from the context, buckets with storage events, and bad input to sources.

use std::sync::{Arc, Mutex};

use faasport_adapter_local::{BucketBackend, DeadLetterSource, LocalCloud};
use faasport_core::{
    App, Context, Error, Function, Json, Message, Object, Operation, QueueBatch, Scope,
    StorageEvent, StorageEventKind,
};

type Log = Arc<Mutex<Vec<String>>>;

async fn checkout(
    Json(order): Json<serde_json::Value>,
    cx: Context,
) -> Result<Json<serde_json::Value>, Error> {
    cx.topic("orders").publish(Message::json(&order)?).await?;
    cx.queue("emails").send(Message::new("receipt")).await?;
    cx.bucket("receipts").put("r/1.txt", "paid").await?;
    let total = cx.function("price").invoke(order.clone()).await?;
    cx.function("audit").invoke_async(order).await?;
    Ok(Json(total))
}

async fn price(Json(order): Json<serde_json::Value>, _cx: Context) -> Result<Json<u64>, Error> {
    Ok(Json(order["qty"].as_u64().unwrap_or(0) * 5))
}

async fn sneaky(_: Json<serde_json::Value>, cx: Context) -> Result<(), Error> {
    cx.topic("secrets")
        .publish(Message::new("x"))
        .await
        .map(drop)
}

fn app(log: Log) -> App {
    let note = |log: Log, tag: &'static str| {
        move |event: faasport_core::Event, _cx: Context| {
            let log = log.clone();
            async move {
                let line = match event {
                    faasport_core::Event::Topic(m) => {
                        format!("{tag}:{}", m.body.as_str().unwrap_or(""))
                    }
                    faasport_core::Event::Queue(b) => format!("{tag}:{}", b.messages.len()),
                    faasport_core::Event::Storage(s) => {
                        format!("{tag}:{:?}:{}:{:?}", s.kind, s.key, s.size)
                    }
                    other => format!("{tag}:{}", other.kind()),
                };
                log.lock()
                    .map_err(|_| Error::permanent("poisoned"))?
                    .push(line);
                Ok::<(), Error>(())
            }
        }
    };
    App::new("shop")
        .topic("orders")
        .queue("emails")
        .bucket("receipts")
        .function(Function::new("checkout", checkout))
        .function(Function::new("price", price))
        .function(Function::new("sneaky", sneaky))
        .function(Function::new("audit", note(log.clone(), "audit")))
        .function(Function::new("ship", note(log.clone(), "ship")).subscribe("orders"))
        .function(Function::new("mail", note(log.clone(), "mail")).queue("emails"))
        .function(Function::new("index", note(log.clone(), "index")).storage("receipts", &[]))
}

#[tokio::test(start_paused = true)]
async fn a_handler_reaches_every_declared_resource_through_its_context() {
    let log = Log::default();
    let sources = LocalCloud::builder(app(log.clone()))
        .build()
        .expect("valid app");
    sources.start();
    let inv = sources
        .runtime()
        .invoke(
            "checkout",
            faasport_core::Event::from_json(serde_json::json!({"qty": 3})),
        )
        .await
        .expect("known function");
    assert_eq!(inv.result.expect("ok").to_json(), serde_json::json!(15));
    sources
        .settle_within(std::time::Duration::from_secs(3600))
        .await
        .expect("settled");
    let mut lines = log.lock().expect("lock").clone();
    lines.sort();
    assert_eq!(
        lines,
        vec![
            "audit:cloud_event".to_owned(),
            "index:Created:r/1.txt:Some(4)".to_owned(),
            "mail:1".to_owned(),
            "ship:{\"qty\":3}".to_owned(),
        ]
    );
    let receipt = sources
        .get_object("receipts", "r/1.txt")
        .await
        .expect("read");
    assert_eq!(receipt.map(|o| o.body), Some("paid".into()));
}

#[tokio::test(start_paused = true)]
async fn an_undeclared_resource_is_an_error_that_names_it() {
    let sources = LocalCloud::builder(app(Log::default()))
        .build()
        .expect("valid app");
    let inv = sources
        .runtime()
        .invoke(
            "sneaky",
            faasport_core::Event::from_json(serde_json::json!({})),
        )
        .await
        .expect("known function");
    let err = inv.result.expect_err("undeclared");
    assert!(
        err.to_string()
            .contains("function `sneaky` uses topic `secrets`, which the app does not declare"),
        "{err}"
    );
    let direct = sources
        .publish("secrets", Message::new("x"))
        .await
        .expect_err("undeclared");
    assert!(
        matches!(direct, Error::Undeclared { function: None, operation: Operation::Publish, ref name, scope: Scope::App } if name == "secrets")
    );
    let queue = sources
        .send("nope", Message::new("x"))
        .await
        .expect_err("undeclared");
    assert_eq!(queue.to_string(), "queue `nope` is not declared by the app");
    let bucket = sources
        .put_object("nope", "k", Object::new("x"))
        .await
        .expect_err("undeclared");
    assert_eq!(
        bucket.to_string(),
        "bucket `nope` is not declared by the app"
    );
}

#[tokio::test(start_paused = true)]
async fn oversize_messages_are_refused_with_a_typed_error() {
    let sources = LocalCloud::builder(app(Log::default()))
        .max_message_bytes(8)
        .build()
        .expect("valid app");
    let err = sources
        .publish("orders", Message::new("123456789"))
        .await
        .expect_err("too big");
    assert_eq!(
        err.to_string(),
        "invalid payload: message of 9 bytes exceeds the limit of 8 bytes"
    );
    let err = sources
        .send("emails", Message::new("123456789"))
        .await
        .expect_err("too big");
    assert!(matches!(err, Error::InvalidPayload { .. }));
    assert!(sources
        .send("emails", Message::new("12345678"))
        .await
        .is_ok());
}

async fn strict(Json(n): Json<u32>, _cx: Context) -> Result<(), Error> {
    let _ = n;
    Ok(())
}

async fn strict_batch(batch: QueueBatch, _cx: Context) -> Result<(), Error> {
    for m in &batch.messages {
        m.body.to_json::<u32>()?;
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn bad_json_on_a_topic_is_dead_lettered_at_once_and_on_a_queue_after_its_receives() {
    let app = App::new("strict")
        .topic("numbers")
        .queue("numbers-q")
        .function(Function::new("strict", strict).subscribe("numbers"))
        .function(Function::new("strict-batch", strict_batch).queue("numbers-q"));
    let sources = LocalCloud::builder(app).build().expect("valid app");
    sources.start();
    sources
        .publish("numbers", Message::new("{not json"))
        .await
        .expect("accepted");
    sources
        .send("numbers-q", Message::new("{not json"))
        .await
        .expect("accepted");
    sources
        .settle_within(std::time::Duration::from_secs(3600))
        .await
        .expect("settled");
    let topic = sources
        .dead_letters()
        .list(Some(&DeadLetterSource::Function("strict".into())));
    assert_eq!(topic.len(), 1);
    assert_eq!(topic[0].attempts, 1, "a JSON error is not retryable");
    assert!(
        topic[0].reason.starts_with("invalid JSON"),
        "{}",
        topic[0].reason
    );
    let queue = sources
        .dead_letters()
        .list(Some(&DeadLetterSource::Queue("numbers-q".into())));
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].attempts, 5, "the default max receive count");
    assert!(
        queue[0].reason.contains("invalid JSON"),
        "{}",
        queue[0].reason
    );
}

#[tokio::test(start_paused = true)]
async fn bucket_writes_and_deletes_emit_matching_storage_events_from_a_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let seen: Arc<Mutex<Vec<StorageEvent>>> = Arc::default();
    let record = {
        let seen = seen.clone();
        move |e: StorageEvent, _cx: Context| {
            let seen = seen.clone();
            async move {
                seen.lock()
                    .map_err(|_| Error::permanent("poisoned"))?
                    .push(e);
                Ok::<(), Error>(())
            }
        }
    };
    let app = App::new("files")
        .bucket("uploads")
        .function(
            Function::new("on-create", record.clone())
                .storage("uploads", &[StorageEventKind::Created]),
        )
        .function(
            Function::new("on-delete", record).trigger(faasport_core::Trigger::Storage {
                bucket: "uploads".into(),
                kinds: vec![StorageEventKind::Deleted],
                prefix: Some("img/".into()),
            }),
        );
    let sources = LocalCloud::builder(app)
        .buckets(BucketBackend::Directory(dir.path().to_path_buf()))
        .build()
        .expect("valid app");
    let info = sources
        .put_object(
            "uploads",
            "img/../cat.png",
            Object::new(vec![0u8, 255, 1]).with_content_type("image/png"),
        )
        .await
        .expect("put");
    assert_eq!(info.size, 3);
    sources
        .put_object("uploads", "doc.txt", Object::new("hi"))
        .await
        .expect("put");
    let back = sources
        .get_object("uploads", "img/../cat.png")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        (back.body.as_bytes(), back.content_type.as_deref()),
        (&[0u8, 255, 1][..], Some("image/png"))
    );
    assert!(
        dir.path()
            .join("uploads")
            .read_dir()
            .expect("bucket dir")
            .count()
            >= 2,
        "files on disk"
    );
    sources
        .delete_object("uploads", "img/../cat.png")
        .await
        .expect("delete");
    sources
        .delete_object("uploads", "doc.txt")
        .await
        .expect("delete");
    sources
        .delete_object("uploads", "never-there")
        .await
        .expect("deleting a missing key succeeds");
    sources
        .settle_within(std::time::Duration::from_secs(3600))
        .await
        .expect("settled");
    let mut events: Vec<(StorageEventKind, String)> = seen
        .lock()
        .expect("lock")
        .iter()
        .map(|e| (e.kind, e.key.clone()))
        .collect();
    events.sort_by(|a, b| {
        a.1.cmp(&b.1)
            .then(format!("{:?}", a.0).cmp(&format!("{:?}", b.0)))
    });
    assert_eq!(
        events,
        vec![
            (StorageEventKind::Created, "doc.txt".to_owned()),
            (StorageEventKind::Created, "img/../cat.png".to_owned()),
            (StorageEventKind::Deleted, "img/../cat.png".to_owned()),
        ]
    );
    assert_eq!(
        sources.get_object("uploads", "doc.txt").await.expect("get"),
        None
    );
}

async fn announce(_: Json<serde_json::Value>, cx: Context) -> Result<(), Error> {
    cx.topic("news").publish(Message::new("x")).await.map(drop)
}

#[tokio::test]
async fn a_runtime_without_sources_says_to_build_it_with_sources() {
    let app = App::new("bare")
        .topic("news")
        .function(Function::new("announce", announce));
    let runtime = faasport_adapter_local::LocalRuntime::new(app).expect("a valid app");
    let invocation = runtime
        .invoke(
            "announce",
            faasport_core::Event::from_json(serde_json::json!({})),
        )
        .await
        .expect("the function exists");
    let error = invocation.result.expect_err("publishing needs sources");
    assert_eq!(
        error.to_string(),
        "no topic binding for `news` on local: this runtime was built without the local event \
         sources (`LocalRuntime::new`): build it with `LocalCloud::builder(app)`, or test with \
         `faasport::testing::TestApp`, to have topics, queues, buckets and function calls"
    );
}
