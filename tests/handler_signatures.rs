//! Wrong handler signatures fail to compile with a message that says what a handler is.

#[test]
fn wrong_handler_signatures_give_readable_compiler_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
