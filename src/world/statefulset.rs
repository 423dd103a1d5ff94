//! The StatefulSet controller, for a workload that is a StatefulSet: pods with stable
//! ordinals (`<name>-0`, `<name>-1`, …), created and deleted one at a time in ordinal order
//! under `podManagementPolicy: OrderedReady` or all at once under `Parallel`, and a new pod
//! template rolled out from the highest ordinal down to `updateStrategy.rollingUpdate.partition`
//! one pod at a time (or not at all under `OnDelete`), as upstream's
//! `pkg/controller/statefulset` (`stateful_set_control.go`, `updateStatefulSet`) does it. The
//! rules and the simplifications: docs/statefulsets.md.
//!
//! The pod template's revisions live in the pod set's `sets` (their ReplicaSet fields unused):
//! a pod's `revision` indexes them as a Deployment's pods do, so per-pod requests and limits
//! follow the revision the same way. The controller syncs at the instant something it watches
//! changes (a pod Ready or gone, the replicas, the template) and repeats until nothing moves.

use super::{PodState, World};
use crate::manifest::deployment::IntOrPercent;
use crate::manifest::statefulset::{PodManagementPolicy, StatefulSetSpec, UpdateStrategy};
use crate::settings::workload::PodResources;

/// The StatefulSet controller's state beside its pods.
#[derive(Debug, Clone)]
pub(crate) struct StatefulState {
    /// `spec.podManagementPolicy` (immutable) and the latest `spec.updateStrategy`.
    spec: StatefulSetSpec,
    /// `status.currentRevision`: the revision pods below the partition are created from.
    current: usize,
    /// `status.updateRevision`: the revision of the latest template.
    update: usize,
    /// A sync is under way (a pod it deletes or creates must not start another).
    syncing: bool,
}

impl StatefulState {
    pub(super) fn new(spec: StatefulSetSpec) -> StatefulState {
        StatefulState {
            spec,
            current: 0,
            update: 0,
            syncing: false,
        }
    }
}

/// Where one sync stands on a StatefulSet's pods: the pod of each ordinal below the replicas
/// (upstream `replicas`) and the pods above them, highest ordinal first (`condemned`).
struct Ordinals {
    slots: Vec<Option<u32>>,
    condemned: Vec<u32>,
}

impl World {
    /// A new pod template (or update strategy) applied to the StatefulSet: the template's
    /// revision (a new one, or an older one whose template it is again: a rollback) becomes the
    /// update revision, and the controller syncs.
    pub(crate) fn update_stateful_set(
        &mut self,
        now: f64,
        template: PodResources,
        update: UpdateStrategy,
    ) {
        let found = self.pods.sets.iter().position(|s| *s.template == template);
        let rev = found.unwrap_or_else(|| {
            let limit = template.cpu_limit.unwrap_or(f64::INFINITY);
            let requests = template.scheduling_requests();
            let set = super::rollout::ReplicaSet::new(template, (limit, requests), 0, 0);
            self.pods.sets.push(set);
            self.pods.sets.len() - 1
        });
        if let Some(st) = self.pods.stateful.as_mut() {
            st.spec.update = update;
            st.update = rev;
        }
        self.sync_stateful_set(now);
    }

    /// The workload's controller acts on a change it watches: the StatefulSet controller, or
    /// the Deployment controller (`rollout`).
    pub(super) fn reconcile_workload(&mut self, now: f64) {
        if self.pods.stateful.is_some() {
            self.sync_stateful_set(now);
        } else {
            self.reconcile_deployment(now);
        }
    }

    /// Sync the StatefulSet until a pass creates or deletes nothing, then record a finished
    /// rolling update (upstream `completeRollingUpdate`).
    pub(super) fn sync_stateful_set(&mut self, now: f64) {
        match self.pods.stateful.as_mut() {
            Some(st) if !st.syncing => st.syncing = true,
            _ => return,
        }
        // A pass creates or deletes at least one pod, at most every pod once.
        for _ in 0..10_000 {
            if !self.stateful_pass(now) {
                break;
            }
        }
        self.complete_rolling_update();
        if let Some(st) = self.pods.stateful.as_mut() {
            st.syncing = false;
        }
    }

