//! The pod set: every pod the ReplicaSet ever created (indexed by pod id, gone ones kept),
//! the Deployment's desired count (`spec.replicas`) and its history, counts by phase, and
//! what the pods cost and suffered (pod-seconds, CPU of exited pods, restarts, CFS stalls),
//! with the pod-transition log for `events.jsonl`. How pods move through their lifecycle is
//! `lifecycle` (and `health` for probes and the CFS quota); this part holds their state.
//!
//! Gone pods stay in `by_id` (ids index it), so loops that run every step or sync walk the
//! live-pod index instead: `live`, the ids of pods not gone, and `sampled`, those plus the
//! pods gone since the time-series sample that last needed them. Both are in id order, so a
//! walk over them visits pods in the same order as a walk over every pod would.

use super::pod::Pod;
use super::rollout::ReplicaSet;
use super::statefulset::StatefulState;
use super::{PodCounts, PodEvent};
use crate::manifest::deployment::Strategy;
use crate::rng::Stream;
use crate::settings::workload::PodResources;

/// A value looked up by a pod's revision (its ReplicaSet's CPU limit or request), remembered
/// across a walk over the pods: they mostly share one revision, so most pods skip the lookup.
#[derive(Debug, Clone, Copy)]
pub(super) struct ByRevision<T> {
    revision: u32,
    value: T,
}

impl<T: Copy> ByRevision<T> {
    /// Nothing looked up yet (`unset` is never returned).
    pub(super) fn new(unset: T) -> Self {
        ByRevision {
            revision: u32::MAX,
            value: unset,
        }
    }

    /// The value for `revision`: the one remembered if it is the last revision asked for, else
    /// `look_up`'s.
    #[inline(always)]
    pub(super) fn get(&mut self, revision: u32, look_up: impl FnOnce() -> T) -> T {
        if self.revision != revision {
            *self = ByRevision {
                revision,
                value: look_up(),
            };
        }
        self.value
    }
}

/// The pods and their bookkeeping.
pub(crate) struct PodSet {
    /// Every pod, by id.
    pub(super) by_id: Vec<Pod>,
    /// Ids of the pods not gone, ascending.
    live: Vec<u32>,
    /// Ids of the pods the next time-series sample reads (the live ones and those gone within
    /// the last step), ascending.
    sampled: Vec<u32>,
    /// The ReplicaSet's spec.replicas.
    pub(super) spec_replicas: i32,
    pub(super) counts: PodCounts,
    /// Times spec.replicas was changed.
    pub(super) replica_changes: u32,
    /// Times a change of spec.replicas went the other way from the previous change.
    pub(super) direction_changes: u32,
    pub(super) last_direction: i8,
    pub(super) events: Vec<PodEvent>,
    /// CPU-seconds used by pods that have since exited.
    pub(super) retired_cpu_seconds: f64,
    /// Integral of existing pods over time (pod-seconds) up to `pod_seconds_at`.
    pub(super) pod_seconds: f64,
    pub(super) pod_seconds_at: f64,
    /// Container restarts by liveness probes.
    pub(super) restarts: u64,
    /// Seconds pods were stalled by their CFS quota (summed over pods).
    pub(super) throttled_seconds: f64,
    pub(super) rng_startup: Stream,
    pub(super) rng_restart: Stream,
    /// The Deployment's ReplicaSets, one per revision of the pod template (index = a pod's
    /// `revision`), oldest first (`rollout`).
    pub(super) sets: Vec<ReplicaSet>,
    /// The set of the current template.
    pub(super) newest: usize,
    /// The Deployment's `spec.strategy`.
    pub(super) strategy: Strategy,
    /// The Deployment controller is syncing (a pod it deletes must not start another sync).
    pub(super) reconciling: bool,
    /// The workload is a StatefulSet: its controller's state (`statefulset`).
    pub(super) stateful: Option<StatefulState>,
    /// Changes to what decides whether a pod serves at flow level and what it is alike by
    /// (its phase, endpoints, taking work, container, job, burst, warm-up, cap, revision, the
    /// work it holds when killed), counted so the flow level can keep its last gather while
    /// none happens (`fluid::KeptGather`): [`PodSet::changed`].
    changes: u64,
    /// [`PodSet::status_replicas`] as last counted, with `changes` then: a pod's phase, job
    /// flag and being live only change where a change is counted, and the count is only read
    /// between the world's events, so while `changes` holds so does the count.
    status_memo: std::cell::Cell<Option<(u64, i32)>>,
}

impl PodSet {
    pub(super) fn new(seed: u64, replicas: i32, first: ReplicaSet, strategy: Strategy) -> PodSet {
        PodSet {
            by_id: Vec::new(),
            live: Vec::new(),
            sampled: Vec::new(),
            spec_replicas: replicas.max(0),
            counts: PodCounts::default(),
            replica_changes: 0,
            direction_changes: 0,
            last_direction: 0,
            events: Vec::new(),
            retired_cpu_seconds: 0.0,
            pod_seconds: 0.0,
            pod_seconds_at: 0.0,
            restarts: 0,
            throttled_seconds: 0.0,
            rng_startup: Stream::new(seed, "startup"),
            rng_restart: Stream::new(seed, "restart"),
            sets: vec![first],
            newest: 0,
            strategy,
            reconciling: false,
            stateful: None,
            changes: 0,
            status_memo: std::cell::Cell::new(None),
        }
    }

