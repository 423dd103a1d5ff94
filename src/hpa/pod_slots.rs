//! Pod names of one per-pod metric turned into dense slots once, so the replica calculator
//! keys its per-pod samples and requests by a number instead of by name (docs/performance.md,
//! "HPA decision core").
//!
//! Upstream keys `PodMetricsInfo` and the request map by pod name; a slot stands for one
//! distinct name, so everything name-keyed keeps its meaning: two pods with the same name share a
//! slot (as they would share a map entry), a later sample of a name replaces an earlier one, and
//! a sample of a name no pod has gets a slot of its own (it counts where upstream counts it).
//! Sums over slots are exact integers, so their order does not matter.

use super::observation::{Name, PodObservation};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// A multiplicative hash over 8-byte words (the "Fx" scheme): pod names are short and not
/// adversarial, and the map is only looked up, never iterated, so its order cannot leak out.
#[derive(Default)]
pub(crate) struct NameHasher(u64);

impl NameHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or_default()));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type NameMap<K> = HashMap<K, u32, BuildHasherDefault<NameHasher>>;

/// The distinct names of a list of pods, each with a slot, in the order first met. Built once
/// per pod list: the HPA keeps the last one in its memory and [`PodIndex::refresh`] rebuilds it
/// only when the selector's pods are no longer the same names in the same order (a pod came
/// or went), so a sync between two pod events hashes no name. A caller that keeps its pod list
/// between syncs names each version of it with a [`PodListToken`] (see [`PodIndex::expect`]):
/// while the token is the one the index was last checked against, not even the names are
/// compared.
#[derive(Clone, Default)]
pub(crate) struct PodIndex {
    /// The pod names it was built from.
    names: Vec<Name>,
    /// The slot of each pod.
    of_pod: Vec<u32>,
    /// The first pod of each slot.
    first_pod: Vec<u32>,
    index: NameMap<Name>,
    /// The token of the pod list the index was last found to describe.
    checked: Option<PodListToken>,
    /// The token of the pod list the next [`PodIndex::refresh`] is given, if the caller has one.
    expected: Option<PodListToken>,
}

/// Names one version of a pod list kept between syncs: whoever keeps the list takes a new token
/// ([`PodListToken::new`]) whenever a pod's name in it changes (a pod came, went or moved), so
/// two lists with the same token have the same names in the same order. Tokens are unique in
/// the process: no two lists, of any HPA, ever share one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PodListToken(u64);

impl PodListToken {
    /// A token no list has had.
    pub(crate) fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        PodListToken(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl PodIndex {
    /// The index of `pods`.
    pub(crate) fn of(pods: &[PodObservation]) -> Self {
        let mut index = PodIndex::default();
        index.refresh(pods);
        index
    }

    /// The next [`Self::refresh`] is given the pod list named `token` (`None`: a list without
    /// a token, whose names are compared).
    pub(crate) fn expect(&mut self, token: Option<PodListToken>) {
        self.expected = token;
    }

    /// Make this the index of `pods`, rebuilding it only when their names differ from the ones
    /// it was built from; not even comparing them when `pods` is the list the index was last
    /// checked against (the token [`Self::expect`] announced is that list's).
    pub(crate) fn refresh(&mut self, pods: &[PodObservation]) {
        let token = self.expected.take();
        if token.is_some() && token == self.checked {
            debug_assert!(self.describes(pods));
            return;
        }
        self.checked = token;
        if self.describes(pods) {
            return;
        }
        self.names.clear();
        self.of_pod.clear();
        self.first_pod.clear();
        self.index.clear();
        for (i, p) in pods.iter().enumerate() {
            let next = self.first_pod.len() as u32;
            let slot = *self.index.entry(p.name.clone()).or_insert(next);
            if slot == next {
                self.first_pod.push(i as u32);
            }
            self.of_pod.push(slot);
            self.names.push(p.name.clone());
        }
    }

    /// Was it built from these pods' names, in this order?
    fn describes(&self, pods: &[PodObservation]) -> bool {
        self.names.len() == pods.len()
            && self
                .names
                .iter()
                .zip(pods)
                .all(|(n, p)| same_name(n, &p.name))
    }
}

/// A cache, not state: two indexes never make two memories differ.
impl PartialEq for PodIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for PodIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PodIndex({} pods)", self.names.len())
    }
}

