//! faasport schedule expressions in EventBridge's syntax.

use faasport_core::{Error, Provider};

/// The EventBridge form of a schedule expression the app validated.
///
/// `rate(...)` and `cron(...)` pass through. Standard 5-field cron becomes `cron(m h dom mon
/// dow *)` with day-of-week numbers moved from 0-6 (Sunday = 0 or 7) to EventBridge's 1-7
/// (Sunday = 1) and `?` in whichever day field is `*` (EventBridge needs one of them to be
/// `?`). A 6-field cron with seconds must have `0` seconds: EventBridge has minute resolution.
///
/// # Errors
/// [`Error::Manifest`] for cron expressions EventBridge cannot express.
pub fn eventbridge_schedule(expression: &str) -> Result<String, Error> {
    let text = expression.trim();
    if text.starts_with("rate(") || text.starts_with("cron(") {
        return Ok(text.to_owned());
    }
    let unsupported = |why: &str| Error::Manifest {
        provider: Provider::Aws,
        reason: format!("schedule `{expression}` on EventBridge: {why}"),
    };
    let fields: Vec<&str> = text.split_whitespace().collect();
    let fields = match fields.as_slice() {
        [_, _, _, _, _] => fields.as_slice(),
        ["0", rest @ ..] if rest.len() == 5 => rest,
        [_, rest @ ..] if rest.len() == 5 => {
            return Err(unsupported(
                "schedules have minute resolution (seconds must be 0)",
            ))
        }
        _ => return Err(unsupported("expected 5 cron fields")),
    };
    let [minutes, hours, dom, month, dow] = fields else {
        return Err(unsupported("expected 5 cron fields"));
    };
    let dow = weekdays(dow).ok_or_else(|| unsupported("unreadable day-of-week field"))?;
    let (dom, dow) = match (*dom, dow.as_str()) {
        (dom, "*") => (dom.to_owned(), "?".to_owned()),
        ("*", _) => ("?".to_owned(), dow),
        _ => {
            return Err(unsupported(
                "EventBridge cannot restrict both day-of-month and day-of-week",
            ))
        }
    };
    Ok(format!("cron({minutes} {hours} {dom} {month} {dow} *)"))
}

/// Moves day-of-week numbers from cron's 0-7 to EventBridge's 1-7, keeping names, lists,
/// ranges and steps.
fn weekdays(field: &str) -> Option<String> {
    let convert = |token: &str| -> Option<String> {
        match token.parse::<u8>() {
            Ok(n) if n <= 7 => Some((n % 7 + 1).to_string()),
            Ok(_) => None,
            Err(_) => Some(token.to_owned()),
        }
    };
    let parts = field.split(',').map(|part| {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (part, None),
        };
        let range = match range.split_once('-') {
            Some((a, b)) => format!("{}-{}", convert(a)?, convert(b)?),
            None => convert(range)?,
        };
        Some(match step {
            Some(step) => format!("{range}/{step}"),
            None => range,
        })
    });
    parts.collect::<Option<Vec<_>>>().map(|p| p.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_cron_becomes_eventbridge_cron_with_sunday_as_one() {
        let ok = |e: &str| eventbridge_schedule(e).ok();
        assert_eq!(ok("0 2 * * *").as_deref(), Some("cron(0 2 * * ? *)"));
        assert_eq!(ok("30 9 * * 1-5").as_deref(), Some("cron(30 9 ? * 2-6 *)"));
        assert_eq!(ok("0 0 1 * *").as_deref(), Some("cron(0 0 1 * ? *)"));
        assert_eq!(
            ok("0 0 * * 0,7,SAT").as_deref(),
            Some("cron(0 0 ? * 1,1,SAT *)")
        );
        assert_eq!(ok("0 */5 * * * *").as_deref(), Some("cron(*/5 * * * ? *)"));
        assert_eq!(ok("rate(5 minutes)").as_deref(), Some("rate(5 minutes)"));
    }

    #[test]
    fn cron_that_eventbridge_cannot_express_is_refused() {
        assert!(eventbridge_schedule("0 0 1 * 1").is_err());
        assert!(eventbridge_schedule("30 0 0 * * *").is_err());
    }
}
