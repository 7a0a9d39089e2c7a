//! A queue's visibility timeout, the same for the local queue and the deployed one.

use std::time::Duration;

use crate::{App, AppError, QueueSpec, Trigger};

/// The visibility timeout of `queue` in `app`, given the provider's default.
///
/// One the queue sets must cover the timeout of every function that consumes it, or a message
/// still being processed would be delivered again (SQS refuses such an event source mapping).
/// Without one, the default is raised to the longest consumer timeout. The local queue and the
/// SAM template both use this value, so a message reappears after the same time on both.
///
/// # Errors
/// [`AppError::VisibilityBelowTimeout`] naming the queue and the consumer it does not cover.
pub fn visibility_timeout(
    app: &App,
    queue: &QueueSpec,
    default: Duration,
) -> Result<Duration, AppError> {
    let mut consumers = app.functions().iter().filter(|f| {
        f.triggers()
            .iter()
            .any(|t| matches!(t, Trigger::Queue { queue: q, .. } if *q == queue.name))
    });
    match queue.visibility_timeout {
        Some(visibility) => match consumers.find(|f| f.spec().timeout > visibility) {
            Some(f) => Err(AppError::VisibilityBelowTimeout {
                queue: queue.name.clone(),
                function: f.name().to_owned(),
                visibility,
                timeout: f.spec().timeout,
            }),
            None => Ok(visibility),
        },
        None => Ok(consumers
            .map(|f| f.spec().timeout)
            .fold(default, Duration::max)),
    }
}
