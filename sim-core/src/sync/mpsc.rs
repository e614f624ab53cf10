//! `mpsc`: multi-producer, single-consumer channels, bounded and unbounded.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::buffer::{Buffer, Ticket};
use super::chaos::ChaosGate;
use super::resource::Resource;
use super::waiters::{Cancelled, WaitList, WaiterKey, WakeList};
use crate::record::TaskId;
use std::panic::Location;

struct Chan<T> {
    queue: Buffer<T>,
    /// `None` for an unbounded channel.
    capacity: Option<usize>,
    senders: usize,
    receiver_alive: bool,
    receiver_waker: Option<Waker>,
    /// What a receiver waiting for a value waits on, for deadlock reports.
    recv_resource: Rc<Resource>,
    /// Senders waiting for room, each holding its value; a grant means "your value is in the
    /// queue, admitted with this ticket" (`Ok`; withdrawn again if the send is cancelled
    /// before it collects the grant) or "the receiver is gone, here is your value back"
    /// (`Err`).
    blocked: WaitList<T, Result<Ticket, T>>,
}

impl<T> Chan<T> {
    fn has_room(&self) -> bool {
        self.capacity.is_none_or(|cap| self.queue.len() < cap)
    }

    /// After the receiver took a value: moves the oldest blocked sender's value in.
    fn admit_blocked(&mut self, wake: &mut WakeList) {
        let Chan {
            queue,
            blocked,
            capacity,
            ..
        } = self;
        if capacity.is_none_or(|cap| queue.len() < cap)
            && let Some(waker) = blocked.grant_front_with(|value| Ok(queue.admit(value)))
        {
            wake.push(waker);
        }
    }

    /// A send granted room was cancelled before it collected the grant: takes its value back
    /// out (to be dropped by the caller, outside the borrow) and passes the room on. `None` if
    /// the receiver has already taken the value: then the send has had its effect and stands.
    fn withdraw(&mut self, ticket: Ticket, wake: &mut WakeList) -> Option<T> {
        let value = self.queue.withdraw(ticket)?;
        let before = self.queue.len();
        self.admit_blocked(wake);
        if self.queue.len() > before {
            // A value came in from a sender, as with any send: the receiver learns of it.
            wake.push(self.receiver_waker.take());
        }
        Some(value)
    }
}

/// A channel holding at most `capacity` values: `send` waits for room, senders in FIFO order.
///
/// A cancelled `send` sends nothing and a cancelled `recv` takes nothing, even when the
/// channel had already made room for the sender; see [`Sender::send`] and [`Receiver::recv`].
///
/// # Panics
///
/// If `capacity` is zero.
///
/// # Examples
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let (tx, mut rx) = sim::sync::mpsc::channel(1);
///     let producer = sim::spawn(async move {
///         for i in 0..3 { tx.send(i).await.unwrap(); } // waits for room after the first
///     });
///     let mut got = Vec::new();
///     while let Some(v) = rx.recv().await { got.push(v); }
///     assert_eq!(got, [0, 1, 2]); // `None` once every sender is gone
///     producer.await.unwrap();
/// }).unwrap();
/// ```
#[track_caller]
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "mpsc::channel needs a capacity of at least 1");
    make(Some(capacity))
}

/// A channel without a bound: `send` never waits.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let (tx, mut rx) = sim::sync::mpsc::unbounded_channel();
///     for i in 0..100 { tx.send(i).await.unwrap(); }
///     drop(tx);
///     let mut n = 0;
///     while rx.recv().await.is_some() { n += 1; }
///     assert_eq!(n, 100);
/// }).unwrap();
/// ```
#[track_caller]
pub fn unbounded_channel<T>() -> (Sender<T>, Receiver<T>) {
    make(None)
}

#[track_caller]
fn make<T>(capacity: Option<usize>) -> (Sender<T>, Receiver<T>) {
    let site = Location::caller();
    let chan = Rc::new(RefCell::new(Chan {
        queue: Buffer::default(),
        capacity,
        senders: 1,
        receiver_alive: true,
        receiver_waker: None,
        blocked: WaitList::new(Resource::new("mpsc channel (send: full)", site)),
        recv_resource: Resource::new("mpsc channel (recv: empty)", site),
    }));
    (
        Sender {
            chan: Rc::clone(&chan),
        },
        Receiver { chan },
    )
}

