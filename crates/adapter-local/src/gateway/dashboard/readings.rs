//! The slower parts of a snapshot, read every few ticks while a page listens: the duration
//! percentiles of the meter, the costs with their month projection, queue depths, the last
//! [`TOPIC_MESSAGES`] messages of each topic and the last [`DEAD_LETTERS`] dead letters. Bodies
//! are cut to [`PREVIEW`] bytes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dead_letters::DeadLetterSource;
use crate::LocalCloud;

/// Messages shown per topic.
const TOPIC_MESSAGES: usize = 5;

/// Dead letters shown (the latest).
const DEAD_LETTERS: usize = 50;

/// Bytes of a body shown.
const PREVIEW: usize = 240;

#[derive(Debug, Clone, Default, Serialize)]
pub(super) struct Slow {
    /// Shown in the function rows.
    #[serde(skip)]
    pub(super) percentiles: BTreeMap<String, (f64, f64)>,
    costs: Vec<CostRow>,
    queues: Vec<QueueRow>,
    topics: Vec<TopicRow>,
    buckets: Vec<String>,
    dead_letters: DeadLetterRows,
}

#[derive(Debug, Clone, Serialize)]
struct CostRow {
    provider: crate::meter::BillingProvider,
    label: String,
    currency: String,
    so_far: f64,
    month_before_free_tier: Option<f64>,
    month_free_tier: Option<f64>,
    month: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
struct QueueRow {
    name: String,
    visible: u64,
    in_flight: u64,
    sent: u64,
    dead_letters: usize,
}

#[derive(Debug, Clone, Serialize)]
struct TopicRow {
    name: String,
    recent: Vec<MessageRow>,
}

#[derive(Debug, Clone, Serialize)]
struct MessageRow {
    id: String,
    body: String,
    at: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
struct DeadLetterRows {
    total: usize,
    latest: Vec<DeadLetterRow>,
}

#[derive(Debug, Clone, Serialize)]
struct DeadLetterRow {
    id: String,
    source: String,
    event_id: String,
    reason: String,
    attempts: u32,
    at: String,
}

pub(super) fn read_slow(sources: &LocalCloud) -> Slow {
    let runtime = sources.runtime();
    let percentiles = runtime
        .meter()
        .functions()
        .into_iter()
        .map(|f| (f.function, (f.p50_ms, f.p99_ms)))
        .collect();
    let costs = runtime.costs();
    let projection = runtime
        .pricing()
        .project_month(&costs, runtime.uptime())
        .ok();
    let costs = costs
        .iter()
        .map(|c| {
            let month = projection
                .as_ref()
                .and_then(|p| p.iter().find(|p| p.provider == c.provider));
            CostRow {
                provider: c.provider,
                label: c.label.clone(),
                currency: c.currency.clone(),
                so_far: c.charges.total(),
                month_before_free_tier: month.map(|m| m.month.charges.total()),
                month_free_tier: month.map(|m| m.month.free_tier_credit),
                month: month.map(|m| m.total()),
            }
        })
        .collect();
    let dead = sources.dead_letters();
    let by_source = dead.counts();
    let queues = sources
        .app()
        .queues()
        .iter()
        .filter_map(|q| {
            let stats = sources.queue_stats(&q.name)?;
            Some(QueueRow {
                name: q.name.clone(),
                visible: stats.visible,
                in_flight: stats.in_flight,
                sent: stats.sent,
                dead_letters: by_source
                    .get(&DeadLetterSource::Queue(q.name.clone()))
                    .copied()
                    .unwrap_or_default(),
            })
        })
        .collect();
    let topics = sources
        .app()
        .topics()
        .iter()
        .map(|topic| {
            let messages = sources.published(topic);
            let skip = messages.len().saturating_sub(TOPIC_MESSAGES);
            TopicRow {
                name: topic.clone(),
                recent: messages
                    .into_iter()
                    .skip(skip)
                    .map(|m| MessageRow {
                        id: m.id,
                        body: preview(m.body.as_bytes()),
                        at: m.published_at.map(|t| t.to_rfc3339()),
                    })
                    .collect(),
            }
        })
        .collect();
    let dead_letters = DeadLetterRows {
        total: by_source.values().sum(),
        latest: dead
            .latest(DEAD_LETTERS)
            .into_iter()
            .map(|e| DeadLetterRow {
                id: e.id,
                source: e.source.to_string(),
                event_id: e.event_id,
                reason: preview(e.reason.as_bytes()),
                attempts: e.attempts,
                at: e.at.to_rfc3339(),
            })
            .collect(),
    };
    Slow {
        percentiles,
        costs,
        queues,
        topics,
        buckets: sources.app().buckets().to_vec(),
        dead_letters,
    }
}

/// At most [`PREVIEW`] bytes of `bytes` as text, cut on a character boundary.
pub(crate) fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(PREVIEW * 2)]);
    if text.len() <= PREVIEW {
        return text.into_owned();
    }
    let mut end = PREVIEW;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
