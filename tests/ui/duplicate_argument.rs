#[sim::test(seeds = 3, seeds = 4)]
async fn twice() {}

fn main() {}
