//! [`RouteTable`]: matches a method and path to the function whose HTTP trigger claims it.
//!
//! Patterns are `/literal`, `/{param}` (one segment) and a final `/{*rest}` (one or more
//! segments). When several routes match, the most specific wins, segment by segment: a literal
//! beats a parameter, which beats a catch-all; then a route for the exact method beats one for
//! any method. A path that matches only under other methods is a 405, otherwise a 404.
//!
//! The local gateway routes with it, and a cloud adapter whose platform does not extract path
//! parameters (a Lambda Function URL or ALB, a Cloud Run service) fills them from it, so
//! `req.path_param("id")` answers the same everywhere.

use std::collections::BTreeMap;

use http::Method;

use crate::event::percent_decode;
use crate::{App, Trigger};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Rest(String),
}

#[derive(Debug, Clone)]
struct Route {
    method: Option<Method>,
    segments: Vec<Segment>,
    function: String,
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteMatch {
    /// A function, with the decoded path parameters.
    Found {
        /// The function.
        function: String,
        /// Parameter values by name.
        params: BTreeMap<String, String>,
    },
    /// The path exists under other methods (listed).
    MethodNotAllowed(Vec<Method>),
    /// No route has this path.
    NotFound,
}

/// The HTTP routes of an app.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
}

impl RouteTable {
    /// The routes of every HTTP trigger in `app` (validated by [`App::validate`]).
    pub fn from_app(app: &App) -> Self {
        let routes = app
            .functions()
            .iter()
            .flat_map(|f| {
                f.triggers().iter().filter_map(move |t| match t {
                    Trigger::Http { method, path } => Some(Route {
                        method: method.clone(),
                        segments: parse(path),
                        function: f.name().to_owned(),
                    }),
                    _ => None,
                })
            })
            .collect();
        Self { routes }
    }

    /// The patterns, as `METHOD /path`, for checks and listings.
    pub fn patterns(&self) -> Vec<String> {
        self.routes
            .iter()
            .map(|r| {
                let method = r.method.as_ref().map_or("ANY", Method::as_str);
                let path: Vec<String> = r.segments.iter().map(show).collect();
                format!("{method} /{}", path.join("/"))
            })
            .collect()
    }

    /// Fills `request`'s path parameters from the route of `function` it matches, where the
    /// platform gave none (a Lambda Function URL or ALB, Cloud Run, Knative). A request that
    /// already carries parameters (API Gateway extracted them) is left as it is, and so is one
    /// that matches another function's route.
    pub fn fill_path_params(&self, function: &str, request: &mut crate::HttpRequest) {
        if !request.path_params().is_empty() {
            return;
        }
        if let RouteMatch::Found {
            function: found,
            params,
        } = self.find(request.method(), request.path())
        {
            if found == function && !params.is_empty() {
                request
                    .extensions_mut()
                    .insert(crate::event::PathParams(params));
            }
        }
    }

    /// Finds the route for `method` and `path` (the URI path, still percent-encoded).
    pub fn find(&self, method: &Method, path: &str) -> RouteMatch {
        let parts: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
        let mut best: Option<(Vec<u8>, &Route, BTreeMap<String, String>)> = None;
        let mut allowed = Vec::new();
        for route in &self.routes {
            let Some((rank, params)) = matches(&route.segments, &parts) else {
                continue;
            };
            match &route.method {
                Some(m) if m != method => {
                    allowed.push(m.clone());
                    continue;
                }
                _ => {}
            }
            let mut rank = rank;
            rank.push(u8::from(route.method.is_none()));
            if best.as_ref().is_none_or(|(b, _, _)| rank < *b) {
                best = Some((rank, route, params));
            }
        }
        match best {
            Some((_, route, params)) => RouteMatch::Found {
                function: route.function.clone(),
                params,
            },
            None if !allowed.is_empty() => RouteMatch::MethodNotAllowed(allowed),
            None => RouteMatch::NotFound,
        }
    }
}

/// The segment kinds of a match (0 literal, 1 param, 2 rest) and the captured parameters.
fn matches(segments: &[Segment], parts: &[&str]) -> Option<(Vec<u8>, BTreeMap<String, String>)> {
    // One more for the method's rank, pushed by `find`.
    let mut rank = Vec::with_capacity(segments.len() + 1);
    let mut params = BTreeMap::new();
    for (i, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Literal(lit) => {
                if parts.get(i) != Some(&lit.as_str()) {
                    return None;
                }
                rank.push(0);
            }
            Segment::Param(name) => {
                let part = parts.get(i).filter(|p| !p.is_empty())?;
                params.insert(name.clone(), percent_decode(part, false));
                rank.push(1);
            }
            Segment::Rest(name) => {
                let rest = parts.get(i..).filter(|r| !r.is_empty())?;
                params.insert(name.clone(), percent_decode(&rest.join("/"), false));
                rank.push(2);
                return Some((rank, params));
            }
        }
    }
    (parts.len() == segments.len()).then_some((rank, params))
}

fn parse(path: &str) -> Vec<Segment> {
    path.strip_prefix('/')
        .unwrap_or(path)
        .split('/')
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => match name.strip_prefix('*') {
                    Some(rest) => Segment::Rest(rest.to_owned()),
                    None => Segment::Param(name.to_owned()),
                },
                None => Segment::Literal(s.to_owned()),
            },
        )
        .collect()
}

fn show(segment: &Segment) -> String {
    match segment {
        Segment::Literal(s) => s.clone(),
        Segment::Param(s) => format!("{{{s}}}"),
        Segment::Rest(s) => format!("{{*{s}}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, Error, Function, HttpRequest, HttpResponse};

    async fn h(_: HttpRequest, _: Context) -> Result<HttpResponse, Error> {
        Ok(HttpResponse::ok())
    }

    fn table() -> RouteTable {
        RouteTable::from_app(
            &App::new("t")
                .function(Function::new("list", h).http(Method::GET, "/orders"))
                .function(Function::new("one", h).http(Method::GET, "/orders/{id}"))
                .function(Function::new("latest", h).http(Method::GET, "/orders/latest"))
                .function(Function::new("files", h).http_any("/files/{*path}")),
        )
    }

    fn found(m: RouteMatch) -> (String, Vec<(String, String)>) {
        match m {
            RouteMatch::Found { function, params } => (function, params.into_iter().collect()),
            other => (format!("{other:?}"), vec![]),
        }
    }

    #[test]
    fn literals_beat_parameters_and_parameters_are_decoded() {
        let t = table();
        assert_eq!(found(t.find(&Method::GET, "/orders/latest")).0, "latest");
        assert_eq!(
            found(t.find(&Method::GET, "/orders/a%20b")),
            ("one".to_owned(), vec![("id".to_owned(), "a b".to_owned())])
        );
        assert_eq!(
            found(t.find(&Method::PUT, "/files/a/b.txt")),
            (
                "files".to_owned(),
                vec![("path".to_owned(), "a/b.txt".to_owned())]
            )
        );
    }

    #[test]
    fn other_methods_are_405_and_unknown_paths_404() {
        let t = table();
        assert_eq!(
            t.find(&Method::POST, "/orders"),
            RouteMatch::MethodNotAllowed(vec![Method::GET])
        );
        assert_eq!(t.find(&Method::GET, "/nope"), RouteMatch::NotFound);
        assert_eq!(t.find(&Method::GET, "/orders/"), RouteMatch::NotFound);
        assert_eq!(t.find(&Method::GET, "/files"), RouteMatch::NotFound);
    }
}
