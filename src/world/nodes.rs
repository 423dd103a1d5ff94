//! Nodes (with `cluster.nodes`): what pods must fit on, the scheduler that binds them, and how a
//! node's CPU is shared by the pods on it. The [`Nodes`] part owns the nodes, the pods waiting
//! for one, the node log for `events.jsonl`, the node autoscaler's memory and what the nodes
//! cost (node-seconds per pool, unscheduled pod-seconds).
//!
//! - **Scheduling** is by requests, first fit: a pod goes to the first Ready node (in creation
//!   order) whose allocatable CPU and memory, minus its DaemonSets' requests and the requests of
//!   the pods already bound to it, still hold the pod's requests, and that has fewer than
//!   `max_pods` pods. Each pod has its own requests — those of its template revision, which a
//!   rollout changes (docs/rollouts.md). A pod that fits nowhere stays Pending (unschedulable).
//!   Whenever a node may have room (a node turns Ready, a pod on a node is gone) the waiting
//!   pods are tried again oldest first, each on its own: one that still fits nowhere does not
//!   hold back a smaller one behind it (kube-scheduler's queue). A pod's start-up clock (image
//!   pull, boot) starts only once it is bound.
//! - **CPU without a limit**: a pod may use its node's spare CPU. The node's CPU after
//!   DaemonSets is split among the pods whose containers run on it, in proportion to their CPU
//!   requests (equal shares for replicas of one template); a limit still caps a pod (without
//!   a CFS quota). A share changes only when a pod starts or leaves the node, so an idle
//!   neighbour's share is not lent out: conservative, and exact when the pods are busy.
//! - A node being removed is cordoned (no new pods) and its pods are evicted: each terminates
//!   gracefully and the ReplicaSet creates a replacement that the scheduler places elsewhere.
//!   The node is gone (and stops costing) once its last pod has exited.

use super::node_autoscaler;
use super::{Event, PodEventKind, PodState, World};
use crate::rng::Stream;
use crate::settings::nodes::NodePool;
use serde::Serialize;
use std::collections::VecDeque;

/// What a pod asks the scheduler for: (cores, bytes) of a node's allocatable.
pub(crate) type Shape = (f64, f64);

/// The cores a pod requesting no CPU weighs when a node's CPU is shared (cgroup `cpu.shares`
/// of 2, of 1024 per core).
const MIN_CPU_SHARE: f64 = 2.0 / 1024.0;

/// Does a pod of shape `a` ask at least as much as one of shape `b`, of every resource?
pub(crate) fn covers(a: Shape, b: Shape) -> bool {
    a.0 >= b.0 && a.1 >= b.1
}

/// Room on a node (a real one, or one a node autoscaler imagines): CPU, memory, pod slots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Room {
    pub(crate) cpu: f64,
    pub(crate) memory: f64,
    pub(crate) pods: u32,
}

impl Room {
    const NONE: Room = Room {
        cpu: 0.0,
        memory: 0.0,
        pods: 0,
    };

    /// An empty node of `pool`: allocatable minus its DaemonSets' requests.
    pub(crate) fn empty(pool: &NodePool) -> Room {
        Room {
            cpu: pool.cpu - pool.daemonset_cpu,
            memory: pool.memory - pool.daemonset_memory,
            pods: pool.max_pods,
        }
    }

    /// How many pods of shape `shape` fit in it (`NodePool::pods_per_node` on an empty node).
    pub(crate) fn slots(&self, (cpu, memory): Shape) -> u32 {
        let by = |free: f64, req: f64| {
            if req <= 0.0 {
                u32::MAX
            } else {
                ((free + 1e-9) / req).floor().max(0.0).min(u32::MAX as f64) as u32
            }
        };
        self.pods
            .min(by(self.cpu, cpu))
            .min(by(self.memory, memory))
    }

    /// Promise it to `k` pods of shape `shape` (at most `slots(shape)`).
    pub(crate) fn take(&mut self, (cpu, memory): Shape, k: u32) {
        self.pods -= k;
        self.cpu -= f64::from(k) * cpu;
        self.memory -= f64::from(k) * memory;
    }
}

