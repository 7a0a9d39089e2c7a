//! The page's files, compiled into the binary: the dashboard's own script and style sheet, and
//! uPlot 1.6.32 from npm with its licence (`assets/dashboard/README.md` says where each came
//! from).

use axum::body::Body as AxumBody;
use axum::response::Response;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use http::{HeaderValue, StatusCode};

/// Every file served under `/_faasport/dashboard/assets/`, with its media type.
pub(crate) const ASSETS: [(&str, &str, &[u8]); 5] = [
    (
        "dashboard.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/dashboard/dashboard.js"),
    ),
    (
        "dashboard.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../assets/dashboard/dashboard.css"),
    ),
    (
        "uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/dashboard/uPlot.iife.min.js"),
    ),
    (
        "uPlot.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../assets/dashboard/uPlot.min.css"),
    ),
    (
        "uPlot.LICENSE",
        "text/plain; charset=utf-8",
        include_bytes!("../../../assets/dashboard/uPlot.LICENSE"),
    ),
];

/// The page template, filled in by `page.rs`.
pub(crate) const PAGE: &str = include_str!("../../../assets/dashboard/index.html");

/// One asset, or 404.
pub(crate) fn serve(name: &str) -> Response {
    let Some((_, media, bytes)) = ASSETS.iter().find(|(n, _, _)| *n == name) else {
        let message = format!("no dashboard asset `{name}`");
        return super::super::respond::error(StatusCode::NOT_FOUND, &message, None);
    };
    let mut response = Response::new(AxumBody::from(*bytes));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(media));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // The files change only with the binary; a restart with a new build must not show stale
    // ones, so the browser revalidates (there is no fingerprint in the names).
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
