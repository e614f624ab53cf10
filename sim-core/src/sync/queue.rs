//! `Queue`: asyncio.Queue, with `task_done` and `join`.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::buffer::{Buffer, Ticket};
use super::chaos::ChaosGate;
use super::resource::Resource;
use super::waiters::{Cancelled, WaitList, WaiterKey, WakeList};
use std::panic::Location;

/// A FIFO queue shared by producer and consumer tasks (asyncio's `Queue`).
///
/// `put` waits while the queue is full (`maxsize` items; `0` means unbounded), `get` waits
/// while it is empty, each in FIFO order. Every `put` counts an unfinished item; consumers
/// call [`task_done`](Queue::task_done) per item processed, and [`join`](Queue::join) waits
/// until the count is back to zero.
///
/// # Cancellation
///
/// A `get` or `put` whose future is dropped before it completes has no effect, even when it
/// is dropped in the window after the queue served it and before it resumed to collect that
/// (say, the task serving it aborts it in the same step, or a `select!` drops it): no item is
/// lost or duplicated.
///
/// - **`get`.** A getter handed an item gives it back: to the next waiting getter, or to the
///   front of the queue, ahead of items put after it (even if the queue briefly holds more
///   than `maxsize` items).
/// - **`put`.** A putter dropped while it waits for room puts nothing (its item is dropped
///   with the future). A putter that was granted room — a get made room and let its item in
///   at the back — is undone: the item is taken back out, no longer counts as unfinished for
///   [`join`](Queue::join), and the room goes to the next waiting putter or stays free. So a
///   retry after the cancellation puts the item once. The item is visible from the moment its
///   room is granted, though, so if a getter has already taken it by the time the put is
///   dropped, that put has had its effect, once, and stands.
///
/// Nothing here changes a run in which no waiter is cancelled in that window.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use sim::sync::Queue;
/// use sim::time::{sleep, Duration};
///
/// sim::Runtime::new(1).block_on(async {
///     let queue = Rc::new(Queue::new(2));
///     let q = Rc::clone(&queue);
///     let worker = sim::spawn(async move {
///         loop {
///             let job: u64 = q.get().await;
///             sleep(Duration::from_secs(job)).await;
///             q.task_done();
///         }
///     });
///     for job in [1, 2, 3] {
///         queue.put(job).await;
///     }
///     queue.join().await; // every job done
///     assert_eq!(sim::time::elapsed(), Duration::from_secs(6));
///     worker.abort();
/// }).unwrap();
/// ```
pub struct Queue<T> {
    maxsize: usize,
    state: RefCell<State<T>>,
}

struct State<T> {
    items: Buffer<T>,
    unfinished: usize,
    /// Getters wait only while `items` is empty; a grant hands over an item.
    getters: WaitList<(), T>,
    /// Putters wait with their item; a grant means "your item is in the queue, admitted with
    /// this ticket" (withdrawn again if the put is cancelled before it collects the grant).
    putters: WaitList<T, Ticket>,
    joiners: WaitList<(), ()>,
}

impl<T> State<T> {
    fn is_full(&self, maxsize: usize) -> bool {
        maxsize > 0 && self.items.len() >= maxsize
    }

    /// Whether a put would complete now (FIFO: not ahead of putters already waiting).
    fn can_put(&self, maxsize: usize) -> bool {
        !self.getters.is_empty() || (!self.is_full(maxsize) && self.putters.is_empty())
    }

    /// A new item: to the oldest waiting getter, or to the back of the queue.
    fn deliver(&mut self, item: T, wake: &mut WakeList) {
        self.unfinished += 1;
        match self.getters.offer(item) {
            Ok(waker) => wake.push(waker),
            Err(item) => self.items.push_back(item),
        }
    }

    /// Takes the front item, and lets the oldest waiting putter's item in behind.
    fn take(&mut self, maxsize: usize, wake: &mut WakeList) -> Option<T> {
        let item = self.items.pop_front()?;
        self.admit_putter(maxsize, wake);
        Some(item)
    }

