//! Conformance report (to be built in issue 4).
fn main() {}
