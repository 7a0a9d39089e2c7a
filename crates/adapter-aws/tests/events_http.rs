//! HTTP payloads (API Gateway v1 and v2, Function URL, ALB) map to exact neutral requests.

mod common;

use common::fixture;
use faasport_adapter_aws::event::{EventError, LambdaPayload, Source, SourceNames};
use faasport_core::{Event, HttpRequest};

fn request(name: &str) -> (Source, HttpRequest) {
    let invocation = LambdaPayload::from_slice(&fixture(name))
        .and_then(|p| p.into_invocation(&SourceNames::default()))
        .expect("maps");
    let [Event::Http(req)] = <[Event; 1]>::try_from(invocation.events).expect("one event") else {
        panic!("not an HTTP event")
    };
    (invocation.source, req)
}

fn header_values(req: &HttpRequest, name: &str) -> Vec<String> {
    req.headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect()
}

#[test]
fn api_gateway_v1_keeps_multi_value_headers_and_query_and_path_parameters() {
    let (source, req) = request("apigw-v1-rest.json");
    assert_eq!(source, Source::ApiGatewayV1);
    assert_eq!(req.method(), "POST");
    assert_eq!(req.uri(), "/orders/42?q=hello%20world&tag=red&tag=blue");
    assert_eq!(req.query_values("tag"), ["red", "blue"]);
    assert_eq!(req.query_param("q").as_deref(), Some("hello world"));
    assert_eq!(header_values(&req, "x-custom"), ["a", "b"]);
    assert_eq!(header_values(&req, "cookie"), ["session=abc; theme=dark"]);
    assert_eq!(req.path_param("orderId"), Some("42"));
    assert_eq!(req.body().as_str(), Some(r#"{"item":"book","qty":2}"#));
}

#[test]
fn api_gateway_v1_decodes_base64_bodies_and_takes_a_null_body_as_empty() {
    let (_, req) = request("apigw-v1-rest-base64.json");
    assert_eq!(req.method(), "PUT");
    let mut expected = vec![0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x01];
    expected.extend_from_slice(b"binary");
    expected.push(0xFF);
    assert_eq!(req.body().as_bytes(), expected.as_slice());
    let (_, get) = request("apigw-v1-rest-get-nobody.json");
    assert_eq!(get.method(), "GET");
    assert!(get.body().is_empty());
}

#[test]
fn api_gateway_v2_keeps_the_raw_query_and_puts_cookies_back_in_a_header() {
    let (source, req) = request("apigw-v2-http.json");
    assert_eq!(source, Source::ApiGatewayV2);
    assert_eq!(req.method(), "POST");
    assert_eq!(req.uri(), "/items/7?tag=red&tag=blue&q=hello%20world");
    assert_eq!(
        header_values(&req, "cookie"),
        ["session=abc123; theme=dark"]
    );
    assert_eq!(header_values(&req, "x-custom"), ["a,b"]);
    assert_eq!(req.path_param("id"), Some("7"));
    assert_eq!(req.body().as_str(), Some(r#"{"name":"widget"}"#));
    let (_, form) = request("apigw-v2-http-base64.json");
    assert_eq!(form.body().as_str(), Some("name=café&x=1"));
}

#[test]
fn function_urls_are_told_apart_from_http_apis_by_their_domain() {
    let (source, req) = request("function-url.json");
    assert_eq!(source, Source::FunctionUrl);
    assert_eq!(
        req.uri(),
        "/my/path?parameter1=value1&parameter1=value2&parameter2=value"
    );
    assert_eq!(header_values(&req, "cookie"), ["cookie1=v1; cookie2=v2"]);
    assert_eq!(req.body().as_str(), Some(r#"{"hello":"url"}"#));
}

#[test]
fn alb_requests_keep_encoded_query_values_in_single_and_multi_value_mode() {
    let (source, req) = request("alb.json");
    assert_eq!(source, Source::Alb { multi_value: false });
    assert_eq!(req.uri(), "/submit?a=1&b=x%20y");
    assert_eq!(req.query_param("b").as_deref(), Some("x y"));
    assert_eq!(header_values(&req, "cookie"), ["session=abc"]);
    assert_eq!(req.body().as_str(), Some("hello alb"));
    let (source, req) = request("alb-multi-value.json");
    assert_eq!(source, Source::Alb { multi_value: true });
    assert_eq!(req.uri(), "/search?q=a%20b&tag=red&tag=blue");
    assert_eq!(header_values(&req, "x-custom"), ["one", "two"]);
    assert!(req.body().is_empty());
}

#[test]
fn a_payload_that_is_not_json_is_a_typed_error() {
    let err = LambdaPayload::from_slice(&fixture("malformed.json")).expect_err("not JSON");
    assert!(matches!(err, EventError::NotJson(_)), "{err:?}");
    assert_eq!(err.to_string(), "the event is not valid JSON");
    let core: faasport_core::Error = err.into();
    assert_eq!(core.error_type(), "InvalidPayload");
}

#[test]
fn a_recognised_shape_with_wrong_fields_is_a_typed_error_naming_the_shape() {
    let err = LambdaPayload::from_slice(&fixture("malformed-shape-sqs.json")).expect_err("bad SQS");
    assert!(
        matches!(
            err,
            EventError::Malformed {
                shape: "an SQS batch",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the event looks like an SQS batch but does not match its shape"
    );
}

#[test]
fn a_query_parameter_listed_without_values_is_left_out_rather_than_panicking() {
    // Found by the `aws_payload` fuzz target: `QueryMap` indexed the empty list.
    for name in ["alb-multi-value.json", "apigw-v1-rest.json"] {
        let mut payload: serde_json::Value =
            serde_json::from_slice(&fixture(name)).expect("a JSON fixture");
        payload["multiValueQueryStringParameters"] =
            serde_json::json!({"tag": ["red", "blue"], "q": []});
        payload["queryStringParameters"] = serde_json::json!({"tag": "blue", "q": []});
        let invocation = LambdaPayload::from_value(payload)
            .and_then(|p| p.into_invocation(&SourceNames::default()))
            .expect("maps");
        let [Event::Http(req)] = <[Event; 1]>::try_from(invocation.events).expect("one event")
        else {
            panic!("not an HTTP event")
        };
        assert_eq!(req.query_values("tag"), ["red", "blue"], "{name}");
        assert!(req.query_values("q").is_empty(), "{name}");
    }
}
