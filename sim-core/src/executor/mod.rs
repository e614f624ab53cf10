//! Task storage: the task table, the runnable set, task cells, wakers, and the error a join
//! reports. Nothing here knows the engine; join handles (in `task/`) reach it through the
//! engine's methods.

mod cell;
mod error;
mod runnable;
mod table;
mod waker;

pub use error::JoinError;

pub(crate) use cell::{AnyTask, Stage, TaskPoll, panic_message};
pub(crate) use runnable::{Ready, RunnableSet};
pub(crate) use table::{NewTask, Phase, TaskTable, main_name};
pub(crate) use waker::{Inbox, LocalWakes};