/// The cluster's nodes and their bookkeeping.
pub(crate) struct Nodes {
    /// Nodes, in creation order (= id).
    pub(super) by_id: Vec<Node>,
    /// Ids of the nodes not gone, ascending: what the per-event and per-scan loops walk.
    pub(super) live: Vec<u32>,
    /// Pods waiting for a node, oldest first.
    pub(super) unscheduled: VecDeque<u32>,
    pub(super) events: Vec<NodeEvent>,
    /// Node autoscaler state.
    pub(super) scaler: node_autoscaler::State,
    /// Integral of existing nodes per pool over time (seconds).
    pub(super) node_seconds: Vec<f64>,
    /// Integral of unscheduled pods over time (seconds).
    pub(super) pending_pod_seconds: f64,
    /// Provisioning times.
    pub(super) rng: Stream,
}

impl Nodes {
    pub(super) fn new(seed: u64) -> Nodes {
        Nodes {
            by_id: Vec::new(),
            live: Vec::new(),
            unscheduled: VecDeque::new(),
            events: Vec::new(),
            scaler: node_autoscaler::State::default(),
            node_seconds: Vec::new(),
            pending_pod_seconds: 0.0,
            rng: Stream::new(seed, "nodes"),
        }
    }

    #[cfg(test)]
    /// Every node ever created, in id order (gone ones included).
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Node> {
        self.by_id.iter()
    }

    #[cfg(test)]
    /// The node with this id.
    pub(crate) fn get(&self, id: u32) -> &Node {
        &self.by_id[id as usize]
    }

    #[cfg(test)]
    /// Nodes ever created.
    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Nodes not gone (provisioning, Ready or draining: billed).
    pub(crate) fn live(&self) -> u32 {
        self.live.len() as u32
    }

    /// The nodes not gone, in id order.
    pub(crate) fn live_nodes(&self) -> impl Iterator<Item = &Node> + '_ {
        self.live.iter().map(|&id| &self.by_id[id as usize])
    }

    /// Add a new node (its id is the next one).
    pub(super) fn push(&mut self, node: Node) {
        debug_assert_eq!(node.id as usize, self.by_id.len());
        self.live.push(node.id);
        self.by_id.push(node);
    }

    /// Nodes that run pods (Ready or draining).
    pub(crate) fn ready(&self) -> u32 {
        self.live_nodes()
            .filter(|n| matches!(n.state, NodeState::Ready | NodeState::Draining))
            .count() as u32
    }

    /// Node-seconds of pool `pool` (0 for a pool that never had a node).
    pub(crate) fn pool_seconds(&self, pool: usize) -> f64 {
        self.node_seconds.get(pool).copied().unwrap_or(0.0)
    }

    /// Node-seconds over all pools.
    pub(crate) fn node_seconds(&self) -> f64 {
        self.node_seconds.iter().sum()
    }

    /// Seconds pods spent unscheduled (summed over pods).
    pub(crate) fn pending_pod_seconds(&self) -> f64 {
        self.pending_pod_seconds
    }

    /// Nodes the node autoscaler added.
    pub(crate) fn added(&self) -> u32 {
        self.scaler.nodes_added
    }

    /// Nodes the node autoscaler removed.
    pub(crate) fn removed(&self) -> u32 {
        self.scaler.nodes_removed
    }

    /// Take the node transitions logged so far.
    pub(crate) fn take_events(&mut self) -> Vec<NodeEvent> {
        std::mem::take(&mut self.events)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum NodeState {
    /// Requested from the cloud; not yet Ready (billed).
    Provisioning,
    Ready,
    /// Cordoned and drained for removal.
    Draining,
    Gone,
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) id: u32,
    /// Index of its pool in the scenario's pools.
    pub(crate) pool: usize,
    pub(crate) state: NodeState,
    pub(crate) ready_at: Option<f64>,
    pub(crate) gone_at: Option<f64>,
    /// Pods bound to it and not gone.
    pub(crate) pods: Vec<u32>,
    /// Requests of those pods (cores, bytes).
    pub(crate) cpu_requested: f64,
    pub(crate) memory_requested: f64,
    /// Since when the node autoscaler has found it removable.
    pub(crate) unneeded_since: Option<f64>,
    /// Last time a pod was bound to it or left it.
    pub(crate) last_change: f64,
}

