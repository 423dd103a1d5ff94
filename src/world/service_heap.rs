//! The requests a pod is serving, ordered by the virtual instant each finishes: a binary
//! min-heap on `finish_v`.
//!
//! It is `std::collections::BinaryHeap`'s algorithm step for step (sift-up on push; on pop the
//! last element goes to the root, sinks to the bottom, then sifts up), so requests that finish
//! at the same virtual instant leave in the same order as they did from the standard heap. It
//! exists because the standard heap's push and pop are out-of-line calls: a pod usually serves
//! one to a few requests, and inlined code with a fast path for those sizes is measurably
//! cheaper on the request-level hot path (`cargo bench --bench engine`). Inlined: a push that
//! moves nothing and the pop of a heap of one (a pod serving one request at a time); the sifts
//! are out of line, each with a hole (an element is read once and written once, where it
//! stops), so a pop or push that moves copies no request more than it must.

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
        // A request pushed usually finishes after its parent (it started last): the first
        // comparison is made here, and the out-of-line sift only when it would move.
        if pos > 0 && before(&item, &self.data[(pos - 1) / 2]) {
            self.push_sift(item);
        } else {
            self.data.push(item);
        }
    }

    /// Remove and return the request that finishes first. A heap of one (a pod serving one
    /// request at a time) is only the vector's pop; a larger one sifts out of line.
    #[inline(always)]
    pub(crate) fn pop(&mut self) -> Option<InService> {
        if self.data.len() > 1 {
            return Some(self.pop_sift());
        }
        self.data.pop()
    }

    /// [`Self::push`] of an item that finishes before its parent-to-be: the standard heap's
    /// sift-up with a hole. Its first step, the parent moving down to the new last place, is
    /// the vector's push; the item is written once, where it stops.
    #[inline(never)]
    fn push_sift(&mut self, item: InService) {
        let pos = (self.data.len() - 1) / 2;
        self.data.push(self.data[pos]);
        settle_up(self.data.as_mut_slice(), pos, item);
    }

    /// [`Self::pop`] of a heap that holds two requests or more: the standard heap's pop (the
    /// last element to the root, sunk to the bottom by the children that leave first, then
    /// sifted up) with a hole, so the last element is written once, where it stops, and the
    /// root is read once, to be returned.
    #[inline(never)]
    fn pop_sift(&mut self) -> InService {
        let Some(last) = self.data.pop() else {
            unreachable!("pop_sift on an empty heap");
        };
        let d = self.data.as_mut_slice();
        let top = d[0];
        let end = d.len();
        let mut pos = 0;
        let mut child = 1;
        while child + 1 < end {
            // The child that leaves first; on a tie, the right one (as the standard heap).
            child += !before(&d[child], &d[child + 1]) as usize;
            d[pos] = d[child];
            pos = child;
            child = 2 * pos + 1;
        }
        if child == end - 1 {
            d[pos] = d[child];
            pos = child;
        }
        settle_up(d, pos, last);
        top
    }
}

/// The standard heap's sift-up with a hole at `pos`: the parents that finish after `item` move
/// down one level each, and `item` is written once, where it stops. Shared by
/// [`InServiceHeap::push_sift`] and [`InServiceHeap::pop_sift`], inlined into each.
#[inline(always)]
fn settle_up(d: &mut [InService], mut pos: usize, item: InService) {
    while pos > 0 {
        let parent = (pos - 1) / 2;
        if !before(&item, &d[parent]) {
            break;
        }
        d[pos] = d[parent];
        pos = parent;
    }
    d[pos] = item;
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