    /// One sync (upstream `updateStatefulSet`): create the missing ordinals below the replicas,
    /// delete the ordinals above, then replace one pod of an old revision; under OrderedReady
    /// each step waits for every lower ordinal to be Running and Ready. True when a pod was
    /// created or deleted.
    fn stateful_pass(&mut self, now: f64) -> bool {
        let Some(st) = self.pods.stateful.as_ref() else {
            return false;
        };
        let (spec, update) = (st.spec, st.update);
        let monotonic = spec.policy == PodManagementPolicy::OrderedReady;
        let mut o = self.ordinals();
        let mut moved = false;
        for ord in 0..o.slots.len() {
            match o.slots[ord] {
                None => {
                    o.slots[ord] = Some(self.create_ordinal(now, ord as u32));
                    moved = true;
                    if monotonic {
                        return true;
                    }
                }
                Some(id) if monotonic && !self.healthy(id) => return moved,
                Some(_) => {}
            }
        }
        if self.scale_down_condemned(now, &o.condemned, monotonic, &mut moved) {
            return moved;
        }
        let UpdateStrategy::RollingUpdate {
            partition,
            max_unavailable,
        } = spec.update
        else {
            return moved;
        };
        let lowest = partition.max(0) as usize;
        if let Some(max) = max_unavailable {
            return self.replace_within_max_unavailable(now, &o.slots, lowest, max) || moved;
        }
        for ord in (lowest..o.slots.len()).rev() {
            let Some(id) = o.slots[ord] else { continue };
            let p = &self.pods.by_id[id as usize];
            if p.revision as usize != update && p.is_active() {
                self.terminate(now, id);
                return true;
            }
            if !self.healthy(id) {
                return moved;
            }
        }
        moved
    }

    /// With `maxUnavailable` (upstream `updateStatefulSetAfterInvariantEstablished`): delete
    /// the highest pods at or above ordinal `lowest` not of the update revision, as many as keep
    /// at most `max` (of the replicas, rounded down, at least 1) of the replicas unavailable.
    /// True when a pod was deleted.
    fn replace_within_max_unavailable(
        &mut self,
        now: f64,
        slots: &[Option<u32>],
        lowest: usize,
        max: IntOrPercent,
    ) -> bool {
        let update = self.pods.stateful.as_ref().map_or(0, |st| st.update);
        let max = max.scaled(slots.len() as i32, false).max(1) as usize;
        let unavailable = slots
            .iter()
            .filter(|s| s.is_none_or(|id| !self.healthy(id)))
            .count();
        let mut room = max.saturating_sub(unavailable);
        let mut deleted = false;
        for ord in (lowest..slots.len()).rev() {
            if room == 0 {
                break;
            }
            let Some(id) = slots[ord] else { continue };
            let p = &self.pods.by_id[id as usize];
            if p.revision as usize != update && p.is_active() {
                self.terminate(now, id);
                room -= 1;
                deleted = true;
            }
        }
        deleted
    }

    /// Delete the pods above the replicas, highest ordinal first (upstream `processCondemned`):
    /// under OrderedReady one at a time, each after the one above is gone, and not while a pod
    /// below is unhealthy (the lowest unhealthy condemned pod may go). True when the sync must
    /// stop here.
    fn scale_down_condemned(
        &mut self,
        now: f64,
        condemned: &[u32],
        monotonic: bool,
        moved: &mut bool,
    ) -> bool {
        let first_unhealthy = condemned
            .iter()
            .rev()
            .copied()
            .find(|&id| !self.healthy(id));
        for &id in condemned {
            if !self.pods.by_id[id as usize].is_active() {
                if monotonic {
                    return true;
                }
                continue;
            }
            if monotonic && !self.healthy(id) && Some(id) != first_unhealthy {
                return true;
            }
            self.terminate(now, id);
            *moved = true;
            if monotonic {
                return true;
            }
        }
        false
    }

    /// The live pods by ordinal: one slot per ordinal below the replicas, the rest condemned
    /// (highest first).
    fn ordinals(&self) -> Ordinals {
        let replicas = self.pods.spec_replicas.max(0) as usize;
        let mut o = Ordinals {
            slots: vec![None; replicas],
            condemned: Vec::new(),
        };
        for p in self.pods.live().filter(|p| !p.job) {
            let Some(ord) = p.ordinal else { continue };
            match o.slots.get_mut(ord as usize) {
                Some(slot) => *slot = Some(p.id),
                None => o.condemned.push(p.id),
            }
        }
        let ordinal = |id: &u32| self.pods.by_id[*id as usize].ordinal;
        o.condemned.sort_by_key(|id| std::cmp::Reverse(ordinal(id)));
        o
    }

