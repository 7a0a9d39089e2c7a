//! The checks behind [`App::validate`].

use std::collections::{BTreeMap, BTreeSet};

use super::{App, AppError};
use crate::context::Declared;
use crate::{DeadLetter, Function, ResourceKind, Schedule, Trigger};

impl App {
    /// Checks the whole declaration; every backend calls this before serving.
    ///
    /// # Errors
    /// The first [`AppError`] found.
    pub fn validate(&self) -> Result<(), AppError> {
        check_name("app", &self.name)?;
        if self.functions.is_empty() {
            return Err(AppError::NoFunctions(self.name.clone()));
        }
        self.check_resources()?;
        let declared = self.declared();
        let mut seen = BTreeSet::new();
        let mut routes = BTreeMap::new();
        for f in &self.functions {
            check_name("function", f.name())?;
            if !seen.insert(f.name()) {
                return Err(AppError::DuplicateFunction(f.name().to_owned()));
            }
            check_limits(f)?;
            for trigger in f.triggers() {
                check_trigger(f, trigger, &declared, &mut routes)?;
            }
            if let Some(target) = f.spec().dead_letter.as_ref() {
                let (kind, name) = target_of(target);
                require(&declared, f.name(), kind, name)?;
            }
            // Per-function access must name app resources: the app declares, functions pick.
            for (operation, name) in f.access().iter() {
                require(&declared, f.name(), operation.kind(), name)?;
            }
        }
        if let Some(target) = &self.dead_letter {
            let (kind, name) = target_of(target);
            if !declared.contains(kind, name) {
                return Err(AppError::UndeclaredDeadLetter {
                    kind,
                    name: name.to_owned(),
                });
            }
        }
        Ok(())
    }

    fn check_resources(&self) -> Result<(), AppError> {
        let names = [
            (ResourceKind::Topic, self.topics.iter().collect::<Vec<_>>()),
            (
                ResourceKind::Queue,
                self.queues.iter().map(|q| &q.name).collect(),
            ),
            (ResourceKind::Bucket, self.buckets.iter().collect()),
        ];
        for (kind, list) in names {
            let mut seen = BTreeSet::new();
            for name in list {
                check_name(kind_label(kind), name)?;
                if !seen.insert(name) {
                    return Err(AppError::DuplicateResource {
                        kind,
                        name: name.clone(),
                    });
                }
            }
        }
        let queues: BTreeSet<&str> = self.queues.iter().map(|q| q.name.as_str()).collect();
        for q in &self.queues {
            if q.max_receive_count == Some(0) {
                return Err(AppError::ZeroReceiveCount {
                    queue: q.name.clone(),
                });
            }
            if let Some(dlq) = &q.dead_letter_queue {
                if !queues.contains(dlq.as_str()) {
                    return Err(AppError::Undeclared {
                        function: q.name.clone(),
                        kind: ResourceKind::Queue,
                        name: dlq.clone(),
                    });
                }
            }
        }
        Ok(())
    }
}

fn target_of(target: &DeadLetter) -> (ResourceKind, &str) {
    match target {
        DeadLetter::Queue(q) => (ResourceKind::Queue, q),
        DeadLetter::Topic(t) => (ResourceKind::Topic, t),
    }
}

fn kind_label(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Topic => "topic",
        ResourceKind::Queue => "queue",
        ResourceKind::Bucket => "bucket",
        ResourceKind::Function => "function",
    }
}

fn check_name(what: &'static str, name: &str) -> Result<(), AppError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(AppError::InvalidName {
            what,
            name: name.to_owned(),
        })
    }
}

fn check_limits(f: &Function) -> Result<(), AppError> {
    let zero = |limit| {
        Err(AppError::ZeroLimit {
            function: f.name().to_owned(),
            limit,
        })
    };
    if f.spec().timeout.is_zero() {
        return zero("timeout");
    }
    if f.spec().memory_mb == 0 {
        return zero("memory");
    }
    if f.spec().concurrency_per_instance == Some(0) {
        return zero("concurrency per instance");
    }
    if let Some(max) = f.spec().max_instances {
        if max == 0 {
            return zero("max instances");
        }
        if f.spec().min_instances > max {
            return Err(AppError::MinAboveMax {
                function: f.name().to_owned(),
                min: f.spec().min_instances,
                max,
            });
        }
    }
    Ok(())
}

fn require(
    declared: &Declared,
    function: &str,
    kind: ResourceKind,
    name: &str,
) -> Result<(), AppError> {
    if declared.contains(kind, name) {
        Ok(())
    } else {
        Err(AppError::Undeclared {
            function: function.to_owned(),
            kind,
            name: name.to_owned(),
        })
    }
}

