#[sim::test(sedes = 3)]
async fn typo() {}

fn main() {}
