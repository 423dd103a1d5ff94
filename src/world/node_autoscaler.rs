//! Node autoscalers: Cluster Autoscaler and Karpenter, as simple honest models of their loops.
//! Like the real ones they read the API server directly (pending pods, nodes, pod requests), not
//! a metrics pipeline, so they live beside the scheduler.
//!
//! **Cluster Autoscaler** (`kind: cluster-autoscaler`), every `scan_interval` (10 s):
//! - *Scale-up*: if pods are unschedulable, estimate the nodes they need by bin-packing them —
//!   each by its own requests (pods of an old and a new template revision differ) — onto
//!   empty template nodes of a pool, after counting the room on nodes already being
//!   provisioned (upcoming nodes), and grow the pool by that many (up to its `max`). Pools are
//!   tried in the order written (like the `priority` expander); a pod too big for every pool's
//!   node gets none and stays unschedulable. Nodes are Ready after the pool's `provisioning`
//!   time.
//! - *Scale-down*: a Ready node is unneeded when its requested utilization — (DaemonSet +
//!   pod requests) / allocatable, the larger of CPU and memory — is below
//!   `scale_down_utilization_threshold` (0.5) and its pods fit on the other nodes (simulated,
//!   first fit by each pod's requests; two candidates never count on the same free room). A node unneeded for
//!   `scale_down_unneeded_time` (10 min) is removed, not within `scale_down_delay_after_add`
//!   (10 min) of a scale-up, nor while pods are unschedulable: empty ones up to 10 at once,
//!   non-empty ones one at a time (drained: evicted pods are recreated by the ReplicaSet and
//!   scheduled elsewhere). Never below the pool's `min`; nodes running jobs are not drained.
//!
//! **Karpenter** (`kind: karpenter`):
//! - *Provisioning*: the first unschedulable pod opens a batch; it closes when no new pod has
//!   become unschedulable for `batch_idle_duration` (1 s) or after `batch_max_duration` (10 s).
//!   Then Karpenter launches the nodes the pending pods need (each by its own requests)
//!   beyond the room on nodes it is already launching, from the pool with the lowest price per
//!   pod of the oldest one's shape, pods that fit none of its nodes going to the next pool
//!   (instance-type selection, simplified to the given pools), Ready after `provisioning`
//!   (30–60 s).
//! - *Consolidation*: every 10 s, while no pod is pending and no node is launching, a Ready node
//!   whose pods have not changed for `consolidate_after` (0 s) is a candidate when it is empty,
//!   or (`WhenEmptyOrUnderutilized`) when its pods fit on the other nodes. A candidate still
//!   one after 15 s (Karpenter's validation) is removed — empty candidates within the
//!   disruption budget (10 % of the nodes, at least one), else the one with the fewest pods.
//!   Replacing a node by a cheaper one is not modelled (one node type per pool).

use super::nodes::{NodeState, Room, Shape};
use super::{Event, PodState, World};
use crate::settings::nodes::{
    Cluster, ClusterAutoscaler, ConsolidationPolicy, NodeAutoscaler, NodePool,
};

/// Pods of one shape: (their requests, how many).
type Group = (Shape, u64);

/// Count one more pod of shape `shape` (a new group after the others when no pod had it).
fn add_to_groups(groups: &mut Vec<Group>, shape: Shape) {
    match groups.iter_mut().find(|g| g.0 == shape) {
        Some(g) => g.1 += 1,
        None => groups.push((shape, 1)),
    }
}

/// Put as many of the group's pods in `room` as fit; they leave the group.
fn place(room: &mut Room, g: &mut Group) {
    let k = u64::from(room.slots(g.0)).min(g.1);
    room.take(g.0, k as u32);
    g.1 -= k;
}

/// Bin-pack the waiting pods onto new empty nodes of `pool`, at most `max` of them: oldest
/// shape first, first fit on the nodes opened so far, then whole new nodes. A shape that fits
/// on no empty node of the pool is left for another pool. Returns the nodes opened; the pods
/// placed leave `groups`.
fn pack_new_nodes(pool: &NodePool, groups: &mut [Group], max: u64) -> u64 {
    let empty = Room::empty(pool);
    let mut open: Vec<Room> = Vec::new();
    for g in groups.iter_mut() {
        let per = u64::from(empty.slots(g.0));
        if per == 0 {
            continue;
        }
        for room in open.iter_mut() {
            place(room, g);
        }
        while g.1 > 0 && (open.len() as u64) < max {
            let mut room = empty;
            place(&mut room, g);
            open.push(room);
        }
    }
    open.len() as u64
}

