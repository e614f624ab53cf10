//! A lost update among a few named tasks, drawn as a timeline.
//!
//! Three workers each add 1 to a shared counter twice, reading it, yielding, then writing back
//! what they read plus one; a heartbeat task ticks every millisecond until main aborts it. When
//! two workers interleave between read and write, an increment is lost and main's assertion
//! fails. The example searches seeds for such a run, with the event log on, and
//! writes its timeline with the failing step marked.
//!
//! Run: `cargo run -p sim-core --example timeline [-- OUT]`. It writes `OUT.json` (a Chrome
//! trace for Perfetto or chrome://tracing), `OUT.svg` and `OUT.html`; `OUT` defaults to
//! `target/timeline/lost_update`. `scripts/render-timeline.sh` also renders the page to a PNG.

use std::cell::Cell;
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;

use sim::time::{Duration, sleep};
use sim::timeline::Timeline;
use sim::{Builder, SimError};

const WORKERS: [&str; 3] = ["alice", "bob", "carol"];
const ROUNDS: u32 = 2;

async fn scenario() {
    let counter = Rc::new(Cell::new(0));
    let heartbeat = sim::task::Builder::new().name("heartbeat").spawn(async {
        loop {
            sleep(Duration::from_millis(1)).await;
        }
    });
    let workers: Vec<_> = WORKERS
        .into_iter()
        .map(|name| {
            let counter = Rc::clone(&counter);
            sim::task::Builder::new().name(name).spawn(async move {
                for _ in 0..ROUNDS {
                    // Some work first: 0, 0.5 or 1 ms, from the seed.
                    sleep(Duration::from_micros(sim::rand::random::<u64>() % 3 * 500)).await;
                    let read = counter.get();
                    sim::task::yield_now().await; // the bug: nothing protects read..write
                    counter.set(read + 1);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker failed");
    }
    heartbeat.abort();
    let _ = heartbeat.await;
    let expected = WORKERS.len() as u32 * ROUNDS;
    assert_eq!(counter.get(), expected, "lost update");
}

fn main() -> ExitCode {
    let out = std::env::args_os().nth(1).map_or_else(
        || PathBuf::from("target/timeline/lost_update"),
        PathBuf::from,
    );

    // The failing run prints its panic once through the default hook; silence the search.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let found = (0..1000u64).find_map(|seed| {
        let mut rt = Builder::new().seed(seed).record_events(true).build();
        match rt.block_on(scenario()) {
            Err(err @ SimError::Panicked(_)) => Some((seed, err, rt.events())),
            _ => None,
        }
    });
    std::panic::set_hook(hook);

    let Some((seed, err, events)) = found else {
        eprintln!("no seed in 0..1000 lost an update");
        return ExitCode::FAILURE;
    };
    println!("seed {seed:#x} fails:\n{err}\n");
    let timeline = Timeline::from_events(&events).failing_step(err.at().step);
    if let Err(e) = timeline.write_to(&out) {
        eprintln!("cannot write {}.{{json,svg,html}}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    let (n, out) = (events.len(), out.display());
    println!(
        "{n} events; wrote {out}.json (Perfetto / chrome://tracing), {out}.svg and {out}.html"
    );
    ExitCode::SUCCESS
}
