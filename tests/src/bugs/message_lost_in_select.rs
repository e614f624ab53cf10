//! Message lost in `select!`: a hand-rolled mailbox's `recv` takes a message off the queue and
//! then awaits an acknowledgement (1 ms of I/O) before returning it. Used as a `select!` branch
//! beside an idle timer, the future is dropped whenever the timer wins while it is in the
//! middle of acknowledging, and the message it already took is gone. The fix receives with
//! `sim::sync::mpsc::Receiver::recv`, which is cancel-safe, and acknowledges in the branch body,
//! which `select!` never cancels.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use sim::sync::{Notify, mpsc};
use sim::time::{Duration, sleep};

const MESSAGES: u32 = 5;

fn arrival_gap() -> Duration {
    Duration::from_millis(1 + sim::rand::random::<u64>() % 3)
}

async fn acknowledge() {
    sleep(Duration::from_millis(1)).await;
}

/// A hand-rolled mailbox.
#[derive(Default)]
struct Mailbox {
    items: RefCell<VecDeque<u32>>,
    arrived: Notify,
}

impl Mailbox {
    fn post(&self, message: u32) {
        self.items.borrow_mut().push_back(message);
        self.arrived.notify_one();
    }

    /// Takes the next message, acknowledges it, returns it. Not cancel-safe: dropped during
    /// the acknowledgement, it loses the message it took.
    async fn recv(&self) -> u32 {
        let message = loop {
            if let Some(m) = self.items.borrow_mut().pop_front() {
                break m;
            }
            self.arrived.notified().await;
        };
        acknowledge().await;
        message
    }
}

/// Receives from a hand-rolled mailbox whose `recv` awaits after taking.
pub async fn buggy() {
    let mailbox = Rc::new(Mailbox::default());
    let done = Rc::new(Cell::new(false));
    let producer = {
        let (mailbox, done) = (Rc::clone(&mailbox), Rc::clone(&done));
        sim::spawn(async move {
            for i in 0..MESSAGES {
                sleep(arrival_gap()).await;
                mailbox.post(i);
            }
            done.set(true);
        })
    };
    let mut got = Vec::new();
    loop {
        sim::select! {
            m = mailbox.recv() => got.push(m),
            () = sleep(Duration::from_millis(2)) => {
                if done.get() && mailbox.items.borrow().is_empty() {
                    break;
                }
            }
        }
    }
    producer.await.unwrap();
    assert_eq!(got, (0..MESSAGES).collect::<Vec<_>>(), "a message was lost");
}

/// Receives with the cancel-safe `mpsc::Receiver::recv`, acknowledging in the branch body.
pub async fn fixed() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let producer = sim::spawn(async move {
        for i in 0..MESSAGES {
            sleep(arrival_gap()).await;
            tx.send(i).await.unwrap();
        }
    });
    let mut got = Vec::new();
    loop {
        sim::select! {
            m = rx.recv() => match m {
                Some(m) => {
                    acknowledge().await;
                    got.push(m);
                }
                None => break,
            },
            () = sleep(Duration::from_millis(2)) => {}
        }
    }
    producer.await.unwrap();
    assert_eq!(got, (0..MESSAGES).collect::<Vec<_>>(), "a message was lost");
}
