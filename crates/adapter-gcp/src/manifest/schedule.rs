//! Schedules as unix-cron, the format of Cloud Scheduler and of Knative's `PingSource`.
//!
//! | faasport | unix-cron |
//! |---|---|
//! | `0 2 * * *` (5 fields) | as written |
//! | `0 */5 * * * *` (6 fields, seconds `0`) | `*/5 * * * *` |
//! | `rate(N minutes)`, N dividing 60 | `*/N * * * *` |
//! | `rate(N hours)`, N dividing 24 | `0 */N * * *` |
//! | `rate(1 day)` | `0 0 * * *` |
//!
//! Both run in UTC here (`--time-zone=Etc/UTC`, `timezone: Etc/UTC`), as the local runtime does.
//! Other rates, seconds other than `0` (both have minute resolution) and EventBridge's
//! `cron(...)` form are refused rather than approximated.

use faasport_core::Schedule;

/// The unix-cron form of `expression`, or why there is none.
///
/// # Errors
/// A reason, for what unix-cron cannot express.
pub fn unix_cron(expression: &str) -> Result<String, &'static str> {
    let text = expression.trim();
    if text.starts_with("cron(") {
        return Err("write EventBridge's cron(...) as standard 5-field cron");
    }
    let schedule = Schedule::parse(text).map_err(|_| "not a valid schedule")?;
    if let Some(cron) = schedule.rate_as_cron() {
        return cron;
    }
    let fields: Vec<&str> = text.split_whitespace().collect();
    match fields.as_slice() {
        [_, _, _, _, _] => Ok(fields.join(" ")),
        ["0", rest @ ..] if rest.len() == 5 => Ok(rest.join(" ")),
        [_, rest @ ..] if rest.len() == 5 => {
            Err("Cloud Scheduler and PingSource have minute resolution (seconds must be 0)")
        }
        _ => Err("expected 5 cron fields"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_and_rates_become_unix_cron_and_the_rest_is_refused() {
        let ok = |e: &str| unix_cron(e).ok();
        assert_eq!(ok("0 2 * * *").as_deref(), Some("0 2 * * *"));
        assert_eq!(ok("0 */5 * * * *").as_deref(), Some("*/5 * * * *"));
        assert_eq!(ok("rate(15 minutes)").as_deref(), Some("*/15 * * * *"));
        assert_eq!(ok("rate(6 hours)").as_deref(), Some("0 */6 * * *"));
        assert_eq!(ok("rate(1 day)").as_deref(), Some("0 0 * * *"));
        assert_eq!(
            unix_cron("30 0 2 * * *"),
            Err("Cloud Scheduler and PingSource have minute resolution (seconds must be 0)")
        );
        assert_eq!(
            unix_cron("rate(7 minutes)"),
            Err("a rate must divide an hour (minutes) or a day (hours), or be one day")
        );
        assert!(unix_cron("cron(0 2 * * ? *)").is_err());
    }
}
