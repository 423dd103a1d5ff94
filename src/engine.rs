//! The discrete-event core: a simulated clock's agenda. Events are ordered by time, and events
//! at the same instant by the order they were scheduled, so runs are reproducible to the bit.
//! It knows nothing of pods, requests or Kubernetes.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// An ordering key: the time's bit pattern (monotone for non-negative floats) above the
/// sequence number, so one integer comparison orders by (time, seq).
pub(crate) type Key = u128;

/// A key after every real one (time +∞, last sequence number): "nothing due".
pub(crate) const NEVER: Key = ((0x7ff0_0000_0000_0000u64 as u128) << 64) | u64::MAX as u128;

/// The time a key stands for.
#[inline]
pub(crate) fn key_time(key: Key) -> f64 {
    f64::from_bits((key >> 64) as u64)
}

struct Entry<E> {
    key: Key,
    event: E,
}

impl<E> Entry<E> {
    #[inline]
    fn time(&self) -> f64 {
        key_time(self.key)
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so the max-heap pops the earliest (time, seq) first.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// A time-ordered queue of future events with deterministic tie-breaking (FIFO at equal times).
pub(crate) struct Agenda<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
    /// The earliest event's key ([`NEVER`] when there is none) and its time, kept beside the
    /// heap: the event loop reads them at every event, and most events (requests') leave the
    /// agenda alone.
    next: Key,
    next_at: f64,
}

impl<E> Default for Agenda<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Agenda<E> {
    pub(crate) fn new() -> Self {
        Agenda {
            heap: BinaryHeap::new(),
            seq: 0,
            next: NEVER,
            next_at: f64::INFINITY,
        }
    }

    /// Schedule `event` at `time` (not NaN; times below zero are treated as zero).
    #[inline]
    pub(crate) fn schedule(&mut self, time: f64, event: E) {
        let key = self.stamp(time);
        self.heap.push(Entry { key, event });
        if key < self.next {
            self.next = key;
            self.next_at = key_time(key);
        }
    }

    /// Time of the next event, or +∞ when there is none.
    #[inline]
    pub(crate) fn next_time(&self) -> f64 {
        self.next_at
    }

    /// The ordering key of something due at `time`, scheduled now: it sorts among this agenda's
    /// events exactly as an event scheduled here would (for [`Timers`] kept beside it).
    #[inline]
    pub(crate) fn stamp(&mut self, time: f64) -> Key {
        debug_assert!(!time.is_nan());
        let t = if time > 0.0 { time } else { 0.0 };
        self.seq += 1;
        ((t.to_bits() as u128) << 64) | self.seq as u128
    }

    /// Key of the next event, or [`NEVER`] when there is none.
    #[inline]
    pub(crate) fn next_key(&self) -> Key {
        self.next
    }

    /// Remove and return the next event.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(f64, E)> {
        let popped = self.heap.pop().map(|e| (e.time(), e.event));
        self.next = self.heap.peek().map_or(NEVER, |e| e.key);
        self.next_at = key_time(self.next);
        popped
    }
}

/// At most one pending deadline per slot (a small integer id, e.g. a pod's next completion),
/// ordered by [`Key`]s stamped by an [`Agenda`] so they interleave with its events exactly as
/// events would. A slot's deadline is moved or cancelled in place, so a deadline that changes
/// leaves no stale entry behind.
///
/// Owns a winner tree over the slots: a complete binary tree whose leaves are the slots'
/// deadlines and whose every inner node holds the earliest deadline below it. Setting a
/// deadline replays the matches on its leaf's path to the root: log₂(slots) comparisons
/// against the path's siblings, no swaps. A node is two words: `hi`, the key's time bits, and
/// `lo`, its sequence number with the slot packed below it (`shift` bits; sequence numbers are
/// unique, so the slot never decides a match). An unset slot's `hi` is above every time's,
/// +∞'s included, and differs from every other slot's, so two nodes' `hi`s are equal only when
/// two deadlines fall at the very same instant: a match compares the `hi`s, moves the winner
/// with two conditional moves (which deadline wins is a coin toss the branch predictor would
/// miss about half the time), and only a tie, rare, takes a branch to compare the `lo`s.
#[derive(Debug, Clone)]
pub(crate) struct Timers {
    /// Node `n` (1 ≤ n < 2·cap) holds the earliest deadline below it; leaf `cap + s` is slot
    /// `s`. Node 0 is unused; `cap` (a power of two) is half the length of each.
    hi: Vec<u64>,
    lo: Vec<u64>,
    /// Number of slots (a power of two).
    cap: usize,
    /// log₂(cap): the bits below a node's sequence number that hold its slot. Sequence numbers
    /// must stay below 2^(64 − shift): at a million slots, 2^44 stamps (weeks of simulation at
    /// tens of millions of events per second).
    shift: u32,
    /// `2^shift − 1`: the slot bits of a node's `lo`.
    slot_mask: u64,
    /// Node 1 (`hi`, `lo`), the earliest deadline, kept here as well: it is read at every
    /// event, and a field needs no bounds check.
    root: (u64, u64),
    /// The root's time (+∞ when no deadline is set).
    next_at: f64,
}

