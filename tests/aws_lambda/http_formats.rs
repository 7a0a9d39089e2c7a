//! HTTP sources get their answer in their own response format.

use base64::Engine as _;
use bytes::Bytes;
use faasport::aws::event::{LambdaPayload, SourceNames};
use faasport::http;
use http_body_util::Full;
use serde_json::Value;

use crate::harness::{fixture, Lambda};

fn expected_request(name: &str) -> Value {
    let invocation = LambdaPayload::from_slice(&fixture(name))
        .and_then(|p| p.into_invocation(&SourceNames::default()))
        .expect("fixture maps");
    serde_json::to_value(&invocation.events[0]).expect("serialise")
}

fn body_json(doc: &Value) -> Value {
    let body = doc["body"].as_str().expect("body");
    let bytes = if doc["isBase64Encoded"] == true {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("base64")
    } else {
        body.as_bytes().to_vec()
    };
    serde_json::from_slice(&bytes).expect("echo body is JSON")
}

#[tokio::test]
async fn http_responses_come_back_in_the_format_of_v1_v2_alb_and_function_urls() {
    let Some(lambda) = Lambda::start("echo", "echo").await else {
        return;
    };
    for name in [
        "apigw-v1-rest.json",
        "apigw-v1-rest-base64.json",
        "apigw-v1-rest-get-nobody.json",
        "apigw-v2-http.json",
        "apigw-v2-http-base64.json",
        "function-url.json",
        "alb.json",
        "alb-multi-value.json",
    ] {
        let (status, doc) = lambda.invoke_json(&fixture(name)).await;
        assert_eq!(status, 200, "{name}: {doc}");
        assert_eq!(doc["statusCode"], 200, "{name}");
        assert_eq!(doc["isBase64Encoded"], false, "{name}");
        let echoed = body_json(&doc);
        let mut expected = expected_request(name);
        if expected["event"]["path_params"] == serde_json::json!({}) {
            // Function URLs and ALB carry no path parameters: the runtime fills them from the
            // app's routes (echo's `/{*path}`), as the local gateway does.
            let uri = expected["event"]["uri"].as_str().unwrap_or("/").to_owned();
            let path = uri.split('?').next().unwrap_or("/").trim_start_matches('/');
            if !path.is_empty() {
                expected["event"]["path_params"] = serde_json::json!({ "path": path });
            }
        }
        assert_eq!(echoed, expected, "{name}: every request field echoed");
        // Pinned, so that the comparison above cannot pass on a mapping that lost the request.
        let pinned = match name {
            "apigw-v1-rest.json" => Some(("POST", "/orders/42?q=hello%20world&tag=red&tag=blue")),
            "apigw-v2-http.json" => Some(("POST", "/items/7?tag=red&tag=blue&q=hello%20world")),
            "function-url.json" => Some((
                "POST",
                "/my/path?parameter1=value1&parameter1=value2&parameter2=value",
            )),
            "alb.json" => Some(("POST", "/submit?a=1&b=x%20y")),
            _ => None,
        };
        if let Some((method, uri)) = pinned {
            assert_eq!(
                (
                    echoed["event"]["method"].as_str(),
                    echoed["event"]["uri"].as_str()
                ),
                (Some(method), Some(uri)),
                "{name}"
            );
        }
        let keys: Vec<&str> = doc
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let format: &[&str] = match name {
            n if n.starts_with("apigw-v1") => &[
                "body",
                "headers",
                "isBase64Encoded",
                "multiValueHeaders",
                "statusCode",
            ],
            "alb.json" => &[
                "body",
                "headers",
                "isBase64Encoded",
                "statusCode",
                "statusDescription",
            ],
            "alb-multi-value.json" => &[
                "body",
                "isBase64Encoded",
                "multiValueHeaders",
                "statusCode",
                "statusDescription",
            ],
            _ => &[
                "body",
                "cookies",
                "headers",
                "isBase64Encoded",
                "statusCode",
            ],
        };
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, format, "{name}");
    }
    let (_, v1) = lambda.invoke_json(&fixture("apigw-v1-rest.json")).await;
    assert_eq!(
        v1["multiValueHeaders"]["content-type"],
        serde_json::json!(["application/json"])
    );
    let (_, alb) = lambda.invoke_json(&fixture("alb.json")).await;
    assert_eq!(alb["statusDescription"], "200 OK");
}

#[tokio::test]
async fn a_request_on_the_emulators_url_route_gets_a_real_http_response() {
    let Some(lambda) = Lambda::start("echo", "echo").await else {
        return;
    };
    let request = http::Request::post(format!(
        "{}/lambda-url/_/orders/7?tag=a&tag=b",
        lambda.endpoint()
    ))
    .header("x-custom", "yes")
    .header("cookie", "session=abc")
    .body(Full::new(Bytes::from_static(b"{\"qty\":2}")))
    .expect("request");
    let response = lambda.http(request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let echoed: Value = serde_json::from_slice(response.body()).expect("JSON");
    assert_eq!(echoed["kind"], "http");
    assert_eq!(echoed["event"]["method"], "POST");
    assert_eq!(echoed["event"]["uri"], "/orders/7?tag=a&tag=b");
    assert_eq!(echoed["event"]["body"], "{\"qty\":2}");
    let headers = echoed["event"]["headers"].as_array().expect("headers");
    assert!(
        headers.contains(&serde_json::json!(["x-custom", "yes"])),
        "{headers:?}"
    );
    assert!(
        headers.contains(&serde_json::json!(["cookie", "session=abc"])),
        "{headers:?}"
    );
}