/// A node transition, for `events.jsonl`.
#[derive(Debug, Clone, Serialize)]
pub struct NodeEvent {
    pub(crate) t: f64,
    pub(crate) node: u32,
    pub(crate) pool: String,
    pub(crate) event: NodeEventKind,
    /// Pods on the node at the transition (evicted ones, for `draining`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) pods: Option<u32>,
    /// Why (the autoscaler's reason), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum NodeEventKind {
    /// Requested by the node autoscaler (or present at t = 0 as `ready`).
    Provisioning,
    Ready,
    /// Cordoned; its pods are evicted.
    Draining,
    Removed,
}

impl World {
    /// The initial nodes, Ready at t = 0.
    pub(super) fn init_nodes(&mut self) {
        let Some(c) = &self.cfg.cluster else {
            return;
        };
        let initial: Vec<(usize, u32)> = c
            .pools
            .iter()
            .enumerate()
            .map(|(i, p)| (i, p.initial))
            .collect();
        self.nodes.node_seconds = vec![0.0; c.pools.len()];
        for (pool, n) in initial {
            for _ in 0..n {
                let id = self.nodes.by_id.len() as u32;
                self.nodes.push(Node {
                    id,
                    pool,
                    state: NodeState::Ready,
                    ready_at: Some(0.0),
                    gone_at: None,
                    pods: Vec::new(),
                    cpu_requested: 0.0,
                    memory_requested: 0.0,
                    unneeded_since: None,
                    last_change: 0.0,
                });
            }
        }
    }

    /// Cores a pod with CPU limit `limit` may use continuously before its node share: the
    /// limit, or +∞ when it is enforced as a CFS quota (or there is none).
    pub(super) fn base_cap(&self, limit: f64) -> f64 {
        if self.cfg.overload.cfs_period.is_some() {
            f64::INFINITY
        } else {
            limit
        }
    }

    /// What is left on the node for pods: allocatable minus DaemonSets and the requests of
    /// the pods bound to it, and pod slots below `max_pods`.
    pub(crate) fn room(&self, node: u32) -> Room {
        let Some(c) = &self.cfg.cluster else {
            return Room::NONE;
        };
        let n = &self.nodes.by_id[node as usize];
        let pool = &c.pools[n.pool];
        Room {
            cpu: pool.cpu - pool.daemonset_cpu - n.cpu_requested,
            memory: pool.memory - pool.daemonset_memory - n.memory_requested,
            pods: pool.max_pods.saturating_sub(n.pods.len() as u32),
        }
    }

    /// The first Ready node with room for one more pod of shape `shape`.
    pub(super) fn find_node(&self, shape: Shape) -> Option<u32> {
        self.nodes
            .live_nodes()
            .filter(|n| n.state == NodeState::Ready)
            .map(|n| n.id)
            .find(|&id| self.room(id).slots(shape) > 0)
    }

    /// What `pod` requests (cores, bytes), for scheduling: its revision's requests.
    pub(super) fn pod_shape(&self, pod: u32) -> Shape {
        let rev = self.pods.by_id[pod as usize].revision as usize;
        self.pods.sets[rev].requests
    }

