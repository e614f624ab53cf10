//! Spawning: a new task's entry in the table, its spawn event and its trace line.

use std::future::Future;
use std::panic::Location;
use std::rc::Rc;

use crate::executor::NewTask;
use crate::executor::Ready;
use crate::executor::{AnyTask, Stage};
use crate::record::EventKind;

use super::Core;

impl Core {
    /// Inserts a new task running `future`; the caller wraps the entry in a join handle.
    pub(crate) fn spawn<F>(
        &self,
        future: F,
        name: Option<Rc<str>>,
        spawned_at: &'static Location<'static>,
    ) -> Ready
    where
        F: Future + 'static,
    {
        self.spawn_in(super::INHERIT, future, name, spawned_at)
    }

    /// [`spawn`](Self::spawn) into task group `group` (see `groups.rs`), or the spawner's
    /// with [`INHERIT`](super::INHERIT).
    pub(crate) fn spawn_in<F>(
        &self,
        group: u32,
        future: F,
        name: Option<Rc<str>>,
        spawned_at: &'static Location<'static>,
    ) -> Ready
    where
        F: Future + 'static,
    {
        let cell: std::pin::Pin<Box<dyn AnyTask>> = Box::pin(Stage::Running { future });
        self.insert(NewTask {
            name,
            spawned_at,
            group,
            cell: Some(cell),
        })
    }

    /// Inserts the `block_on` future's entry; its future stays on the caller's stack.
    pub(crate) fn spawn_main(&self, spawned_at: &'static Location<'static>) -> Ready {
        self.insert(NewTask {
            name: Some(crate::executor::main_name()),
            spawned_at,
            group: super::NO_GROUP,
            cell: None,
        })
    }

    pub(super) fn insert(&self, mut task: NewTask) -> Ready {
        let spawned_at = task.spawned_at;
        let mut st = self.state.borrow_mut();
        task.group = st.group_for(task.group, self.polling.get().1);
        let group = task.group;
        let ready = st.tasks.insert(task, &self.inbox);
        st.admit(ready, group);
        if let Some(slot) = self.watch.get() {
            slot.spawned(
                super::watchdog::address(self),
                ready.key,
                ready.id,
                spawned_at,
            );
        }
        st.scheduler.on_spawn(ready.id);
        let parent = st.current;
        if st.recording() {
            let name = st
                .tasks
                .cold(ready.key, ready.id)
                .and_then(|c| c.name.as_deref().map(String::from));
            st.record(EventKind::Spawned {
                task: ready.id,
                parent,
                name,
            });
        }
        if tracing::enabled!(target: "sim", tracing::Level::DEBUG) {
            let name = st
                .tasks
                .cold(ready.key, ready.id)
                .and_then(|c| c.name.clone());
            drop(st);
            let parent = parent.map(tracing::field::display);
            tracing::debug!(target: "sim", task = %ready.id, name = name.as_deref(), parent, "spawn");
        }
        ready
    }
}
