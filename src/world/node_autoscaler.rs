//! Node autoscalers: Cluster Autoscaler and Karpenter, as simple honest models of their loops.
//! Like the real ones they read the API server directly (pending pods, nodes, pod requests), not
//! a metrics pipeline, so they live beside the scheduler.
//!
//! **Cluster Autoscaler** (`kind: cluster-autoscaler`), every `scan_interval` (10 s):
//! - *Scale-up*: if pods are unschedulable, estimate the nodes they need by bin-packing them
//!   onto empty template nodes of a pool, after counting the room on nodes already being
//!   provisioned (upcoming nodes), and grow the pool by that many (up to its `max`). Pools are
//!   tried in the order written (like the `priority` expander). Nodes are Ready after the
//!   pool's `provisioning` time.
//! - *Scale-down*: a Ready node is unneeded when its requested utilization — (DaemonSet +
//!   pod requests) / allocatable, the larger of CPU and memory — is below
//!   `scale_down_utilization_threshold` (0.5) and its pods fit on the other nodes (simulated,
//!   first fit; two candidates never count on the same free room). A node unneeded for
//!   `scale_down_unneeded_time` (10 min) is removed, not within `scale_down_delay_after_add`
//!   (10 min) of a scale-up, nor while pods are unschedulable: empty ones up to 10 at once,
//!   non-empty ones one at a time (drained: evicted pods are recreated by the ReplicaSet and
//!   scheduled elsewhere). Never below the pool's `min`; nodes running jobs are not drained.
//!
//! **Karpenter** (`kind: karpenter`):
//! - *Provisioning*: the first unschedulable pod opens a batch; it closes when no new pod has
//!   become unschedulable for `batch_idle_duration` (1 s) or after `batch_max_duration` (10 s).
//!   Then Karpenter launches the nodes the pending pods need beyond the room on nodes it is
//!   already launching, from the pool with the lowest price per pod that fits (instance-type
//!   selection, simplified to the given pools), Ready after `provisioning` (30–60 s).
//! - *Consolidation*: every 10 s, while no pod is pending and no node is launching, a Ready node
//!   whose pods have not changed for `consolidate_after` (0 s) is a candidate when it is empty,
//!   or (`WhenEmptyOrUnderutilized`) when its pods fit on the other nodes. A candidate still
//!   one after 15 s (Karpenter's validation) is removed — empty candidates within the
//!   disruption budget (10 % of the nodes, at least one), else the one with the fewest pods.
//!   Replacing a node by a cheaper one is not modelled (one node type per pool).

use super::nodes::NodeState;
use super::{Event, PodState, World};
use crate::settings::nodes::{Cluster, ClusterAutoscaler, ConsolidationPolicy, NodeAutoscaler};

/// What the node autoscaler remembers between loops.
#[derive(Debug, Clone, Default)]
pub(super) struct State {
    /// Time of the last scale-up (−∞ before any).
    pub(crate) last_scale_up: Option<f64>,
    /// Karpenter: (opened, last pod added) of the open batch.
    pub(crate) batch: Option<(f64, f64)>,
    pub(crate) nodes_added: u32,
    pub(crate) nodes_removed: u32,
}

impl World {
    pub(super) fn start_node_autoscaler(&mut self, a: NodeAutoscaler) {
        match a {
            NodeAutoscaler::None => {}
            NodeAutoscaler::ClusterAutoscaler(ca) => {
                self.agenda.schedule(ca.scan_interval, Event::NodeScan);
            }
            NodeAutoscaler::Karpenter(k) => {
                self.agenda.schedule(k.poll, Event::Consolidate);
            }
        }
    }

    fn autoscaler(&self) -> NodeAutoscaler {
        self.cfg
            .cluster
            .as_ref()
            .map_or(NodeAutoscaler::None, |c| c.autoscaler)
    }