/// Why a scale-up adds nodes of `pool`: the pods waiting and how many fit per node.
fn scale_up_reason(pool: &NodePool, groups: &[Group], need: u64) -> String {
    let empty = Room::empty(pool);
    let per: Vec<u32> = groups
        .iter()
        .map(|g| empty.slots(g.0))
        .filter(|&k| k > 0)
        .collect();
    let lo = per.iter().copied().min().unwrap_or(0);
    let hi = per.iter().copied().max().unwrap_or(0);
    if lo == hi {
        format!("{need} pending pods, {lo} fit per node")
    } else {
        format!("{need} pending pods, {lo} to {hi} fit per node by their requests")
    }
}

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

    /// The pods waiting for a node, by shape (the oldest pod's shape first).
    fn pending_groups(&self) -> Vec<Group> {
        let mut out: Vec<Group> = Vec::new();
        for &pod in &self.nodes.unscheduled {
            let p = &self.pods.by_id[pod as usize];
            if p.unscheduled && p.state == PodState::Pending {
                add_to_groups(&mut out, self.pod_shape(pod));
            }
        }
        out
    }

    /// Pods waiting for a node, by shape, not counting those that nodes being provisioned
    /// will take (first fit, oldest shape first).
    fn unmet_groups(&self, c: &Cluster) -> Vec<Group> {
        let mut groups = self.pending_groups();
        for n in self.nodes.live_nodes() {
            if n.state == NodeState::Provisioning {
                let mut room = Room::empty(&c.pools[n.pool]);
                for g in groups.iter_mut() {
                    place(&mut room, g);
                }
            }
        }
        groups.retain(|g| g.1 > 0);
        groups
    }

    /// The pools in the order a scale-up tries them: as written (Cluster Autoscaler), or by
    /// price per pod of shape `shape` (`cheapest`: Karpenter).
    fn pool_order(c: &Cluster, shape: Shape, cheapest: bool) -> Vec<usize> {
        let mut order: Vec<usize> = (0..c.pools.len()).collect();
        if cheapest {
            let per = |i: usize| Room::empty(&c.pools[i]).slots(shape);
            order.sort_by(|&a, &b| {
                let pa = c.pools[a].price_per_hour / per(a).max(1) as f64;
                let pb = c.pools[b].price_per_hour / per(b).max(1) as f64;
                pa.total_cmp(&pb).then(a.cmp(&b))
            });
        }
        order
    }

    /// Launch the nodes the pending pods need, each pod by its own requests. `cheapest`: pick
    /// pools by price per pod (Karpenter), else in the order written (Cluster Autoscaler). A
    /// pod that fits on no pool's empty node gets none (it stays unschedulable).
    fn provision(&mut self, now: f64, cheapest: bool) -> u32 {
        let Some(c) = self.cfg.cluster.clone() else {
            return 0;
        };
        let mut groups = self.unmet_groups(&c);
        let Some(&(oldest, _)) = groups.first() else {
            return 0;
        };
        let mut added = 0;
        for i in Self::pool_order(&c, oldest, cheapest) {
            let existing = self
                .nodes
                .live_nodes()
                .filter(|n| n.pool == i && n.state != NodeState::Gone)
                .count() as u64;
            let room = (c.pools[i].max as u64).saturating_sub(existing);
            let need: u64 = groups.iter().map(|g| g.1).sum();
            let why = scale_up_reason(&c.pools[i], &groups, need);
            let n = pack_new_nodes(&c.pools[i], &mut groups, room);
            for _ in 0..n {
                self.add_node(now, i, why.clone());
            }
            added += n as u32;
            groups.retain(|g| g.1 > 0);
            if groups.is_empty() {
                break;
            }
        }
        if added > 0 {
            self.nodes.scaler.last_scale_up = Some(now);
        }
        added
    }

    /// Simulate moving the pods of each candidate node onto the other Ready nodes (first fit,
    /// each pod by its own requests, room consumed as it is promised). Returns, per node id,
    /// whether its pods can all move. Nodes running jobs never can.
    fn removable(&self, candidates: &[u32]) -> Vec<(u32, bool)> {
        let mut free: Vec<(u32, Room)> = self
            .nodes
            .live_nodes()
            .filter(|n| n.state == NodeState::Ready)
            .map(|n| (n.id, self.room(n.id)))
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
            let mut groups: Vec<Group> = Vec::new();
            for &p in &pods {
                add_to_groups(&mut groups, self.pod_shape(p));
            }
            let mut plan = free.clone();
            for g in groups.iter_mut() {
                for (other, room) in plan.iter_mut() {
                    if g.1 == 0 {
                        break;
                    }
                    if *other == id || leaving.contains(other) {
                        continue;
                    }
                    place(room, g);
                }
            }
            if groups.iter().all(|g| g.1 == 0) {
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
