//! The page, rendered on the server: the app's functions with their counters and triggers, its
//! resources, and the "try it" form, filled into `assets/dashboard/index.html`. The script then
//! keeps it live from the event stream.

use std::fmt::Write as _;

use axum::body::Body as AxumBody;
use axum::response::Response;
use http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_FRAME_OPTIONS};
use http::HeaderValue;
use serde::Serialize;

use faasport_core::Trigger;

use super::assets::PAGE;
use crate::LocalCloud;

/// Only the page's own files run; fetches and the event stream go to the same origin; nothing
/// may frame it (its buttons change state).
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
    form-action 'none'";

/// How a function can be reached, for the "try it" form.
#[derive(Debug, Serialize)]
struct TriggerInfo {
    kind: &'static str,
    /// The route's method, topic, queue, bucket or schedule expression.
    name: String,
    /// The route's path.
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
}

#[derive(Debug, Serialize)]
struct FunctionInfo<'a> {
    name: &'a str,
    triggers: Vec<TriggerInfo>,
}

/// The page for `sources`' app.
pub(crate) fn render(sources: &LocalCloud) -> Response {
    let app = sources.app();
    let runtime = sources.runtime();
    let mut rows = String::new();
    for m in runtime.metrics() {
        let name = escape(&m.function);
        let total: u64 = m.invocations.iter().map(|(_, n)| n).sum();
        let _ = write!(
            rows,
            "<tr data-function=\"{name}\"><th scope=\"row\">{name}</th>\
             <td data-k=\"invocations\">{total}</td><td data-k=\"ok\">-</td>\
             <td data-k=\"errors\">-</td><td data-k=\"timeouts\">-</td>\
             <td data-k=\"throttles\">-</td><td data-k=\"cold_starts\">{}</td>\
             <td data-k=\"p50_ms\">-</td><td data-k=\"p99_ms\">-</td>\
             <td data-k=\"instances\">{}</td><td data-k=\"peak\">-</td></tr>",
            m.cold_starts, m.instances.live
        );
    }
    let functions: Vec<FunctionInfo<'_>> = app
        .functions()
        .iter()
        .map(|f| FunctionInfo {
            name: f.name(),
            triggers: f.triggers().iter().filter_map(trigger_info).collect(),
        })
        .collect();
    let mut options = String::new();
    for f in &functions {
        let name = escape(f.name);
        let _ = write!(options, "<option value=\"{name}\">{name}</option>");
    }
    let mut buckets = String::new();
    for bucket in app.buckets() {
        let name = escape(bucket);
        let _ = write!(
            buckets,
            "<details class=\"bucket\" data-bucket=\"{name}\"><summary>{name}</summary>\
             <ul class=\"objects\"><li class=\"muted\">open to list</li></ul></details>"
        );
    }
    if buckets.is_empty() {
        buckets.push_str("<p class=\"muted\">no buckets declared</p>");
    }
    // No `<` at all in the JSON (only inside its strings, as `\u003c`), so nothing in a name
    // can end or confuse the script element that holds it.
    let functions_json = serde_json::to_string(&functions)
        .unwrap_or_else(|_| "[]".to_owned())
        .replace('<', "\\u003c");
    let app_name = escape(app.name());
    let profile = escape(&runtime.profile().kind.to_string());
    let html = fill(PAGE, |name| match name {
        "APP" => Some(app_name.as_str()),
        "PROFILE" => Some(profile.as_str()),
        "FUNCTION_ROWS" => Some(rows.as_str()),
        "FUNCTION_OPTIONS" => Some(options.as_str()),
        "BUCKETS" => Some(buckets.as_str()),
        "FUNCTIONS_JSON" => Some(functions_json.as_str()),
        _ => None,
    });
    let mut response = Response::new(AxumBody::from(html));
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `template` with each `{{NAME}}` replaced by `value(NAME)`, in one pass, so a value that
/// happens to contain `{{...}}` is left as it is.
fn fill<'a>(template: &str, value: impl Fn(&str) -> Option<&'a str>) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after
            .find("}}")
            .and_then(|end| Some((end, value(&after[..end])?)))
        {
            Some((end, text)) => {
                out.push_str(text);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn trigger_info(trigger: &Trigger) -> Option<TriggerInfo> {
    let (kind, name, path) = match trigger {
        Trigger::Http { method, path } => (
            "http",
            method
                .as_ref()
                .map_or("GET", http::Method::as_str)
                .to_owned(),
            Some(path.clone()),
        ),
        Trigger::Topic { topic } => ("topic", topic.clone(), None),
        Trigger::Queue { queue, .. } => ("queue", queue.clone(), None),
        Trigger::Schedule { expression } => ("schedule", expression.clone(), None),
        Trigger::Storage { bucket, .. } => ("bucket", bucket.clone(), None),
        _ => return None,
    };
    Some(TriggerInfo { kind, name, path })
}

/// `text` safe in HTML text and double-quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_is_filled_in_one_pass_and_unknown_names_stay() {
        let filled = fill("<h1>{{APP}}</h1>{{NOPE}}{{", |name| {
            (name == "APP").then_some("{{BUCKETS}}")
        });
        assert_eq!(filled, "<h1>{{BUCKETS}}</h1>{{NOPE}}{{");
    }

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
