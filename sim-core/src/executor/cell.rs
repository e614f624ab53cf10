//! The heap cell that holds a spawned task: its future while it runs, then its output.
//!
//! One allocation per task holds both, behind the object-safe [`AnyTask`] so the task table can
//! store tasks of every type. The cell moves through [`Stage`] in one direction only,
//! `Running` -> `Finished`, and the join handle later takes the output out of `Finished`. The
//! future is dropped exactly when the cell leaves `Running`, which is how cancellation runs the
//! task's destructors.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::JoinError;
use crate::record::TaskId;

pin_project! {
    #[project = StageProj]
    #[project_ref = StageRef]
    pub(crate) enum Stage<F: Future> {
        Running { #[pin] future: F },
        Finished { output: Option<Result<F::Output, JoinError>> },
    }
}

/// What one poll (or a cancellation) of a task cell came to.
#[derive(Debug)]
pub(crate) enum TaskPoll {
    /// The future is still running.
    Pending,
    /// The future returned, or was cancelled; the cell holds the output.
    Complete,
    /// The future (or its destructor) panicked; the cell holds the panic as a `JoinError`.
    Panicked(String),
}

/// A task cell with its output type erased.
pub(crate) trait AnyTask {
    /// Polls the future once, catching a panic.
    fn poll_task(self: Pin<&mut Self>, cx: &mut Context<'_>, id: TaskId) -> TaskPoll;

    /// Drops the future (running its destructors) and stores a cancellation as the output.
    fn cancel(self: Pin<&mut Self>, id: TaskId) -> TaskPoll;

    /// Moves the output into `dst`, which must be a `&mut Option<Result<T, JoinError>>` of the
    /// task's output type `T`.
    fn take_output(self: Pin<&mut Self>, dst: &mut dyn Any);

    /// The panic message, if the task finished by panicking and the output was not taken.
    fn panic_message(self: Pin<&Self>) -> Option<String>;
}

pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_string()
    }
}

impl<F: Future + 'static> AnyTask for Stage<F> {
    fn poll_task(mut self: Pin<&mut Self>, cx: &mut Context<'_>, id: TaskId) -> TaskPoll {
        let StageProj::Running { future } = self.as_mut().project() else {
            unreachable!("task {id} polled after it finished");
        };
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => TaskPoll::Pending,
            Ok(Poll::Ready(output)) => {
                self.set(Stage::Finished {
                    output: Some(Ok(output)),
                });
                TaskPoll::Complete
            }
            Err(payload) => {
                let message = panic_message(&*payload);
                let output = Some(Err(JoinError::panicked(id, payload, message.clone())));
                // Dropping a future that panicked may panic again; that second panic is the
                // future's own business and must not unwind through the run loop.
                let _ = catch_unwind(AssertUnwindSafe(|| self.set(Stage::Finished { output })));
                TaskPoll::Panicked(message)
            }
        }
    }

    fn cancel(mut self: Pin<&mut Self>, id: TaskId) -> TaskPoll {
        let cancelled = Stage::Finished {
            output: Some(Err(JoinError::cancelled(id))),
        };
        match catch_unwind(AssertUnwindSafe(|| self.as_mut().set(cancelled))) {
            Ok(()) => TaskPoll::Complete,
            Err(payload) => {
                let message = panic_message(&*payload);
                self.set(Stage::Finished {
                    output: Some(Err(JoinError::panicked(id, payload, message.clone()))),
                });
                TaskPoll::Panicked(message)
            }
        }
    }

    fn take_output(self: Pin<&mut Self>, dst: &mut dyn Any) {
        let dst = dst
            .downcast_mut::<Option<Result<F::Output, JoinError>>>()
            .expect("join handle and task disagree on the output type");
        // `Finished` holds no pinned field, so replacing it moves nothing that is pinned.
        let StageProj::Finished { output } = self.project() else {
            unreachable!("task output taken before the task finished");
        };
        *dst = output.take();
    }

    fn panic_message(self: Pin<&Self>) -> Option<String> {
        match self.project_ref() {
            StageRef::Finished {
                output: Some(Err(e)),
            } => e.panic_message().map(str::to_string),
            _ => None,
        }
    }
}
