//! The timer trigger: `{"Schedule": {..}, "ScheduleStatus": {"Last", "Next", "LastUpdated"},
//! "IsPastDue": false}` (camelCase accepted too).
//!
//! The tick's time is `Metadata.sys.UtcNow`, when the host fired it (the host sends no
//! "scheduled for" time; `ScheduleStatus.Next` is the tick after this one). `IsPastDue` goes
//! to the context's metadata as `is_past_due`.

use faasport_core::{Event, ScheduleTick};
use serde_json::Value;

use super::encoding::{get_ci, object, time};
use super::{field_error, Decoded, EventError, InvocationRequest};

pub(super) fn tick(
    request: &InvocationRequest,
    expression: &str,
    value: &Value,
) -> Result<Decoded, EventError> {
    let timer = object(value).ok_or_else(|| field_error("timer", "timer", "not an object"))?;
    let past_due = match get_ci(&timer, "IsPastDue") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => true,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => false,
        Some(other) => {
            return Err(field_error(
                "timer",
                "IsPastDue",
                format!("{other} is not a boolean"),
            ))
        }
    };
    let fired_at = request
        .meta("sys")
        .and_then(object)
        .and_then(|sys| get_ci(&sys, "UtcNow").and_then(time))
        .unwrap_or_else(chrono::Utc::now);
    let mut decoded = Decoded::new(Event::Schedule(ScheduleTick::new(expression, fired_at)));
    decoded.metadata.push(("is_past_due", past_due.to_string()));
    Ok(decoded)
}
