//! One app's business logic, unchanged, builds with every backend feature
//! (`.ci/run` checks this file with `--no-default-features --features X` for each X) and runs
//! on the local backend.

mod common;

#[test]
fn the_portable_app_is_valid_on_every_backend() {
    assert_eq!(common::shop::app().validate(), Ok(()));
}

#[test]
fn the_run_entry_point_accepts_the_app_on_every_backend() {
    // Compiles with any feature set: `run` is the same function everywhere.
    let _future = faasport::run(common::shop::app());
}

#[cfg(feature = "local")]
#[tokio::test(start_paused = true)]
async fn the_portable_app_runs_on_the_local_backend() {
    use faasport::prelude::*;
    let runtime = faasport::local::LocalRuntime::new(common::shop::app()).expect("valid app");
    let req = HttpRequest::new(Method::GET, "/hello/ada")
        .expect("uri")
        .with_path_params([("name".to_owned(), "ada".to_owned())].into());
    let inv = runtime
        .invoke("greet", Event::Http(req))
        .await
        .expect("known function");
    let Ok(Output::Http(resp)) = inv.result else {
        panic!("expected an HTTP response")
    };
    assert_eq!(
        resp.body().to_json::<serde_json::Value>().ok(),
        Some(serde_json::json!({"hello": "ada"}))
    );

    let batch = QueueBatch::new(
        "jobs",
        vec![QueueMessage::new("1", "ok"), QueueMessage::new("2", "fail")],
    );
    let inv = runtime
        .invoke("consume", Event::Queue(batch))
        .await
        .expect("known function");
    assert_eq!(
        inv.result.ok(),
        Some(Output::Batch(BatchOutcome::failed(["2"])))
    );
}