/// The earliest deadline of [`Timers`], as [`Timers::due`] gives it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Due {
    /// When it is due.
    pub(crate) at: f64,
    pub(crate) slot: u32,
    /// Its node (`hi`, `lo`), to find it again.
    node: (u64, u64),
}

/// +∞'s bit pattern: the largest `hi` of a set node.
const INF_BITS: u64 = 0x7ff0_0000_0000_0000;

/// The node of an unset slot: `hi` above +∞'s bits (a NaN pattern, never read as a time), one
/// per slot so that no two unset nodes tie.
#[inline(always)]
fn unset(slot: usize) -> (u64, u64) {
    (INF_BITS + 1 + slot as u64, u64::MAX)
}

impl Default for Timers {
    fn default() -> Self {
        Self::new()
    }
}

impl Timers {
    pub(crate) fn new() -> Timers {
        Timers::with_capacity(1)
    }

    fn with_capacity(slots: usize) -> Timers {
        let cap = slots.next_power_of_two();
        let (mut hi, mut lo) = (vec![0; 2 * cap], vec![0; 2 * cap]);
        for s in 0..cap {
            (hi[cap + s], lo[cap + s]) = unset(s);
        }
        for n in (1..cap).rev() {
            // The left child's slots are the lower ones: unset, it is the smaller.
            let c = if hi[2 * n + 1] < hi[2 * n] {
                2 * n + 1
            } else {
                2 * n
            };
            (hi[n], lo[n]) = (hi[c], lo[c]);
        }
        let root = (hi[1], lo[1]);
        Timers {
            hi,
            lo,
            cap,
            shift: cap.trailing_zeros(),
            slot_mask: cap as u64 - 1,
            root,
            next_at: f64::from_bits(root.0.min(INF_BITS)),
        }
    }

    #[inline]
    fn cap(&self) -> usize {
        self.cap
    }

    /// The `lo` word of `key` set for `slot`.
    #[inline(always)]
    fn pack(&self, slot: u32, key: Key) -> u64 {
        let seq = key as u64;
        debug_assert!(self.shift == 0 || seq >> (64 - self.shift) == 0);
        (seq << self.shift) | slot as u64
    }

    /// The key a set node stands for.
    #[inline(always)]
    fn key_of(&self, hi: u64, lo: u64) -> Key {
        ((hi as u128) << 64) | (lo >> self.shift) as u128
    }

    /// The slot a set node belongs to.
    #[inline(always)]
    fn slot_of(&self, lo: u64) -> u32 {
        (lo & self.slot_mask) as u32
    }

    /// Key of the earliest deadline, or [`NEVER`].
    #[inline]
    pub(crate) fn next_key(&self) -> Key {
        let (hi, lo) = self.root;
        if hi > INF_BITS {
            NEVER
        } else {
            self.key_of(hi, lo)
        }
    }

    /// Time of the earliest deadline, or +∞.
    #[inline]
    pub(crate) fn next_time(&self) -> f64 {
        self.next_at
    }

    /// The earliest deadline, without removing it: its time and slot, and its node for
    /// [`Self::cancel_due`] (no key is built: most callers never need it).
    #[inline]
    pub(crate) fn due(&self) -> Option<Due> {
        let (hi, lo) = self.root;
        (hi <= INF_BITS).then_some(Due {
            at: self.next_at,
            slot: self.slot_of(lo),
            node: (hi, lo),
        })
    }

    /// The earliest deadline as (key, slot), without removing it.
    #[inline]
    #[cfg(test)]
    fn peek(&self) -> Option<(Key, u32)> {
        let (hi, lo) = self.root;
        (hi <= INF_BITS).then(|| (self.key_of(hi, lo), self.slot_of(lo)))
    }

