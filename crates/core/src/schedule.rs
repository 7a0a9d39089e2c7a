//! Schedule expressions: cron and rate, parsed once, validated when the app is built.
//!
//! Accepted forms:
//! - standard cron, 5 fields (`0 2 * * *`), or 6 fields with seconds first as Azure's NCRONTAB
//!   writes them (`0 */5 * * * *`);
//! - EventBridge cron, `cron(min hour day-of-month month day-of-week year)`, where day-of-week
//!   counts 1-7 from Sunday and `?` means "any";
//! - rate, `rate(N minute|minutes|hour|hours|day|days)` (EventBridge's form).
//!
//! All times are UTC.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use croner::parser::{CronParser, Seconds, Year};

/// A schedule expression that failed to parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid schedule `{expression}`: {reason}")]
pub struct ScheduleError {
    /// The expression as written.
    pub expression: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A parsed schedule.
#[derive(Clone)]
pub struct Schedule {
    expression: String,
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Cron(Box<croner::Cron>),
    Rate(Duration),
}

impl Schedule {
    /// Parses a cron or rate expression.
    ///
    /// # Errors
    /// [`ScheduleError`] naming the expression and the problem.
    pub fn parse(expression: &str) -> Result<Self, ScheduleError> {
        let fail = |reason: String| ScheduleError {
            expression: expression.to_owned(),
            reason,
        };
        let text = expression.trim();
        // croner reads `,` or `1,` as an empty list that never matches, and then searches
        // years ahead for a firing (10 s a call; found by the `schedule` fuzz target).
        if let Some(field) = text
            .split_whitespace()
            .find(|field| field.split(',').any(str::is_empty))
        {
            return Err(fail(format!("`{field}` has an empty item in its list")));
        }
        let kind = if let Some(inner) = strip_call(text, "rate") {
            Kind::Rate(parse_rate(inner).map_err(fail)?)
        } else if let Some(inner) = strip_call(text, "cron") {
            let fields: Vec<&str> = inner.split_whitespace().collect();
            let [minutes, hours, dom, month, dow, year] = fields[..] else {
                return Err(fail(
                    "cron(...) takes 6 fields: minutes hours day-of-month month day-of-week year"
                        .into(),
                ));
            };
            if year != "*" {
                return Err(fail("only `*` is supported in the year field".into()));
            }
            let parser = CronParser::builder()
                .seconds(Seconds::Disallowed)
                .year(Year::Disallowed)
                .alternative_weekdays(true)
                .build();
            let pattern = format!("{minutes} {hours} {dom} {month} {dow}");
            Kind::Cron(Box::new(
                parser.parse(&pattern).map_err(|e| fail(e.to_string()))?,
            ))
        } else {
            let fields = text.split_whitespace().count();
            if !(5..=6).contains(&fields) {
                return Err(fail(format!(
                    "cron takes 5 fields (or 6 with seconds first), found {fields}"
                )));
            }
            let parser = CronParser::builder()
                .seconds(Seconds::Optional)
                .year(Year::Disallowed)
                .build();
            Kind::Cron(Box::new(
                parser.parse(text).map_err(|e| fail(e.to_string()))?,
            ))
        };
        Ok(Self {
            expression: expression.to_owned(),
            kind,
        })
    }

    /// The expression as written.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The period of a rate schedule; `None` for cron.
    pub fn rate(&self) -> Option<Duration> {
        match self.kind {
            Kind::Rate(period) => Some(period),
            Kind::Cron(_) => None,
        }
    }

    /// A rate schedule as a 5-field cron expression with a minute step, for platforms whose
    /// schedulers take cron only (Cloud Scheduler, Knative's PingSource, Azure's NCRONTAB with
    /// a seconds field in front). `None` for a cron schedule.
    ///
    /// # Errors
    /// A reason, for rates that are not whole minutes and for those that do not divide an hour
    /// (minutes) or a day (hours) and are not one day: cron steps restart every hour or day.
    ///
    /// # Examples
    /// ```
    /// use faasport_core::Schedule;
    ///
    /// let every = |e: &str| Schedule::parse(e).ok().and_then(|s| s.rate_as_cron());
    /// assert_eq!(every("rate(5 minutes)"), Some(Ok("*/5 * * * *".to_owned())));
    /// assert_eq!(every("rate(2 hours)"), Some(Ok("0 */2 * * *".to_owned())));
    /// assert_eq!(every("rate(1 day)"), Some(Ok("0 0 * * *".to_owned())));
    /// assert!(matches!(every("rate(7 minutes)"), Some(Err(_))));
    /// assert_eq!(every("0 2 * * *"), None);
    /// ```
    pub fn rate_as_cron(&self) -> Option<Result<String, &'static str>> {
        let rate = self.rate()?;
        let minutes = rate.as_secs() / 60;
        if rate.as_secs() % 60 != 0 || minutes == 0 {
            return Some(Err("rates must be whole minutes"));
        }
        Some(match minutes {
            m if m < 60 && 60 % m == 0 => Ok(format!("*/{m} * * * *")),
            m if m % 60 == 0 && m < 24 * 60 && 24 % (m / 60) == 0 => {
                Ok(format!("0 */{} * * *", m / 60))
            }
            m if m == 24 * 60 => Ok("0 0 * * *".into()),
            _ => Err("a rate must divide an hour (minutes) or a day (hours), or be one day"),
        })
    }

