#[sim::test(seeds = 5, strategy = "pct", depth = 2, max_steps = 1000, max_time = "1m 30s", chaos = true, buggify = false, crate = "sim")]
async fn everything() -> Result<(), String> {
    Ok(())
}

#[sim::test(strategy = "exhaustive", depth = 1)]
async fn every_schedule_with_at_most_one_preemption() {}

#[sim::test(seed = 0x2a, strategy = "fifo")]
#[ignore = "shows that other attributes stay"]
async fn one_seed() {}

fn main() {}