fn check_trigger(
    f: &Function,
    trigger: &Trigger,
    declared: &Declared,
    routes: &mut BTreeMap<String, String>,
) -> Result<(), AppError> {
    let kind = trigger.event_kind();
    if !f.accepts().takes(kind) {
        return Err(AppError::TriggerMismatch {
            function: f.name().to_owned(),
            trigger: kind,
            accepts: f.accepts(),
        });
    }
    match trigger {
        Trigger::Http { method, path } => {
            check_route(f.name(), path)?;
            // Parameter names do not matter for matching: `/o/{id}` and `/o/{oid}` collide.
            let route = format!(
                "{} {}",
                method.as_ref().map_or("ANY", |m| m.as_str()),
                route_shape(path)
            );
            if let Some(first) = routes.insert(route.clone(), f.name().to_owned()) {
                return Err(AppError::DuplicateRoute {
                    route,
                    first,
                    second: f.name().to_owned(),
                });
            }
        }
        Trigger::Topic { topic } => require(declared, f.name(), ResourceKind::Topic, topic)?,
        Trigger::Queue {
            queue, batch_size, ..
        } => {
            require(declared, f.name(), ResourceKind::Queue, queue)?;
            if *batch_size == 0 {
                return Err(AppError::ZeroLimit {
                    function: f.name().to_owned(),
                    limit: "batch size",
                });
            }
        }
        Trigger::Storage { bucket, .. } => {
            require(declared, f.name(), ResourceKind::Bucket, bucket)?
        }
        Trigger::Schedule { expression } => {
            Schedule::parse(expression).map_err(|source| AppError::InvalidSchedule {
                function: f.name().to_owned(),
                source,
            })?;
        }
        Trigger::Change { batch_size, .. } | Trigger::Stream { batch_size, .. }
            if *batch_size == 0 =>
        {
            return Err(AppError::ZeroLimit {
                function: f.name().to_owned(),
                limit: "batch size",
            })
        }
        // Tables and streams are external: nothing to look up among the declared resources.
        Trigger::Change { .. } | Trigger::Stream { .. } | Trigger::CloudEvent { .. } => {}
    }
    Ok(())
}

/// A path with its parameter names erased, for collision checks.
fn route_shape(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.strip_prefix('{') {
            Some(inner) if inner.starts_with('*') => "{*}",
            Some(_) => "{}",
            None => segment,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn check_route(function: &str, path: &str) -> Result<(), AppError> {
    let fail = |reason| {
        Err(AppError::InvalidRoute {
            function: function.to_owned(),
            path: path.to_owned(),
            reason,
        })
    };
    if !path.starts_with('/') {
        return fail("it must start with `/`");
    }
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    for (i, segment) in segments.iter().enumerate() {
        if let Some(inner) = segment.strip_prefix('{') {
            let Some(name) = inner.strip_suffix('}') else {
                return fail("a `{` segment must end with `}`");
            };
            let name = name.strip_prefix('*').map_or(name, |rest| {
                if i + 1 != segments.len() {
                    ""
                } else {
                    rest
                }
            });
            if name.is_empty() {
                return fail("parameters need a name, and `{*rest}` must come last");
            }
        } else if segment.contains(['{', '}']) {
            return fail("braces must enclose a whole segment");
        }
    }
    Ok(())
}

#[cfg(test)]
mod stream_tests {
    use crate::{App, AppError, BatchOutcome, Context, Error, Function, QueueBatch, Trigger};

    async fn on_records(_batch: QueueBatch, _cx: Context) -> Result<BatchOutcome, Error> {
        Ok(BatchOutcome::success())
    }

    async fn on_tick(_tick: crate::ScheduleTick, _cx: Context) -> Result<(), Error> {
        Ok(())
    }

    #[test]
    fn a_stream_trigger_delivers_queue_events_and_needs_no_declared_resource() {
        let f = Function::new("clicks", on_records).stream("clickstream");
        assert_eq!(
            f.triggers(),
            [Trigger::Stream {
                stream: "clickstream".into(),
                batch_size: crate::function::DEFAULT_BATCH_SIZE,
            }]
        );
        assert_eq!(f.triggers()[0].event_kind(), crate::EventKind::Queue);
        App::new("a").function(f).validate().expect("valid");
    }

    #[test]
    fn a_stream_trigger_needs_a_positive_batch_size_and_a_queue_handler() {
        let err = App::new("a")
            .function(Function::new("clicks", on_records).stream_batched("s", 0))
            .validate()
            .expect_err("zero batch");
        assert_eq!(
            err,
            AppError::ZeroLimit {
                function: "clicks".into(),
                limit: "batch size",
            }
        );
        let err = App::new("a")
            .function(Function::new("tick", on_tick).stream("s"))
            .validate()
            .expect_err("wrong handler");
        assert_eq!(
            err,
            AppError::TriggerMismatch {
                function: "tick".into(),
                trigger: crate::EventKind::Queue,
                accepts: crate::EventKind::Schedule,
            }
        );
    }
}
