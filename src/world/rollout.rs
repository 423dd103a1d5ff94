//! The Deployment controller: one ReplicaSet per revision of the pod template, each pod
//! carrying its revision's requests and limits, and the rollout of a new template under the
//! Deployment's `spec.strategy` — RollingUpdate within `maxSurge` / `maxUnavailable`, or
//! Recreate — as upstream's `pkg/controller/deployment` does it (`rolling.go`,
//! `recreate.go`, and `sync.go`'s proportional scaling when the replicas change during a
//! rollout). The rules and the simplifications: docs/rollouts.md.
//!
//! Until a change rolls out a new template there is one ReplicaSet, which
//! [`World::set_replicas`] sizes directly. The controller acts at the instant something it
//! watches changes (a pod Ready or gone, the replicas, the template), and repeats its sync
//! until nothing moves, as upstream's informers re-queue the Deployment within milliseconds.

use super::{PodState, World};
use crate::manifest::deployment::Strategy;
use crate::settings::workload::PodResources;
use std::sync::Arc;

/// One ReplicaSet: a revision of the pod template and its desired count.
#[derive(Debug, Clone)]
pub(crate) struct ReplicaSet {
    /// What its pods request.
    pub(crate) template: Arc<PodResources>,
    /// Cores each of its pods may use (its CPU limit), +∞ without one.
    pub(crate) cpu_limit: f64,
    /// What the scheduler places each of its pods by (cores, bytes), with `cluster.nodes`.
    pub(crate) requests: (f64, f64),
    /// `spec.replicas`.
    pub(crate) replicas: i32,
    /// `deployment.kubernetes.io/desired-replicas`: the Deployment's replicas when it last
    /// scaled this set (a difference is a scaling event).
    desired: i32,
    /// `deployment.kubernetes.io/max-replicas`: replicas + maxSurge then (proportional scaling
    /// divides by it).
    max: i32,
}

impl ReplicaSet {
    /// Stamp the Deployment's replicas and replicas + maxSurge on it (its annotations).
    pub(super) fn stamp(&mut self, desired: i32, max: i32) {
        self.desired = desired;
        self.max = max;
    }

    pub(super) fn new(
        template: PodResources,
        (cpu_limit, requests): (f64, (f64, f64)),
        replicas: i32,
        max: i32,
    ) -> Self {
        ReplicaSet {
            template: Arc::new(template),
            cpu_limit,
            requests,
            replicas,
            desired: replicas,
            max,
        }
    }
}

/// (maxSurge, maxUnavailable) as counts for `replicas` desired pods (upstream
/// `ResolveFenceposts`, `MaxSurge`, `MaxUnavailable`): surge rounds up, unavailable down,
/// both 0 makes unavailable 1, unavailable is at most the replicas; Recreate has neither.
pub(crate) fn fenceposts(strategy: Strategy, replicas: i32) -> (i32, i32) {
    match strategy {
        Strategy::Recreate => (0, 0),
        Strategy::RollingUpdate {
            max_surge,
            max_unavailable,
        } => {
            let surge = max_surge.scaled(replicas, true);
            let mut unavailable = max_unavailable.scaled(replicas, false);
            if surge == 0 && unavailable == 0 {
                unavailable = 1;
            }
            (surge, unavailable.min(replicas.max(0)))
        }
    }
}

impl World {
    /// An applied Deployment's new pod template: its ReplicaSet (a new one, or the old one
    /// whose template it is again: a rollback) becomes the new one and the rollout starts.
    pub(crate) fn roll_out(&mut self, now: f64, template: PodResources, strategy: Strategy) {
        self.pods.strategy = strategy;
        let found = self.pods.sets.iter().position(|s| *s.template == template);
        let rev = match found {
            Some(i) => i,
            None => {
                let limit = template.cpu_limit.unwrap_or(f64::INFINITY);
                let requests = template.scheduling_requests();
                let d = self.pods.spec_replicas;
                let max = d + fenceposts(strategy, d).0;
                self.pods
                    .sets
                    .push(ReplicaSet::new(template, (limit, requests), 0, max));
                let i = self.pods.sets.len() - 1;
                self.pods.sets[i].desired = d;
                i
            }
        };
        if rev == self.pods.newest {
            return;
        }
        self.pods.newest = rev;
        self.reconcile_deployment(now);
    }

