//! The AWS adapter end to end: example binaries under cargo-lambda's Runtime API, driven through
//! its Invoke API; bindings against cargo-lambda; the quickstart's SAM template through cfn-lint.
//!
//! Peers come from `.ci/run` (`FAASPORT_CARGO_LAMBDA`, `FAASPORT_CFN_LINT`); without them the
//! tests print why they skipped, and with `FAASPORT_REQUIRE_PEERS=1` they fail instead. Run with
//! `cargo test -p faasport --features aws` so the examples are built with the AWS backend.
#![cfg(feature = "aws")]

mod batch;
mod context;
mod events;
mod failures;
mod harness;
mod http_formats;
mod invoke;
mod manifest;