    /// Bind `pod` to `node`.
    pub(super) fn bind(&mut self, now: f64, pod: u32, node: u32, log: bool) {
        let (cpu, mem) = self.pod_shape(pod);
        let n = &mut self.nodes.by_id[node as usize];
        n.pods.push(pod);
        n.cpu_requested += cpu;
        n.memory_requested += mem;
        n.last_change = now;
        n.unneeded_since = None;
        let p = &mut self.pods.by_id[pod as usize];
        p.node = Some(node);
        if std::mem::replace(&mut p.unscheduled, false) {
            self.pods.counts.unscheduled -= 1;
        }
        if log {
            self.pods.events.push(super::PodEvent {
                t: now,
                pod,
                event: PodEventKind::Scheduled,
                requests: None,
                node: Some(node),
                revision: None,
                ordinal: None,
            });
        }
    }

    /// The scheduler: try every waiting pod, oldest first, on the first node with room for
    /// it. A pod that fits nowhere stays waiting and the ones behind it are still tried (a
    /// smaller one may fit); a pod at least as big as one that failed in this pass fails too.
    pub(super) fn schedule_pending(&mut self, now: f64) {
        self.account_pods(now);
        let smallest = self.smallest_shape();
        let mut failed: Vec<Shape> = Vec::new();
        let mut i = 0;
        while let Some(&pod) = self.nodes.unscheduled.get(i) {
            let p = &self.pods.by_id[pod as usize];
            if !(p.unscheduled && p.state == PodState::Pending) {
                self.nodes.unscheduled.remove(i);
                continue;
            }
            let shape = self.pod_shape(pod);
            if failed.iter().any(|&f| covers(shape, f)) {
                i += 1;
                continue;
            }
            let Some(node) = self.find_node(shape) else {
                if covers(smallest, shape) {
                    return; // no waiting pod is smaller: none fits
                }
                failed.push(shape);
                i += 1;
                continue;
            };
            self.nodes.unscheduled.remove(i);
            self.bind(now, pod, node, true);
            self.start_startup_clock(now, pod);
        }
    }

    /// The smallest requests of any revision (per resource): a pod of no revision asks less.
    fn smallest_shape(&self) -> Shape {
        self.pods
            .sets
            .iter()
            .map(|s| s.requests)
            .fold((f64::INFINITY, f64::INFINITY), |a, b| {
                (a.0.min(b.0), a.1.min(b.1))
            })
    }

    /// A pod left its node (gone): free its requests, re-share the node's CPU, place waiting
    /// pods, and finish removing a drained node.
    pub(super) fn unbind(&mut self, now: f64, pod: u32) {
        let Some(node) = self.pods.by_id[pod as usize].node else {
            return;
        };
        let (cpu, mem) = self.pod_shape(pod);
        let n = &mut self.nodes.by_id[node as usize];
        n.pods.retain(|&q| q != pod);
        n.cpu_requested = (n.cpu_requested - cpu).max(0.0);
        n.memory_requested = (n.memory_requested - mem).max(0.0);
        if n.pods.is_empty() {
            n.cpu_requested = 0.0;
            n.memory_requested = 0.0;
        }
        n.last_change = now;
        let drained = n.state == NodeState::Draining && n.pods.is_empty();
        self.reshare(now, node);
        if drained {
            self.remove_node(now, node, None);
        }
        self.schedule_pending(now);
    }

    /// Split the node's CPU among the pods running on it (what DaemonSets leave, in
    /// proportion to their CPU requests: equal shares when they are alike), each capped by its
    /// limit.
    pub(super) fn reshare(&mut self, now: f64, node: u32) {
        let Some(c) = &self.cfg.cluster else {
            return;
        };
        let n = &self.nodes.by_id[node as usize];
        let pool = &c.pools[n.pool];
        let running: Vec<u32> = n
            .pods
            .iter()
            .copied()
            .filter(|&p| {
                matches!(
                    self.pods.by_id[p as usize].state,
                    PodState::Starting | PodState::Ready | PodState::Terminating
                )
            })
            .collect();
        if running.is_empty() {
            return;
        }
        let shares = self.cpu_shares(pool.cpu - pool.daemonset_cpu, &running);
        for (p, share) in running.into_iter().zip(shares) {
            let cap = self.base_cap(self.pod_limit(p)).min(share);
            if self.pods.by_id[p as usize].cap != cap {
                self.change_speed(now, p, |pod| pod.cap = cap);
            }
        }
    }

