//! Schedule expressions: cron and rate, parsed once, validated when the app is built.
//!
//! Accepted forms:
//! - standard cron, 5 fields (`0 2 * * *`), or 6 fields with seconds first as Azure's NCRONTAB
//!   writes them (`0 */5 * * * *`);
//! - EventBridge cron, `cron(min hour day-of-month month day-of-week year)`, where day-of-week
//!   counts 1-7 from Sunday and `?` means "any";
//! - rate, `rate(N minute|minutes|hour|hours|day|days)` (EventBridge's form).
//!
//! All times are UTC. An expression whose days can never occur (`0 0 30 2 *`, the 30th of
//! February) is refused when it is parsed, with a [`ScheduleError`], rather than accepted as a
//! schedule that silently never fires.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
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
        if let Kind::Cron(cron) = &kind {
            if !fires_on_some_day(&cron.pattern) {
                return Err(fail(
                    "no date matches its day-of-month, month and day-of-week fields, so it would never fire"
                        .into(),
                ));
            }
        }
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

/// Whether some date matches the pattern's day fields.
///
/// Every minute, hour (and second) field matches something once parsed, and years are not
/// restricted, so a pattern fires unless its day fields match no date. Whether a day matches
/// depends only on its month, its day of the month, its weekday and its month's length (`L`,
/// `W` and `#` included), and each month of a Gregorian year comes in at most 14 kinds (7
/// weekdays for its first day, times 28 or 29 days for February). The 28 years 2001–2028
/// hold every kind, so trying each kind once answers for every year: at most 91 months,
/// where croner itself would search up to year 5000 (20 ms for `0 0 30 2 *`).
fn fires_on_some_day(pattern: &croner::CronPattern) -> bool {
    // (month, length is 29, weekday of the 1st) seen already
    let mut tried = [[[false; 7]; 2]; 12];
    for year in 2001..=2028 {
        for month in 1..=12u32 {
            if !pattern.month_match(month).unwrap_or(false) {
                continue;
            }
            let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
                continue;
            };
            let next = if month == 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(year, month + 1, 1)
            };
            let Some(length) = next.map(|n| (n - first).num_days()) else {
                continue;
            };
            let weekday =
                croner::Weekday::from_days_from_sunday(first.weekday().num_days_from_sunday());
            let seen = &mut tried[month as usize - 1][usize::from(length == 29)]
                [weekday.num_days_from_sunday() as usize];
            if std::mem::replace(seen, true) {
                continue;
            }
            let mut day_weekday = weekday;
            for day in 1..=u32::try_from(length).unwrap_or(0) {
                if pattern
                    .day_match(year, month, day, day_weekday)
                    .unwrap_or(false)
                {
                    return true;
                }
                day_weekday = day_weekday.shift(1);
            }
        }
    }
    false
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

    #[test]
    fn a_cron_whose_days_never_occur_is_refused_and_rare_days_are_kept() {
        for never in [
            "0 0 30 2 *",
            "0 0 31 4,6,9,11 *",
            "cron(0 0 31 2 ? *)",
            "0 0 0 30 2 *",
        ] {
            let err = Schedule::parse(never).expect_err(never);
            assert!(err.reason.contains("never fire"), "{never}: {err}");
        }
        // Rare but real: each fires, and the refusal above must not catch them.
        for (rare, after, next) in [
            ("0 0 29 2 *", at(2024, 3, 1, 0, 0), at(2028, 2, 29, 0, 0)),
            // the fifth Monday of February: only in a leap year starting its February on a Monday
            ("0 0 * 2 1#5", at(2024, 3, 1, 0, 0), at(2044, 2, 29, 0, 0)),
            ("0 0 L 2 *", at(2025, 3, 1, 0, 0), at(2026, 2, 28, 0, 0)),
            // day-of-month or day-of-week: the 31st never comes in April, Mondays do
            ("0 0 31 4 1", at(2026, 4, 1, 0, 0), at(2026, 4, 6, 0, 0)),
            ("0 0 LW 2 *", at(2026, 1, 1, 0, 0), at(2026, 2, 27, 0, 0)),
        ] {
            let s = Schedule::parse(rare).expect(rare);
            assert_eq!(s.next_after(after), Some(next), "{rare}");
        }
    }
}