    /// The first firing strictly after `after`: the next cron match, or `after` plus the rate
    /// (rate schedules count from their previous firing, or from when they were started).
    /// `None` if a cron expression never fires again.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match &self.kind {
            Kind::Rate(period) => chrono::Duration::from_std(*period)
                .ok()
                .and_then(|p| after.checked_add_signed(p)),
            Kind::Cron(cron) => cron.find_next_occurrence(&after, false).ok(),
        }
    }
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Schedule").field(&self.expression).finish()
    }
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.expression == other.expression
    }
}

fn strip_call<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.strip_prefix(name)?
        .trim_start()
        .strip_prefix('(')?
        .strip_suffix(')')
        .map(str::trim)
}

fn parse_rate(inner: &str) -> Result<Duration, String> {
    let mut parts = inner.split_whitespace();
    let (Some(value), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err("rate(...) takes a value and a unit, e.g. rate(5 minutes)".into());
    };
    let value: u64 = value
        .parse()
        .map_err(|_| format!("`{value}` is not a positive whole number"))?;
    if value == 0 {
        return Err("the rate must be at least 1".into());
    }
    let unit_secs = match unit {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        other => {
            return Err(format!(
                "unknown unit `{other}` (minute(s), hour(s) or day(s))"
            ))
        }
    };
    if unit.ends_with('s') != (value != 1) {
        return Err(format!("use the singular unit for 1 and the plural otherwise, e.g. rate(1 {}) or rate({value} {unit})", unit.trim_end_matches('s')));
    }
    value
        .checked_mul(unit_secs)
        .map(Duration::from_secs)
        .ok_or_else(|| "the rate is too large".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid time")
    }

    #[test]
    fn rates_parse_with_singular_and_plural_units() {
        assert_eq!(
            Schedule::parse("rate(5 minutes)")
                .ok()
                .and_then(|s| s.rate()),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            Schedule::parse("rate(1 hour)").ok().and_then(|s| s.rate()),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            Schedule::parse("rate(2 days)").ok().and_then(|s| s.rate()),
            Some(Duration::from_secs(172_800))
        );
        for bad in [
            "rate(0 minutes)",
            "rate(5 fortnights)",
            "rate(five minutes)",
            "rate(1 minutes)",
            "rate(5 minute)",
            "rate()",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn standard_cron_finds_the_next_firing() {
        let s = Schedule::parse("0 2 * * *").expect("parse");
        assert_eq!(
            s.next_after(at(2026, 1, 31, 2, 0)),
            Some(at(2026, 2, 1, 2, 0))
        );
        let s = Schedule::parse("0 0 L * *").expect("last day of month");
        assert_eq!(
            s.next_after(at(2026, 2, 1, 0, 0)),
            Some(at(2026, 2, 28, 0, 0))
        );
    }

    #[test]
    fn eventbridge_cron_counts_weekdays_from_sunday_as_one() {
        let s = Schedule::parse("cron(0 9 ? * 2 *)").expect("mondays");
        // 2026-11-28 is a Saturday; the next Monday is the 30th.
        assert_eq!(
            s.next_after(at(2026, 11, 28, 0, 0)),
            Some(at(2026, 11, 30, 9, 0))
        );
    }

    #[test]
    fn malformed_cron_is_a_typed_error_naming_the_expression() {
        for bad in [
            "61 * * * *",
            "* * *",
            "cron(0 9 * *)",
            "every day",
            "0 25 * * *",
            // Empty list items: croner took them as sets that never match (fuzzing).
            " , * * * 1",
            "1 , * * * 1",
            "0 1, * * *",
            "cron(0 ,9 * * ? *)",
        ] {
            let err = Schedule::parse(bad).expect_err(bad);
            assert_eq!(err.expression, bad);
        }
    }
}
