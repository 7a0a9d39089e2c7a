//! Wrong handler signatures fail to compile with a message that says what a handler is.
//!
//! The diagnostics come from core's handler traits, the same under every backend feature, so
//! this runs with the default feature set only: under `--all-features` trybuild would check every
//! cloud SDK a second time with its own flags (minutes of CI). `.ci/run` runs it on its own
//! (`cargo test -p faasport --test handler_signatures`).
#![cfg(not(any(feature = "aws", feature = "gcp", feature = "azure")))]

#[test]
fn wrong_handler_signatures_give_readable_compiler_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