    /// A pod failed to schedule (Karpenter opens or extends its batch).
    pub(super) fn on_unschedulable(&mut self, now: f64) {
        let NodeAutoscaler::Karpenter(k) = self.autoscaler() else {
            return;
        };
        match &mut self.nodes.scaler.batch {
            Some((_, last)) => *last = now,
            None => {
                self.nodes.scaler.batch = Some((now, now));
                self.agenda
                    .schedule(now + k.batch_max, Event::KarpenterBatch);
            }
        }
        self.agenda
            .schedule(now + k.batch_idle, Event::KarpenterBatch);
    }

    pub(super) fn on_karpenter_batch(&mut self, now: f64) {
        let NodeAutoscaler::Karpenter(k) = self.autoscaler() else {
            return;
        };
        let Some((start, last)) = self.nodes.scaler.batch else {
            return;
        };
        let eps = 1e-9;
        if now + eps >= last + k.batch_idle || now + eps >= start + k.batch_max {
            self.nodes.scaler.batch = None;
            self.provision(now, true);
        }
    }

    /// Pods waiting for a node, not counting those that nodes being provisioned will take.
    fn unmet_pods(&self) -> u64 {
        let Some(c) = &self.cfg.cluster else {
            return 0;
        };
        let pending = self.pods.counts.unscheduled as u64;
        let upcoming: u64 = self
            .nodes
            .live_nodes()
            .filter(|n| n.state == NodeState::Provisioning)
            .map(|n| {
                c.pools[n.pool]
                    .pods_per_node(c.pod_cpu, c.pod_memory)
                    .min(1_000_000) as u64
            })
            .sum();
        pending.saturating_sub(upcoming)
    }

    /// Launch the nodes the pending pods need. `cheapest`: pick pools by price per pod
    /// (Karpenter), else in the order written (Cluster Autoscaler).
    fn provision(&mut self, now: f64, cheapest: bool) -> u32 {
        let Some(c) = self.cfg.cluster.clone() else {
            return 0;
        };
        let mut need = self.unmet_pods();
        if need == 0 {
            return 0;
        }
        let mut order: Vec<usize> = (0..c.pools.len()).collect();
        let per = |i: usize| c.pools[i].pods_per_node(c.pod_cpu, c.pod_memory);
        if cheapest {
            order.sort_by(|&a, &b| {
                let pa = c.pools[a].price_per_hour / per(a).max(1) as f64;
                let pb = c.pools[b].price_per_hour / per(b).max(1) as f64;
                pa.total_cmp(&pb).then(a.cmp(&b))
            });
        }
        let mut added = 0;
        for i in order {
            let ppn = per(i).min(1_000_000) as u64;
            if ppn == 0 {
                continue;
            }
            let existing = self
                .nodes
                .live_nodes()
                .filter(|n| n.pool == i && n.state != NodeState::Gone)
                .count() as u64;
            let room = (c.pools[i].max as u64).saturating_sub(existing);
            let n = need.div_ceil(ppn).min(room);
            for _ in 0..n {
                self.add_node(now, i, format!("{need} pending pods, {ppn} fit per node"));
            }
            added += n as u32;
            need = need.saturating_sub(n * ppn);
            if need == 0 {
                break;
            }
        }
        if added > 0 {
            self.nodes.scaler.last_scale_up = Some(now);
        }
        added
    }

