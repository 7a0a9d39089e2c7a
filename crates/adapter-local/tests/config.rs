//! One `LocalConfig` sets up every way of starting the local runtime.

use faasport_adapter_local::{
    FaultPlan, Faults, LocalCloud, LocalConfig, LocalRuntime, Profile, ProfileKind,
};
use faasport_core::{App, Context, Error, Event, Function};

async fn ok(_: Event, _cx: Context) -> Result<(), Error> {
    Ok(())
}

fn app() -> App {
    App::new("cfg").function(Function::new("ok", ok))
}

fn config() -> LocalConfig {
    LocalConfig::default()
        .profile(Profile::gcp())
        .faults(FaultPlan::new(1).every_function(Faults::new().error_rate(1.0)))
}

#[tokio::test(start_paused = true)]
async fn the_same_config_gives_the_runtime_alone_and_the_local_cloud_the_same_profile_and_faults() {
    let alone = LocalRuntime::builder(app())
        .config(config())
        .build()
        .expect("valid");
    let cloud = LocalCloud::builder(app())
        .config(config())
        .build()
        .expect("valid");
    for runtime in [&alone, cloud.runtime()] {
        assert_eq!(runtime.profile().kind, ProfileKind::Gcp);
        let invocation = runtime
            .invoke("ok", Event::from_json(serde_json::json!({})))
            .await
            .expect("the function exists");
        assert!(
            invocation.result.is_err(),
            "an error rate of 1.0 from the config fails every call"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_builder_setter_writes_into_the_config_it_was_given() {
    let cloud = LocalCloud::builder(app())
        .config(LocalConfig::default())
        .profile(Profile::azure())
        .build()
        .expect("valid");
    assert_eq!(cloud.runtime().profile().kind, ProfileKind::Azure);
    let invocation = cloud
        .runtime()
        .invoke("ok", Event::from_json(serde_json::json!({})))
        .await
        .expect("the function exists");
    assert!(invocation.result.is_ok(), "no faults in the default config");
}
