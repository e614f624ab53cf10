// Which strategies exist is sim's registry's to say, at compile time, at the argument.

#[sim::test(strategy = "lifo")]
async fn unknown_strategy() {}

#[sim::test(strategy = "fifo", depth = 2)]
async fn depth_for_a_strategy_without_a_number() {}

fn main() {}
