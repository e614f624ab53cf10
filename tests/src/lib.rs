//! Integration tests of `sim` through its public API live in `tests/`; this library only
//! compiles the README's examples as doctests, so the README cannot drift from the API.

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

pub mod bugs;
pub mod rate_limiter;

/// A unit test in `src/` for the replay matrix (`tests/tests/replay_matrix.rs`): it fails only
/// when `REPLAY_MATRIX=1` is set.
#[cfg(test)]
mod replay_fixture {
    use std::cell::Cell;
    use std::rc::Rc;

    #[sim::test(seeds = 200)]
    async fn lost_update() {
        if std::env::var_os("REPLAY_MATRIX").is_none() {
            return;
        }
        let n = Rc::new(Cell::new(0));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let n = Rc::clone(&n);
                sim::spawn(async move {
                    let read = n.get();
                    sim::task::yield_now().await;
                    n.set(read + 1);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(n.get(), 2, "lost update");
    }
}