/// The distinct pod names of one metric's calculation, each with a slot: the selector's pods
/// first, in their order (their [`PodIndex`]), then names only samples carry, in the order they
/// are met.
pub(crate) struct Slots<'a> {
    pods: &'a [PodObservation],
    base: &'a PodIndex,
    /// Names no pod has, met in samples; their slots follow the pods'.
    extra: NameMap<&'a str>,
}

impl<'a> Slots<'a> {
    /// The slots of `pods`, whose index `base` is.
    pub(crate) fn new(pods: &'a [PodObservation], base: &'a PodIndex) -> Self {
        debug_assert!(base.describes(pods));
        Slots {
            pods,
            base,
            extra: NameMap::default(),
        }
    }

    /// How many slots there are.
    pub(crate) fn len(&self) -> usize {
        self.base.first_pod.len() + self.extra.len()
    }

    /// Does every pod have a slot of its own, slot `i` being pod `i`'s (no two pods share a
    /// name and no sample named a pod the selector does not have)?
    pub(crate) fn one_per_pod(&self) -> bool {
        self.extra.is_empty() && self.base.first_pod.len() == self.pods.len()
    }

    /// The selector's pods.
    pub(crate) fn pods(&self) -> &'a [PodObservation] {
        self.pods
    }

    /// The slot of the `i`-th pod of the selector.
    pub(crate) fn of_pod(&self, i: usize) -> usize {
        self.base.of_pod[i] as usize
    }

    /// The slot of a name, if a pod or an earlier sample has it.
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.base
            .index
            .get(name)
            .or_else(|| self.extra.get(name))
            .map(|&s| s as usize)
    }

    /// The slot of a sample's pod, a new one when no pod has the name. `hint` is the pod after
    /// the previous sample's (samples usually list the pods in the selector's order): it is
    /// tried first, then the pod after it, before the name is looked up.
    pub(crate) fn of_sample(&mut self, name: &'a str, hint: &mut usize) -> usize {
        for i in [*hint, *hint + 1] {
            if let Some(p) = self.pods.get(i)
                && same_name(&p.name, name)
            {
                *hint = i + 1;
                return self.of_pod(i);
            }
        }
        if let Some(&slot) = self.base.index.get(name) {
            *hint = self.base.first_pod[slot as usize] as usize + 1;
            return slot as usize;
        }
        let next = self.len() as u32;
        *self.extra.entry(name).or_insert(next) as usize
    }
}

/// Equal names, answered without reading the bytes when both share one allocation.
fn same_name(a: &str, b: &str) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

/// One pod's sample: value (milli), timestamp and window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PodMetric {
    pub(crate) value: i64,
    pub(crate) timestamp: f64,
    pub(crate) window: f64,
}

/// Samples by slot (upstream's `PodMetricsInfo`, a map from pod name to sample).
#[derive(Debug, Clone, Default)]
pub(crate) struct PodMetrics {
    by_slot: Vec<Option<PodMetric>>,
    len: usize,
}

impl PodMetrics {
    pub(crate) fn with_slots(slots: usize) -> Self {
        PodMetrics {
            by_slot: vec![None; slots],
            len: 0,
        }
    }

    /// The sample of a slot.
    pub(crate) fn get(&self, slot: usize) -> Option<&PodMetric> {
        self.by_slot.get(slot)?.as_ref()
    }

    /// Set (or replace) the sample of a slot.
    pub(crate) fn insert(&mut self, slot: usize, m: PodMetric) {
        if slot >= self.by_slot.len() {
            self.by_slot.resize(slot + 1, None);
        }
        if self.by_slot[slot].replace(m).is_none() {
            self.len += 1;
        }
    }

    pub(crate) fn remove(&mut self, slot: usize) {
        if let Some(m) = self.by_slot.get_mut(slot)
            && m.take().is_some()
        {
            self.len -= 1;
        }
    }

    /// How many pods have a sample.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The sample of every slot, in slot order (`None`: no sample).
    pub(crate) fn by_slot(&self) -> &[Option<PodMetric>] {
        &self.by_slot
    }

