//! The one table of scenarios: an input, the function that takes it, and what a client or the
//! event source observes. Every driver runs every row; a backend that cannot express a row
//! names it in `not_on` with the reason, and the driver prints that reason instead of passing
//! silently.

use serde_json::{json, Value};

/// A column of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The local runtime, called in-process (HTTP routed by the gateway's route table).
    Local,
    /// The local runtime behind its HTTP gateway, over a real socket.
    LocalGateway,
    /// The AWS adapter under cargo-lambda: Function URL requests and Invoke API payloads.
    Aws,
    /// The Google Cloud adapter on `$PORT`: HTTP, Pub/Sub push, Scheduler, CloudEvents.
    Gcp,
    /// The Azure adapter as a custom handler: proxied HTTP requests and invocation requests.
    Azure,
}

/// What is sent.
#[derive(Debug, Clone, Copy)]
pub enum Input {
    /// An HTTP request.
    Http {
        method: &'static str,
        path: &'static str,
        content_type: Option<&'static str>,
        body: &'static [u8],
    },
    /// A queue batch: `(message id, body)`.
    Queue {
        queue: &'static str,
        messages: &'static [(&'static str, &'static str)],
    },
    /// One topic message with attributes.
    Topic {
        topic: &'static str,
        id: &'static str,
        body: &'static str,
        attributes: &'static [(&'static str, &'static str)],
    },
    /// A schedule tick.
    Schedule,
    /// An object created in a bucket.
    Storage {
        bucket: &'static str,
        key: &'static str,
        size: u64,
    },
    /// A CloudEvent (an EventBridge event on AWS).
    Cloud {
        source: &'static str,
        ty: &'static str,
        data: &'static str,
    },
    /// A raw JSON payload (a direct invoke).
    Json(&'static str),
    /// A topic message that fails every delivery: where does it end up?
    Exhausting { topic: &'static str },
}

/// What the client or the source observes.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// An HTTP response: status, headers that must be present with these values, the body.
    Http {
        status: u16,
        headers: &'static [(&'static str, &'static str)],
        body: BodyIs,
    },
    /// Acknowledged: nothing is delivered again.
    Ack,
    /// These batch items are delivered again; the others are done.
    Partial(&'static [&'static str]),
    /// A JSON answer.
    Json(fn() -> Value),
    /// Every retry failed and the event is kept in the dead-letter target (locally) or routed
    /// to an on-failure destination (in the deployed manifest).
    DeadLettered,
}

/// How the body of an HTTP answer is checked.
#[derive(Debug, Clone, Copy)]
pub enum BodyIs {
    /// Exactly these bytes.
    Bytes(&'static [u8]),
    /// JSON equal to this.
    Json(fn() -> Value),
    /// A JSON error body `{"error": .., "request_id": ..}` whose `error` is this text, with the
    /// response's request id.
    Error(&'static str),
    /// A JSON value checked by a predicate (named in the failure message).
    JsonWhere(&'static str, fn(&Value) -> bool),
}

/// One row.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub name: &'static str,
    pub function: &'static str,
    pub input: Input,
    pub expect: Expect,
    pub not_on: &'static [(Backend, &'static str)],
}

const GATEWAY_IS_HTTP_ONLY: &str =
    "the gateway carries HTTP only; events reach the local runtime through its sources (the Local column)";

const GCP_ONE_MESSAGE: &str =
    "Pub/Sub push delivers one message per request, so a batch of three with one failure cannot be sent";
const GCP_NO_REPLY: &str =
    "an acknowledged event answers 204 without a body (Knative Eventing would read a body as a reply event)";

const fn http(method: &'static str, path: &'static str) -> Input {
    Input::Http {
        method,
        path,
        content_type: None,
        body: b"",
    }
}

const fn event(
    name: &'static str,
    function: &'static str,
    input: Input,
    expect: Expect,
) -> Scenario {
    Scenario {
        name,
        function,
        input,
        expect,
        not_on: &[(Backend::LocalGateway, GATEWAY_IS_HTTP_ONLY)],
    }
}