    /// If there is room, lets the oldest waiting putter's item in at the back.
    fn admit_putter(&mut self, maxsize: usize, wake: &mut WakeList) {
        if self.is_full(maxsize) {
            return;
        }
        let State {
            items,
            putters,
            unfinished,
            ..
        } = self;
        if let Some(waker) = putters.grant_front_with(|next| {
            *unfinished += 1;
            items.admit(next)
        }) {
            wake.push(waker);
        }
    }

    /// A put granted room was cancelled before it collected the grant: takes its item back
    /// out (to be dropped by the caller, outside the borrow) and passes the room on. `None`
    /// if a getter has already taken the item: then the put has had its effect and stands.
    fn withdraw(&mut self, ticket: Ticket, maxsize: usize, wake: &mut WakeList) -> Option<T> {
        let item = self.items.withdraw(ticket)?;
        // Saturating: `task_done` may have been called ahead for items not yet taken, and a
        // destructor must not panic.
        self.unfinished = self.unfinished.saturating_sub(1);
        self.admit_putter(maxsize, wake);
        if self.unfinished == 0 {
            self.release_joiners(wake);
        }
        Some(item)
    }

    /// Nothing is unfinished: every `join` returns.
    fn release_joiners(&mut self, wake: &mut WakeList) {
        while let Some(((), waker)) = self.joiners.grant_front(()) {
            wake.push(waker);
        }
    }
}

impl<T> Queue<T> {
    /// A queue holding at most `maxsize` items; `0` means no limit.
    ///
    /// ```
    /// let q = sim::sync::Queue::<u8>::new(0);
    /// assert_eq!(q.maxsize(), 0);
    /// ```
    #[track_caller]
    pub fn new(maxsize: usize) -> Queue<T> {
        Queue {
            maxsize,
            state: RefCell::new(State {
                items: Buffer::default(),
                unfinished: 0,
                getters: WaitList::new(Resource::new("Queue (get: empty)", Location::caller())),
                putters: WaitList::new(Resource::new("Queue (put: full)", Location::caller())),
                joiners: WaitList::new(Resource::new(
                    "Queue (join: unfinished items)",
                    Location::caller(),
                )),
            }),
        }
    }

    /// The bound given to [`Queue::new`] (`0`: none).
    ///
    /// ```
    /// assert_eq!(sim::sync::Queue::<()>::new(3).maxsize(), 3);
    /// ```
    pub fn maxsize(&self) -> usize {
        self.maxsize
    }

