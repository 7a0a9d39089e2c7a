//! The local columns: in-process, and through the gateway over a real socket.

use std::time::Duration;

use bytes::Bytes;
use faasport::core::contract::http_response;
use faasport::http::{self, HeaderValue, Method};
use faasport::local::gateway::{RouteMatch, RouteTable};
use faasport::local::{serve, DeadLetterSource, LocalCloud};
use faasport::{
    CloudEvent, Event, HttpRequest, Message, Output, QueueBatch, QueueMessage, ScheduleTick,
    StorageEvent, StorageEventKind, TopicMessage,
};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::scenarios::{Backend, Input, Scenario};
use crate::{app, run_matrix, Observed};

/// The neutral event for an input (HTTP requests routed like the gateway routes them).
fn event(input: &Input) -> Event {
    match *input {
        Input::Http {
            method,
            path,
            content_type,
            body,
        } => {
            let method: Method = method.parse().expect("method");
            let mut request = HttpRequest::new(method.clone(), path)
                .expect("request")
                .with_body(Bytes::from_static(body));
            if let Some(ct) = content_type {
                request = request.with_header("content-type", ct).expect("header");
            }
            let routes = RouteTable::from_app(&app::app());
            match routes.find(&method, request.path()) {
                RouteMatch::Found { params, .. } => Event::Http(request.with_path_params(params)),
                other => panic!("{path} is not routed: {other:?}"),
            }
        }
        Input::Queue { queue, messages } => Event::Queue(QueueBatch::new(
            queue,
            messages
                .iter()
                .map(|(id, body)| QueueMessage::new(*id, *body))
                .collect(),
        )),
        Input::Topic {
            topic,
            id,
            body,
            attributes,
        } => {
            let mut message = TopicMessage::new(topic, id, body);
            for (k, v) in attributes {
                message = message.with_attribute(*k, *v);
            }
            Event::Topic(message)
        }
        Input::Schedule => Event::Schedule(ScheduleTick::new(
            "0 2 * * *",
            faasport::core::chrono::Utc::now(),
        )),
        Input::Storage { bucket, key, size } => Event::Storage(
            StorageEvent::new(bucket, key, StorageEventKind::Created).with_size(size),
        ),
        Input::Cloud { source, ty, data } => Event::CloudEvent(
            CloudEvent::new("ce-1", source, ty)
                .with_data(serde_json::from_str(data).expect("data JSON")),
        ),
        Input::Json(json) => Event::from_json(serde_json::from_str(json).expect("JSON")),
        Input::Exhausting { topic } => Event::Topic(TopicMessage::new(topic, "x1", "{}")),
    }
}

fn observe(
    scenario: &Scenario,
    request_id: &str,
    result: Result<Output, faasport::Error>,
) -> Observed {
    if matches!(scenario.input, Input::Http { .. }) {
        let response = http_response(scenario.function, request_id, result).into_http();
        let (parts, body) = response.into_parts();
        return Observed::Http {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: body.into_bytes(),
        };
    }
    let items: Vec<String> = match scenario.input {
        Input::Queue { messages, .. } => messages.iter().map(|(id, _)| (*id).to_owned()).collect(),
        _ => Vec::new(),
    };
    match (
        &result,
        faasport::core::contract::Delivery::of(&result, &items),
    ) {
        (Ok(Output::Json(value)), _) => Observed::Json(value.clone()),
        (_, faasport::core::contract::Delivery::Ack) => Observed::Ack,
        (_, faasport::core::contract::Delivery::RetryItems(ids)) => Observed::Partial(ids),
        (Err(e), _) => Observed::Failed(e.error_type().to_owned()),
        (Ok(_), d) => Observed::Failed(format!("{d:?}")),
    }
}

/// Publishes to a topic whose subscriber always fails, on the virtual clock, and looks for the
/// event in the dead letters once every retry is spent.
async fn exhaust(sources: &LocalCloud, topic: &str, function: &str) -> Observed {
    sources
        .publish(topic, Message::new("{}"))
        .await
        .expect("accepted");
    sources
        .settle_within(Duration::from_secs(24 * 3600))
        .await
        .expect("settled");
    let kept = sources
        .dead_letters()
        .list(Some(&DeadLetterSource::Function(function.to_owned())));
    Observed::DeadLettered(kept.len() == 1)
}

#[tokio::test(start_paused = true)]
async fn every_scenario_holds_in_process_on_the_local_runtime() {
    let sources = LocalCloud::builder(app::app()).build().expect("valid app");
    run_matrix(Backend::Local, |scenario| {
        let sources = &sources;
        async move {
            if let Input::Exhausting { topic } = scenario.input {
                return exhaust(sources, topic, scenario.function).await;
            }
            let invocation = sources
                .runtime()
                .invoke(scenario.function, event(&scenario.input))
                .await
                .expect("the function exists");
            observe(scenario, &invocation.record.request_id, invocation.result)
        }
    })
    .await;
}

#[tokio::test]
async fn every_scenario_holds_through_the_local_gateway() {
    let server = serve::spawn(app::app(), serve::ServeOptions::default().port(0))
        .await
        .expect("serve");
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let base = server.url();
    run_matrix(Backend::LocalGateway, |scenario| {
        let (client, base) = (&client, &base);
        async move {
            let Input::Http {
                method,
                path,
                content_type,
                body,
            } = scenario.input
            else {
                return Observed::NotExpressible("events do not go through the gateway");
            };
            let mut request = http::Request::builder()
                .method(method)
                .uri(format!("{base}{path}"))
                .body(Full::new(Bytes::from_static(body)))
                .expect("request");
            if let Some(ct) = content_type {
                request
                    .headers_mut()
                    .insert("content-type", HeaderValue::from_static(ct));
            }
            let response = client.request(request).await.expect("answered");
            let (parts, body) = response.into_parts();
            Observed::Http {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body: body.collect().await.expect("body").to_bytes(),
            }
        }
    })
    .await;
    server.stop().await.expect("stopped");
}
