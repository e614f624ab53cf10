//! asyncio-style combinators over tasks: `gather`, `wait`, `as_completed`, `wait_for`, `shield`.

mod as_completed;
mod gather;
pub(crate) mod select;
mod wait;
mod wait_for;

pub use as_completed::{AsCompleted, as_completed};
pub use gather::{Gather, GatherSettled, gather, gather_settled};
pub use wait::{Finished, ReturnWhen, WaitTasks, wait, wait_timeout};
pub use wait_for::{WaitFor, shield, wait_for};
