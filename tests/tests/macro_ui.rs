//! Compile-time diagnostics of `#[sim::test]`, checked against snapshots in `tests/ui/`.

#[test]
fn diagnostics() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
    cases.pass("ui/pass/*.rs");
}
