//! A FIFO of flow-level cohorts (a pod's waiting work, or the shared backlog) that keeps its
//! oldest cohort inline. Most pods, most intervals, hold at most one cohort — this interval's
//! share — so routing it in and serving it out touch only the pod itself, not a separate heap
//! buffer (at 10,000 pods that buffer missed the cache on every pod-interval; see
//! docs/performance.md). It behaves exactly as the `VecDeque` it replaces.

use super::fluid::Cohort;
use std::collections::VecDeque;

/// Cohorts oldest first: `head` is the oldest, `rest` the others in order; `head` is `None`
/// only when `rest` is empty too. `head` comes first (`#[repr(C)]`), so whether a pod holds any
/// is read from the start of the field (see `Pod`'s layout).
#[derive(Debug, Clone, Default)]
#[repr(C)]
pub(crate) struct Cohorts {
    head: Option<Cohort>,
    rest: VecDeque<Cohort>,
}

impl Cohorts {
    pub(crate) fn new() -> Cohorts {
        Cohorts::default()
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        usize::from(self.head.is_some()) + self.rest.len()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    /// The oldest cohort.
    #[inline]
    pub(crate) fn front(&self) -> Option<&Cohort> {
        self.head.as_ref()
    }

    #[inline]
    pub(crate) fn front_mut(&mut self) -> Option<&mut Cohort> {
        self.head.as_mut()
    }

    /// Add the newest cohort.
    #[inline]
    pub(crate) fn push_back(&mut self, c: Cohort) {
        if self.head.is_none() {
            self.head = Some(c);
        } else {
            self.rest.push_back(c);
        }
    }

    /// Remove the oldest cohort.
    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<Cohort> {
        let head = self.head.take();
        if !self.rest.is_empty() {
            self.head = self.rest.pop_front();
        }
        head
    }

    /// Oldest first.
    #[inline]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Cohort> + Clone {
        self.head.iter().chain(self.rest.iter())
    }

    /// Requests waiting in all cohorts. Without a head there is no other cohort, so an empty
    /// set is answered from `head` alone (a walk over many pods reads no further).
    #[inline]
    pub(crate) fn count(&self) -> u64 {
        match &self.head {
            None => 0,
            Some(head) => head.count + self.rest.iter().map(|c| c.count).sum::<u64>(),
        }
    }

    /// Remove every cohort, oldest first.
    pub(crate) fn take_all(&mut self) -> Vec<Cohort> {
        let mut all = Vec::with_capacity(self.len());
        all.extend(self.head.take());
        all.extend(self.rest.drain(..));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    fn cohort(k: u64) -> Cohort {
        Cohort::fresh(k as f64, 1.0, k)
    }

    /// Random pushes, pops and edits of the front give what a `VecDeque` gives.
    #[test]
    fn behaves_as_a_vecdeque() {
        let mut rng = Stream::new(5, "cohorts");
        let (mut ours, mut theirs) = (Cohorts::new(), VecDeque::new());
        for step in 0..20_000u64 {
            match rng.below(7) {
                0..=2 => {
                    ours.push_back(cohort(step));
                    theirs.push_back(cohort(step));
                }
                3 | 4 => assert_eq!(ours.pop_front(), theirs.pop_front()),
                5 => {
                    if let (Some(a), Some(b)) = (ours.front_mut(), theirs.front_mut()) {
                        a.count += 1;
                        b.count += 1;
                    }
                }
                _ if step % 50 == 0 => assert_eq!(ours.take_all(), Vec::from(theirs.split_off(0))),
                _ => {}
            }
            assert_eq!(ours.len(), theirs.len());
            assert_eq!(ours.is_empty(), theirs.is_empty());
            assert_eq!(ours.front(), theirs.front());
            assert!(ours.iter().eq(theirs.iter()));
            assert_eq!(ours.count(), theirs.iter().map(|c| c.count).sum::<u64>());
        }
    }
}