    /// Each pod's part of `cpu` cores: equal parts when their CPU requests are equal, else in
    /// proportion to them, a pod requesting no CPU weighing as the kernel's minimum share
    /// (2/1024 of a core).
    fn cpu_shares(&self, cpu: f64, pods: &[u32]) -> Vec<f64> {
        let weights: Vec<f64> = pods.iter().map(|&p| self.pod_shape(p).0).collect();
        if weights.iter().all(|&w| w == weights[0]) {
            return vec![cpu / pods.len() as f64; pods.len()];
        }
        let weights: Vec<f64> = weights.iter().map(|&w| w.max(MIN_CPU_SHARE)).collect();
        let total: f64 = weights.iter().sum();
        weights.iter().map(|&w| cpu * w / total).collect()
    }

    pub(super) fn log_node(
        &mut self,
        now: f64,
        node: u32,
        event: NodeEventKind,
        pods: Option<u32>,
        reason: Option<String>,
    ) {
        let pool = self
            .cfg
            .cluster
            .as_ref()
            .map(|c| c.pools[self.nodes.by_id[node as usize].pool].name.clone())
            .unwrap_or_default();
        self.nodes.events.push(NodeEvent {
            t: now,
            node,
            pool,
            event,
            pods,
            reason,
        });
    }

    /// Ask the cloud for a node of `pool`; it is Ready after the pool's provisioning time.
    pub(super) fn add_node(&mut self, now: f64, pool: usize, reason: String) {
        self.account_pods(now);
        let Some(c) = &self.cfg.cluster else {
            return;
        };
        let delay = c.pools[pool]
            .provisioning
            .sample(&mut self.nodes.rng)
            .max(0.0);
        let id = self.nodes.by_id.len() as u32;
        self.nodes.push(Node {
            id,
            pool,
            state: NodeState::Provisioning,
            ready_at: None,
            gone_at: None,
            pods: Vec::new(),
            cpu_requested: 0.0,
            memory_requested: 0.0,
            unneeded_since: None,
            last_change: now,
        });
        self.nodes.scaler.nodes_added += 1;
        self.log_node(now, id, NodeEventKind::Provisioning, None, Some(reason));
        self.agenda
            .schedule(now + delay, Event::NodeReady { node: id });
    }

    pub(super) fn on_node_ready(&mut self, now: f64, node: u32) {
        if self.nodes.by_id[node as usize].state != NodeState::Provisioning {
            return;
        }
        self.account_pods(now);
        let n = &mut self.nodes.by_id[node as usize];
        n.state = NodeState::Ready;
        n.ready_at = Some(now);
        n.last_change = now;
        self.log_node(now, node, NodeEventKind::Ready, None, None);
        self.schedule_pending(now);
    }

    /// Cordon the node and evict its pods; it is removed once they have all exited.
    pub(super) fn drain_node(&mut self, now: f64, node: u32, reason: String) {
        if self.nodes.by_id[node as usize].state != NodeState::Ready {
            return;
        }
        self.account_pods(now);
        self.nodes.by_id[node as usize].state = NodeState::Draining;
        let pods = self.nodes.by_id[node as usize].pods.clone();
        self.log_node(
            now,
            node,
            NodeEventKind::Draining,
            Some(pods.len() as u32),
            Some(reason),
        );
        self.nodes.scaler.nodes_removed += 1;
        if pods.is_empty() {
            self.remove_node(now, node, None);
            return;
        }
        for pod in pods {
            self.evict(now, pod);
        }
    }

    /// Evict a pod (node removal): it terminates gracefully and the ReplicaSet replaces it.
    fn evict(&mut self, now: f64, pod: u32) {
        let p = &self.pods.by_id[pod as usize];
        if !p.is_active() {
            return; // already terminating (or a job, which the autoscalers never evict)
        }
        let rev = p.revision;
        self.log(now, pod, PodEventKind::Evicted, None);
        self.terminate(now, pod);
        self.create_pod(now, rev);
    }

