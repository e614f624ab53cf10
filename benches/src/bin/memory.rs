//! Memory figures: peak RSS after 4 million tasks spawned and joined one after another in one
//! run (it must stay flat), and the bytes per live idle task beyond its future, for sim beside
//! tokio and futures' `LocalPool`. Each idle-task figure is taken in a fresh child process
//! (this binary again, with `--idle PEER`), so no peer reuses memory another one freed.
//!
//! Run: `cargo run --release -p sim-bench --bin memory`

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

/// Idle tasks parked for the per-task figure.
const IDLE: usize = 100_000;

/// Parks `IDLE` tasks that wait forever on `peer`'s executor, detached (no join handle is
/// kept), and returns the growth of the resident set while they are alive, in KiB. The
/// futures are zero-sized.
fn idle(peer: &str) -> u64 {
    use std::future::pending;
    let before = rss_kib();
    let live = match peer {
        "sim" => {
            let mut rt = sim::Builder::new().seed(1).max_steps(u64::MAX).build();
            rt.block_on(async {
                for _ in 0..IDLE {
                    drop(sim::spawn(pending::<()>())); // detached: the task lives on
                }
                sim::task::yield_now().await;
                rss_kib()
            })
            .unwrap()
        }
        "tokio" => {
            let rt = sim_bench::workloads::tokio_rt();
            let local = tokio::task::LocalSet::new();
            local.block_on(&rt, async {
                for _ in 0..IDLE {
                    drop(tokio::task::spawn_local(pending::<()>()));
                }
                tokio::task::yield_now().await;
                rss_kib()
            })
        }
        "LocalPool" => {
            use futures::task::LocalSpawnExt;
            let mut pool = futures::executor::LocalPool::new();
            let spawner = pool.spawner();
            pool.run_until(async move {
                for _ in 0..IDLE {
                    spawner.spawn_local(pending::<()>()).expect("spawned");
                }
                sim_bench::YieldNow::default().await; // let every task be polled once
                rss_kib()
            })
        }
        other => panic!("no idle-task peer `{other}`"),
    };
    live.saturating_sub(before)
}

/// Runs `idle(peer)` in a fresh process and reads its figure.
fn idle_in_child(peer: &str) -> u64 {
    let out = std::process::Command::new(std::env::current_exe().expect("this binary"))
        .args(["--idle", peer])
        .output()
        .expect("the child ran");
    assert!(out.status.success(), "the {peer} child failed: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("the child printed its KiB")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, peer] = args.as_slice()
        && flag == "--idle"
    {
        println!("{}", idle(peer));
        return;
    }
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

    let mut line =
        format!("live idle tasks ({IDLE} zero-sized futures, each peer in its own process):");
    let mut sim_bytes = 0.0;
    for peer in ["sim", "tokio", "LocalPool"] {
        let kib = idle_in_child(peer);
        let bytes = (kib * 1024) as f64 / IDLE as f64;
        if peer == "sim" {
            sim_bytes = bytes;
        }
        line.push_str(&format!(" {peer} {bytes:.0} B/task;"));
    }
    println!("{line}");
    let tokio = (idle_in_child("tokio") * 1024) as f64 / IDLE as f64;
    println!("sim / tokio per idle task: {:.2}x", sim_bytes / tokio);
}
