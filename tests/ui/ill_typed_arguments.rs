#[sim::test(seeds = "many")]
async fn seeds_as_string() {}

#[sim::test(max_time = 30)]
async fn max_time_as_integer() {}

#[sim::test(max_time = "soon")]
async fn max_time_not_a_duration() {}

#[sim::test(strategy = "lifo")]
async fn unknown_strategy() {}

#[sim::test(seeds = 0)]
async fn zero_seeds() {}

#[sim::test(crate = "not a path")]
async fn bad_crate_path() {}

#[sim::test(chaos = "yes")]
async fn chaos_as_string() {}

fn main() {}
