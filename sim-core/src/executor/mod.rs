//! Task storage and execution: the task table, the runnable set, wakers and join handles.

pub(crate) mod cell;
pub(crate) mod join;
mod runnable;
pub(crate) mod table;
pub(crate) mod waker;

pub use join::{AbortOnDrop, Cancel, JoinError, JoinHandle};
pub(crate) use runnable::{Ready, RunnableSet};
