//! The quickstart's generated Azure Functions project passes the `host.json` / `function.json`
//! schema of the Azure adapter's tests.
#![cfg(feature = "azure")]

#[path = "../examples/quickstart/app.rs"]
#[allow(dead_code)]
mod app;
#[path = "../crates/adapter-azure/tests/common/schema.rs"]
mod schema;

use faasport::azure::{project, ProjectOptions};

#[test]
fn the_quickstarts_host_json_and_function_json_files_pass_the_schema() {
    let files = project(&app::app(), &ProjectOptions::default()).expect("the quickstart's project");
    let host = files
        .iter()
        .find(|f| f.path == "host.json")
        .expect("host.json");
    schema::check_host(&host.json);
    let functions: Vec<_> = files
        .iter()
        .filter(|f| f.path.ends_with("/function.json"))
        .collect();
    // create-order (HTTP), bill (topic), nightly (timer): one Azure function each, and each
    // one's invoke endpoint; no function invokes another, so none has an invoke queue.
    let paths: Vec<&str> = functions.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "create-order/function.json",
            "create-order-invoke/function.json",
            "bill/function.json",
            "bill-invoke/function.json",
            "nightly/function.json",
            "nightly-invoke/function.json",
        ]
    );
    for file in functions {
        schema::check_function(&file.path, &file.json);
    }
}