/// The sending half; clone it for more producers.
pub struct Sender<T> {
    chan: Rc<RefCell<Chan<T>>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting for room in a bounded channel (FIFO among waiting senders).
    ///
    /// Cancel safety: a send whose future is dropped before it completes sends nothing; the
    /// value is dropped with the future. That holds in the window too where a receive has
    /// made room and let the value in for this blocked sender, but the sender has not resumed
    /// to collect that: the value is taken back out of the channel, and the room goes to the
    /// next blocked sender or stays free, so a retry sends it once. Only a value the receiver
    /// has already taken by the time the send is dropped cannot be taken back: that send has
    /// had its effect, once, and stands.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value, if the receiver is gone.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let (tx, rx) = sim::sync::mpsc::channel::<u8>(4);
    /// drop(rx);
    /// assert_eq!(tx.send(1).await.unwrap_err().0, 1);
    /// # }).unwrap();
    /// ```
    pub fn send(&self, value: T) -> Send<'_, T> {
        Send {
            sender: self,
            value: Some(value),
            waiter: None,
            chaos: ChaosGate::default(),
        }
    }

    /// Sends `value` if there is room now.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], with the value.
    ///
    /// ```
    /// let (tx, _rx) = sim::sync::mpsc::channel(1);
    /// tx.try_send(1).unwrap();
    /// assert!(matches!(tx.try_send(2), Err(sim::sync::mpsc::TrySendError::Full(2))));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let waker = {
            let mut chan = self.chan.borrow_mut();
            if !chan.receiver_alive {
                return Err(TrySendError::Closed(value));
            }
            if !chan.has_room() || !chan.blocked.is_empty() {
                return Err(TrySendError::Full(value));
            }
            chan.queue.push_back(value);
            chan.receiver_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Whether the receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = sim::sync::mpsc::unbounded_channel::<()>();
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        !self.chan.borrow().receiver_alive
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.chan.borrow_mut().senders += 1;
        Sender {
            chan: Rc::clone(&self.chan),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut chan = self.chan.borrow_mut();
            chan.senders -= 1;
            if chan.senders == 0 {
                chan.receiver_waker.take()
            } else {
                None
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future returned by [`Sender::send`].
#[must_use = "futures do nothing unless awaited"]
pub struct Send<'a, T> {
    sender: &'a Sender<T>,
    value: Option<T>,
    waiter: Option<WaiterKey>,
    chaos: ChaosGate,
}

impl<T> Unpin for Send<'_, T> {}

impl<T> Future for Send<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        let this = &mut *self;
        let chan_rc = &this.sender.chan;
        if let Some(key) = this.waiter {
            let granted = chan_rc.borrow_mut().blocked.poll(key, cx.waker());
            return match granted {
                Some(result) => {
                    this.waiter = None;
                    Poll::Ready(result.map(|_admitted| ()).map_err(SendError))
                }
                None => Poll::Pending,
            };
        }
        let value = this.value.take().expect("`Send` polled after it completed");
        let ready = {
            let chan = chan_rc.borrow();
            !chan.receiver_alive || (chan.has_room() && chan.blocked.is_empty())
        };
        if ready && this.chaos.hold(cx) {
            this.value = Some(value);
            return Poll::Pending;
        }
        let mut chan = chan_rc.borrow_mut();
        if !chan.receiver_alive {
            return Poll::Ready(Err(SendError(value)));
        }
        if chan.has_room() && chan.blocked.is_empty() {
            chan.queue.push_back(value);
            let waker = chan.receiver_waker.take();
            drop(chan);
            if let Some(w) = waker {
                w.wake();
            }
            return Poll::Ready(Ok(()));
        }
        this.waiter = Some(chan.blocked.push(value, cx.waker()));
        Poll::Pending
    }
}

impl<T> Drop for Send<'_, T> {
    fn drop(&mut self) {
        let Some(key) = self.waiter.take() else {
            return;
        };
        let mut wake = WakeList::default();
        let unsent = {
            let mut chan = self.sender.chan.borrow_mut();
            match chan.blocked.cancel(key) {
                // Still waiting, or handed back by a receiver that is gone: never sent.
                Cancelled::Waiting(value) | Cancelled::Granted(Err(value)) => Some(value),
                // Let in but not collected: out again, and the room passes on.
                Cancelled::Granted(Ok(ticket)) => chan.withdraw(ticket, &mut wake),
            }
        };
        // Dropped after the borrow ends: the value's destructor may use the channel.
        drop(unsent);
        wake.wake_all();
    }
}

