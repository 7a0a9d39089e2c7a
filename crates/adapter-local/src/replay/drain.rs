//! The drain after the last invocation: the clock keeps running until every instance has been
//! reaped, so the keep-alive tail counts as idle time.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::runtime::LocalRuntime;
use crate::trace::{ReapCause, ScalingEventKind};

/// How often the drain checks whether every instance is gone (virtual time, so it costs only a
/// wake-up; reap times in the trace stay exact).
const DRAIN_STEP: Duration = Duration::from_secs(60);

/// Lets the clock run until every pool is empty with no pre-warm pending, or `limit` passes.
pub(crate) async fn drain(runtime: &LocalRuntime, names: &[Arc<str>], limit: Duration) {
    // A limit past the clock's range means no limit.
    let deadline = Instant::now().checked_add(limit);
    while deadline.is_none_or(|d| Instant::now() < d) {
        let live = names
            .iter()
            .filter_map(|n| runtime.instance_pool(n).ok())
            .any(|pool| pool.live_count() > 0);
        if !live && !prewarm_pending(runtime) {
            return;
        }
        let left = deadline.map_or(DRAIN_STEP, |d| d - Instant::now());
        tokio::time::sleep(DRAIN_STEP.min(left)).await;
    }
}

/// Whether some function's last instance event is an unload, which a pre-warm follows.
fn prewarm_pending(runtime: &LocalRuntime) -> bool {
    let mut last: HashMap<Arc<str>, bool> = HashMap::new();
    for e in runtime.scaling_trace() {
        match e.kind {
            ScalingEventKind::Started { .. } => {
                last.insert(e.function, false);
            }
            ScalingEventKind::Reaped { cause } => {
                last.insert(e.function, cause == ReapCause::Unloaded);
            }
            _ => {}
        }
    }
    last.values().any(|&pending| pending)
}
