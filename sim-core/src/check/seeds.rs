//! Which seeds a test runs.
//!
//! Seed number `position` of the test named `name` is
//! `splitmix64(fnv1a64(name) ^ position * 0x9e3779b97f4a7c15)`: different tests explore
//! different seeds, the list is the same on every machine and every run, and it does not depend
//! on how many seeds are run, on sharding or on threads. Both hashes are written out here so
//! that the mapping never changes with a dependency. A [`Shard`] keeps a share of the
//! positions, so that CI jobs split a test's seeds between them.

use std::fmt;

/// Which shard of the seeds to run: `index` of `count`, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// Shard `index` of `count`, numbered from 1 (as `SIM_SHARD=1/3` .. `3/3`).
    ///
    /// # Panics
    ///
    /// Unless `1 <= index <= count`.
    ///
    /// ```
    /// let s = sim::check::Shard::new(2, 3);
    /// assert!(s.owns(1) && !s.owns(0) && s.owns(4));
    /// ```
    #[track_caller]
    pub fn new(index: u64, count: u64) -> Shard {
        assert!(
            1 <= index && index <= count,
            "a shard is i/n with 1 <= i <= n, not {index}/{count}"
        );
        Shard { index, count }
    }

    /// Whether seed number `position` (counting from 0 within a test) belongs to this shard.
    ///
    /// ```
    /// let all: Vec<u64> = (0..9).filter(|&p| sim::check::Shard::new(1, 3).owns(p)).collect();
    /// assert_eq!(all, [0, 3, 6]);
    /// ```
    pub fn owns(&self, position: u64) -> bool {
        position % self.count == self.index - 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The seed at `position` in the seed list of the test `name`.
///
/// ```
/// let a = sim::check::seed_for("bank::transfer", 0);
/// assert_eq!(a, sim::check::seed_for("bank::transfer", 0));
/// assert_ne!(a, sim::check::seed_for("bank::transfer", 1));
/// assert_ne!(a, sim::check::seed_for("bank::deposit", 0));
/// ```
pub fn seed_for(name: &str, position: u64) -> u64 {
    SeedList::new(name).seed(position)
}

/// The seed list of one test, with its name hashed once.
pub(crate) struct SeedList {
    base: u64,
}

impl SeedList {
    pub(crate) fn new(name: &str) -> SeedList {
        SeedList {
            base: fnv1a64(name.as_bytes()),
        }
    }

    pub(crate) fn seed(&self, position: u64) -> u64 {
        splitmix64(self.base ^ position.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }
}

/// The positions this process runs: `count` from `start`, keeping only the shard's share.
pub(crate) fn positions(start: u64, count: u64, shard: Option<Shard>) -> Vec<u64> {
    (start..start.saturating_add(count))
        .filter(|&p| shard.is_none_or(|s| s.owns(p)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_pinned() {
        // Changing these values changes every test's seeds: note it in CHANGELOG.md.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(seed_for("x", 0), seed_for("x", 0));
        let distinct: std::collections::HashSet<u64> =
            (0..1000).map(|p| seed_for("t", p)).collect();
        assert_eq!(distinct.len(), 1000);
    }

    #[test]
    fn shards_partition_the_seeds() {
        let shards: Vec<Shard> = (1..=3).map(|i| Shard::new(i, 3)).collect();
        for position in 0..100 {
            assert_eq!(shards.iter().filter(|s| s.owns(position)).count(), 1);
        }
    }

    #[test]
    fn shards_cover_every_position_once() {
        let all = positions(10, 100, None);
        let mut sharded: Vec<u64> = (1..=4)
            .flat_map(|i| positions(10, 100, Some(Shard::new(i, 4))))
            .collect();
        sharded.sort_unstable();
        assert_eq!(sharded, all);
    }
}
