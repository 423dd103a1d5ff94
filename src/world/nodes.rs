//! Nodes (with `cluster.nodes`): what pods must fit on, the scheduler that binds them, and how a
//! node's CPU is shared by the pods on it. The [`Nodes`] part owns the nodes, the pods waiting
//! for one, the node log for `events.jsonl`, the node autoscaler's memory and what the nodes
//! cost (node-seconds per pool, unscheduled pod-seconds).
//!
//! - **Scheduling** is by requests, first fit: a pod goes to the first Ready node (in creation
//!   order) whose allocatable CPU and memory, minus its DaemonSets' requests and the requests of
//!   the pods already bound to it, still hold the pod's requests, and that has fewer than
//!   `max_pods` pods. A pod that fits nowhere stays Pending (unschedulable) — oldest first, it
//!   is bound the moment a node has room (a node turns Ready, a pod on a node is gone). Its
//!   start-up clock (image pull, boot) starts only once it is bound.
//! - **CPU without a limit**: a pod may use its node's spare CPU. The node's CPU after
//!   DaemonSets is split among the workload's pods whose containers run on it, in proportion to
//!   their requests — equal shares, as they are replicas of one template; a limit still caps a
//!   pod (without a CFS quota). A share changes only when a pod starts or leaves the node, so an
//!   idle neighbour's share is not lent out: conservative, and exact when the pods are busy.
//! - A node being removed is cordoned (no new pods) and its pods are evicted: each terminates
//!   gracefully and the ReplicaSet creates a replacement that the scheduler places elsewhere.
//!   The node is gone (and stops costing) once its last pod has exited.

use super::node_autoscaler;
use super::{Event, PodEventKind, PodState, World};
use crate::rng::Stream;
use serde::Serialize;
use std::collections::VecDeque;

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

    /// How many more pods of the workload fit on the node.
    pub(crate) fn free_slots(&self, node: u32) -> u32 {
        let Some(c) = &self.cfg.cluster else {
            return 0;
        };
        let n = &self.nodes.by_id[node as usize];
        let pool = &c.pools[n.pool];
        let by = |free: f64, req: f64| {
            if req <= 0.0 {
                u32::MAX
            } else {
                ((free + 1e-9) / req).floor().max(0.0).min(u32::MAX as f64) as u32
            }
        };
        let pods = pool.max_pods.saturating_sub(n.pods.len() as u32);
        pods.min(by(
            pool.cpu - pool.daemonset_cpu - n.cpu_requested,
            c.pod_cpu,
        ))
        .min(by(
            pool.memory - pool.daemonset_memory - n.memory_requested,
            c.pod_memory,
        ))
    }

    /// The first Ready node with room for one more pod.
    pub(super) fn find_node(&self) -> Option<u32> {
        self.nodes
            .live_nodes()
            .filter(|n| n.state == NodeState::Ready)
            .map(|n| n.id)
            .find(|&id| self.free_slots(id) > 0)
    }

    /// What one pod of the workload requests (cores, bytes), for scheduling.
    fn pod_requests(&self) -> (f64, f64) {
        self.cfg
            .cluster
            .as_ref()
            .map_or((0.0, 0.0), |c| (c.pod_cpu, c.pod_memory))
    }

    /// Bind `pod` to `node`.
    pub(super) fn bind(&mut self, now: f64, pod: u32, node: u32, log: bool) {
        let (cpu, mem) = self.pod_requests();
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

    /// The scheduler: bind waiting pods, oldest first, while a node has room.
    pub(super) fn schedule_pending(&mut self, now: f64) {
        self.account_pods(now);
        while let Some(&pod) = self.nodes.unscheduled.front() {
            let p = &self.pods.by_id[pod as usize];
            if !(p.unscheduled && p.state == PodState::Pending) {
                self.nodes.unscheduled.pop_front();
                continue;
            }
            // Replicas of one template: if the oldest fits nowhere, none does.
            let Some(node) = self.find_node() else {
                return;
            };
            self.nodes.unscheduled.pop_front();
            self.bind(now, pod, node, true);
            self.start_startup_clock(now, pod);
        }
    }

    /// A pod left its node (gone): free its requests, re-share the node's CPU, place waiting
    /// pods, and finish removing a drained node.
    pub(super) fn unbind(&mut self, now: f64, pod: u32) {
        let Some(node) = self.pods.by_id[pod as usize].node else {
            return;
        };
        let (cpu, mem) = self.pod_requests();
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

    /// Split the node's CPU among the pods running on it (equal shares of what DaemonSets
    /// leave), each capped by its limit.
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
        let share = (pool.cpu - pool.daemonset_cpu) / running.len() as f64;
        for p in running {
            let cap = self.base_cap(self.pod_limit(p)).min(share);
            if self.pods.by_id[p as usize].cap != cap {
                self.change_speed(now, p, |pod| pod.cap = cap);
            }
        }
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