/// Every scenario.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "200 JSON with path and query parameters",
        function: "item",
        input: http("GET", "/items/42?q=hello%20world"),
        expect: Expect::Http {
            status: 200,
            headers: &[("content-type", "application/json")],
            body: BodyIs::Json(|| json!({ "id": "42", "q": "hello world" })),
        },
        not_on: &[],
    },
    Scenario {
        name: "201 with a location header and two cookies",
        function: "create",
        input: Input::Http {
            method: "POST",
            path: "/orders",
            content_type: Some("application/json"),
            body: br#"{"sku":"A1","qty":2}"#,
        },
        expect: Expect::Http {
            status: 201,
            headers: &[
                ("location", "/orders/1"),
                ("set-cookie", "session=abc; Path=/"),
                ("set-cookie", "theme=dark"),
            ],
            body: BodyIs::Json(|| json!({ "sku": "A1", "qty": 2 })),
        },
        not_on: &[],
    },
    Scenario {
        name: "a binary body comes back byte for byte",
        function: "binary",
        input: Input::Http {
            method: "POST",
            path: "/binary",
            content_type: Some("application/octet-stream"),
            body: &[0, 159, 146, 150, 255, 10],
        },
        expect: Expect::Http {
            status: 200,
            headers: &[("content-type", "application/octet-stream")],
            body: BodyIs::Bytes(&[0, 159, 146, 150, 255, 10]),
        },
        not_on: &[],
    },
    Scenario {
        name: "a handler returning () answers 204 with an empty body",
        function: "empty",
        input: http("GET", "/empty"),
        expect: Expect::Http {
            status: 204,
            headers: &[],
            body: BodyIs::Bytes(b""),
        },
        not_on: &[],
    },
    Scenario {
        name: "a body that is not JSON is a 400 that says why",
        function: "create",
        input: Input::Http {
            method: "POST",
            path: "/orders",
            content_type: Some("application/json"),
            body: b"{not json",
        },
        expect: Expect::Http {
            status: 400,
            headers: &[("content-type", "application/json")],
            body: BodyIs::Error(
                "bad request: invalid JSON: key must be a string at line 1 column 2",
            ),
        },
        not_on: &[],
    },
    Scenario {
        name: "a permanent error is a 500 without its text",
        function: "fail",
        input: http("GET", "/fail/permanent"),
        expect: Expect::Http {
            status: 500,
            headers: &[("content-type", "application/json")],
            body: BodyIs::Error("internal server error"),
        },
        not_on: &[],
    },
    Scenario {
        name: "a retryable error is a 500 without its text",
        function: "fail",
        input: http("GET", "/fail/transient"),
        expect: Expect::Http {
            status: 500,
            headers: &[],
            body: BodyIs::Error("internal server error"),
        },
        not_on: &[],
    },
    Scenario {
        name: "a panic is a 500 without the panic text",
        function: "panics",
        input: http("GET", "/panic"),
        expect: Expect::Http {
            status: 500,
            headers: &[],
            body: BodyIs::Error("internal server error"),
        },
        not_on: &[],
    },
    Scenario {
        name: "a handler past its timeout is a 504",
        function: "slow",
        input: http("GET", "/slow"),
        expect: Expect::Http {
            status: 504,
            headers: &[],
            body: BodyIs::Error("the function timed out"),
        },
        not_on: &[],
    },
    Scenario {
        name: "the context carries the request id, function, memory, attempt and deadline",
        function: "context",
        input: http("GET", "/context"),
        expect: Expect::Http {
            status: 200,
            headers: &[],
            body: BodyIs::JsonWhere(
                "function `context`, 256 MB, attempt 1, a deadline within the 10 s timeout",
                |v| {
                    v["function"] == "context"
                        && v["memory_mb"] == 256
                        && v["attempt"] == 1
                        && v["deadline_ahead"] == true
                        && v["request_id"].as_str().is_some_and(|id| !id.is_empty())
                },
            ),
        },
        not_on: &[],
    },
    Scenario {
        name: "a queue batch with one failed message retries only that one",
        function: "batch",
        input: Input::Queue {
            queue: "jobs",
            messages: &[("m1", "ok"), ("m2", "fail"), ("m3", "ok")],
        },
        expect: Expect::Partial(&["m2"]),
        not_on: &[
            (Backend::LocalGateway, GATEWAY_IS_HTTP_ONLY),
            (Backend::Gcp, GCP_ONE_MESSAGE),
        ],
    },
    event(
        "a topic message arrives with its attributes",
        "notify",
        Input::Topic {
            topic: "orders",
            id: "t1",
            body: r#"{"id":1}"#,
            attributes: &[("kind", "created")],
        },
        Expect::Ack,
    ),
    event(
        "a schedule tick is acknowledged",
        "nightly",
        Input::Schedule,
        Expect::Ack,
    ),
    event(
        "a storage event names the bucket, the decoded key and the size",
        "uploaded",
        Input::Storage {
            bucket: "uploads",
            key: "my file.txt",
            size: 5,
        },
        Expect::Ack,
    ),
    Scenario {
        name: "a raw CloudEvent keeps its type, source and data",
        function: "raw",
        input: Input::Cloud {
            source: "com.example",
            ty: "com.example.thing",
            data: r#"{"n":7}"#,
        },
        expect: Expect::Json(
            || json!({ "type": "com.example.thing", "source": "com.example", "data": { "n": 7 } }),
        ),
        not_on: &[
            (Backend::LocalGateway, GATEWAY_IS_HTTP_ONLY),
            (Backend::Gcp, GCP_NO_REPLY),
        ],
    },
    event(
        "Json<T> takes a custom payload and returns one",
        "double",
        Input::Json(r#"{"qty":2}"#),
        Expect::Json(|| json!({ "qty": 4 })),
    ),
    Scenario {
        name: "a topic message that keeps failing is dead-lettered, not dropped",
        function: "doomed",
        input: Input::Exhausting { topic: "doomed" },
        expect: Expect::DeadLettered,
        not_on: &[(Backend::LocalGateway, GATEWAY_IS_HTTP_ONLY)],
    },
];