    /// Items in the queue.
    ///
    /// ```
    /// let q = sim::sync::Queue::new(0);
    /// q.try_put(1).unwrap();
    /// assert_eq!(q.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.state.borrow().items.len()
    }

    /// Whether the queue holds no item.
    ///
    /// ```
    /// assert!(sim::sync::Queue::<u8>::new(1).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the queue holds `maxsize` items (never, when unbounded).
    ///
    /// ```
    /// let q = sim::sync::Queue::new(1);
    /// q.try_put('a').unwrap();
    /// assert!(q.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.state.borrow().is_full(self.maxsize)
    }

    /// Puts an item, waiting while the queue is full (FIFO among waiting putters).
    ///
    /// Dropping the future before it completes puts nothing, unless a getter has already
    /// taken the item (see [Cancellation](Queue#cancellation)).
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let q = sim::sync::Queue::new(1);
    /// q.put(1).await;
    /// assert_eq!(q.get().await, 1);
    /// # }).unwrap();
    /// ```
    pub fn put(&self, item: T) -> Put<'_, T> {
        Put {
            queue: self,
            item: Some(item),
            waiter: None,
            chaos: ChaosGate::default(),
        }
    }

    /// Puts an item if there is room now.
    ///
    /// # Errors
    ///
    /// [`QueueFull`] with the item.
    ///
    /// ```
    /// let q = sim::sync::Queue::new(1);
    /// q.try_put(1).unwrap();
    /// assert_eq!(q.try_put(2).unwrap_err().0, 2);
    /// ```
    pub fn try_put(&self, item: T) -> Result<(), QueueFull<T>> {
        let mut wake = WakeList::default();
        {
            let mut st = self.state.borrow_mut();
            if !st.can_put(self.maxsize) {
                return Err(QueueFull(item));
            }
            st.deliver(item, &mut wake);
        }
        wake.wake_all();
        Ok(())
    }

    /// Takes the front item, waiting while the queue is empty (FIFO among waiting getters).
    ///
    /// Dropping the future before it completes takes nothing: an item already handed to it
    /// goes back (see [Cancellation](Queue#cancellation)).
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let q = std::rc::Rc::new(sim::sync::Queue::new(0));
    /// let p = std::rc::Rc::clone(&q);
    /// sim::spawn(async move { p.put("job").await });
    /// assert_eq!(q.get().await, "job");
    /// # }).unwrap();
    /// ```
    pub fn get(&self) -> Get<'_, T> {
        Get {
            queue: self,
            waiter: None,
            chaos: ChaosGate::default(),
        }
    }

    /// Takes the front item if there is one.
    ///
    /// ```
    /// let q = sim::sync::Queue::new(0);
    /// assert_eq!(q.try_get(), None::<u8>);
    /// q.try_put(4).unwrap();
    /// assert_eq!(q.try_get(), Some(4));
    /// ```
    pub fn try_get(&self) -> Option<T> {
        let mut wake = WakeList::default();
        let item = self.state.borrow_mut().take(self.maxsize, &mut wake);
        wake.wake_all();
        item
    }

    /// Marks one item taken from the queue as processed.
    ///
    /// # Panics
    ///
    /// If called more times than items were put (asyncio raises `ValueError`).
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let q = sim::sync::Queue::new(0);
    /// q.put(1).await;
    /// q.get().await;
    /// q.task_done();
    /// q.join().await; // returns at once: nothing unfinished
    /// # }).unwrap();
    /// ```
    #[track_caller]
    pub fn task_done(&self) {
        let mut wake = WakeList::default();
        {
            let mut st = self.state.borrow_mut();
            assert!(
                st.unfinished > 0,
                "Queue::task_done called more times than items were put"
            );
            st.unfinished -= 1;
            if st.unfinished == 0 {
                st.release_joiners(&mut wake);
            }
        }
        wake.wake_all();
    }

    /// Waits until every item put has been marked done with [`Queue::task_done`].
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// sim::sync::Queue::<u8>::new(0).join().await; // nothing was put
    /// # }).unwrap();
    /// ```
    pub fn join(&self) -> Join<'_, T> {
        Join {
            queue: self,
            waiter: None,
        }
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.borrow();
        f.debug_struct("Queue")
            .field("len", &st.items.len())
            .field("maxsize", &self.maxsize)
            .field("unfinished", &st.unfinished)
            .field("getters", &st.getters.len())
            .field("putters", &st.putters.len())
            .finish()
    }
}

/// The future returned by [`Queue::put`].
#[must_use = "futures do nothing unless awaited"]
pub struct Put<'a, T> {
    queue: &'a Queue<T>,
    item: Option<T>,
    waiter: Option<WaiterKey>,
    chaos: ChaosGate,
}

impl<T> Unpin for Put<'_, T> {}

impl<T> Future for Put<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let queue = this.queue;
        if let Some(key) = this.waiter {
            let granted = queue.state.borrow_mut().putters.poll(key, cx.waker());
            return match granted {
                Some(_admitted) => {
                    this.waiter = None;
                    Poll::Ready(())
                }
                None => Poll::Pending,
            };
        }
        if queue.state.borrow().can_put(queue.maxsize) && this.chaos.hold(cx) {
            return Poll::Pending;
        }
        let item = this.item.take().expect("`Put` polled after it completed");
        let mut wake = WakeList::default();
        let mut st = queue.state.borrow_mut();
        if st.can_put(queue.maxsize) {
            st.deliver(item, &mut wake);
            drop(st);
            wake.wake_all();
            return Poll::Ready(());
        }
        this.waiter = Some(st.putters.push(item, cx.waker()));
        Poll::Pending
    }
}

