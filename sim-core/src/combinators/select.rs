//! `select!`: wait for the first of several futures, with the tie broken by the seed.
//!
//! `futures::select!` and `tokio::select!` pick among ready branches with process entropy (a
//! thread-local RNG seeded from the OS), so the same seed can take a different branch on the
//! next run: a test that uses them is not reproducible, and `SIM_CHECK_DETERMINISM=1` reports
//! it. `sim::select!` makes that choice a recorded scheduling decision instead.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::engine::context;
use crate::record::DecisionKind;

/// Which branch of a `select!` finished, with its output. Unused arities are `Infallible`.
#[doc(hidden)]
#[derive(Debug)]
pub enum Branch<A, B, C = Infallible, D = Infallible> {
    A(A),
    B(B),
    C(C),
    D(D),
}

/// A branch future, boxed so branches of different types share one list.
#[doc(hidden)]
pub type BranchFuture<'a, O> = Pin<Box<dyn Future<Output = O> + 'a>>;

/// Polls `branches` starting from a seed-chosen one and resolves with the first that is ready;
/// the others are dropped with the returned future.
#[doc(hidden)]
pub fn select_branches<O>(branches: Vec<BranchFuture<'_, O>>) -> Select<'_, O> {
    Select {
        branches,
        start: None,
    }
}

#[doc(hidden)]
#[must_use = "futures do nothing unless awaited"]
pub struct Select<'a, O> {
    branches: Vec<BranchFuture<'a, O>>,
    start: Option<usize>,
}

impl<O> Future for Select<'_, O> {
    type Output = O;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<O> {
        let this = &mut *self;
        let n = this.branches.len();
        let start = *this.start.get_or_insert_with(|| {
            context::try_core().map_or(0, |core| core.choose(DecisionKind::Select, n))
        });
        for k in 0..n {
            let i = (start + k) % n;
            if let Poll::Ready(out) = this.branches[i].as_mut().poll(cx) {
                return Poll::Ready(out);
            }
        }
        Poll::Pending
    }
}

impl<O> fmt::Debug for Select<'_, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("branches", &self.branches.len())
            .finish()
    }
}

/// Waits for the first of 2 to 4 futures and runs that branch; when several are ready, the
/// seed decides which branch is polled first (a recorded decision, so replay repeats it).
///
/// ```text
/// sim::select! {
///     pattern = future => expression,
///     ...
/// }
/// ```
///
/// Every future is evaluated first, then all are polled, starting from a seed-chosen branch;
/// the first to complete has its output matched against its (irrefutable) pattern and its
/// expression evaluated; the other futures are dropped, which cancels them. Pass `&mut fut`
/// to keep a future (it must be `Unpin`). The macro must be used inside an `async` context;
/// `return`, `break` and `?` in a branch expression act on the surrounding code.
///
/// Use it instead of `futures::select!` or `tokio::select!`, whose choice among ready
/// branches comes from process entropy and so differs between runs of the same seed.
///
/// # Examples
///
/// ```
/// use sim::time::{sleep, Duration};
///
/// sim::Runtime::new(3).block_on(async {
///     let (tx, mut rx) = sim::sync::mpsc::channel::<u32>(1);
///     sim::spawn(async move {
///         sleep(Duration::from_secs(1)).await;
///         tx.send(7).await.unwrap();
///     });
///     let got = sim::select! {
///         v = rx.recv() => v,
///         () = sleep(Duration::from_secs(5)) => None,
///     };
///     assert_eq!(got, Some(7));
///     assert_eq!(sim::time::elapsed(), Duration::from_secs(1));
/// }).unwrap();
/// ```
#[macro_export]
macro_rules! select {
    ($p1:pat = $f1:expr => $b1:expr, $p2:pat = $f2:expr => $b2:expr $(,)?) => {{
        use $crate::__private::{Branch, BranchFuture, select_branches};
        let (f1, f2) = ($f1, $f2);
        let branches: ::std::vec::Vec<BranchFuture<'_, Branch<_, _>>> = ::std::vec![
            ::std::boxed::Box::pin(async { Branch::A(f1.await) }),
            ::std::boxed::Box::pin(async { Branch::B(f2.await) }),
        ];
        match select_branches(branches).await {
            Branch::A($p1) => $b1,
            Branch::B($p2) => $b2,
            Branch::C(never) | Branch::D(never) => match never {},
        }
    }};
    ($p1:pat = $f1:expr => $b1:expr, $p2:pat = $f2:expr => $b2:expr,
     $p3:pat = $f3:expr => $b3:expr $(,)?) => {{
        use $crate::__private::{Branch, BranchFuture, select_branches};
        let (f1, f2, f3) = ($f1, $f2, $f3);
        let branches: ::std::vec::Vec<BranchFuture<'_, Branch<_, _, _>>> = ::std::vec![
            ::std::boxed::Box::pin(async { Branch::A(f1.await) }),
            ::std::boxed::Box::pin(async { Branch::B(f2.await) }),
            ::std::boxed::Box::pin(async { Branch::C(f3.await) }),
        ];
        match select_branches(branches).await {
            Branch::A($p1) => $b1,
            Branch::B($p2) => $b2,
            Branch::C($p3) => $b3,
            Branch::D(never) => match never {},
        }
    }};
    ($p1:pat = $f1:expr => $b1:expr, $p2:pat = $f2:expr => $b2:expr,
     $p3:pat = $f3:expr => $b3:expr, $p4:pat = $f4:expr => $b4:expr $(,)?) => {{
        use $crate::__private::{Branch, BranchFuture, select_branches};
        let (f1, f2, f3, f4) = ($f1, $f2, $f3, $f4);
        let branches: ::std::vec::Vec<BranchFuture<'_, Branch<_, _, _, _>>> = ::std::vec![
            ::std::boxed::Box::pin(async { Branch::A(f1.await) }),
            ::std::boxed::Box::pin(async { Branch::B(f2.await) }),
            ::std::boxed::Box::pin(async { Branch::C(f3.await) }),
            ::std::boxed::Box::pin(async { Branch::D(f4.await) }),
        ];
        match select_branches(branches).await {
            Branch::A($p1) => $b1,
            Branch::B($p2) => $b2,
            Branch::C($p3) => $b3,
            Branch::D($p4) => $b4,
        }
    }};
}
