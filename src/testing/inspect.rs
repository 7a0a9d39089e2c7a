//! What a [`TestApp`] did: messages, objects, dead letters, invocations, cost.

use faasport_adapter_local::{DeadLetterEntry, InvocationRecord, ProviderCost, Report};
use faasport_core::{Error, Object, ObjectInfo, QueueMessage, TopicMessage};

use super::TestApp;

impl TestApp {
    /// The messages published to `topic` so far, oldest first, by handlers, by
    /// [`TestApp::publish`] or as forwarded dead letters. Each topic keeps its most recent
    /// [`DEFAULT_TOPIC_HISTORY`](faasport_adapter_local::sources::DEFAULT_TOPIC_HISTORY)
    /// messages, so memory stays bounded in long tests.
    ///
    /// # Examples
    /// ```
    /// use faasport::prelude::*;
    /// use faasport::testing::TestApp;
    ///
    /// async fn announce(_: Json<serde_json::Value>, cx: Context) -> Result<(), Error> {
    ///     cx.topic("news").publish(Message::new("hello")).await.map(drop)
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let app = TestApp::new(App::new("a").topic("news").function(Function::new("announce", announce)))?;
    /// app.invoke("announce", Event::from_json(serde_json::json!({}))).await?;
    /// let published = app.published("news");
    /// assert_eq!(published[0].body.as_str(), Some("hello"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn published(&self, topic: &str) -> Vec<TopicMessage> {
        self.sources.published(topic)
    }

    /// The objects in a declared bucket, sorted by key.
    ///
    /// # Errors
    /// [`Error::Undeclared`] for a bucket the app does not declare.
    ///
    /// # Examples
    /// ```
    /// # use faasport::{prelude::*, testing::TestApp};
    /// # fn idle() -> Function { async fn idle(_: Event, _cx: Context) -> Result<(), Error> { Ok(()) } Function::new("idle", idle) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let app = TestApp::new(App::new("a").function(idle()).bucket("docs"))?;
    /// app.put_object("docs", "b", Object::new("2")).await?;
    /// app.put_object("docs", "a", Object::new("1")).await?;
    /// let keys: Vec<String> = app.objects("docs").await?.into_iter().map(|o| o.key).collect();
    /// assert_eq!(keys, ["a", "b"]);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn objects(&self, bucket: &str) -> Result<Vec<ObjectInfo>, Error> {
        self.sources.list_objects(bucket, "").await
    }

    /// One object of a declared bucket, if it exists.
    ///
    /// # Errors
    /// [`Error::Undeclared`] for a bucket the app does not declare.
    ///
    /// # Examples
    /// ```
    /// # use faasport::{prelude::*, testing::TestApp};
    /// # fn idle() -> Function { async fn idle(_: Event, _cx: Context) -> Result<(), Error> { Ok(()) } Function::new("idle", idle) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let app = TestApp::new(App::new("a").function(idle()).bucket("docs"))?;
    /// app.put_object("docs", "a.txt", Object::new("hi")).await?;
    /// let object = app.object("docs", "a.txt").await?.expect("stored");
    /// assert_eq!(object.body.as_str(), Some("hi"));
    /// assert!(app.object("docs", "missing").await?.is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn object(&self, bucket: &str, key: &str) -> Result<Option<Object>, Error> {
        self.sources.get_object(bucket, key).await
    }

    /// The messages a declared queue holds now (visible ones first, then those in flight);
    /// empty for a queue the app does not declare. A queue nobody consumes, such as a
    /// dead-letter queue, keeps everything sent to it.
    ///
    /// # Examples
    /// ```
    /// # use faasport::{prelude::*, testing::TestApp};
    /// # fn idle() -> Function { async fn idle(_: Event, _cx: Context) -> Result<(), Error> { Ok(()) } Function::new("idle", idle) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let app = TestApp::new(App::new("a").function(idle()).queue("outbox"))?;
    /// app.send("outbox", Message::new("mail")).await?;
    /// assert_eq!(app.queue("outbox")[0].body.as_str(), Some("mail"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn queue(&self, queue: &str) -> Vec<QueueMessage> {
        self.sources.queue_messages(queue).unwrap_or_default()
    }

    /// Every dead letter so far, in the order they were stored: asynchronous invocations whose
    /// retries ran out, and queue messages past their max receive count.
    ///
    /// # Examples
    /// ```
    /// # use faasport::{prelude::*, testing::TestApp};
    /// async fn strict(_: TopicMessage, _cx: Context) -> Result<(), Error> {
    ///     Err(Error::permanent("never"))
    /// }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let app = TestApp::new(App::new("a").topic("t").function(Function::new("strict", strict).subscribe("t")))?;
    /// app.publish("t", Message::new("x")).await?;
    /// app.settle().await?;
    /// let letters = app.dead_letters();
    /// assert_eq!((letters[0].attempts, letters[0].reason.as_str()), (1, "PermanentError: never (not retryable)"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn dead_letters(&self) -> Vec<DeadLetterEntry> {
        self.sources.dead_letters().list(None)
    }

    /// The invocations of `function` so far, in completion order, each with its outcome,
    /// attempt, cold start, durations and billed time.
    ///
    /// # Examples
    /// ```
    /// # use faasport::{local::Outcome, prelude::*, testing::TestApp};
    /// async fn ok(_: Json<serde_json::Value>, _cx: Context) -> Result<(), Error> { Ok(()) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let app = TestApp::new(App::new("a").function(Function::new("ok", ok)))?;
    /// app.invoke("ok", Event::from_json(serde_json::json!(1))).await?;
    /// let calls = app.invocations("ok");
    /// assert_eq!((calls[0].outcome, calls[0].cold), (Outcome::Ok, true));
    /// # Ok(())
    /// # }
    /// ```
    pub fn invocations(&self, function: &str) -> Vec<InvocationRecord> {
        self.sources.runtime().meter().with_records(|records| {
            records
                .iter()
                .filter(|r| &*r.function == function)
                .cloned()
                .collect()
        })
    }

    /// How many invocations of `function` started a new instance.
    ///
    /// # Examples
    /// ```
    /// # use faasport::{prelude::*, testing::TestApp};
    /// async fn ok(_: Json<serde_json::Value>, _cx: Context) -> Result<(), Error> { Ok(()) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let app = TestApp::new(App::new("a").function(Function::new("ok", ok)))?;
    /// for _ in 0..3 {
    ///     app.invoke("ok", Event::from_json(serde_json::json!(1))).await?;
    /// }
    /// assert_eq!(app.cold_starts("ok"), 1, "one at a time: the instance stays warm");
    /// # Ok(())
    /// # }
    /// ```
    pub fn cold_starts(&self, function: &str) -> u64 {
        self.invocations(function).iter().filter(|r| r.cold).count() as u64
    }

    /// What the run so far would cost on each provider (AWS Lambda, Cloud Run, Azure
    /// Functions), from the bundled price table.
    ///
    /// # Examples
    /// ```
    /// # use faasport::{local::BillingProvider, prelude::*, testing::TestApp};
    /// async fn ok(_: Json<serde_json::Value>, _cx: Context) -> Result<(), Error> { Ok(()) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let app = TestApp::new(App::new("a").function(Function::new("ok", ok)))?;
    /// app.invoke("ok", Event::from_json(serde_json::json!(1))).await?;
    /// let cost = app.cost();
    /// assert_eq!(cost[0].provider, BillingProvider::AwsLambda);
    /// assert!(cost[0].total > 0.0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn cost(&self) -> Vec<ProviderCost> {
        self.report().costs
    }

    /// The full report so far: per-function statistics, the scaling summary and trace, and
    /// the cost on each provider (what the `report` command prints).
    ///
    /// # Examples
    /// ```
    /// # use faasport::{prelude::*, testing::TestApp};
    /// # fn idle() -> Function { async fn idle(_: Event, _cx: Context) -> Result<(), Error> { Ok(()) } Function::new("idle", idle) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// let app = TestApp::new(App::new("shop").function(idle()))?;
    /// assert_eq!(app.report().app, "shop");
    /// # Ok(())
    /// # }
    /// ```
    pub fn report(&self) -> Report {
        self.sources.runtime().report()
    }
}
