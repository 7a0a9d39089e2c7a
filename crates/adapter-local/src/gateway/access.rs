//! Who may use the admin endpoints: the checks that keep web pages and foreign hosts out.
//!
//! A browser can be made to send requests to `127.0.0.1` by any page it visits: directly
//! (cross-site request forgery) or under an attacker's host name that resolves to loopback
//! (DNS rebinding). Before any admin endpoint runs:
//!
//! 1. **`Host`** must name the bound address, `localhost`, or, when bound to an unspecified
//!    address (`0.0.0.0`, `::`), an IP literal. The port is not compared, so a forwarded port
//!    still works. A request without `Host` is not from a browser and passes.
//! 2. **`Origin`**, when present, must name one of those hosts; `null` and any other are refused.
//! 3. **The admin token**, when set, must come as `Authorization: Bearer <token>` (401 without
//!    it); health needs none, so probes keep working.
//! 4. **A request that changes state** (any method but `GET`, `HEAD` and `OPTIONS`) must not be
//!    a CORS simple request: it carries `content-type: application/json` or the
//!    [`ADMIN_HEADER`] header, which a page cannot send cross-origin without a preflight.
//!
//! A refusal is a 403 (401 for the token) with a JSON error naming the rule.

use std::net::{IpAddr, SocketAddr};

use axum::extract::Request;
use axum::response::Response;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST, ORIGIN, WWW_AUTHENTICATE};
use http::{HeaderValue, Method, StatusCode};

use super::admin::{ADMIN_HEADER, ADMIN_PREFIX};

/// The admin access rules of one gateway.
#[derive(Clone)]
pub(crate) struct AdminAccess {
    addr: SocketAddr,
    token: Option<String>,
}

/// Why an admin request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    ForeignHost,
    ForeignOrigin,
    MissingToken,
    SimpleRequest,
}

impl Refusal {
    pub(crate) fn into_response(self) -> Response {
        let (status, message) = match self {
            Refusal::ForeignHost => (
                StatusCode::FORBIDDEN,
                "admin endpoints answer only requests addressed to the bound address or localhost (Host header)",
            ),
            Refusal::ForeignOrigin => (
                StatusCode::FORBIDDEN,
                "admin endpoints refuse requests from another origin (Origin header)",
            ),
            Refusal::MissingToken => (
                StatusCode::UNAUTHORIZED,
                "admin endpoints need `Authorization: Bearer <admin token>`",
            ),
            Refusal::SimpleRequest => (
                StatusCode::FORBIDDEN,
                "admin requests that change state need `content-type: application/json` or an `x-faasport-admin: 1` header",
            ),
        };
        let mut response = super::respond::error(status, message, None);
        if self == Refusal::MissingToken {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl AdminAccess {
    pub(crate) fn new(addr: SocketAddr, token: Option<String>) -> Self {
        Self { addr, token }
    }

    /// Checks an admin request against the rules of the module docs, in their order.
    pub(crate) fn check(&self, request: &Request) -> Result<(), Refusal> {
        let headers = request.headers();
        if let Some(host) = headers.get(HOST) {
            let host = host.to_str().map_err(|_| Refusal::ForeignHost)?;
            if !self.allows_host(strip_port(host)) {
                return Err(Refusal::ForeignHost);
            }
        }
        if let Some(origin) = headers.get(ORIGIN) {
            let origin = origin.to_str().map_err(|_| Refusal::ForeignOrigin)?;
            let host = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                .ok_or(Refusal::ForeignOrigin)?;
            if !self.allows_host(strip_port(host)) {
                return Err(Refusal::ForeignOrigin);
            }
        }
        let is_health = request.uri().path() == format!("{ADMIN_PREFIX}health");
        if let (Some(token), false) = (&self.token, is_health) {
            let given = headers
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or_default();
            if !same_secret(given.trim().as_bytes(), token.as_bytes()) {
                return Err(Refusal::MissingToken);
            }
        }
        let changes_state =
            ![Method::GET, Method::HEAD, Method::OPTIONS].contains(request.method());
        let json = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
            });
        if changes_state && !json && !headers.contains_key(ADMIN_HEADER) {
            return Err(Refusal::SimpleRequest);
        }
        Ok(())
    }

    fn allows_host(&self, host: &str) -> bool {
        if host.eq_ignore_ascii_case("localhost") {
            return true;
        }
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        match literal.parse::<IpAddr>() {
            Ok(ip) => ip == self.addr.ip() || self.addr.ip().is_unspecified(),
            Err(_) => false,
        }
    }
}

/// `host[:port]` or `[v6][:port]` without the port.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

/// Compares in time independent of where the first difference is.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(addr: &str) -> AdminAccess {
        AdminAccess::new(addr.parse().expect("addr"), None)
    }

    #[test]
    fn hosts_are_compared_without_their_port() {
        let loopback = access("127.0.0.1:3000");
        assert!(loopback.allows_host(strip_port("127.0.0.1:9999")));
        assert!(loopback.allows_host(strip_port("LOCALHOST:3000")));
        assert!(!loopback.allows_host(strip_port("attacker.example:3000")));
        assert!(!loopback.allows_host(strip_port("10.0.0.1:3000")));
        let v6 = access("[::1]:3000");
        assert!(v6.allows_host(strip_port("[::1]:3000")));
        let any = access("0.0.0.0:3000");
        assert!(any.allows_host(strip_port("10.0.0.1:3000")));
        assert!(!any.allows_host(strip_port("attacker.example")));
    }
}