    /// Create the pod of ordinal `ord` (upstream `newVersionedStatefulSetPod`): below a
    /// RollingUpdate's partition from the current revision, else from the update revision.
    fn create_ordinal(&mut self, now: f64, ord: u32) -> u32 {
        let rev = match self.pods.stateful.as_ref() {
            Some(st) => match st.spec.update {
                UpdateStrategy::RollingUpdate { partition, .. }
                    if i64::from(ord) < i64::from(partition) =>
                {
                    st.current
                }
                _ => st.update,
            },
            None => 0,
        };
        let id = self.pods.by_id.len() as u32;
        self.create_pod_as(now, rev as u32, Some(ord));
        id
    }

    /// Running and Ready, not terminating (upstream `isHealthy`; `minReadySeconds` 0).
    fn healthy(&self, id: u32) -> bool {
        self.pods.by_id[id as usize].state == PodState::Ready
    }

    /// Under RollingUpdate, once every pod is of the update revision and Ready, it becomes the
    /// current revision (upstream `completeRollingUpdate`).
    fn complete_rolling_update(&mut self) {
        let Some(st) = self.pods.stateful.as_ref() else {
            return;
        };
        if st.current == st.update || st.spec.update == UpdateStrategy::OnDelete {
            return;
        }
        let update = st.update;
        let replicas = self.pods.spec_replicas.max(0) as usize;
        let pods: Vec<_> = self.pods.live().filter(|p| !p.job).collect();
        let done = pods.len() == replicas
            && pods
                .iter()
                .all(|p| p.revision as usize == update && p.state == PodState::Ready);
        if done && let Some(st) = self.pods.stateful.as_mut() {
            st.current = update;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Trace;
    use proptest::prelude::*;
    use std::sync::Arc;

    /// A StatefulSet of `initial` Ready pods with no traffic; pods start in 1–20 s and are
    /// Ready 3 s later.
    fn world(initial: i32, spec: StatefulSetSpec, seed: u64) -> World {
        let mut cfg = super::super::properties::idle_config(4);
        cfg.stateful = Some(spec);
        let trace = Arc::new(Trace::from_rows(vec![0.0], vec![0.0], 3600.0));
        World::new(cfg, trace, seed, 3600.0, 5.0, initial)
    }

    use super::super::properties::{doubled, run};

    /// (ordinal, revision, Ready) of every pod that exists, by ordinal.
    fn pods(w: &World) -> Vec<(u32, u32, bool)> {
        let mut v: Vec<_> = w
            .pods()
            .live()
            .map(|p| (p.ordinal.unwrap(), p.revision, p.state == PodState::Ready))
            .collect();
        v.sort();
        v
    }

    /// Two pods never share an ordinal; under OrderedReady the existing ordinals are always
    /// 0 … k with at most one of them not Ready (none created before those below are Ready).
    fn check_invariants(w: &World, ordered: bool, bad: &mut Option<String>) {
        let p = pods(w);
        let dup = p.windows(2).any(|x| x[0].0 == x[1].0);
        let gaps = p.iter().enumerate().any(|(i, x)| x.0 != i as u32);
        let unready = p.iter().filter(|x| !x.2).count();
        if bad.is_none() && (dup || ordered && (gaps || unready > 1)) {
            *bad = Some(format!("{p:?}"));
        }
    }

    fn arb_spec() -> impl proptest::strategy::Strategy<Value = StatefulSetSpec> {
        let policy = prop_oneof![
            Just(PodManagementPolicy::OrderedReady),
            Just(PodManagementPolicy::Parallel)
        ];
        let max = proptest::option::of((1i32..4).prop_map(IntOrPercent::Int));
        (policy, 0i32..8, max).prop_map(|(policy, partition, max_unavailable)| StatefulSetSpec {
            policy,
            update: UpdateStrategy::RollingUpdate {
                partition,
                max_unavailable,
            },
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Replicas changed at random times: the pods end as ordinals 0 … replicas − 1, all
        /// Ready, and OrderedReady keeps its order on the way.
        #[test]
        fn scaling_ends_with_the_ordinals_below_the_replicas(
            initial in 0i32..8,
            changes in proptest::collection::vec((1.0f64..300.0, 0i32..10), 1..5),
            spec in arb_spec(),
            seed in any::<u64>(),
        ) {
            let ordered = spec.policy == PodManagementPolicy::OrderedReady;
            let mut w = world(initial, spec, seed);
            let mut changes = changes;
            changes.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut bad = None;
            for (t, n) in &changes {
                run(&mut w, *t, |w| check_invariants(w, ordered, &mut bad));
                w.set_replicas(*t, *n);
            }
            run(&mut w, 3600.0, |w| check_invariants(w, ordered, &mut bad));
            prop_assert_eq!(bad, None);
            let last = changes.last().map_or(initial, |c| c.1) as u32;
            let want: Vec<_> = (0..last).map(|o| (o, 0, true)).collect();
            prop_assert_eq!(pods(&w), want);
        }

        /// A rolling update (replicas perhaps changed on the way) ends with the ordinals at or
        /// above the partition of the new template, those below of the old, all Ready; one pod
        /// at a time is replaced when nothing scales (`maxUnavailable` pods with it).
        #[test]
        fn a_rolling_update_ends_at_the_partition(
            initial in 1i32..8,
            change in proptest::option::of((20.0f64..200.0, 0i32..10)),
            spec in arb_spec(),
            seed in any::<u64>(),
        ) {
            let UpdateStrategy::RollingUpdate { partition, max_unavailable } = spec.update else {
                unreachable!()
            };
            let most = match max_unavailable {
                Some(IntOrPercent::Int(n)) => n as usize,
                _ => 1,
            };
            let mut w = world(initial, spec, seed);
            w.update_stateful_set(10.0, doubled(), spec.update);
            let mut bad = None;
            let one_at_a_time = |w: &World, bad: &mut Option<String>| {
                let p = pods(w);
                if bad.is_none() && p.iter().filter(|x| !x.2).count() > most {
                    *bad = Some(format!("{p:?}"));
                }
            };
            if let Some((t, n)) = change {
                run(&mut w, t, |w| one_at_a_time(w, &mut bad));
                w.set_replicas(t, n);
            }
            run(&mut w, 3600.0, |w| if change.is_none() { one_at_a_time(w, &mut bad) });
            prop_assert_eq!(bad, None);
            let last = change.map_or(initial, |c| c.1) as u32;
            let want: Vec<_> = (0..last)
                .map(|o| (o, u32::from(o as i32 >= partition), true))
                .collect();
            prop_assert_eq!(pods(&w), want);
        }
    }

    #[test]
    fn on_delete_gives_the_new_template_only_to_pods_created_after_it() {
        let spec = StatefulSetSpec {
            policy: PodManagementPolicy::OrderedReady,
            update: UpdateStrategy::OnDelete,
        };
        let mut w = world(3, spec, 7);
        w.update_stateful_set(10.0, doubled(), UpdateStrategy::OnDelete);
        run(&mut w, 100.0, |_| {});
        assert_eq!(pods(&w), [(0, 0, true), (1, 0, true), (2, 0, true)]);
        w.set_replicas(100.0, 4);
        run(&mut w, 3600.0, |_| {});
        assert_eq!(pods(&w)[3], (3, 1, true));
        // Its CPU limit is the new template's.
        let id = w.pods().live().find(|p| p.ordinal == Some(3)).unwrap().id;
        assert_eq!(w.pod_limit(id), 2.0);
    }

    #[test]
    fn a_finished_rolling_update_makes_its_revision_current() {
        let all = StatefulSetSpec::default();
        let mut w = world(3, all, 3);
        w.update_stateful_set(10.0, doubled(), all.update);
        run(&mut w, 1000.0, |_| {});
        assert_eq!(pods(&w), [(0, 1, true), (1, 1, true), (2, 1, true)]);
        // A later partitioned update keeps ordinals 0 and 1 at revision 1 (now current), and a
        // scale-up below the partition creates from it.
        let third = PodResources {
            cpu_request: Some(2.0),
            ..Default::default()
        };
        let partitioned = UpdateStrategy::RollingUpdate {
            partition: 2,
            max_unavailable: None,
        };
        w.update_stateful_set(1000.0, third, partitioned);
        run(&mut w, 2000.0, |_| {});
        w.set_replicas(2000.0, 1);
        run(&mut w, 2500.0, |_| {});
        w.set_replicas(2500.0, 3);
        run(&mut w, 3600.0, |_| {});
        assert_eq!(pods(&w), [(0, 1, true), (1, 1, true), (2, 2, true)]);
    }
}