    /// Number of deadlines set.
    #[cfg(test)]
    fn len(&self) -> usize {
        (0..self.cap() as u32)
            .filter(|&s| self.get(s).is_some())
            .count()
    }

    /// `slot`'s deadline, if one is set.
    #[inline]
    pub(crate) fn get(&self, slot: u32) -> Option<Key> {
        let leaf = self.cap() + slot as usize;
        let hi = *self.hi.get(leaf)?;
        (hi <= INF_BITS).then(|| self.key_of(hi, self.lo[leaf]))
    }

    /// Set (or move) `slot`'s deadline to `key` (< `NEVER`).
    ///
    /// Every set replays the whole path: stopping where a deadline moved earlier loses (tried)
    /// saved instructions but cost M/M/10 about 6 % in time, its branches mispredicted.
    #[inline]
    pub(crate) fn set(&mut self, slot: u32, key: Key) {
        debug_assert!(key < NEVER);
        if slot as usize >= self.cap() {
            return self.grow_and_set(slot, key);
        }
        self.put(slot, (key >> 64) as u64, self.pack(slot, key));
    }

    /// [`Self::set`] for a slot beyond the tree: grow it first.
    #[cold]
    #[inline(never)]
    fn grow_and_set(&mut self, slot: u32, key: Key) {
        self.grow(slot as usize + 1);
        self.put(slot, (key >> 64) as u64, self.pack(slot, key));
    }

    /// Drop `slot`'s deadline, if any.
    #[inline]
    pub(crate) fn cancel(&mut self, slot: u32) {
        if self.get(slot).is_some() {
            let (hi, lo) = unset(slot as usize);
            self.put(slot, hi, lo);
        }
    }

    /// Drop the deadline [`Self::due`] gave if its slot still has it (its leaf still holds
    /// the node: stamps are unique, so a deadline set since differs).
    #[inline(always)]
    pub(crate) fn cancel_due(&mut self, due: Due) {
        let leaf = self.cap() + due.slot as usize;
        if self.hi.get(leaf) == Some(&due.node.0) && self.lo[leaf] == due.node.1 {
            let (hi, lo) = unset(due.slot as usize);
            self.put(due.slot, hi, lo);
        }
    }

    /// Remove and return the earliest deadline: (time, slot).
    #[inline]
    #[cfg(test)]
    fn pop(&mut self) -> Option<(f64, u32)> {
        let (key, slot) = self.peek()?;
        self.cancel(slot);
        Some((key_time(key), slot))
    }

    /// Store `slot`'s node and replay the matches up its path. The levels are played two at a
    /// time (one loop test for two matches), and the last match, the root's, is kept in `root`
    /// only: node 1 is never read as a sibling, so it is not stored.
    ///
    /// `slot` must be below `cap` (every caller knows it: [`Self::set`] grows first, the others
    /// found the slot's leaf). Always inlined: a call's spills and the leaf's bounds checks
    /// were a quarter of its instructions.
    #[inline(always)]
    #[allow(unsafe_code)] // the crate's only unsafe code: see the SAFETY notes below
    fn put(&mut self, slot: u32, hi: u64, lo: u64) {
        let mut n = self.cap() + slot as usize;
        let (mut bh, mut bl) = (hi, lo);
        assert_slot_in_tree(n, self.hi.len());
        debug_assert_eq!(self.hi.len(), self.lo.len());
        debug_assert!(self.hi.len().is_multiple_of(2));
        // The two arrays' starts, read once: stored through references into the vectors, each
        // store made the compiler read them again (it cannot tell the arrays from `self`).
        let tree = Tree {
            hi: self.hi.as_mut_ptr(),
            lo: self.lo.as_mut_ptr(),
        };
        // SAFETY (the leaf's `store` and each `play` and `store` below): `hi` and `lo` are
        // 2·cap long (even), and n < 2·cap: it starts at the leaf of a slot below cap (checked
        // above in debug builds; every caller ensures it) and only halves; so n ^ 1 < 2·cap
        // and n / 2 < n. Nothing else touches the vectors while `tree` is in use. This is the
        // engine's hottest code (every start and end of a request); the bounds checks were a
        // third of its instructions.
        unsafe { tree.store(n, bh, bl) };
        while n > 7 {
            (bh, bl) = unsafe { tree.play(n ^ 1, bh, bl) };
            n /= 2;
            unsafe { tree.store(n, bh, bl) };
            (bh, bl) = unsafe { tree.play(n ^ 1, bh, bl) };
            n /= 2;
            unsafe { tree.store(n, bh, bl) };
        }
        if n > 3 {
            (bh, bl) = unsafe { tree.play(n ^ 1, bh, bl) };
            n /= 2;
            unsafe { tree.store(n, bh, bl) };
        }
        if n > 1 {
            // The root's match (n is 2 or 3).
            (bh, bl) = unsafe { tree.play(n ^ 1, bh, bl) };
        }
        self.root = (bh, bl);
        self.next_at = f64::from_bits(bh.min(INF_BITS));
    }

