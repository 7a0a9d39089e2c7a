//! Invalid apps are refused with typed errors that name the mistake.

use std::time::Duration;

use faasport::core::AppError;
use faasport::prelude::*;

async fn on_http(_req: HttpRequest, _cx: Context) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::ok())
}

async fn on_queue(_batch: QueueBatch, _cx: Context) -> Result<BatchOutcome, Error> {
    Ok(BatchOutcome::success())
}

async fn on_tick(_tick: ScheduleTick, _cx: Context) -> Result<(), Error> {
    Ok(())
}

fn validate(app: App) -> AppError {
    app.validate().expect_err("the app is invalid")
}

#[test]
fn duplicate_function_names_are_refused() {
    let err = validate(
        App::new("a")
            .function(Function::new("f", on_http))
            .function(Function::new("f", on_tick)),
    );
    assert_eq!(err, AppError::DuplicateFunction("f".into()));
}

#[test]
fn a_trigger_on_an_undeclared_queue_names_the_queue() {
    let err = validate(App::new("a").function(Function::new("bill", on_queue).queue("invoices")));
    assert_eq!(
        err.to_string(),
        "function `bill` uses queue `invoices`, which the app does not declare"
    );
}

#[test]
fn a_dead_letter_target_must_be_declared() {
    let err = validate(
        App::new("a")
            .function(Function::new("f", on_tick).dead_letter(DeadLetter::Queue("dlq".into()))),
    );
    assert!(
        matches!(err, AppError::Undeclared { ref name, .. } if name == "dlq"),
        "{err}"
    );
}

#[test]
fn zero_limits_are_refused() {
    let err = validate(App::new("a").function(Function::new("f", on_tick).timeout(Duration::ZERO)));
    assert_eq!(err.to_string(), "function `f` has a zero timeout");
    let err = validate(App::new("a").function(Function::new("f", on_tick).memory_mb(0)));
    assert_eq!(err.to_string(), "function `f` has a zero memory");
    let err = validate(App::new("a").function(Function::new("f", on_tick).max_instances(0)));
    assert_eq!(err.to_string(), "function `f` has a zero max instances");
    let err = validate(
        App::new("a")
            .queue("q")
            .function(Function::new("f", on_queue).queue_batched("q", 0, Duration::ZERO)),
    );
    assert_eq!(err.to_string(), "function `f` has a zero batch size");
}

#[test]
fn more_warm_instances_than_the_cap_is_refused() {
    let err = validate(
        App::new("a").function(
            Function::new("f", on_tick)
                .max_instances(2)
                .min_instances(3),
        ),
    );
    assert_eq!(
        err,
        AppError::MinAboveMax {
            function: "f".into(),
            min: 3,
            max: 2
        }
    );
}

#[test]
fn a_bad_schedule_is_refused_with_the_parse_error_as_source() {
    let err =
        validate(App::new("a").function(Function::new("f", on_tick).schedule("every day at noon")));
    assert_eq!(err.to_string(), "function `f` has an invalid schedule");
    let source = std::error::Error::source(&err)
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        source.starts_with("invalid schedule `every day at noon`"),
        "{source}"
    );
}

#[test]
fn two_functions_on_one_route_are_refused() {
    let err = validate(
        App::new("a")
            .function(Function::new("a", on_http).http(Method::GET, "/x"))
            .function(Function::new("b", on_http).http(Method::GET, "/x")),
    );
    assert_eq!(
        err.to_string(),
        "route GET /x is claimed by both `a` and `b`"
    );
}

#[test]
fn routes_that_differ_only_in_parameter_names_collide() {
    let err = validate(
        App::new("a")
            .function(Function::new("a", on_http).http(Method::GET, "/orders/{id}"))
            .function(Function::new("b", on_http).http(Method::GET, "/orders/{oid}")),
    );
    assert_eq!(
        err.to_string(),
        "route GET /orders/{} is claimed by both `a` and `b`"
    );
}

#[test]
fn malformed_routes_are_refused() {
    for path in ["orders", "/a/{id", "/a/{}", "/{*rest}/more", "/a{b}"] {
        let err =
            validate(App::new("a").function(Function::new("f", on_http).http(Method::GET, path)));
        assert!(
            matches!(err, AppError::InvalidRoute { .. }),
            "{path}: {err}"
        );
    }
}

#[test]
fn a_trigger_whose_events_the_handler_cannot_take_is_refused() {
    let err = validate(
        App::new("a")
            .topic("t")
            .function(Function::new("f", on_http).subscribe("t")),
    );
    assert_eq!(
        err.to_string(),
        "function `f` has a topic trigger but its handler takes http events"
    );
}

#[test]
fn names_no_platform_accepts_are_refused() {
    let err = validate(App::new("a").function(Function::new("has space", on_tick)));
    assert!(
        matches!(
            err,
            AppError::InvalidName {
                what: "function",
                ..
            }
        ),
        "{err}"
    );
    let err = validate(App::new("a").function(Function::new("x".repeat(65), on_tick)));
    assert!(matches!(err, AppError::InvalidName { .. }), "{err}");
    assert_eq!(
        validate(App::new("empty")),
        AppError::NoFunctions("empty".into())
    );
}

#[test]
fn a_well_formed_app_validates() {
    let app = App::new("shop")
        .topic("orders")
        .queue("invoices")
        .function(
            Function::new("api", on_http)
                .http(Method::POST, "/orders/{id}")
                .http_any("/files/{*path}"),
        )
        .function(
            Function::new("bill", on_queue)
                .queue("invoices")
                .max_instances(5)
                .min_instances(1),
        )
        .function(
            Function::new("nightly", on_tick)
                .schedule("0 2 * * *")
                .schedule("rate(5 minutes)"),
        );
    assert_eq!(app.validate(), Ok(()));
}

#[test]
fn a_queue_with_a_max_receive_count_of_zero_is_refused() {
    let err = validate(
        App::new("a")
            .queue_spec(QueueSpec::new("jobs").max_receive_count(0))
            .function(Function::new("bill", on_queue).queue("jobs")),
    );
    assert_eq!(
        err,
        AppError::ZeroReceiveCount {
            queue: "jobs".into()
        }
    );
    let one = App::new("a")
        .queue_spec(QueueSpec::new("jobs").max_receive_count(1))
        .function(Function::new("bill", on_queue).queue("jobs"));
    assert_eq!(one.validate(), Ok(()));
}