impl<T> fmt::Debug for Send<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Send")
            .field("waiting", &self.waiter.is_some())
            .finish()
    }
}

/// The receiving half.
pub struct Receiver<T> {
    chan: Rc<RefCell<Chan<T>>>,
}

impl<T> Receiver<T> {
    /// Waits for the next value; `None` once the channel is empty and every sender is gone.
    ///
    /// Cancel safety: a `recv` dropped before completing takes nothing from the channel. It
    /// takes a value only in the poll that returns it, so there is no window in which a value
    /// is handed to it but not yet returned.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let (tx, mut rx) = sim::sync::mpsc::channel(2);
    /// tx.send("a").await.unwrap();
    /// drop(tx);
    /// assert_eq!(rx.recv().await, Some("a"));
    /// assert_eq!(rx.recv().await, None);
    /// # }).unwrap();
    /// ```
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv {
            receiver: self,
            chaos: ChaosGate::default(),
            waiting: None,
        }
    }

    /// Takes the next value if there is one.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] or, once every sender is gone, [`TryRecvError::Disconnected`].
    ///
    /// ```
    /// let (tx, mut rx) = sim::sync::mpsc::unbounded_channel::<u8>();
    /// assert_eq!(rx.try_recv(), Err(sim::sync::mpsc::TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(sim::sync::mpsc::TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut wake = WakeList::default();
        let result = {
            let mut chan = self.chan.borrow_mut();
            match chan.queue.pop_front() {
                Some(v) => {
                    chan.admit_blocked(&mut wake);
                    Ok(v)
                }
                None if chan.senders == 0 => Err(TryRecvError::Disconnected),
                None => Err(TryRecvError::Empty),
            }
        };
        wake.wake_all();
        result
    }

    /// Values waiting in the channel.
    ///
    /// ```
    /// let (tx, rx) = sim::sync::mpsc::unbounded_channel();
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.borrow().queue.len()
    }

    /// Whether no value is waiting.
    ///
    /// ```
    /// let (_tx, rx) = sim::sync::mpsc::unbounded_channel::<()>();
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut wake = WakeList::default();
        let dropped = {
            let mut chan = self.chan.borrow_mut();
            chan.receiver_alive = false;
            while let Some(waker) = chan.blocked.grant_front_with(Err) {
                wake.push(waker);
            }
            std::mem::take(&mut chan.queue)
        };
        drop(dropped);
        wake.wake_all();
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Receiver")
            .field("len", &self.len())
            .finish()
    }
}

/// The future returned by [`Receiver::recv`].
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
    chaos: ChaosGate,
    /// The task registered as waiting on the channel, while it waits.
    waiting: Option<TaskId>,
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = &mut *self;
        let ready = {
            let chan = this.receiver.chan.borrow();
            !chan.queue.is_empty() || chan.senders == 0
        };
        if ready && this.chaos.hold(cx) {
            return Poll::Pending;
        }
        match this.receiver.try_recv() {
            Ok(v) => {
                Resource::stop_waiting(this.waiting.take());
                Poll::Ready(Some(v))
            }
            Err(TryRecvError::Disconnected) => {
                Resource::stop_waiting(this.waiting.take());
                Poll::Ready(None)
            }
            Err(TryRecvError::Empty) => {
                let mut chan = this.receiver.chan.borrow_mut();
                chan.receiver_waker = Some(cx.waker().clone());
                if this.waiting.is_none() {
                    this.waiting = Resource::wait(&chan.recv_resource);
                }
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        Resource::stop_waiting(self.waiting.take());
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}

/// The receiver is gone; the value comes back.
#[derive(PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the channel's receiver is gone")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// Why [`Sender::try_send`] did not send; the value comes back.
#[derive(PartialEq, Eq)]
pub enum TrySendError<T> {
    /// No room now.
    Full(T),
    /// The receiver is gone.
    Closed(T),
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "Full(..)",
            TrySendError::Closed(_) => "Closed(..)",
        })
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "the channel is full",
            TrySendError::Closed(_) => "the channel's receiver is gone",
        })
    }
}

impl<T> std::error::Error for TrySendError<T> {}

/// Why [`Receiver::try_recv`] has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing is waiting.
    Empty,
    /// Nothing is waiting and every sender is gone.
    Disconnected,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "the channel is empty",
            TryRecvError::Disconnected => "the channel is empty and every sender is gone",
        })
    }
}

impl std::error::Error for TryRecvError {}
