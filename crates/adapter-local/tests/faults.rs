//! Seeded faults behave like the real thing: an injected panic unwinds and is contained, and
//! extra latency shows in the invocation's duration, to the millisecond on the virtual clock.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;
use std::time::Duration;

use faasport_adapter_local::{FaultPlan, Faults, LocalRuntime, Outcome};
use faasport_core::{App, Context, Error, Event, Function};

async fn quick(_: Event, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(40)).await;
    Ok(())
}

/// Panics whose message is the injected one, counted by a panic hook.
static INJECTED_PANICS: AtomicU32 = AtomicU32::new(0);

fn count_injected_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() == Some(&"injected fault: panic") {
                INJECTED_PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

fn runtime(faults: Faults) -> LocalRuntime {
    LocalRuntime::builder(App::new("f").function(Function::new("f", quick)))
        .faults(FaultPlan::new(1).function("f", faults))
        .build()
        .expect("valid app")
}

#[tokio::test(start_paused = true)]
async fn an_injected_panic_really_unwinds_and_fails_only_its_invocation() {
    count_injected_panics();
    let rt = runtime(Faults::new().panic_rate(1.0));
    for n in 1..=2 {
        let invocation = rt
            .invoke("f", Event::from_json(n.into()))
            .await
            .expect("invoked");
        assert!(
            matches!(&invocation.result, Err(Error::Panic(m)) if m == "injected fault: panic"),
            "{:?}",
            invocation.result
        );
        assert_eq!(invocation.record.outcome, Outcome::Panic);
        assert_eq!(INJECTED_PANICS.load(Ordering::SeqCst), n);
    }
    let instances: Vec<_> = rt.records().iter().map(|r| (r.cold, r.instance)).collect();
    assert_eq!(instances.len(), 2);
    assert_eq!(
        instances[0].1, instances[1].1,
        "the instance survives: {instances:?}"
    );
    assert!(!instances[1].0, "the second invocation is warm");
}

#[tokio::test(start_paused = true)]
async fn extra_latency_is_added_to_the_invocation_duration() {
    let rt = runtime(Faults::new().extra_latency(Duration::from_millis(250)));
    let invocation = rt
        .invoke("f", Event::from_json(serde_json::json!({})))
        .await
        .expect("invoked");
    assert!(invocation.result.is_ok(), "{:?}", invocation.result);
    assert_eq!(invocation.record.duration, Duration::from_millis(290));
}
