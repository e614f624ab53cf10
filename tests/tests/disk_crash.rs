//! The simulated disk: what survives a crash is exactly what was synced; names are durable at
//! once; buggify may tear what was not synced, never what was.

use std::cell::{Cell, RefCell};
use std::io::ErrorKind;
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};

use sim::Builder;
use sim::check::Check;
use sim::disk::{self, File};
use sim::node::{self, NodeId};
use sim::time::{Duration, sleep};

/// A node that appends one byte per millisecond to `log`, syncing after every third, and
/// records in `synced` how many bytes a finished sync made durable.
fn appender(synced: &Rc<Cell<usize>>) -> NodeId {
    let synced = Rc::clone(synced);
    node::Builder::new("appender")
        .init(move || {
            let synced = Rc::clone(&synced);
            async move {
                if node::generation(node::current()) > 0 {
                    return; // the next generation only reads
                }
                let mut f = File::create("log").await.unwrap();
                for i in 0..200u8 {
                    f.write_all(&[i]).await.unwrap();
                    if i % 3 == 2 {
                        f.sync_all().await.unwrap();
                        synced.set(usize::from(i) + 1);
                    }
                    sleep(Duration::from_millis(1)).await;
                }
            }
        })
        .build()
}

/// What node `n` reads from `path` after the crash.
async fn read_on(n: NodeId, path: &'static str) -> std::io::Result<Vec<u8>> {
    node::spawn_on(n, disk::read(path)).unwrap().await.unwrap()
}

#[test]
fn what_survives_a_crash_is_exactly_what_was_synced() {
    Check::new().seeds(200).run(|| async {
        let synced = Rc::new(Cell::new(0));
        let n = appender(&synced);
        sleep(Duration::from_micros(sim::rand::random::<u64>() % 300_000)).await;
        node::crash(n);
        let acknowledged = synced.get();
        node::restart(n);
        let after = read_on(n, "log").await.unwrap();
        let expected: Vec<u8> = (0..acknowledged as u8).collect();
        assert_eq!(after, expected, "synced {acknowledged} bytes");
    });
}

#[test]
fn a_crash_during_a_sync_loses_what_it_would_have_made_durable() {
    Builder::new()
        .build()
        .block_on(async {
            let n = node::Builder::new("n").build();
            let syncing = node::spawn_on(n, async {
                let mut f = File::create("f").await.unwrap();
                f.write_all(b"durable").await.unwrap();
                f.sync_all().await.unwrap();
                f.write_all(b" pending").await.unwrap();
                f.sync_all().await.unwrap(); // takes 1 ms: the crash comes first
                unreachable!("the sync returned across a crash");
            })
            .unwrap();
            sleep(Duration::from_micros(1500)).await;
            node::crash(n);
            assert!(syncing.await.unwrap_err().is_cancelled());
            node::restart(n);
            assert_eq!(read_on(n, "f").await.unwrap(), b"durable");
        })
        .unwrap();
}

#[test]
fn a_rename_before_a_sync_leaves_an_empty_file_and_the_synced_pattern_survives() {
    Check::new().seeds(100).run(|| async {
        let n = node::Builder::new("n").build();
        node::spawn_on(n, async {
            disk::write("config", b"v1").await.unwrap();
            File::open("config")
                .await
                .unwrap()
                .sync_all()
                .await
                .unwrap();
            // The bug: the new version is renamed into place before it is synced.
            disk::write("config.tmp", b"v2").await.unwrap();
            disk::rename("config.tmp", "config").await.unwrap();
            // The fix, for a second file: sync, then rename.
            let mut tmp = File::create("safe.tmp").await.unwrap();
            tmp.write_all(b"v2").await.unwrap();
            tmp.sync_all().await.unwrap();
            disk::rename("safe.tmp", "safe").await.unwrap();
        })
        .unwrap()
        .await
        .unwrap();
        node::crash(n);
        node::restart(n);
        assert_eq!(read_on(n, "config").await.unwrap(), b"");
        assert_eq!(read_on(n, "safe").await.unwrap(), b"v2");
        assert_eq!(
            read_on(n, "config.tmp").await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
    });
}

#[test]
fn buggify_may_tear_unsynced_writes_and_never_synced_ones() {
    static TORN: AtomicU32 = AtomicU32::new(0);
    Check::new().seeds(300).buggify(true).run(|| async {
        let synced = Rc::new(Cell::new(0));
        let n = appender(&synced);
        sleep(Duration::from_micros(sim::rand::random::<u64>() % 300_000)).await;
        node::crash(n);
        let acknowledged = synced.get();
        node::restart(n);
        let after = read_on(n, "log").await.unwrap();
        let prefix: Vec<u8> = (0..after.len() as u8).collect();
        assert_eq!(
            after, prefix,
            "what survived is a prefix of what was written"
        );
        assert!(after.len() >= acknowledged, "a synced byte was lost");
        if after.len() > acknowledged {
            TORN.fetch_add(1, Ordering::Relaxed);
        }
    });
    assert!(
        TORN.load(Ordering::Relaxed) > 0,
        "no seed kept an unsynced write"
    );
}

#[test]
fn a_handle_from_a_crashed_generation_fails_by_name_and_each_node_has_its_own_disk() {
    Builder::new()
        .build()
        .block_on(async {
            let kept: Rc<RefCell<Option<File>>> = Rc::new(RefCell::new(None));
            let k = Rc::clone(&kept);
            let a = node::Builder::new("a").build();
            let b = node::Builder::new("b").build();
            node::spawn_on(a, async move {
                disk::write("mine", b"a's").await.unwrap();
                *k.borrow_mut() = Some(File::open("mine").await.unwrap());
            })
            .unwrap()
            .await
            .unwrap();
            let err = read_on(b, "mine").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
            assert!(
                err.to_string().contains("node `b` has no file `mine`"),
                "{err}"
            );
            node::restart(a);
            let mut old = kept.borrow_mut().take().unwrap();
            let err = old.write_all(b"late").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::StaleNetworkFileHandle);
            assert!(
                err.to_string()
                    .contains("generation 0 of node `a`, which crashed"),
                "{err}"
            );
        })
        .unwrap();
}

#[test]
fn disks_are_deterministic_with_buggify() {
    Check::new()
        .seeds(100)
        .buggify(true)
        .check_determinism(true)
        .run(|| async {
            let synced = Rc::new(Cell::new(0));
            let n = appender(&synced);
            sleep(Duration::from_millis(sim::rand::random::<u64>() % 300)).await;
            node::restart(n);
            // Not found when the restart came before the first write.
            let _ = read_on(n, "log").await;
        });
}
