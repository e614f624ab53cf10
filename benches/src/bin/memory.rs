//! Memory figures: peak RSS after 4 million tasks spawned and joined one after another in one
//! run (it must stay flat), and the bytes per live idle task beyond its future.
//!
//! Run: `cargo run --release -p sim-bench --bin memory`

use std::future::pending;

/// A `/proc/self/status` figure of this process, in KiB (Linux): `VmHWM` (peak resident set
/// size so far) or `VmRSS` (resident set size now).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("a {field} line"))
}

fn peak_rss_kib() -> u64 {
    status_kib("VmHWM")
}

fn rss_kib() -> u64 {
    status_kib("VmRSS")
}

fn main() {
    let mut empty = sim::Builder::new().max_steps(u64::MAX).build();
    empty.block_on(async {}).unwrap();
    drop(empty);
    let baseline = peak_rss_kib();

    const SEQUENTIAL: u64 = 4_000_000;
    let mut rt = sim::Builder::new().seed(1).max_steps(u64::MAX).build();
    rt.block_on(async {
        for i in 0..SEQUENTIAL {
            let h = sim::spawn(async move { i });
            assert_eq!(h.await.unwrap(), i);
        }
    })
    .unwrap();
    drop(rt);
    let after = peak_rss_kib();
    println!(
        "peak RSS: empty run {baseline} KiB; after {SEQUENTIAL} tasks spawned and joined one after \
         another {after} KiB (+{} KiB)",
        after.saturating_sub(baseline)
    );

    const IDLE: usize = 200_000;
    let before = rss_kib();
    let mut rt = sim::Builder::new().seed(1).max_steps(u64::MAX).build();
    rt.block_on(async {
        for _ in 0..IDLE {
            drop(sim::spawn(pending::<()>()));
        }
        sim::task::yield_now().await;
    })
    .unwrap();
    let live = rss_kib();
    let future = std::mem::size_of_val(&pending::<()>());
    let per_task = (live.saturating_sub(before) * 1024) as f64 / IDLE as f64;
    println!(
        "live idle tasks: {IDLE} tasks cost {} KiB, {per_task:.0} bytes each beyond their \
         {future}-byte future",
        live.saturating_sub(before)
    );
    drop(rt);
}