    /// Simulate moving the pods of each candidate node onto the other Ready nodes (first fit,
    /// room consumed as it is promised). Returns, per node id, whether its pods can all move.
    /// Nodes running jobs never can.
    fn removable(&self, candidates: &[u32]) -> Vec<(u32, bool)> {
        let mut free: Vec<(u32, u32)> = self
            .nodes
            .live_nodes()
            .filter(|n| n.state == NodeState::Ready)
            .map(|n| (n.id, self.free_slots(n.id)))
            .collect();
        let mut leaving: Vec<u32> = Vec::new();
        let mut out = Vec::new();
        for &id in candidates {
            let n = &self.nodes.by_id[id as usize];
            let pods: Vec<u32> = n
                .pods
                .iter()
                .copied()
                .filter(|&p| self.pods.by_id[p as usize].state != PodState::Terminating)
                .collect();
            if pods.iter().any(|&p| self.pods.by_id[p as usize].job) {
                out.push((id, false));
                continue;
            }
            let mut need = pods.len() as u32;
            let mut plan = free.clone();
            for (other, slots) in plan.iter_mut() {
                if need == 0 {
                    break;
                }
                if *other == id || leaving.contains(other) {
                    continue;
                }
                let take = need.min(*slots);
                *slots -= take;
                need -= take;
            }
            if need == 0 {
                free = plan;
                leaving.push(id);
                out.push((id, true));
            } else {
                out.push((id, false));
            }
        }
        out
    }

    /// Nodes of a pool that exist and are not being removed.
    fn pool_nodes(&self, pool: usize) -> u32 {
        self.nodes
            .live_nodes()
            .filter(|n| {
                n.pool == pool && matches!(n.state, NodeState::Ready | NodeState::Provisioning)
            })
            .count() as u32
    }

    /// Cluster Autoscaler's loop: scale up for unschedulable pods, then (scale-down on) mark
    /// the unneeded nodes and remove those unneeded long enough.
    pub(super) fn on_node_scan(&mut self, now: f64) {
        let NodeAutoscaler::ClusterAutoscaler(ca) = self.autoscaler() else {
            return;
        };
        self.agenda
            .schedule(now + ca.scan_interval, Event::NodeScan);
        let Some(c) = self.cfg.cluster.clone() else {
            return;
        };
        let scaled_up = self.provision(now, false) > 0;
        if !ca.scale_down_enabled {
            return;
        }
        let ready: Vec<u32> = self
            .nodes
            .live_nodes()
            .filter(|n| n.state == NodeState::Ready)
            .map(|n| n.id)
            .collect();
        self.mark_unneeded(now, &c, &ca, &ready);
        let cooldown = self
            .nodes
            .scaler
            .last_scale_up
            .is_some_and(|t| now < t + ca.delay_after_add);
        if scaled_up || cooldown || self.pods.counts.unscheduled > 0 {
            return;
        }
        self.remove_unneeded(now, &c, &ca, &ready);
    }

    /// Cluster Autoscaler: a Ready node is unneeded (since now, unless it already was) while
    /// its utilization is below the threshold and its pods fit elsewhere.
    fn mark_unneeded(&mut self, now: f64, c: &Cluster, ca: &ClusterAutoscaler, ready: &[u32]) {
        let mut low = Vec::new();
        for &id in ready {
            let n = &self.nodes.by_id[id as usize];
            let p = &c.pools[n.pool];
            let util = ((p.daemonset_cpu + n.cpu_requested) / p.cpu)
                .max((p.daemonset_memory + n.memory_requested) / p.memory);
            if util < ca.utilization_threshold {
                low.push(id);
            } else {
                self.nodes.by_id[id as usize].unneeded_since = None;
            }
        }
        for (id, ok) in self.removable(&low) {
            let n = &mut self.nodes.by_id[id as usize];
            if ok {
                n.unneeded_since.get_or_insert(now);
            } else {
                n.unneeded_since = None;
            }
        }
    }

