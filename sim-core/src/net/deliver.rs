//! The delivery task: one task of the run, outside every node, that sleeps until the next
//! message is due, delivers everything due, and ends when nothing is in flight (the next
//! send starts a new one). Being a task, its wake-ups are scheduling decisions like any
//! other: a message due "now" may still arrive after some other task has run.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::fabric::{Due, Net, Wake};
use crate::engine::{Core, NO_GROUP};
use crate::task::JoinHandle;
use crate::time::Sleep;

/// Does what `wake` asks: start the delivery task, or wake it for an earlier deadline.
pub(super) fn kick(core: &Rc<Core>, net: &Rc<Net>, wake: Wake) {
    match wake {
        Wake::Nothing => {}
        Wake::Courier(waker) => waker.wake(),
        Wake::Start => {
            let courier = Courier {
                core: Rc::clone(core),
                net: Rc::clone(net),
                sleep: None,
            };
            let name: Rc<str> = Rc::from("sim::net delivery");
            let ready = core.spawn_in(NO_GROUP, courier, Some(name), Location::caller());
            drop(JoinHandle::<()>::new(Rc::clone(core), ready));
        }
    }
}

struct Courier {
    core: Rc<Core>,
    net: Rc<Net>,
    sleep: Option<Sleep>,
}

impl Future for Courier {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let now = self.core.now();
            let mut wakers: Vec<Waker> = Vec::new();
            let mut kicks = Vec::new();
            let next = {
                let mut fabric = self.net.0.borrow_mut();
                while let Some(&std::cmp::Reverse((at, _, what))) = fabric.due.peek() {
                    if at > now {
                        break;
                    }
                    fabric.due.pop();
                    match what {
                        Due::Datagram(key) => {
                            super::udp::deliver(&self.core, &mut fabric, key, &mut wakers)
                        }
                        Due::Pipe(id) => super::tcp::deliver(
                            &self.core,
                            &mut fabric,
                            id,
                            at,
                            &mut wakers,
                            &mut kicks,
                        ),
                        Due::Refused(id) => super::tcp::refused(&mut fabric, id, &mut wakers),
                    }
                }
                let next = fabric.due.peek().map(|r| r.0.0);
                match next {
                    None => {
                        fabric.courier = Default::default();
                    }
                    Some(at) => {
                        fabric.courier.until = Some(at);
                        fabric.courier.waker = Some(cx.waker().clone());
                    }
                }
                next
            };
            // Entries pushed while delivering found the courier running, and it looks at the
            // queue again below: nothing to start or wake.
            debug_assert!(!kicks.iter().any(|k| matches!(k, Wake::Start)));
            wakers.into_iter().for_each(Waker::wake);
            let Some(at) = next else {
                return Poll::Ready(());
            };
            if at <= self.core.now() {
                continue;
            }
            let core = Rc::clone(&self.core);
            let sleep = match &mut self.sleep {
                Some(s) if s.deadline() == at => s,
                slot => slot.insert(Sleep::new(core, at)),
            };
            if Pin::new(sleep).poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}
