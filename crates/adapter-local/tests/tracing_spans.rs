//! Every invocation runs inside a `tracing` span that carries the function and the request id.

use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt as _};
use tracing_subscriber::Layer;

use faasport_adapter_local::LocalRuntime;
use faasport_core::{App, Context, Error, Event, Function};

/// A span's name and its fields as text.
type SpanRecord = (String, Vec<(String, String)>);

#[derive(Default, Clone)]
struct Spans(Arc<Mutex<Vec<SpanRecord>>>);

struct Fields(Vec<(String, String)>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _cx: LayerContext<'_, S>) {
        let mut fields = Fields(Vec::new());
        attrs.record(&mut fields);
        if let Ok(mut spans) = self.0.lock() {
            spans.push((attrs.metadata().name().to_owned(), fields.0));
        }
    }
}

async fn hello(_: Event, cx: Context) -> Result<serde_json::Value, Error> {
    Ok(cx.request_id().into())
}

#[tokio::test]
async fn each_invocation_has_a_span_with_its_function_and_request_id() {
    let spans = Spans::default();
    let subscriber = tracing_subscriber::registry().with(spans.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let rt =
        LocalRuntime::new(App::new("t").function(Function::new("hello", hello))).expect("valid");
    let inv = rt
        .invoke("hello", Event::from_json(serde_json::json!({})))
        .await
        .expect("known");
    let request_id = inv.record.request_id.to_string();

    let recorded = spans.0.lock().map(|s| s.clone()).unwrap_or_default();
    let invocation: Vec<_> = recorded
        .iter()
        .filter(|(name, _)| name == "invocation")
        .collect();
    assert_eq!(invocation.len(), 1, "{recorded:?}");
    let fields = &invocation[0].1;
    assert!(
        fields.contains(&("function".to_owned(), "hello".to_owned())),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("request_id".to_owned(), request_id)),
        "{fields:?}"
    );
}
