//! The synthetic app a trace is replayed through: one function per traced function, whose
//! handler sleeps for the duration the event carries.

use std::collections::HashSet;
use std::time::Duration;

use faasport_core::{App, Context, Error, Function, Json, DEFAULT_TIMEOUT};

use super::options::ReplayOptions;
use super::trace::TracedFunction;

/// Sleeps for the simulated duration (microseconds) carried by the event.
async fn simulate(Json(micros): Json<u64>, _cx: Context) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_micros(micros)).await;
    Ok(())
}

/// The app, and the runtime name of each traced function (same order as
/// `functions`), each function sized from its `longest` traced duration.
///
/// Each function's timeout is the default (30 s) or, if longer, its longest traced duration plus
/// a second, so no replayed invocation times out, unless that is beyond what the profile's
/// provider accepts: then the provider's maximum applies and longer invocations time out, as they
/// would there. Memory is likewise brought into the provider's range.
pub(crate) fn synthetic_app(
    functions: &[TracedFunction],
    longest: &[Duration],
    options: &ReplayOptions,
) -> (App, Vec<String>) {
    let names = runtime_names(functions);
    let mut app = App::new("replay");
    for ((traced, name), longest) in functions.iter().zip(&names).zip(longest.iter().copied()) {
        let limits = &options.config.profile.limits;
        let memory = traced
            .memory_mb
            .unwrap_or(options.memory_mb)
            .max(limits.min_memory_mb)
            .min(limits.max_memory_mb)
            .max(1);
        let mut timeout = DEFAULT_TIMEOUT.max(longest + Duration::from_secs(1));
        if let Some(max) = limits.max_timeout {
            timeout = timeout.min(max);
        }
        let mut function = Function::new(name.clone(), simulate)
            .memory_mb(memory)
            .timeout(timeout);
        if !options.cold_start.is_zero() {
            let init = options.cold_start;
            function = function.init(move || async move {
                tokio::time::sleep(init).await;
                Ok::<(), std::convert::Infallible>(())
            });
        }
        app = app.function(function);
    }
    (app, names)
}

/// Valid, distinct function names: characters other than ASCII letters, digits, `-` and `_`
/// become `-`, names are cut to 56 characters, and repeats get a `-2`, `-3`… suffix.
pub(crate) fn runtime_names(functions: &[TracedFunction]) -> Vec<String> {
    let mut taken = HashSet::new();
    functions
        .iter()
        .map(|f| {
            let mut base: String = f
                .name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '-'
                    }
                })
                .take(56)
                .collect();
            if base.is_empty() {
                base.push('f');
            }
            let mut name = base.clone();
            let mut n = 1;
            while !taken.insert(name.clone()) {
                n += 1;
                name = format!("{base}-{n}");
            }
            name
        })
        .collect()
}