    /// Sync the Deployment until nothing changes: a scaling event resizes the sets
    /// (`scale`), else the strategy moves the rollout on. Nothing to do with one set.
    pub(super) fn reconcile_deployment(&mut self, now: f64) {
        if self.pods.sets.len() < 2 || self.pods.reconciling {
            return;
        }
        self.pods.reconciling = true;
        // Each pass resizes a set; within one instant a rollout moves a few steps at most.
        for _ in 0..10_000 {
            let moved = if self.scaling_event() {
                // Every active set is stamped with the replicas: the next pass rolls on.
                self.scale_sets(now);
                true
            } else {
                match self.pods.strategy {
                    Strategy::RollingUpdate { .. } => self.rollout_rolling(now),
                    Strategy::Recreate => self.rollout_recreate(now),
                }
            };
            if !moved {
                break;
            }
        }
        self.pods.reconciling = false;
    }

    /// Pods of set `rev` that are available (Ready, not terminating; `minReadySeconds` 0).
    fn available(&self, rev: usize) -> i32 {
        self.pods
            .live()
            .filter(|p| !p.job && p.revision as usize == rev && p.state == PodState::Ready)
            .count() as i32
    }

    /// Sets with replicas (upstream `FilterActiveReplicaSets`), oldest first.
    fn active_sets(&self) -> Vec<usize> {
        (0..self.pods.sets.len())
            .filter(|&i| self.pods.sets[i].replicas > 0)
            .collect()
    }

    /// Has the Deployment's replicas changed since an active set was last scaled
    /// (upstream `isScalingEvent`)?
    fn scaling_event(&self) -> bool {
        let d = self.pods.spec_replicas;
        self.pods
            .sets
            .iter()
            .any(|s| s.replicas > 0 && s.desired != d)
    }

    /// Resize set `rev` to `n` pods, stamping the Deployment's replicas on it; true when its
    /// size changed. Its ReplicaSet controller creates or deletes pods at once.
    fn scale_set(&mut self, now: f64, rev: usize, n: i32) -> bool {
        let d = self.pods.spec_replicas;
        let surge = fenceposts(self.pods.strategy, d).0;
        let s = &mut self.pods.sets[rev];
        s.desired = d;
        s.max = d + surge;
        if s.replicas == n {
            return false;
        }
        s.replicas = n;
        self.sync_replica_set(now, rev);
        true
    }

