//! A waker used from another thread: delivered, never undefined behaviour, and the run fails
//! as nondeterministic instead of silently depending on thread timing.

use std::sync::{Arc, Mutex};
use std::task::Waker;

use sim::{NonDeterminismKind, SimError};

#[test]
fn a_wake_from_another_thread_fails_the_run_naming_task_and_thread() {
    let mut rt = sim::Builder::new().seed(5).build();
    let err = rt
        .block_on(async {
            let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
            let for_task = Arc::clone(&slot);
            let task = sim::task::Builder::new()
                .name("parked")
                .spawn(std::future::poll_fn(move |cx| {
                    *for_task.lock().unwrap() = Some(cx.waker().clone());
                    std::task::Poll::<()>::Pending
                }));
            sim::task::yield_now().await;
            while slot.lock().unwrap().is_none() {
                sim::task::yield_now().await;
            }
            let waker = slot.lock().unwrap().take().unwrap();
            std::thread::Builder::new()
                .name("intruder".into())
                .spawn(move || waker.wake())
                .unwrap()
                .join()
                .unwrap();
            task.await.unwrap();
        })
        .unwrap_err();
    let SimError::NonDeterminism(nd) = &err else {
        panic!("expected NonDeterminism, got {err}")
    };
    let NonDeterminismKind::ForeignWake { task, thread } = &nd.kind else {
        panic!("unexpected kind")
    };
    assert_eq!(task.as_u64(), 1);
    assert!(thread.contains("intruder"), "{thread}");
    assert!(err.to_string().contains("cannot be reproduced"), "{err}");
}

#[test]
fn wakers_are_send_and_sync_and_outlive_the_runtime_safely() {
    let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
    let mut rt = sim::Runtime::new(0);
    let s = Arc::clone(&slot);
    rt.block_on(std::future::poll_fn(move |cx| {
        *s.lock().unwrap() = Some(cx.waker().clone());
        std::task::Poll::Ready(())
    }))
    .unwrap();
    drop(rt);
    let waker = slot.lock().unwrap().take().unwrap();
    std::thread::spawn(move || waker.wake()).join().unwrap(); // no runtime: nothing happens
}