    /// Every sample with its slot.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, &PodMetric)> {
        self.by_slot
            .iter()
            .enumerate()
            .filter_map(|(i, m)| Some((i, m.as_ref()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hpa::observation::Requests;

    fn pods(names: &[&str]) -> Vec<PodObservation> {
        names
            .iter()
            .map(|n| PodObservation::running(n, 0.0, Requests::cpu(100)))
            .collect()
    }

    #[test]
    fn a_repeated_pod_name_shares_its_first_pods_slot() {
        let p = pods(&["a", "b", "a", "c"]);
        let index = PodIndex::of(&p);
        let s = Slots::new(&p, &index);
        assert_eq!(s.len(), 3);
        assert_eq!(
            (0..4).map(|i| s.of_pod(i)).collect::<Vec<_>>(),
            [0, 1, 0, 2]
        );
        assert_eq!(s.find("c"), Some(2));
        assert_eq!(s.find("d"), None);
    }

    #[test]
    fn samples_find_their_pod_in_any_order_and_unknown_names_get_new_slots() {
        let p = pods(&["web-1", "web-2", "web-10"]);
        let index = PodIndex::of(&p);
        let mut s = Slots::new(&p, &index);
        let mut hint = 0;
        assert_eq!(s.of_sample("web-1", &mut hint), 0);
        assert_eq!(s.of_sample("web-10", &mut hint), 2); // web-2 has no sample
        assert_eq!(s.of_sample("web-2", &mut hint), 1); // out of order: looked up
        assert_eq!(s.of_sample("gone-7", &mut hint), 3);
        assert_eq!(s.of_sample("gone-7", &mut hint), 3);
        assert_eq!(s.len(), 4);
    }

    #[test]
    fn an_index_is_rebuilt_when_the_pod_names_change_only() {
        let mut index = PodIndex::of(&pods(&["a", "b"]));
        // Same names, other allocations: kept.
        index.refresh(&pods(&["a", "b"]));
        assert!(index.describes(&pods(&["a", "b"])));
        let p = pods(&["b", "a", "b"]);
        index.refresh(&p);
        let s = Slots::new(&p, &index);
        assert_eq!(s.len(), 2);
        assert_eq!((0..3).map(|i| s.of_pod(i)).collect::<Vec<_>>(), [0, 1, 0]);
        assert_eq!(s.find("a"), Some(1));
        let p = pods(&["c"]);
        index.refresh(&p);
        let s = Slots::new(&p, &index);
        assert_eq!((s.len(), s.find("a"), s.find("c")), (1, None, Some(0)));
    }

    #[test]
    fn a_token_vouches_for_the_list_it_was_checked_against_only() {
        let a = pods(&["a", "b"]);
        let t = PodListToken::new();
        let mut index = PodIndex::default();
        index.expect(Some(t));
        index.refresh(&a);
        assert!(index.describes(&a));
        // The same token: kept without a look at the names.
        index.expect(Some(t));
        index.refresh(&a);
        assert!(index.describes(&a));
        // A new token, or none: the names are compared and the index rebuilt.
        let b = pods(&["c"]);
        index.expect(Some(PodListToken::new()));
        index.refresh(&b);
        assert!(index.describes(&b));
        index.refresh(&a);
        assert!(index.describes(&a));
        // Without a token the next refresh compares again, even with the last token.
        index.expect(Some(t));
        index.refresh(&a);
        assert!(index.describes(&a));
        assert_ne!(PodListToken::new(), PodListToken::new());
    }

    #[test]
    fn pod_metrics_count_distinct_slots() {
        let m = |v| PodMetric {
            value: v,
            timestamp: 0.0,
            window: 0.0,
        };
        let mut pm = PodMetrics::with_slots(2);
        pm.insert(1, m(5));
        pm.insert(1, m(7));
        pm.insert(4, m(1));
        assert_eq!(pm.len(), 2);
        assert_eq!(pm.get(1).map(|x| x.value), Some(7));
        pm.remove(1);
        pm.remove(1);
        assert_eq!(pm.len(), 1);
        assert_eq!(pm.iter().map(|(i, _)| i).collect::<Vec<_>>(), [4]);
    }
}