    /// Cluster Autoscaler: remove the nodes unneeded for `unneeded_time` — empty ones in bulk
    /// (up to `max_empty_bulk_delete`), at most one with pods at a time (none while another
    /// still drains) — never below a pool's minimum.
    fn remove_unneeded(&mut self, now: f64, c: &Cluster, ca: &ClusterAutoscaler, ready: &[u32]) {
        let ripe: Vec<u32> = ready
            .iter()
            .copied()
            .filter(|&id| {
                self.nodes.by_id[id as usize]
                    .unneeded_since
                    .is_some_and(|s| now - s >= ca.unneeded_time - 1e-9)
            })
            .collect();
        let draining = self
            .nodes
            .live_nodes()
            .any(|n| n.state == NodeState::Draining && !n.pods.is_empty());
        let mut empty_deleted = 0;
        let mut drained = draining;
        for id in ripe {
            let pool = self.nodes.by_id[id as usize].pool;
            if self.pool_nodes(pool) <= c.pools[pool].min {
                continue;
            }
            let empty = self.nodes.by_id[id as usize].pods.is_empty();
            if empty && empty_deleted < ca.max_empty_bulk_delete {
                empty_deleted += 1;
                self.drain_node(now, id, "empty and unneeded".into());
            } else if !empty && !drained {
                drained = true;
                let since = self.nodes.by_id[id as usize].unneeded_since.unwrap_or(now);
                self.drain_node(
                    now,
                    id,
                    format!(
                        "unneeded for {:.0}s: utilization below {} and its pods fit elsewhere",
                        now - since,
                        ca.utilization_threshold
                    ),
                );
            }
        }
    }

    /// Karpenter's disruption controller: consolidation.
    pub(super) fn on_consolidate(&mut self, now: f64) {
        let NodeAutoscaler::Karpenter(k) = self.autoscaler() else {
            return;
        };
        self.agenda.schedule(now + k.poll, Event::Consolidate);
        let Some(c) = self.cfg.cluster.clone() else {
            return;
        };
        let settled = self.pods.counts.unscheduled == 0
            && !self
                .nodes
                .live_nodes()
                .any(|n| n.state == NodeState::Provisioning);
        let live = self
            .nodes
            .live_nodes()
            .filter(|n| matches!(n.state, NodeState::Ready | NodeState::Draining))
            .count() as f64;
        let budget = ((k.budget * live).ceil() as usize).max(1);
        let disrupting = self
            .nodes
            .live_nodes()
            .filter(|n| n.state == NodeState::Draining)
            .count();
        if !settled || disrupting >= budget {
            for n in self.nodes.by_id.iter_mut() {
                n.unneeded_since = None;
            }
            return;
        }
        // Candidates: quiet nodes, fewest pods first.
        let mut quiet: Vec<u32> = self
            .nodes
            .live_nodes()
            .filter(|n| n.state == NodeState::Ready && now - n.last_change >= k.consolidate_after)
            .map(|n| n.id)
            .collect();
        quiet.sort_by_key(|&id| (self.nodes.by_id[id as usize].pods.len(), id));
        let candidates: Vec<(u32, bool)> = match k.consolidation {
            ConsolidationPolicy::WhenEmpty => quiet
                .iter()
                .map(|&id| (id, self.nodes.by_id[id as usize].pods.is_empty()))
                .collect(),
            ConsolidationPolicy::WhenEmptyOrUnderutilized => self.removable(&quiet),
        };
        for n in self.nodes.by_id.iter_mut() {
            if !candidates.iter().any(|&(id, ok)| ok && id == n.id) {
                n.unneeded_since = None;
            }
        }
        let mut room = budget - disrupting;
        let mut drained_busy = false;
        for (id, ok) in candidates {
            if !ok {
                continue;
            }
            let since = *self.nodes.by_id[id as usize]
                .unneeded_since
                .get_or_insert(now);
            if now - since < k.validation - 1e-9 || room == 0 {
                continue;
            }
            let pool = self.nodes.by_id[id as usize].pool;
            if self.pool_nodes(pool) <= c.pools[pool].min {
                continue;
            }
            let empty = self.nodes.by_id[id as usize].pods.is_empty();
            if !empty && drained_busy {
                continue;
            }
            drained_busy |= !empty;
            room -= 1;
            let why = if empty {
                "consolidation: empty".to_string()
            } else {
                "consolidation: underutilized, its pods fit on other nodes".to_string()
            };
            self.drain_node(now, id, why);
        }
    }
}
