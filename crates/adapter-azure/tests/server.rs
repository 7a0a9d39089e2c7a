//! The custom handler server: readiness, both HTTP modes, statuses that drive the host's
//! retries, malformed requests answered without stopping the server.

mod common;

use axum::body::Body;
use faasport_core::http::StatusCode;
use serde_json::json;

use common::{fixture, invoke, proxying_router, router, send};
use faasport_adapter_azure::manifest::HttpMode;

#[tokio::test]
async fn the_readiness_poll_is_answered_200() {
    let answer = send(
        &router(),
        http::Request::get("/")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(&answer.body[..], b"ready");
}

#[tokio::test]
async fn a_proxied_http_request_is_routed_by_path_and_answered_as_it_is() {
    let request = http::Request::post("/echo/42?q=hello%20world&q=again")
        .header("x-test", "one")
        .header("x-test", "two")
        .header("x-azure-functions-invocationid", "inv-9")
        .body(Body::from(vec![0u8, 159, 255]))
        .expect("request");
    let answer = send(&router(), request).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let cookies: Vec<&str> = answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    assert_eq!(answer.headers["x-request-id"], "inv-9");
    assert_eq!(
        answer.json(),
        json!({
            "method": "POST", "path": "/echo/42", "id": "42", "q": ["hello world", "again"],
            "x_test": ["one", "two"], "body": "AJ//", "request_id": "inv-9", "attempt": 1,
        })
    );
}

#[tokio::test]
async fn an_http_invocation_in_json_mode_answers_in_outputs_res() {
    let answer = invoke(&router(), "http-echo", &fixture("http.json")).await;
    assert_eq!(answer.status, StatusCode::OK);
    let doc = answer.json();
    assert_eq!(doc["Logs"], json!([]));
    assert_eq!(doc["ReturnValue"], json!(null));
    let res = &doc["Outputs"]["res"];
    assert_eq!(res["statusCode"], "201");
    assert_eq!(res["headers"]["set-cookie"], "a=1, b=2");
    assert_eq!(res["headers"]["content-type"], "application/json");
    assert_eq!(res["headers"]["x-request-id"], "inv-1");
    let body: serde_json::Value =
        serde_json::from_str(res["body"].as_str().expect("text body")).expect("JSON body");
    assert_eq!(
        body,
        json!({
            "method": "POST", "path": "/echo/42", "id": "42", "q": ["hello world", "again"],
            "x_test": ["one", "two"], "body": "eyJza3UiOiJBMSJ9", "request_id": "inv-1", "attempt": 1,
        })
    );
}

#[tokio::test]
async fn a_base64_http_body_in_json_mode_reaches_the_handler_as_bytes() {
    let answer = invoke(&router(), "http-echo", &fixture("http-binary.json")).await;
    let doc = answer.json();
    let body: serde_json::Value =
        serde_json::from_str(doc["Outputs"]["res"]["body"].as_str().expect("text")).expect("JSON");
    assert_eq!(body["body"], "AJ+SlgD/");
    assert_eq!(body["method"], "POST");
    assert_eq!(body["id"], "7");
}

#[tokio::test]
async fn with_proxying_on_a_post_to_an_http_functions_name_is_its_route_not_an_invocation() {
    // `multi-http-2` is the Azure name of `multi`'s POST /multi route; `/publish` is both the
    // route of `publishes` and, were it an Azure function name, an invocation path.
    let app = faasport_core::App::new("a").function(
        faasport_core::Function::new(
            "binary",
            |req: faasport_core::HttpRequest, _: faasport_core::Context| async move {
                Ok::<_, faasport_core::Error>(
                    faasport_core::HttpResponse::ok().with_body(req.body().clone()),
                )
            },
        )
        .http(faasport_core::http::Method::POST, "/binary"),
    );
    let request = || {
        http::Request::post("/binary")
            .body(Body::from(vec![0u8, 255]))
            .expect("request")
    };
    let proxying = faasport_adapter_azure::router(app.clone(), HttpMode::Proxying).expect("router");
    let answer = send(&proxying, request()).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(&answer.body[..], &[0u8, 255]);
    let json_mode = faasport_adapter_azure::router(app, HttpMode::Json).expect("router");
    let answer = send(&json_mode, request()).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    // Event functions are invocations in every mode.
    let answer = invoke(&proxying_router(), "queue", &fixture("queue-storage.json")).await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn a_triggerless_function_is_invoked_on_its_route_with_json() {
    let request = http::Request::post("/faasport-invoke/invoke")
        .body(Body::from(r#"{"qty":2}"#))
        .expect("request");
    let answer = send(&router(), request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json(), json!({"qty": 4}));

    let answer = invoke(&router(), "invoke", &fixture("invoke.json")).await;
    let doc = answer.json();
    assert_eq!(doc["Outputs"]["res"]["statusCode"], "200");
    assert_eq!(doc["Outputs"]["res"]["body"], r#"{"qty":4}"#);
}

#[tokio::test]
async fn a_retryable_failure_is_a_500_so_the_host_retries() {
    let request =
        r#"{"Data":{"trigger":"again"},"Metadata":{"MessageId":"m","DeliveryCount":"1"}}"#;
    let answer = invoke(&router(), "fails", request).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        answer.json(),
        json!({"Outputs": {}, "Logs": ["TransientError: the database is down"], "ReturnValue": null})
    );
}

#[tokio::test]
async fn a_permanent_failure_is_a_422() {
    let request =
        r#"{"Data":{"trigger":"permanent"},"Metadata":{"MessageId":"m","DeliveryCount":"1"}}"#;
    let answer = invoke(&router(), "fails", request).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_http_handler_past_its_timeout_is_a_504() {
    let request = http::Request::get("/slow")
        .body(Body::empty())
        .expect("request");
    let answer = send(&router(), request).await;
    assert_eq!(answer.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(answer.json()["error"], "the function timed out");
}

#[tokio::test]
async fn an_undeclared_binding_use_is_a_500_and_not_a_crash() {
    let request = http::Request::post("/publish")
        .body(Body::empty())
        .expect("request");
    let answer = send(&router(), request).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(answer.json()["error"], "internal server error");
}

#[tokio::test]
async fn malformed_requests_get_a_400_that_says_why_and_the_server_keeps_serving() {
    let router = router();
    let cases = [
        (
            "queue",
            "{not json",
            "the invocation request is not valid JSON: key must be a string at line 1 column 2",
        ),
        (
            "queue",
            "[1]",
            "the invocation request has no `Data` object",
        ),
        (
            "queue",
            r#"{"Data":{}}"#,
            "`Data` has no `trigger` value for the queue trigger",
        ),
        (
            "queue",
            r#"{"Data":{"trigger":"x"},"Metadata":{}}"#,
            "invalid Metadata.Id in the queue invocation: missing",
        ),
        (
            "hub",
            r#"{"Data":{"trigger":"[1]"},"Metadata":{"SequenceNumberArray":"[1,2]"}}"#,
            "invalid SequenceNumberArray in the stream invocation: 2 numbers for 1 events",
        ),
        (
            "http-echo",
            r#"{"Data":{"trigger":{"Url":"/x","Method":"NOT A METHOD"}}}"#,
            "invalid Method in the http invocation: `NOT A METHOD` is not a method",
        ),
        (
            "timer",
            r#"{"Data":{"trigger":{"IsPastDue":3}}}"#,
            "invalid IsPastDue in the timer invocation: 3 is not a boolean",
        ),
        (
            "grid",
            r#"{"Data":{"trigger":{"id":"1"}}}"#,
            "invalid topic in the eventgrid invocation: missing",
        ),
    ];
    for (function, body, why) in cases {
        let answer = invoke(&router, function, body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{function}: {body}");
        assert_eq!(answer.json(), json!({ "error": why }), "{function}: {body}");
    }
    let answer = invoke(&router, "queue", &fixture("queue-storage.json")).await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn an_unrouted_path_is_a_404_and_a_wrong_method_a_405() {
    let request = http::Request::get("/nowhere")
        .body(Body::empty())
        .expect("request");
    let answer = send(&router(), request).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.json()["error"], "no route for GET /nowhere");
    let request = http::Request::get("/multi")
        .body(Body::empty())
        .expect("request");
    let answer = send(&router(), request).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.headers["allow"], "POST");
}

#[tokio::test]
async fn an_app_over_azure_limits_is_refused_before_serving() {
    let app = common::app().function(
        faasport_core::Function::new(
            "huge",
            |_: faasport_core::Event, _: faasport_core::Context| async {
                Ok::<(), faasport_core::Error>(())
            },
        )
        .memory_mb(4096),
    );
    let error = faasport_adapter_azure::router(app, HttpMode::Proxying)
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        error.as_deref(),
        Some("function `huge` sets memory to 4096 MB, outside the azure profile's range of 1 to 1536 MB")
    );
}