impl<T> Drop for Put<'_, T> {
    fn drop(&mut self) {
        let Some(key) = self.waiter.take() else {
            return;
        };
        let mut wake = WakeList::default();
        let unput = {
            let mut st = self.queue.state.borrow_mut();
            match st.putters.cancel(key) {
                // Still waiting: the item was never put.
                Cancelled::Waiting(item) => Some(item),
                // Let in but not collected: out again, and the room passes on.
                Cancelled::Granted(ticket) => st.withdraw(ticket, self.queue.maxsize, &mut wake),
            }
        };
        // Dropped after the borrow ends: the item's destructor may use the queue.
        drop(unput);
        wake.wake_all();
    }
}

impl<T> fmt::Debug for Put<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put")
            .field("waiting", &self.waiter.is_some())
            .finish()
    }
}

/// The future returned by [`Queue::get`].
#[must_use = "futures do nothing unless awaited"]
pub struct Get<'a, T> {
    queue: &'a Queue<T>,
    waiter: Option<WaiterKey>,
    chaos: ChaosGate,
}

impl<T> Future for Get<'_, T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = &mut *self;
        let queue = this.queue;
        if let Some(key) = this.waiter {
            let granted = queue.state.borrow_mut().getters.poll(key, cx.waker());
            return match granted {
                Some(item) => {
                    this.waiter = None;
                    Poll::Ready(item)
                }
                None => Poll::Pending,
            };
        }
        if !queue.is_empty() && this.chaos.hold(cx) {
            return Poll::Pending;
        }
        let mut wake = WakeList::default();
        let mut st = queue.state.borrow_mut();
        if let Some(item) = st.take(queue.maxsize, &mut wake) {
            drop(st);
            wake.wake_all();
            return Poll::Ready(item);
        }
        this.waiter = Some(st.getters.push((), cx.waker()));
        Poll::Pending
    }
}

impl<T> Drop for Get<'_, T> {
    fn drop(&mut self) {
        let Some(key) = self.waiter.take() else {
            return;
        };
        let mut wake = WakeList::default();
        {
            let mut st = self.queue.state.borrow_mut();
            if let Cancelled::Granted(item) = st.getters.cancel(key) {
                // Handed over but never returned: back to the next getter, or the front.
                match st.getters.offer(item) {
                    Ok(waker) => wake.push(waker),
                    Err(item) => st.items.push_front(item),
                }
            }
        }
        wake.wake_all();
    }
}

impl<T> fmt::Debug for Get<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get")
            .field("waiting", &self.waiter.is_some())
            .finish()
    }
}

/// The future returned by [`Queue::join`].
#[must_use = "futures do nothing unless awaited"]
pub struct Join<'a, T> {
    queue: &'a Queue<T>,
    waiter: Option<WaiterKey>,
}

impl<T> Future for Join<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut st = this.queue.state.borrow_mut();
        if let Some(key) = this.waiter {
            return match st.joiners.poll(key, cx.waker()) {
                Some(()) => {
                    this.waiter = None;
                    Poll::Ready(())
                }
                None => Poll::Pending,
            };
        }
        if st.unfinished == 0 {
            return Poll::Ready(());
        }
        this.waiter = Some(st.joiners.push((), cx.waker()));
        Poll::Pending
    }
}

impl<T> Drop for Join<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter.take() {
            let _ = self.queue.state.borrow_mut().joiners.cancel(key);
        }
    }
}

impl<T> fmt::Debug for Join<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("waiting", &self.waiter.is_some())
            .finish()
    }
}

/// The queue is full; the item comes back (from [`Queue::try_put`]).
#[derive(PartialEq, Eq)]
pub struct QueueFull<T>(pub T);

impl<T> fmt::Debug for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueueFull(..)")
    }
}

impl<T> fmt::Display for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is full")
    }
}

impl<T> std::error::Error for QueueFull<T> {}
