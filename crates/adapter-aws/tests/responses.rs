//! Outputs go back in the invoking source's format.

use std::collections::BTreeMap;

use faasport_adapter_aws::event::Source;
use faasport_adapter_aws::response::{diagnostic, to_response};
use faasport_core::http::StatusCode;
use faasport_core::{BatchOutcome, Error, HttpResponse, Output};
use serde_json::json;

fn page() -> Output {
    let response = HttpResponse::text(StatusCode::CREATED, "made")
        .with_header("x-tag", "a")
        .and_then(|r| r.with_header("x-tag", "b"))
        .and_then(|r| r.with_header("set-cookie", "k=v"))
        .and_then(|r| r.with_header("set-cookie", "theme=dark"))
        .expect("headers");
    Output::Http(response)
}

fn png() -> Output {
    Output::Http(
        HttpResponse::new(StatusCode::OK)
            .with_body(vec![0x89u8, b'P', b'N', b'G', 0xFF])
            .with_header("content-type", "image/png")
            .expect("header"),
    )
}

#[test]
fn api_gateway_v1_responses_carry_single_and_multi_value_headers() {
    assert_eq!(
        to_response(&Source::ApiGatewayV1, vec![page()]),
        json!({
            "statusCode": 201,
            "headers": {"content-type": "text/plain; charset=utf-8", "x-tag": "a", "set-cookie": "theme=dark"},
            "multiValueHeaders": {"content-type": ["text/plain; charset=utf-8"], "x-tag": ["a", "b"], "set-cookie": ["k=v", "theme=dark"]},
            "body": "made",
            "isBase64Encoded": false
        })
    );
}

#[test]
fn payload_v2_and_function_url_responses_move_set_cookie_to_cookies() {
    let expected = json!({
        "statusCode": 201,
        "headers": {"content-type": "text/plain; charset=utf-8", "x-tag": "a, b"},
        "cookies": ["k=v", "theme=dark"],
        "body": "made",
        "isBase64Encoded": false
    });
    assert_eq!(to_response(&Source::ApiGatewayV2, vec![page()]), expected);
    assert_eq!(to_response(&Source::FunctionUrl, vec![page()]), expected);
}

#[test]
fn alb_responses_follow_the_requests_header_mode() {
    let single = to_response(&Source::Alb { multi_value: false }, vec![page()]);
    assert_eq!(single["statusDescription"], "201 Created");
    assert_eq!(single["headers"]["x-tag"], "a, b");
    assert_eq!(single.get("multiValueHeaders"), None);
    let multi = to_response(&Source::Alb { multi_value: true }, vec![page()]);
    assert_eq!(multi["multiValueHeaders"]["x-tag"], json!(["a", "b"]));
    assert_eq!(
        multi["multiValueHeaders"]["set-cookie"],
        json!(["k=v", "theme=dark"])
    );
    assert_eq!(multi.get("headers"), None);
}

#[test]
fn binary_bodies_are_base64_with_the_flag_set_for_every_http_source() {
    for source in [
        Source::ApiGatewayV1,
        Source::ApiGatewayV2,
        Source::FunctionUrl,
        Source::Alb { multi_value: false },
    ] {
        let doc = to_response(&source, vec![png()]);
        assert_eq!(
            (doc["body"].as_str(), doc["isBase64Encoded"].as_bool()),
            (Some("iVBOR/8="), Some(true)),
            "{source:?}"
        );
    }
}

#[test]
fn batch_outcomes_name_message_ids_or_sequence_numbers() {
    let failed = || vec![Output::Batch(BatchOutcome::failed(["m2", "m3"]))];
    let expected =
        json!({"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]});
    assert_eq!(to_response(&Source::Sqs, failed()), expected);
    assert_eq!(to_response(&Source::Kinesis, failed()), expected);
    let sequences = BTreeMap::from([
        ("m2".to_owned(), "222".to_owned()),
        ("m3".to_owned(), "333".to_owned()),
    ]);
    assert_eq!(
        to_response(&Source::DynamoDb { sequences }, failed()),
        json!({"batchItemFailures": [{"itemIdentifier": "222"}, {"itemIdentifier": "333"}]})
    );
    assert_eq!(
        to_response(&Source::Sqs, vec![Output::Empty]),
        json!({"batchItemFailures": []})
    );
}

#[test]
fn non_http_outputs_are_their_json_and_records_give_an_array() {
    assert_eq!(
        to_response(&Source::Direct, vec![Output::Json(json!({"a": 1}))]),
        json!({"a": 1})
    );
    assert_eq!(to_response(&Source::Sns, vec![Output::Empty]), json!(null));
    assert_eq!(
        to_response(&Source::S3, vec![Output::Empty, Output::Json(json!(2))]),
        json!([null, 2])
    );
    assert_eq!(
        to_response(&Source::ApiGatewayV2, vec![Output::Empty])["statusCode"],
        204
    );
}

#[test]
fn errors_become_diagnostics_with_their_error_type() {
    let d = diagnostic(&Error::invalid_payload("the event is not valid JSON"));
    assert_eq!(
        (d.error_type.as_str(), d.error_message.as_str()),
        (
            "InvalidPayload",
            "invalid payload: the event is not valid JSON"
        )
    );
    let d = diagnostic(&Error::Timeout(std::time::Duration::from_secs(3)));
    assert_eq!(
        (d.error_type.as_str(), d.error_message.as_str()),
        ("Timeout", "timed out after 3s")
    );
    let d = diagnostic(&Error::Panic("boom".into()));
    assert_eq!(
        (d.error_type.as_str(), d.error_message.as_str()),
        ("Panic", "the handler panicked: boom")
    );
}
