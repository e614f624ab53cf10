#[sim::test(seeds = 3, seeds = 4)]
async fn twice() {}

#[sim::test(blocking_threads = 2, debug = true, blocking_threads = 4)]
async fn blocking_threads_twice() {}

fn main() {}
