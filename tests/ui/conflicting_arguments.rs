#[sim::test(seed = 1, seeds = 10)]
async fn seed_and_seeds() {}

#[sim::test(depth = 2)]
async fn depth_without_pct() {}

#[sim::test(slow_poll = "10ms", debug = false)]
async fn slow_poll_without_debug() {}

fn main() {}
