//! Schedules as Azure's NCRONTAB: six fields, seconds first.
//!
//! | faasport | NCRONTAB |
//! |---|---|
//! | `0 2 * * *` (5 fields) | `0 0 2 * * *` |
//! | `0 */5 * * * *` (6 fields) | as written |
//! | `rate(N minutes)`, N dividing 60 | `0 */N * * * *` |
//! | `rate(N hours)`, N dividing 24 | `0 0 */N * * *` |
//! | `rate(1 day)` | `0 0 0 * * *` |
//!
//! Other rates and EventBridge's `cron(...)` form are refused rather than approximated.

use faasport_core::Schedule;

/// The NCRONTAB for `expression`, or why there is none.
///
/// # Errors
/// A reason, for rates that do not divide an hour or a day, and for `cron(...)`.
pub fn ncrontab(expression: &str) -> Result<String, &'static str> {
    let text = expression.trim();
    if text.starts_with("cron(") {
        return Err("write EventBridge's cron(...) as standard 5-field cron");
    }
    let schedule = Schedule::parse(text).map_err(|_| "not a valid schedule")?;
    if let Some(cron) = schedule.rate_as_cron() {
        // NCRONTAB puts a seconds field in front.
        return cron.map(|five| format!("0 {five}"));
    }
    match text.split_whitespace().count() {
        5 => Ok(format!("0 {text}")),
        _ => Ok(text.split_whitespace().collect::<Vec<_>>().join(" ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_gains_a_seconds_field_and_rates_become_steps() {
        assert_eq!(ncrontab("0 2 * * *").as_deref(), Ok("0 0 2 * * *"));
        assert_eq!(ncrontab("0 */5 * * * *").as_deref(), Ok("0 */5 * * * *"));
        assert_eq!(ncrontab("rate(5 minutes)").as_deref(), Ok("0 */5 * * * *"));
        assert_eq!(ncrontab("rate(2 hours)").as_deref(), Ok("0 0 */2 * * *"));
        assert_eq!(ncrontab("rate(1 day)").as_deref(), Ok("0 0 0 * * *"));
    }

    #[test]
    fn rates_that_do_not_divide_an_hour_are_refused() {
        assert!(ncrontab("rate(7 minutes)").is_err());
        assert!(ncrontab("rate(2 days)").is_err());
        assert!(ncrontab("cron(0 2 * * ? *)").is_err());
    }
}
