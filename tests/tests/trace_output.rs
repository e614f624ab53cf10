//! The trace of a small program, exactly, with virtual timestamps.

use std::io::Write;
use std::sync::{Arc, Mutex};

use sim::time::{Duration, sleep};

/// A writer collecting everything the subscriber prints.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn traced(level: tracing::Level, run: impl FnOnce()) -> Vec<String> {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_timer(sim::trace::VirtualTime)
        .with_ansi(false)
        .with_max_level(level)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, run);
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    text.lines().map(str::to_string).collect()
}

async fn program() {
    let worker = sim::task::Builder::new().name("worker").spawn(async {
        sleep(Duration::from_secs(1)).await;
        tracing::info!(answer = 42, "computed");
        42
    });
    assert_eq!(worker.await.unwrap(), 42);
}

// Both checks live in one test: `tracing` computes its global level filter from every live
// subscriber, so thread-local subscribers in concurrently running tests disturb each other.
#[test]
fn tracing_a_run() {
    the_trace_of_a_small_program_is_exactly_this();
    tracing_does_not_change_the_schedule();
}

fn the_trace_of_a_small_program_is_exactly_this() {
    let lines = traced(tracing::Level::DEBUG, || {
        sim::Builder::new()
            .strategy(sim::Strategy::Fifo)
            .build()
            .block_on(program())
            .unwrap();
    });
    let expected = [
        "t=0ns DEBUG sim: spawn task=#0 name=\"main\"",
        "t=0ns DEBUG task{id=#0 name=\"main\"}: sim: spawn task=#1 name=\"worker\" parent=#0",
        "t=1s  INFO task{id=#1 name=\"worker\"}: trace_output: computed answer=42",
        "t=1s DEBUG sim: finished task=#1 outcome=Returned",
    ];
    assert_eq!(lines, expected, "actual trace:\n{}", lines.join("\n"));
}

fn tracing_does_not_change_the_schedule() {
    let run = || {
        let mut rt = sim::Builder::new().seed(9).build();
        rt.block_on(async {
            let tasks: Vec<_> = (0..4)
                .map(|_| sim::spawn(async { sim::task::yield_now().await }))
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        })
        .unwrap();
        rt.schedule()
    };
    let plain = run();
    let mut traced_schedule = None;
    let lines = traced(tracing::Level::TRACE, || traced_schedule = Some(run()));
    assert!(lines.len() > 10, "the trace has the polls");
    assert_eq!(traced_schedule.unwrap(), plain);
}