    /// Room for at least `slots` slots, keeping every deadline.
    #[cold]
    fn grow(&mut self, slots: usize) {
        let mut bigger = Timers::with_capacity(slots.max(2 * self.cap()));
        for s in 0..self.cap() as u32 {
            if let Some(key) = self.get(s) {
                bigger.put(s, (key >> 64) as u64, bigger.pack(s, key));
            }
        }
        *self = bigger;
    }
}

/// The node arrays of [`Timers`] as [`Timers::put`] walks them: their starts, read once.
#[derive(Clone, Copy)]
struct Tree {
    hi: *mut u64,
    lo: *mut u64,
}

impl Tree {
    /// The winner of the match between (`bh`, `bl`) and node `sibling`.
    ///
    /// # Safety
    /// `sibling` < 2·cap of the [`Timers`] the pointers were taken from, unchanged since.
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn play(self, sibling: usize, bh: u64, bl: u64) -> (u64, u64) {
        // SAFETY: the caller's.
        let (sh, sl) = unsafe { (*self.hi.add(sibling), *self.lo.add(sibling)) };
        if sh == bh {
            // Two deadlines at the same instant: the earlier stamped wins.
            rarely();
            (bh, bl.min(sl))
        } else {
            // A 128-bit comparison here compiles to a branch that would miss about every
            // other time; this is one comparison and two conditional moves.
            let wins = sh < bh;
            (
                std::hint::select_unpredictable(wins, sh, bh),
                std::hint::select_unpredictable(wins, sl, bl),
            )
        }
    }

    /// Store node `n`.
    ///
    /// # Safety
    /// As for [`Self::play`].
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn store(self, n: usize, bh: u64, bl: u64) {
        // SAFETY: the caller's.
        unsafe {
            *self.hi.add(n) = bh;
            *self.lo.add(n) = bl;
        }
    }
}

/// A leaf index handed to [`Timers::put`] is inside the tree (checked in debug builds).
#[inline(always)]
fn assert_slot_in_tree(leaf: usize, len: usize) {
    debug_assert!(
        leaf < len,
        "timer slot's leaf {leaf} outside a tree of {len} nodes"
    );
}

