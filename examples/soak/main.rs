//! A load-test target with every outcome a caller can meet: success, handler errors and
//! timeouts. RELIABILITY.md drives it with `wrk` for the mixed 1,000,000-request run.
//!
//! ```sh
//! cargo run --release --example soak -- serve --port 18080
//! curl -i localhost:18080/ok      # 200
//! curl -i localhost:18080/error   # 500, a handler error
//! curl -i localhost:18080/slow    # 504 after the 1 s timeout (the handler would take 2 s)
//! ```

mod app;

#[tokio::main]
async fn main() -> Result<(), faasport::Error> {
    faasport::run(app::app()).await
}
