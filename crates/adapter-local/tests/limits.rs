//! Each profile refuses, when the runtime is built, a function whose memory or timeout its
//! provider would not accept, with a typed error naming the function, the limit and the profile.

use std::time::Duration;

use faasport_adapter_local::{LocalRuntime, Profile};
use faasport_core::{App, AppError, Context, Error, Event, Function};

async fn nothing(_: Event, _cx: Context) -> Result<(), Error> {
    Ok(())
}

fn build(profile: Profile, f: Function) -> Result<LocalRuntime, Error> {
    LocalRuntime::builder(App::new("limits").function(f))
        .profile(profile)
        .build()
}

fn refusal(profile: Profile, f: Function) -> AppError {
    match build(profile, f) {
        Err(Error::App(error)) => error,
        other => panic!("expected a refused app, got {other:?}"),
    }
}

fn out_of_range(
    limit: &'static str,
    value: u64,
    (min, max): (u64, u64),
    unit: &'static str,
    platform: &str,
) -> AppError {
    AppError::OutOfPlatformRange {
        function: "f".to_owned(),
        limit,
        value,
        min,
        max,
        unit,
        platform: platform.to_owned(),
    }
}

#[tokio::test]
async fn lambda_accepts_128_to_10240_mb_and_refuses_memory_outside_that_range() {
    let f = || Function::new("f", nothing);
    assert!(build(Profile::aws(), f().memory_mb(128)).is_ok());
    assert!(build(Profile::aws(), f().memory_mb(10_240)).is_ok());
    let error = refusal(Profile::aws(), f().memory_mb(64));
    assert_eq!(
        error,
        out_of_range("memory", 64, (128, 10_240), "MB", "aws")
    );
    assert_eq!(
        error.to_string(),
        "function `f` sets memory to 64 MB, outside the aws profile's range of 128 to 10240 MB"
    );
    assert_eq!(
        refusal(Profile::aws(), f().memory_mb(10_241)),
        out_of_range("memory", 10_241, (128, 10_240), "MB", "aws")
    );
}

#[tokio::test]
async fn lambda_refuses_a_timeout_above_fifteen_minutes() {
    let f = || Function::new("f", nothing);
    assert!(build(Profile::aws(), f().timeout(Duration::from_secs(900))).is_ok());
    assert_eq!(
        refusal(Profile::aws(), f().timeout(Duration::from_millis(900_001))),
        out_of_range("timeout", 900_001, (1, 900_000), "ms", "aws")
    );
}

#[tokio::test]
async fn azure_consumption_refuses_more_than_1536_mb_and_timeouts_above_ten_minutes() {
    let f = || Function::new("f", nothing);
    assert!(build(Profile::azure(), f().memory_mb(64)).is_ok());
    assert!(build(Profile::azure(), f().memory_mb(1536)).is_ok());
    assert_eq!(
        refusal(Profile::azure(), f().memory_mb(2048)),
        out_of_range("memory", 2048, (1, 1536), "MB", "azure")
    );
    assert!(build(Profile::azure(), f().timeout(Duration::from_secs(600))).is_ok());
    assert_eq!(
        refusal(Profile::azure(), f().timeout(Duration::from_secs(601))),
        out_of_range("timeout", 601_000, (1, 600_000), "ms", "azure")
    );
}

#[tokio::test]
async fn cloud_run_accepts_up_to_32_gib_and_sixty_minutes() {
    let f = || Function::new("f", nothing);
    let big = f().memory_mb(32 * 1024).timeout(Duration::from_secs(3600));
    assert!(build(Profile::gcp(), big).is_ok());
    assert_eq!(
        refusal(Profile::gcp(), f().memory_mb(32 * 1024 + 1)),
        out_of_range("memory", 32_769, (128, 32_768), "MB", "gcp")
    );
    assert_eq!(
        refusal(Profile::gcp(), f().timeout(Duration::from_secs(3601))),
        out_of_range("timeout", 3_601_000, (1, 3_600_000), "ms", "gcp")
    );
}

#[tokio::test(start_paused = true)]
async fn the_custom_profile_accepts_any_memory_and_a_timeout_too_large_for_the_clock() {
    let f = Function::new("f", nothing)
        .memory_mb(100_000)
        .timeout(Duration::MAX);
    let rt = build(Profile::custom(), f).expect("no limits on custom");
    let call = rt
        .invoke("f", Event::from_json(serde_json::Value::Null))
        .await
        .expect("known function");
    assert!(call.result.is_ok(), "{:?}", call.result);
}
