//! Scenario keys for nodes and node autoscaling (`cluster.nodes` or `cluster.node_pools`, and
//! `cluster.node_autoscaler`). Without them the cluster is infinite, as before: every pod is
//! placed the moment it is created.
//!
//! Defaults of the node autoscalers come from the upstream projects:
//! - Cluster Autoscaler (`kubernetes/autoscaler`, flags and FAQ): `--scan-interval` 10 s,
//!   `--scale-down-utilization-threshold` 0.5, `--scale-down-unneeded-time` 10 min,
//!   `--scale-down-delay-after-add` 10 min, `--max-empty-bulk-delete` 10, one non-empty node
//!   drained at a time.
//! - Karpenter (`karpenter.sh` settings and NodePool disruption): `BATCH_IDLE_DURATION` 1 s,
//!   `BATCH_MAX_DURATION` 10 s, `consolidationPolicy: WhenEmptyOrUnderutilized`,
//!   `consolidateAfter: 0s`, disruption budget `nodes: 10%`.
//!
//! Node provisioning time (a request to a Ready node) is typical of managed clusters, per
//! DESIGN.md: 60–120 s behind Cluster Autoscaler (cloud node group), 30–60 s behind Karpenter
//! (direct instance launch).

use super::dist::Dist;
use crate::units::{Quantity, Seconds};
use serde::{Deserialize, Serialize};

/// One node pool (`cluster.nodes`, or an entry of `cluster.node_pools`) as written.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NodePoolSpec {
    /// Default: the node type, else `default` (`pool-<i>` in a list).
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// Instance type name, for reports. Default `node`.
    #[serde(default, rename = "type")]
    pub(crate) node_type: Option<String>,
    /// Allocatable CPU of a node.
    pub(crate) cpu: Quantity,
    /// Allocatable memory of a node.
    pub(crate) memory: Quantity,
    /// Pods per node (kubelet `maxPods`). Default 110.
    #[serde(default)]
    pub(crate) max_pods: Option<u32>,
    /// Requests of the DaemonSet pods every node runs. Default none.
    #[serde(default)]
    pub(crate) daemonset: Option<DaemonsetSpec>,
    /// Price of a node per hour (cost). Default 0.
    #[serde(default)]
    pub(crate) price_per_hour: Option<f64>,
    /// Nodes Ready at t = 0. Default: enough for the initial pods (first pool), else `min`.
    #[serde(default)]
    pub(crate) initial: Option<u32>,
    /// The autoscaler never goes below this. Default 0.
    #[serde(default)]
    pub(crate) min: Option<u32>,
    /// The autoscaler never goes above this. Default: no limit.
    #[serde(default)]
    pub(crate) max: Option<u32>,
    /// Time from the autoscaler's request to a Ready node. Default: uniform 60–120 s
    /// (cluster-autoscaler) or 30–60 s (karpenter).
    #[serde(default)]
    pub(crate) provisioning: Option<Dist>,
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DaemonsetSpec {
    #[serde(default)]
    pub(crate) cpu: Option<Quantity>,
    #[serde(default)]
    pub(crate) memory: Option<Quantity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum NodeAutoscalerKind {
    /// Fixed nodes.
    None,
    ClusterAutoscaler,
    Karpenter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
pub(crate) enum ConsolidationPolicy {
    WhenEmpty,
    WhenEmptyOrUnderutilized,
}

/// `cluster.node_autoscaler` as written.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NodeAutoscalerSpec {
    pub(crate) kind: NodeAutoscalerKind,
    // Cluster Autoscaler flags.
    #[serde(default)]
    pub(crate) scan_interval: Option<Seconds>,
    #[serde(default)]
    pub(crate) scale_down_utilization_threshold: Option<f64>,
    #[serde(default)]
    pub(crate) scale_down_unneeded_time: Option<Seconds>,
    #[serde(default)]
    pub(crate) scale_down_delay_after_add: Option<Seconds>,
    #[serde(default)]
    pub(crate) scale_down_enabled: Option<bool>,
    // Karpenter settings and NodePool disruption.
    #[serde(default)]
    pub(crate) batch_idle_duration: Option<Seconds>,
    #[serde(default)]
    pub(crate) batch_max_duration: Option<Seconds>,
    #[serde(default)]
    pub(crate) consolidation_policy: Option<ConsolidationPolicy>,
    #[serde(default)]
    pub(crate) consolidate_after: Option<Seconds>,
    /// Most nodes disrupted at once, a fraction of the nodes (0.1 = `nodes: 10%`).
    #[serde(default)]
    pub(crate) disruption_budget: Option<f64>,
}

/// A node pool after defaults.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NodePool {
    pub(crate) name: String,
    pub(crate) node_type: String,
    /// Allocatable cores and bytes.
    pub(crate) cpu: f64,
    pub(crate) memory: f64,
    pub(crate) max_pods: u32,
    pub(crate) daemonset_cpu: f64,
    pub(crate) daemonset_memory: f64,
    pub(crate) price_per_hour: f64,
    pub(crate) initial: u32,
    pub(crate) min: u32,
    pub(crate) max: u32,
    pub(crate) provisioning: Dist,
}

impl NodePool {
    /// How many pods requesting (`cpu`, `memory`) fit on an empty node of this pool.
    pub(crate) fn pods_per_node(&self, cpu: f64, memory: f64) -> u32 {
        let by = |free: f64, req: f64| {
            if req <= 0.0 {
                u32::MAX
            } else {
                ((free + 1e-9) / req).floor().max(0.0).min(u32::MAX as f64) as u32
            }
        };
        self.max_pods
            .min(by(self.cpu - self.daemonset_cpu, cpu))
            .min(by(self.memory - self.daemonset_memory, memory))
    }
}

/// Cluster Autoscaler settings after defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ClusterAutoscaler {
    pub(crate) scan_interval: f64,
    pub(crate) utilization_threshold: f64,
    pub(crate) unneeded_time: f64,
    pub(crate) delay_after_add: f64,
    pub(crate) scale_down_enabled: bool,
    /// Empty nodes deleted at once (`--max-empty-bulk-delete`).
    pub(crate) max_empty_bulk_delete: u32,
}

/// Karpenter settings after defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Karpenter {
    pub(crate) batch_idle: f64,
    pub(crate) batch_max: f64,
    pub(crate) consolidation: ConsolidationPolicy,
    pub(crate) consolidate_after: f64,
    pub(crate) budget: f64,
    /// How often the disruption controller looks for consolidation (10 s upstream).
    pub(crate) poll: f64,
    /// A candidate must stay consolidatable this long before it is acted on (15 s upstream).
    pub(crate) validation: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum NodeAutoscaler {
    None,
    ClusterAutoscaler(ClusterAutoscaler),
    Karpenter(Karpenter),
}

impl NodeAutoscaler {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            NodeAutoscaler::None => "none",
            NodeAutoscaler::ClusterAutoscaler(_) => "cluster-autoscaler",
            NodeAutoscaler::Karpenter(_) => "karpenter",
        }
    }
}

/// Nodes of the cluster after defaults.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cluster {
    pub(crate) pools: Vec<NodePool>,
    pub(crate) autoscaler: NodeAutoscaler,
    /// What one pod of the workload requests, for scheduling (cores, bytes): its requests, or
    /// its limits where it sets no request (as the API server defaults them).
    pub(crate) pod_cpu: f64,
    pub(crate) pod_memory: f64,
}