    /// A pod changed in what decides whether it serves at flow level or what it is alike by
    /// (see `changes`); called by every place that changes it.
    #[inline]
    pub(super) fn changed(&mut self) {
        self.changes = self.changes.wrapping_add(1);
    }

    /// How many such changes there have been (compared, never read as a number).
    #[inline]
    pub(super) fn changes(&self) -> u64 {
        self.changes
    }

    /// Every pod ever created, in id order (gone ones included).
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Pod> {
        self.by_id.iter()
    }

    /// Ids of the pods not gone, ascending.
    pub(crate) fn live_ids(&self) -> &[u32] {
        &self.live
    }

    /// The pods not gone, in id order.
    pub(crate) fn live(&self) -> impl Iterator<Item = &Pod> + '_ {
        self.live.iter().map(|&id| &self.by_id[id as usize])
    }

    /// Add a new pod (its id is the next one).
    pub(super) fn push(&mut self, pod: Pod) {
        debug_assert_eq!(pod.id as usize, self.by_id.len());
        self.changed();
        self.live.push(pod.id);
        self.sampled.push(pod.id);
        self.by_id.push(pod);
    }

    /// The pod has gone: it leaves the live index (the time-series sample drops it later).
    pub(super) fn mark_gone(&mut self, id: u32) {
        self.changed();
        if let Ok(i) = self.live.binary_search(&id) {
            self.live.remove(i);
        }
    }

    /// Lend the ids the time-series sample reads: the live pods and those gone since an earlier
    /// sample. The sample drops, for good, those [`Self::done_sampling`] says it no longer needs.
    pub(super) fn take_sampled(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.sampled)
    }

    /// Whether the sample at `now` no longer reads `p`: gone before `now - step`.
    #[inline]
    pub(super) fn done_sampling(p: &Pod, now: f64, step: f64) -> bool {
        p.state == super::PodState::Gone && p.gone_at.is_some_and(|g| g < now - step)
    }

    /// Give back the list [`Self::take_sampled`] lent.
    pub(super) fn return_sampled(&mut self, ids: Vec<u32>) {
        debug_assert!(self.sampled.is_empty());
        self.sampled = ids;
    }

    /// The pod with this id.
    pub(crate) fn get(&self, id: u32) -> &Pod {
        &self.by_id[id as usize]
    }

    /// Pods ever created (the next pod's id).
    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Pods the ReplicaSet counts toward spec.replicas (not deleted, not gone).
    pub(crate) fn active(&self) -> i32 {
        self.live().filter(|p| p.is_active()).count() as i32
    }

    /// The workload's `status.replicas` as its scale subresource reports it: a Deployment's
    /// non-terminating pods; a StatefulSet's every pod that exists, terminating ones included
    /// (docs/statefulsets.md).
    pub(crate) fn status_replicas(&self) -> i32 {
        if let Some((changes, count)) = self.status_memo.get()
            && changes == self.changes
        {
            debug_assert_eq!(
                count,
                self.count_status_replicas(),
                "a pod changed uncounted"
            );
            return count;
        }
        let count = self.count_status_replicas();
        self.status_memo.set(Some((self.changes, count)));
        count
    }

    /// [`Self::status_replicas`] counted afresh.
    fn count_status_replicas(&self) -> i32 {
        if self.stateful.is_some() {
            self.live().filter(|p| !p.job).count() as i32
        } else {
            self.active()
        }
    }

    /// The ReplicaSet's spec.replicas.
    pub(crate) fn spec_replicas(&self) -> i32 {
        self.spec_replicas
    }

    /// Pod counts by phase.
    pub(crate) fn counts(&self) -> PodCounts {
        self.counts
    }

    /// Times spec.replicas was changed.
    pub(crate) fn replica_changes(&self) -> u32 {
        self.replica_changes
    }

    /// Times a change of spec.replicas went the other way from the previous change.
    pub(crate) fn direction_changes(&self) -> u32 {
        self.direction_changes
    }

    /// CPU-seconds used by pods that have since exited.
    pub(crate) fn retired_cpu_seconds(&self) -> f64 {
        self.retired_cpu_seconds
    }

    /// Pod-seconds of existing pods, as last accounted (at a sample or the run's end).
    pub(crate) fn pod_seconds(&self) -> f64 {
        self.pod_seconds
    }

    /// Container restarts by liveness probes.
    pub(crate) fn restarts(&self) -> u64 {
        self.restarts
    }

    /// Seconds pods were stalled by their CFS quota (summed over pods).
    pub(crate) fn throttled_seconds(&self) -> f64 {
        self.throttled_seconds
    }

    /// The template of revision `rev` (a pod's `revision`): what its pods request.
    pub(crate) fn template(&self, rev: u32) -> &PodResources {
        &self.sets[rev as usize].template
    }

    /// Revisions of the pod template so far (1 until a change rolls out a new one).
    pub(crate) fn revisions(&self) -> usize {
        self.sets.len()
    }

    /// Take the pod transitions logged so far.
    pub(crate) fn take_events(&mut self) -> Vec<PodEvent> {
        std::mem::take(&mut self.events)
    }
}
