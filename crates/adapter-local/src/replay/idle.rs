//! Idle instance time: how long instances were kept alive without work, from the scaling trace
//! and the invocation records.
//!
//! An instance is alive from its `started` event to its `reaped` event (or to the end of the
//! replay if it is still alive then). It is busy while at least one invocation runs on it,
//! counting a cold invocation's initialiser: each record contributes the interval from
//! `arrived_at + queued` to `arrived_at + queued + init + duration`, and overlapping intervals of
//! concurrent invocations are merged. Idle time is alive time minus busy time, so a pre-warmed
//! instance's initialiser counts as idle (memory held, no requested work).

use std::collections::HashMap;
use std::time::Duration;

use crate::record::InvocationRecord;
use crate::trace::{ReapCause, ScalingEvent, ScalingEventKind};

/// Instance time, in instance-seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct InstanceTime {
    /// Instances started, for any cause.
    pub(crate) instances: u64,
    /// Alive time of every instance.
    pub(crate) alive: f64,
    /// Of which without work.
    pub(crate) idle: f64,
}

/// Measures instance time over a replay that ended at `end`.
pub(crate) fn instance_time(
    events: &[ScalingEvent],
    records: &[InvocationRecord],
    end: Duration,
) -> InstanceTime {
    let mut lifetimes: HashMap<u64, (Duration, Option<Duration>)> = HashMap::new();
    for e in events {
        let Some(id) = e.instance else { continue };
        match e.kind {
            ScalingEventKind::Started { .. } => {
                lifetimes.insert(id, (e.at, None));
            }
            // Never became an instance: its invocation went away before it was ready.
            ScalingEventKind::Reaped {
                cause: ReapCause::Abandoned,
            } => {
                lifetimes.remove(&id);
            }
            ScalingEventKind::Reaped { .. } => {
                if let Some(life) = lifetimes.get_mut(&id) {
                    life.1 = Some(e.at);
                }
            }
            _ => {}
        }
    }
    let mut busy: HashMap<u64, Vec<(Duration, Duration)>> = HashMap::new();
    for r in records {
        let Some(id) = r.instance else { continue };
        let start = r.arrived_at + r.queued;
        busy.entry(id)
            .or_default()
            .push((start, start + r.init + r.duration));
    }
    let mut time = InstanceTime {
        instances: lifetimes.len() as u64,
        ..InstanceTime::default()
    };
    for (id, (started, reaped)) in lifetimes {
        let stopped = reaped.unwrap_or(end).max(started);
        let alive = stopped - started;
        let worked = busy.get_mut(&id).map_or(Duration::ZERO, |spans| {
            merged_length(spans, started, stopped)
        });
        time.alive += alive.as_secs_f64();
        time.idle += alive.saturating_sub(worked).as_secs_f64();
    }
    time
}

/// The total length of the union of `spans`, clipped to `from..to`.
fn merged_length(spans: &mut [(Duration, Duration)], from: Duration, to: Duration) -> Duration {
    spans.sort_unstable();
    let mut total = Duration::ZERO;
    let mut current: Option<(Duration, Duration)> = None;
    for &(s, e) in spans.iter() {
        let (s, e) = (s.clamp(from, to), e.clamp(from, to));
        current = match current {
            Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs;
                Some((s, e))
            }
            None => Some((s, e)),
        };
    }
    if let Some((cs, ce)) = current {
        total += ce - cs;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn overlapping_invocations_count_once_as_busy_time() {
        let mut spans = vec![(S, 3 * S), (2 * S, 4 * S), (6 * S, 7 * S)];
        assert_eq!(merged_length(&mut spans, Duration::ZERO, 10 * S), 4 * S);
    }

    #[test]
    fn busy_time_is_clipped_to_the_instance_lifetime() {
        let mut spans = vec![(S, 5 * S)];
        assert_eq!(merged_length(&mut spans, 2 * S, 3 * S), S);
    }
}
