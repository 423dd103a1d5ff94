//! The discrete-event core: a simulated clock's agenda. Events are ordered by time, and events
//! at the same instant by the order they were scheduled, so runs are reproducible to the bit.
//! It knows nothing of pods, requests or Kubernetes.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// `key` packs the time's bit pattern (monotone for non-negative floats) above the sequence
/// number, so one integer comparison orders entries by (time, seq).
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    #[inline]
    fn time(&self) -> f64 {
        f64::from_bits((self.key >> 64) as u64)
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
pub struct Agenda<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
}

impl<E> Default for Agenda<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Agenda<E> {
    pub fn new() -> Self {
        Agenda {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }

    /// Schedule `event` at `time` (not NaN; times below zero are treated as zero).
    #[inline]
    pub fn schedule(&mut self, time: f64, event: E) {
        debug_assert!(!time.is_nan());
        let t = if time > 0.0 { time } else { 0.0 };
        self.seq += 1;
        let key = ((t.to_bits() as u128) << 64) | self.seq as u128;
        self.heap.push(Entry { key, event });
    }

    /// Time of the next event, or +∞ when there is none.
    #[inline]
    pub fn next_time(&self) -> f64 {
        self.heap.peek().map_or(f64::INFINITY, |e| e.time())
    }

    /// Remove and return the next event.
    #[inline]
    pub fn pop(&mut self) -> Option<(f64, E)> {
        self.heap.pop().map(|e| (e.time(), e.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

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
}
