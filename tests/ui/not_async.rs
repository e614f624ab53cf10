#[sim::test]
fn plain() {}

fn main() {}
