//! `/_faasport/metrics` reads the runtime's running counters: invocations by outcome, cold
//! starts, a Prometheus histogram of handler durations and instance gauges per function.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};

use faasport_adapter_local::gateway::{Gateway, GatewayConfig};
use faasport_adapter_local::LocalCloud;
use faasport_core::{App, Context, Error, Function, HttpRequest, HttpResponse};

mod common;
use common::{call, held, held_signals};

async fn quick(_: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::ok())
}

/// Far from every bucket bound: above 0.25 s, below 0.5 s, whatever the machine's jitter.
async fn slow(_: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(HttpResponse::ok())
}

async fn get(addr: SocketAddr, path: &str) -> (StatusCode, String) {
    let reply = call(addr, Method::GET, path, Bytes::new()).await;
    (reply.status, reply.text())
}

fn lines_of<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.starts_with(prefix)).collect()
}

#[tokio::test]
async fn the_metrics_endpoint_exposes_a_duration_histogram_and_instance_gauges_per_function() {
    let app = App::new("metrics")
        .function(Function::new("quick", quick).http(Method::GET, "/quick"))
        .function(Function::new("slow", slow).http(Method::GET, "/slow"))
        .function(Function::new("held", held).http(Method::GET, "/held"));
    let sources = LocalCloud::builder(app).build().expect("valid app");
    let config = GatewayConfig::default().addr(SocketAddr::from(([127, 0, 0, 1], 0)));
    let gateway = Gateway::bind(sources, config).await.expect("bind");
    let addr = gateway.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(gateway.serve(async move {
        let _ = stopped.await;
    }));

    for _ in 0..3 {
        assert_eq!(get(addr, "/quick").await.0, StatusCode::OK);
    }
    assert_eq!(get(addr, "/slow").await.0, StatusCode::OK);
    let (entered, release) = held_signals();
    let running = tokio::spawn(async move { get(addr, "/held").await });
    entered.notified().await;

    let (status, text) = get(addr, "/_faasport/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("# TYPE faasport_invocation_duration_seconds histogram\n"));
    let buckets = |f: &str| {
        lines_of(
            &text,
            &format!("faasport_invocation_duration_seconds_bucket{{function=\"{f}\","),
        )
    };
    assert_eq!(
        buckets("quick"),
        [
            "faasport_invocation_duration_seconds_bucket{function=\"quick\",le=\"0.005\"} 3",
            "faasport_invocation_duration_seconds_bucket{function=\"quick\",le=\"0.01\"} 3",
            "faasport_invocation_duration_seconds_bucket{function=\"quick\",le=\"0.025\"} 3",
            "faasport_invocation_duration_seconds_bucket{function=\"quick\",le=\"0.05\"} 3",
            "faasport_invocation_duration_seconds_bucket{function=\"quick\",le=\"0.1\"} 3",
            "faasport_invocation_duration_seconds_bucket{function=\"quick\",le=\"0.25\"} 3",
            "faasport_invocation_duration_seconds_bucket{function=\"quick\",le=\"0.5\"} 3",
            "faasport_invocation_duration_seconds_bucket{function=\"quick\",le=\"1\"} 3",
            "faasport_invocation_duration_seconds_bucket{function=\"quick\",le=\"2.5\"} 3",
            "faasport_invocation_duration_seconds_bucket{function=\"quick\",le=\"5\"} 3",
            "faasport_invocation_duration_seconds_bucket{function=\"quick\",le=\"10\"} 3",
            "faasport_invocation_duration_seconds_bucket{function=\"quick\",le=\"+Inf\"} 3",
        ]
    );
    let slow_counts: Vec<&str> = buckets("slow")
        .iter()
        .filter_map(|l| l.rsplit(' ').next())
        .collect();
    assert_eq!(
        slow_counts,
        ["0", "0", "0", "0", "0", "0", "1", "1", "1", "1", "1", "1"]
    );
    assert_eq!(
        lines_of(&text, "faasport_invocation_duration_seconds_count{"),
        [
            "faasport_invocation_duration_seconds_count{function=\"held\"} 0",
            "faasport_invocation_duration_seconds_count{function=\"quick\"} 3",
            "faasport_invocation_duration_seconds_count{function=\"slow\"} 1",
        ]
    );
    let slow_sum: f64 = lines_of(
        &text,
        "faasport_invocation_duration_seconds_sum{function=\"slow\"}",
    )[0]
    .rsplit(' ')
    .next()
    .and_then(|v| v.parse().ok())
    .expect("a number");
    assert!((0.3..0.5).contains(&slow_sum), "{slow_sum}");
    assert!(text.contains("faasport_invocations_total{function=\"quick\",outcome=\"ok\"} 3\n"));
    assert!(
        text.contains("faasport_invocations_total{function=\"quick\",outcome=\"throttled\"} 0\n")
    );
    assert!(text.contains("faasport_cold_starts_total{function=\"quick\"} 1\n"));
    assert!(text.contains("# TYPE faasport_instances gauge\n"));
    assert_eq!(
        lines_of(&text, "faasport_instances{"),
        [
            "faasport_instances{function=\"held\",state=\"live\"} 1",
            "faasport_instances{function=\"held\",state=\"starting\"} 0",
            "faasport_instances{function=\"held\",state=\"busy\"} 1",
            "faasport_instances{function=\"held\",state=\"idle\"} 0",
            "faasport_instances{function=\"quick\",state=\"live\"} 1",
            "faasport_instances{function=\"quick\",state=\"starting\"} 0",
            "faasport_instances{function=\"quick\",state=\"busy\"} 0",
            "faasport_instances{function=\"quick\",state=\"idle\"} 1",
            "faasport_instances{function=\"slow\",state=\"live\"} 1",
            "faasport_instances{function=\"slow\",state=\"starting\"} 0",
            "faasport_instances{function=\"slow\",state=\"busy\"} 0",
            "faasport_instances{function=\"slow\",state=\"idle\"} 1",
        ]
    );

    release.notify_one();
    assert_eq!(running.await.expect("task").0, StatusCode::OK);
    let _ = stop.send(());
}