    pub(super) fn remove_node(&mut self, now: f64, node: u32, reason: Option<String>) {
        self.account_pods(now);
        let n = &mut self.nodes.by_id[node as usize];
        if n.state == NodeState::Gone {
            return;
        }
        n.state = NodeState::Gone;
        n.gone_at = Some(now);
        if let Ok(i) = self.nodes.live.binary_search(&node) {
            self.nodes.live.remove(i);
        }
        self.log_node(now, node, NodeEventKind::Removed, None, reason);
    }
}

#[cfg(test)]
mod tests {
    use super::super::properties::idle_config;
    use super::*;
    use crate::settings::dist::Dist;
    use crate::settings::nodes::{Cluster, NodeAutoscaler};
    use crate::settings::workload::PodResources;
    use crate::trace::Trace;
    use std::sync::Arc;

    /// One node of 2 cores (1.9 after DaemonSets), `replicas` pods of 250m on it, no traffic.
    fn world(replicas: i32) -> World {
        let mut cfg = idle_config(1);
        cfg.cluster = Some(Cluster {
            pools: vec![NodePool {
                name: "p".into(),
                node_type: "t".into(),
                cpu: 2.0,
                memory: 8e9,
                max_pods: 10,
                daemonset_cpu: 0.1,
                daemonset_memory: 1e8,
                price_per_hour: 0.1,
                initial: 1,
                min: 0,
                max: 1,
                provisioning: Dist::constant(10.0),
            }],
            autoscaler: NodeAutoscaler::None,
            pod_cpu: 0.25,
            pod_memory: 1e8,
        });
        let trace = Arc::new(Trace::from_rows(vec![0.0], vec![0.0], 600.0));
        World::new(cfg, trace, 7, 600.0, 5.0, replicas)
    }

    fn cores(cpu: f64) -> PodResources {
        PodResources {
            cpu_request: Some(cpu),
            ..Default::default()
        }
    }

    #[test]
    fn a_waiting_pod_too_big_for_the_node_does_not_hold_back_a_smaller_one() {
        let mut w = world(2);
        // A template of 5 cores: its surge pod fits on no node and waits, oldest.
        w.roll_out(1.0, cores(5.0), Default::default());
        let big: Vec<u32> = w.nodes.unscheduled.iter().copied().collect();
        assert_eq!(big.len(), 1);
        assert_eq!(w.pod_shape(big[0]), (5.0, 0.0));
        // Scaling to 4 adds a pod to each ReplicaSet: the old template's (250m) fits.
        w.set_replicas(2.0, 4);
        let waiting: Vec<u32> = w
            .pods
            .iter()
            .filter(|p| p.unscheduled)
            .map(|p| p.id)
            .collect();
        assert!(
            waiting.iter().all(|&p| w.pod_shape(p) == (5.0, 0.0)),
            "{waiting:?}"
        );
        let small = w
            .pods
            .iter()
            .filter(|p| p.revision == 0 && p.state != PodState::Gone)
            .count();
        assert_eq!(small, 3);
        let node = w.nodes.get(0);
        assert_eq!(node.pods.len(), 3);
        assert!((node.cpu_requested - 0.75).abs() < 1e-9);
    }

    #[test]
    fn cpu_is_shared_in_proportion_to_requests_only_when_they_differ() {
        let w = world(2);
        let pods: Vec<u32> = w.nodes.get(0).pods.clone();
        assert_eq!(w.cpu_shares(1.9, &pods), vec![0.95, 0.95]);
        let mut w = world(1);
        w.roll_out(1.0, cores(0.75), Default::default());
        let pods: Vec<u32> = w.nodes.get(0).pods.clone();
        assert_eq!(pods.len(), 2);
        let shares = w.cpu_shares(2.0, &pods);
        assert!((shares[0] - 0.5).abs() < 1e-12 && (shares[1] - 1.5).abs() < 1e-12);
    }
}
