//! The requests a pod is serving, ordered by the virtual instant each finishes: a binary
//! min-heap on `finish_v`.
//!
//! It is `std::collections::BinaryHeap`'s algorithm step for step (sift-up on push; on pop the
//! last element goes to the root, sinks to the bottom, then sifts up), so requests that finish
//! at the same virtual instant leave in the same order as they did from the standard heap. It
//! exists because the standard heap's push and pop are out-of-line calls: a pod usually serves
//! one to a few requests, and inlined code with a fast path for those sizes is measurably
//! cheaper on the request-level hot path (`cargo bench --bench engine`).

use super::pod::InService;

/// `a` finishes strictly before `b` (the heap's "greater": it leaves first).
#[inline(always)]
fn before(a: &InService, b: &InService) -> bool {
    a.finish_v.total_cmp(&b.finish_v).is_lt()
}

#[derive(Debug, Clone, Default)]
pub(crate) struct InServiceHeap {
    data: Vec<InService>,
}

impl InServiceHeap {
    pub(crate) fn new() -> Self {
        Self { data: Vec::new() }
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.data.len()
    }

    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The request that finishes first.
    #[inline(always)]
    pub(crate) fn peek(&self) -> Option<&InService> {
        self.data.first()
    }

    /// Every request in service, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &InService> {
        self.data.iter()
    }

    /// Remove every request, in no particular order.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = InService> + '_ {
        self.data.drain(..)
    }

    #[inline(always)]
    pub(crate) fn push(&mut self, item: InService) {
        let pos = self.data.len();
        self.data.push(item);
        // A request pushed usually finishes after its parent (it started last): the first
        // comparison is made here, and the out-of-line sift only when it would move.
        if pos > 0 && before(&item, &self.data[(pos - 1) / 2]) {
            self.sift_up(0, pos);
        }
    }

    /// Remove and return the request that finishes first.
    #[inline(always)]
    pub(crate) fn pop(&mut self) -> Option<InService> {
        let mut item = self.data.pop()?;
        if !self.data.is_empty() {
            std::mem::swap(&mut item, &mut self.data[0]);
            self.sift_down_to_bottom(0);
        }
        Some(item)
    }

    #[inline(never)]
    fn sift_up(&mut self, start: usize, mut pos: usize) {
        let elem = self.data[pos];
        while pos > start {
            let parent = (pos - 1) / 2;
            if !before(&elem, &self.data[parent]) {
                break;
            }
            self.data[pos] = self.data[parent];
            pos = parent;
        }
        self.data[pos] = elem;
    }

    #[inline(always)]
    fn sift_down_to_bottom(&mut self, start: usize) {
        let end = self.data.len();
        let elem = self.data[start];
        let mut pos = start;
        let mut child = 2 * pos + 1;
        while child <= end.saturating_sub(2) {
            // The child that leaves first; on a tie, the right one (as the standard heap).
            child += !before(&self.data[child], &self.data[child + 1]) as usize;
            self.data[pos] = self.data[child];
            pos = child;
            child = 2 * pos + 1;
        }
        if child == end - 1 {
            self.data[pos] = self.data[child];
            pos = child;
        }
        self.data[pos] = elem;
        // Back at the start (a heap of one left after a pop: the common case), or not before
        // its parent, the element stays where it is: the out-of-line sift is skipped.
        if pos > start && before(&elem, &self.data[(pos - 1) / 2]) {
            self.sift_up(start, pos);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::pod::Request;
    use std::collections::BinaryHeap;

    /// The standard heap's order, ties included: the reference this heap must match.
    #[derive(Clone, Copy)]
    struct Std(InService);
    impl PartialEq for Std {
        fn eq(&self, o: &Self) -> bool {
            self.0.finish_v == o.0.finish_v
        }
    }
    impl Eq for Std {}
    impl PartialOrd for Std {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Std {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            o.0.finish_v.total_cmp(&self.0.finish_v)
        }
    }

    fn item(finish_v: f64, tag: f64) -> InService {
        InService {
            finish_v,
            req: Request::new(tag, 0.0, f64::INFINITY),
        }
    }

    #[test]
    fn pops_in_the_standard_heaps_order_ties_included() {
        let mut rng = crate::rng::Stream::new(7, "heap-test");
        for round in 0..200 {
            let (mut ours, mut reference) = (InServiceHeap::new(), BinaryHeap::new());
            let mut tag = 0.0;
            for _ in 0..400 {
                // Few distinct finish instants, so ties are common.
                if rng.uniform() < 0.6 {
                    let f = (rng.below(8 + round % 5) as f64) * 0.5;
                    tag += 1.0;
                    ours.push(item(f, tag));
                    reference.push(Std(item(f, tag)));
                } else {
                    let (a, b) = (ours.pop(), reference.pop());
                    assert_eq!(a.map(|s| s.req.arrival), b.map(|s| s.0.req.arrival));
                }
                assert_eq!(ours.len(), reference.len());
                assert_eq!(
                    ours.peek().map(|s| s.req.arrival),
                    reference.peek().map(|s| s.0.req.arrival)
                );
            }
        }
    }
}
