#[sim::test(
    seeds = 3,
    blocking_threads = 2,
    unobserved_panic = "ignore",
    debug = true,
    slow_poll = "250ms",
    record_events = true,
    watchdog = "30s"
)]
async fn every_runtime_argument() {}

#[sim::test(unobserved_panic = "fail", debug = false, record_events = false)]
async fn the_defaults_spelled_out() {}

#[sim::test(watchdog = "off")]
async fn no_watchdog() {}

#[sim::test(slow_poll = "1s", crate = "sim")]
async fn a_slow_poll_threshold_alone_turns_debug_mode_on() {}

fn main() {}