/// Marks the branch it is called from as rarely taken (what `std::hint::cold_path` does, which
/// is newer than this crate's minimum Rust version).
#[cold]
#[inline(always)]
fn rarely() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_schedule_order() {
        let mut a = Agenda::new();
        a.schedule(2.0, "c");
        a.schedule(1.0, "a");
        a.schedule(2.0, "d");
        a.schedule(1.0, "b");
        let order: Vec<_> = std::iter::from_fn(|| a.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!["a", "b", "c", "d"]);
        assert_eq!(a.next_time(), f64::INFINITY);
    }

    /// Timers set, moved and cancelled in any order pop as a plain sorted list of the keys
    /// last set would, and interleave with agenda events by stamp.
    #[test]
    fn timers_pop_in_key_order_after_moves_and_cancels() {
        let mut rng = crate::rng::Stream::new(11, "timers");
        let mut agenda: Agenda<()> = Agenda::new();
        for _ in 0..200 {
            let mut timers = Timers::new();
            let mut model: Vec<Option<Key>> = vec![None; 1 + rng.below(40)];
            for _ in 0..rng.below(200) {
                let slot = rng.below(model.len());
                if rng.below(4) == 0 {
                    timers.cancel(slot as u32);
                    model[slot] = None;
                } else {
                    let key = agenda.stamp(rng.below(20) as f64);
                    timers.set(slot as u32, key);
                    model[slot] = Some(key);
                }
                assert_eq!(timers.get(slot as u32), model[slot]);
                assert_every_node_holds_its_least_leaf(&timers);
            }
            let mut want: Vec<(Key, u32)> = model
                .iter()
                .enumerate()
                .filter_map(|(s, k)| k.map(|k| (k, s as u32)))
                .collect();
            want.sort();
            assert_eq!(timers.len(), want.len());
            // The root is the least leaf (node 1 itself is not kept up to date).
            let cap = timers.cap();
            let least = (cap..2 * cap)
                .map(|n| (timers.hi[n], timers.lo[n]))
                .min()
                .expect("a slot at least");
            assert_eq!(timers.root, least);
            assert_eq!(
                timers.next_time().to_bits(),
                f64::from_bits(timers.root.0.min(INF_BITS)).to_bits()
            );
            assert_eq!(timers.next_key(), want.first().map_or(NEVER, |w| w.0));
            let due = timers.due();
            assert_eq!(
                due.map(|d| (d.at.to_bits(), d.slot)),
                timers.peek().map(|(k, s)| (key_time(k).to_bits(), s))
            );
            if let Some(d) = due {
                // A deadline set since (a later stamp, even at the same time) is kept; the one
                // still due is dropped.
                let mut kept = timers.clone();
                kept.set(d.slot, agenda.stamp(d.at));
                kept.cancel_due(d);
                assert!(kept.get(d.slot).is_some());
                let mut dropped = timers.clone();
                dropped.cancel_due(d);
                assert_eq!(dropped.get(d.slot), None);
            }
            let got: Vec<(f64, u32)> = std::iter::from_fn(|| timers.pop()).collect();
            let want: Vec<(f64, u32)> = want.iter().map(|&(k, s)| (key_time(k), s)).collect();
            assert_eq!(got, want);
        }
    }

    /// Every inner node but node 1 holds the earlier of its children, and the root the
    /// earlier of nodes 2 and 3: what [`Timers::put`] must leave.
    fn assert_every_node_holds_its_least_leaf(timers: &Timers) {
        let node = |n: usize| (timers.hi[n], timers.lo[n]);
        for n in 2..timers.cap() {
            assert_eq!(node(n), node(2 * n).min(node(2 * n + 1)), "node {n}");
        }
        if timers.cap() > 1 {
            assert_eq!(timers.root, node(2).min(node(3)));
        }
    }

    /// Deadlines moved only earlier (or set where none was), the case a climb that stopped
    /// where a deadline loses was once tried for: every node still holds its least leaf.
    #[test]
    fn lowered_deadlines_keep_the_tree() {
        let mut rng = crate::rng::Stream::new(12, "timers-lower");
        let mut agenda: Agenda<()> = Agenda::new();
        for _ in 0..100 {
            let slots = 1 + rng.below(70);
            let mut timers = Timers::new();
            let mut at: Vec<f64> = vec![f64::INFINITY; slots];
            for _ in 0..300 {
                let slot = rng.below(slots);
                let t = if at[slot].is_finite() && rng.below(3) > 0 {
                    // Earlier, or at the same instant (a later stamp: a tie broken by seq).
                    at[slot] - rng.below(3) as f64
                } else {
                    rng.below(50) as f64
                };
                at[slot] = t;
                timers.set(slot as u32, agenda.stamp(t));
                assert_every_node_holds_its_least_leaf(&timers);
            }
        }
    }

    /// The next key and time kept beside the heap are the heap's least, whatever the order
    /// events are scheduled and popped in.
    #[test]
    fn next_event_kept_beside_the_heap_is_the_heaps_least() {
        let mut rng = crate::rng::Stream::new(13, "agenda");
        let mut a: Agenda<u32> = Agenda::new();
        for i in 0..2000 {
            if rng.below(3) == 0 {
                a.pop();
            } else {
                a.schedule(rng.below(30) as f64 - 2.0, i);
            }
            let least = a.heap.peek().map_or(NEVER, |e| e.key);
            assert_eq!(a.next_key(), least);
            assert_eq!(a.next_time().to_bits(), key_time(least).to_bits());
        }
    }

    #[test]
    fn stamps_interleave_with_events() {
        let mut a = Agenda::new();
        a.schedule(1.0, "event");
        let k = a.stamp(1.0);
        assert!(a.next_key() < k);
        assert_eq!(key_time(k), 1.0);
        assert!(k < NEVER);
        assert_eq!(key_time(NEVER), f64::INFINITY);
        a.pop();
        assert_eq!(a.next_key(), NEVER);
    }
}