    /// upstream `rolloutRolling`: scale the new set up within `replicas + maxSurge`, else the
    /// old ones down while `replicas - maxUnavailable` pods stay available.
    fn rollout_rolling(&mut self, now: f64) -> bool {
        let d = self.pods.spec_replicas;
        let new = self.pods.newest;
        let (surge, unavailable) = fenceposts(self.pods.strategy, d);
        let total = |w: &World| w.pods.sets.iter().map(|s| s.replicas).sum::<i32>();
        let cur = self.pods.sets[new].replicas;
        if cur > d {
            return self.scale_set(now, new, d);
        }
        if cur < d {
            let room = d + surge - total(self);
            if room > 0 && self.scale_set(now, new, cur + room.min(d - cur)) {
                return true;
            }
        }
        let old: Vec<usize> = self
            .active_sets()
            .into_iter()
            .filter(|&i| i != new)
            .collect();
        if old.is_empty() {
            return false;
        }
        let min_available = d - unavailable;
        let new_unavailable = self.pods.sets[new].replicas - self.available(new);
        let max_scaled_down = total(self) - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return false;
        }
        let mut scaled = self.clean_up_unhealthy(now, &old, max_scaled_down);
        let available: i32 = (0..self.pods.sets.len()).map(|i| self.available(i)).sum();
        let mut left = available - min_available;
        for &i in &old {
            let r = self.pods.sets[i].replicas;
            if left <= 0 {
                break;
            }
            if r == 0 {
                continue;
            }
            let k = r.min(left);
            self.scale_set(now, i, r - k);
            left -= k;
            scaled += k;
        }
        scaled > 0
    }

    /// upstream `cleanupUnhealthyReplicas`: old sets lose their unavailable pods first, at most
    /// `max` in all; the count removed.
    fn clean_up_unhealthy(&mut self, now: f64, old: &[usize], max: i32) -> i32 {
        let mut total = 0;
        for &i in old {
            if total >= max {
                break;
            }
            let r = self.pods.sets[i].replicas;
            let unhealthy = r - self.available(i);
            if r == 0 || unhealthy <= 0 {
                continue;
            }
            let k = (max - total).min(unhealthy);
            self.scale_set(now, i, r - k);
            total += k;
        }
        total
    }

    /// upstream `rolloutRecreate`: every old set to 0; once no old pod runs (terminating ones
    /// included), the new set to the replicas.
    fn rollout_recreate(&mut self, now: f64) -> bool {
        let new = self.pods.newest;
        let mut moved = false;
        for i in self.active_sets() {
            if i != new {
                moved |= self.scale_set(now, i, 0);
            }
        }
        if moved {
            return true;
        }
        if self
            .pods
            .live()
            .any(|p| !p.job && p.revision as usize != new)
        {
            return false;
        }
        self.scale_set(now, new, self.pods.spec_replicas)
    }

    /// upstream `scale`: the Deployment's replicas changed. One active set (or none: the new
    /// one) takes them all; a saturated new set empties the old ones; during a rolling update
    /// the change is shared among the active sets in proportion to their sizes, the rest to
    /// the largest.
    fn scale_sets(&mut self, now: f64) {
        let d = self.pods.spec_replicas;
        let new = self.pods.newest;
        let active = self.active_sets();
        if active.len() <= 1 {
            let target = active.first().copied().unwrap_or(new);
            self.scale_set(now, target, d);
            return;
        }
        let s = &self.pods.sets[new];
        if s.replicas == d && s.desired == d && self.available(new) == d {
            for i in active.into_iter().filter(|&i| i != new) {
                self.scale_set(now, i, 0);
            }
            return;
        }
        if self.pods.strategy == Strategy::Recreate {
            for i in active {
                let r = self.pods.sets[i].replicas;
                self.scale_set(now, i, r);
            }
            return;
        }
        let surge = fenceposts(self.pods.strategy, d).0;
        let allowed = if d > 0 { d + surge } else { 0 };
        let current: i32 = self.pods.sets.iter().map(|s| s.replicas).sum();
        for (i, n) in self.proportional_sizes(active, d, allowed - current) {
            self.scale_set(now, i, n);
        }
    }

    /// The new size of every active set when `to_add` pods are added (or removed, < 0) in
    /// proportion (upstream `GetProportion`), largest sets first (newer first when adding,
    /// older first when removing); the leftover goes to the first.
    fn proportional_sizes(&self, mut active: Vec<usize>, d: i32, to_add: i32) -> Vec<(usize, i32)> {
        let sets = &self.pods.sets;
        active.sort_by(|&a, &b| {
            let by_size = sets[b].replicas.cmp(&sets[a].replicas);
            by_size.then(if to_add > 0 { b.cmp(&a) } else { a.cmp(&b) })
        });
        let surge = fenceposts(self.pods.strategy, d).0;
        let mut added = 0;
        let mut sizes: Vec<(usize, i32)> = Vec::with_capacity(active.len());
        for &i in &active {
            let s = &sets[i];
            let mut p = 0;
            if to_add != 0 && to_add != added {
                let fraction = if d == 0 {
                    -s.replicas
                } else if s.max > 0 {
                    let size = f64::from(s.replicas) * f64::from(d + surge) / f64::from(s.max);
                    size.round() as i32 - s.replicas
                } else {
                    0
                };
                let allowed = to_add - added;
                p = if to_add > 0 {
                    fraction.min(allowed)
                } else {
                    fraction.max(allowed)
                };
            }
            sizes.push((i, s.replicas + p));
            added += p;
        }
        if let Some(first) = sizes.first_mut() {
            first.1 = (first.1 + to_add - added).max(0);
        }
        sizes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::deployment::{IntOrPercent, Strategy};
    use crate::trace::Trace;
    use proptest::prelude::*;
    use proptest::strategy::Strategy as _;

    /// `initial` Ready pods with no traffic; pods start in 1–20 s and are Ready 3 s later.
    fn world(initial: i32, strategy: Strategy, seed: u64) -> World {
        let mut cfg = super::super::properties::idle_config(4);
        cfg.strategy = strategy;
        let trace = Arc::new(Trace::from_rows(vec![0.0], vec![0.0], 900.0));
        World::new(cfg, trace, seed, 900.0, 5.0, initial)
    }

    use super::super::properties::{doubled, run};

    /// Non-terminating pods of revision `rev`, and of them the Ready ones.
    fn of_revision(w: &World, rev: u32) -> (i32, i32) {
        let pods: Vec<_> = w
            .pods()
            .live()
            .filter(|p| p.revision == rev && p.is_active())
            .collect();
        let ready = pods.iter().filter(|p| p.state == PodState::Ready).count();
        (pods.len() as i32, ready as i32)
    }

    fn arb_count() -> impl proptest::strategy::Strategy<Value = IntOrPercent> {
        prop_oneof![
            (0i32..4).prop_map(IntOrPercent::Int),
            (0i32..=100).prop_map(IntOrPercent::Percent),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A rolling update never has more than replicas + maxSurge pods (terminating ones
        /// aside) nor fewer than replicas − maxUnavailable Ready, and ends with every pod of
        /// the new template, each created once.
        #[test]
        fn a_rolling_update_stays_within_its_bounds(
            initial in 1i32..14,
            surge in arb_count(),
            unavailable in arb_count(),
            seed in any::<u64>(),
        ) {
            let strategy = rolling(surge, unavailable);
            let (max_surge, max_unavailable) = fenceposts(strategy, initial);
            let mut w = world(initial, strategy, seed);
            w.roll_out(10.0, doubled(), strategy);
            let mut bad = None;
            run(&mut w, 900.0, |w| {
                let pods = w.pods();
                if bad.is_none()
                    && (pods.active() > initial + max_surge
                        || (pods.counts().ready as i32) < initial - max_unavailable)
                {
                    bad = Some((pods.active(), pods.counts().ready));
                }
            });
            prop_assert_eq!(bad, None, "surge {} unavailable {}", max_surge, max_unavailable);
            prop_assert_eq!(of_revision(&w, 1), (initial, initial));
            prop_assert_eq!(of_revision(&w, 0), (0, 0));
            let created = w.pods().iter().filter(|p| p.revision == 1).count() as i32;
            prop_assert_eq!(created, initial);
            prop_assert_eq!(w.pod_limit(w.pods().live_ids()[0]), 2.0);
        }

        /// Recreate: no new pod exists until every old one is gone; then all come up.
        #[test]
        fn recreate_replaces_all_pods_at_once(initial in 1i32..10, seed in any::<u64>()) {
            let mut w = world(initial, Strategy::Recreate, seed);
            w.roll_out(10.0, doubled(), Strategy::Recreate);
            let mut overlap = false;
            run(&mut w, 900.0, |w| {
                let old = w.pods().live().any(|p| p.revision == 0);
                let new = w.pods().live().any(|p| p.revision == 1);
                overlap |= old && new;
            });
            prop_assert!(!overlap);
            prop_assert_eq!(of_revision(&w, 1), (initial, initial));
        }

        /// Replicas changed during a rollout (proportional scaling): the rollout still ends
        /// with exactly the last replicas, all of the new template and Ready.
        #[test]
        fn a_rollout_scaled_midway_converges(
            initial in 1i32..12,
            changes in proptest::collection::vec((10.0f64..120.0, 0i32..16), 1..4),
            surge in arb_count(),
            unavailable in arb_count(),
            seed in any::<u64>(),
        ) {
            let strategy = rolling(surge, unavailable);
            let mut w = world(initial, strategy, seed);
            w.roll_out(10.0, doubled(), strategy);
            let mut changes = changes;
            changes.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (t, n) in &changes {
                run(&mut w, *t, |_| {});
                w.set_replicas(*t, *n);
            }
            run(&mut w, 900.0, |_| {});
            let last = changes.last().map_or(initial, |c| c.1);
            prop_assert_eq!(of_revision(&w, 1), (last, last));
            prop_assert_eq!(of_revision(&w, 0), (0, 0));
        }
    }

    fn rolling(surge: IntOrPercent, unavailable: IntOrPercent) -> Strategy {
        Strategy::RollingUpdate {
            max_surge: surge,
            max_unavailable: unavailable,
        }
    }

    #[test]
    fn fenceposts_round_as_upstream() {
        use IntOrPercent::{Int, Percent};
        // 25 % of 10: surge 2.5 → 3, unavailable 2.5 → 2.
        assert_eq!(fenceposts(Strategy::default(), 10), (3, 2));
        // 25 % of 1: surge 1, unavailable 0.
        assert_eq!(fenceposts(Strategy::default(), 1), (1, 0));
        // Both 0 after rounding: unavailable 1.
        assert_eq!(fenceposts(rolling(Int(0), Percent(10)), 5), (0, 1));
        // Unavailable at most the replicas; none with 0 replicas.
        assert_eq!(fenceposts(rolling(Int(1), Int(7)), 3), (1, 3));
        assert_eq!(fenceposts(rolling(Int(1), Int(7)), 0), (1, 0));
        assert_eq!(fenceposts(Strategy::Recreate, 10), (0, 0));
    }
}
