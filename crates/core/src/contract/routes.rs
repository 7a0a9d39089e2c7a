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
    /// How specific the route is, lowest first: its segments' kinds (0 literal, 1 param, 2
    /// rest), then 1 for any method. It depends on the route alone, so it is worked out once.
    rank: Vec<u8>,
}

impl Route {
    fn new(method: Option<Method>, path: &str, function: String) -> Self {
        let segments = parse(path);
        let mut rank = Vec::with_capacity(segments.len() + 1);
        for segment in &segments {
            match segment {
                Segment::Literal(_) => rank.push(0),
                Segment::Param(_) => rank.push(1),
                // A catch-all takes the rest of the path: nothing after it is matched.
                Segment::Rest(_) => {
                    rank.push(2);
                    break;
                }
            }
        }
        rank.push(u8::from(method.is_none()));
        Self {
            method,
            segments,
            function,
            rank,
        }
    }
}

/// Why a lookup found no function ([`RouteTable::find_function`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteMiss {
    /// The path exists under other methods (listed): a 405.
    MethodNotAllowed(Vec<Method>),
    /// No route has this path: a 404.
    NotFound,
}

impl From<RouteMiss> for RouteMatch {
    fn from(miss: RouteMiss) -> Self {
        match miss {
            RouteMiss::MethodNotAllowed(methods) => RouteMatch::MethodNotAllowed(methods),
            RouteMiss::NotFound => RouteMatch::NotFound,
        }
    }
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
                    Trigger::Http { method, path } => {
                        Some(Route::new(method.clone(), path, f.name().to_owned()))
                    }
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
        match self.find_function(method, path) {
            Ok((function, params)) => RouteMatch::Found {
                function: function.to_owned(),
                params,
            },
            Err(miss) => miss.into(),
        }
    }

    /// [`RouteTable::find`] with the function's name borrowed from the table rather than
    /// copied: the function and its path parameters. A route the path does not match costs no
    /// allocation.
    ///
    /// # Errors
    /// [`RouteMiss`], as [`RouteTable::find`] answers it.
    pub fn find_function(
        &self,
        method: &Method,
        path: &str,
    ) -> Result<(&str, BTreeMap<String, String>), RouteMiss> {
        let path = path.strip_prefix('/').unwrap_or(path);
        let mut best: Option<(&Route, BTreeMap<String, String>)> = None;
        let mut allowed = Vec::new();
        for route in &self.routes {
            let Some(params) = matches(&route.segments, path) else {
                continue;
            };
            match &route.method {
                Some(m) if m != method => {
                    allowed.push(m.clone());
                    continue;
                }
                _ => {}
            }
            if best.as_ref().is_none_or(|(b, _)| route.rank < b.rank) {
                best = Some((route, params));
            }
        }
        match best {
            Some((route, params)) => Ok((&route.function, params)),
            None if !allowed.is_empty() => Err(RouteMiss::MethodNotAllowed(allowed)),
            None => Err(RouteMiss::NotFound),
        }
    }
}

/// The parameters `segments` capture from `path` (without its leading `/`), if they match it.
fn matches(segments: &[Segment], path: &str) -> Option<BTreeMap<String, String>> {
    // What is left of the path: `None` once its last part is taken.
    let mut rest = Some(path);
    let mut next = || {
        let left = rest?;
        Some(match left.split_once('/') {
            Some((part, after)) => {
                rest = Some(after);
                part
            }
            None => {
                rest = None;
                left
            }
        })
    };
    let mut params = BTreeMap::new();
    for segment in segments {
        match segment {
            Segment::Literal(lit) => {
                if next()? != lit.as_str() {
                    return None;
                }
            }
            Segment::Param(name) => {
                let part = next().filter(|p| !p.is_empty())?;
                params.insert(name.clone(), percent_decode(part, false));
            }
            Segment::Rest(name) => {
                // One or more parts: the rest of the path as it is.
                let remainder = rest?;
                params.insert(name.clone(), percent_decode(remainder, false));
                return Some(params);
            }
        }
    }
    rest.is_none().then_some(params)
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

    /// The lookup as it was written before the rank was precomputed and the path split
    /// lazily (a vector of parts and a rank vector per matching route), kept as the reference.
    fn reference(t: &RouteTable, method: &Method, path: &str) -> RouteMatch {
        let parts: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
        let mut best: Option<(Vec<u8>, &Route, BTreeMap<String, String>)> = None;
        let mut allowed = Vec::new();
        for route in &t.routes {
            let mut rank = Vec::new();
            let mut params = BTreeMap::new();
            let mut matched = None;
            for (i, segment) in route.segments.iter().enumerate() {
                match segment {
                    Segment::Literal(lit) => {
                        if parts.get(i) != Some(&lit.as_str()) {
                            matched = Some(false);
                            break;
                        }
                        rank.push(0);
                    }
                    Segment::Param(name) => match parts.get(i).filter(|p| !p.is_empty()) {
                        Some(part) => {
                            params.insert(name.clone(), percent_decode(part, false));
                            rank.push(1);
                        }
                        None => {
                            matched = Some(false);
                            break;
                        }
                    },
                    Segment::Rest(name) => {
                        match parts.get(i..).filter(|r| !r.is_empty()) {
                            Some(rest) => {
                                params.insert(name.clone(), percent_decode(&rest.join("/"), false));
                                rank.push(2);
                                matched = Some(true);
                            }
                            None => matched = Some(false),
                        }
                        break;
                    }
                }
            }
            if !matched.unwrap_or(parts.len() == route.segments.len()) {
                continue;
            }
            match &route.method {
                Some(m) if m != method => {
                    allowed.push(m.clone());
                    continue;
                }
                _ => {}
            }
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

    #[test]
    fn every_lookup_answers_as_the_reference_does() {
        let t = RouteTable::from_app(
            &App::new("t")
                .function(Function::new("list", h).http(Method::GET, "/orders"))
                .function(Function::new("one", h).http(Method::GET, "/orders/{id}"))
                .function(Function::new("put", h).http(Method::PUT, "/orders/{id}"))
                .function(Function::new("latest", h).http(Method::GET, "/orders/latest"))
                .function(Function::new("files", h).http_any("/files/{*path}"))
                .function(Function::new("get_files", h).http(Method::GET, "/files/{*path}"))
                .function(Function::new("nested", h).http_any("/{a}/{b}/{*rest}"))
                .function(Function::new("root", h).http(Method::GET, "/"))
                .function(Function::new("deep", h).http_any("/a/b/c/d")),
        );
        let paths = [
            "",
            "/",
            "//",
            "/orders",
            "/orders/",
            "/orders//",
            "/orders/1",
            "/orders/1/",
            "/orders/latest",
            "/orders/a%2Fb",
            "/files",
            "/files/",
            "/files//",
            "/files/a",
            "/files/a/b/c.txt",
            "/files//x",
            "/x/y",
            "/x/y/",
            "/x/y/z",
            "/x//z",
            "//y/z",
            "/a/b/c/d",
            "/a/b/c/d/",
            "/a/b/c",
            "orders",
            "orders/1",
            "/%41/%42/%43",
        ];
        for method in [Method::GET, Method::PUT, Method::POST, Method::DELETE] {
            for path in paths {
                assert_eq!(
                    t.find(&method, path),
                    reference(&t, &method, path),
                    "{method} {path:?}"
                );
            }
        }
        assert!(matches!(
            t.find_function(&Method::GET, "/orders/7"),
            Ok(("one", params)) if params.get("id").map(String::as_str) == Some("7")
        ));
    }
}
