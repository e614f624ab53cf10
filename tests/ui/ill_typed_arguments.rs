#[sim::test(seeds = "many")]
async fn seeds_as_string() {}

#[sim::test(max_time = 30)]
async fn max_time_as_integer() {}

#[sim::test(max_time = "soon")]
async fn max_time_not_a_duration() {}

#[sim::test(seeds = 0)]
async fn zero_seeds() {}

#[sim::test(crate = "not a path")]
async fn bad_crate_path() {}

#[sim::test(chaos = "yes")]
async fn chaos_as_string() {}

#[sim::test(blocking_threads = "two")]
async fn blocking_threads_as_string() {}

#[sim::test(blocking_threads = 0)]
async fn no_blocking_threads() {}

#[sim::test(unobserved_panic = "crash")]
async fn unknown_panic_policy() {}

#[sim::test(unobserved_panic = true)]
async fn panic_policy_as_bool() {}

#[sim::test(debug = 1)]
async fn debug_as_integer() {}

#[sim::test(slow_poll = "quick")]
async fn slow_poll_not_a_duration() {}

#[sim::test(record_events = "yes")]
async fn record_events_as_string() {}

#[sim::test(watchdog = "never")]
async fn watchdog_not_a_duration() {}

#[sim::test(watchdog = 30)]
async fn watchdog_as_integer() {}

fn main() {}
