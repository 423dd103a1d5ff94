//! What one reconcile decided and why, in the words of `kubectl describe hpa` and of the
//! controller's events. Serialized into `events.jsonl`.

use super::normalize::RateLimit;
use super::replica_calc::{CurrentValue, Proposal};
use super::status::Condition;
use serde::Serialize;

/// Which branch of the reconcile ran (docs/hpa.md#reconcile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DecisionPath {
    /// The scale subresource could not be read.
    FailedGetScale,
    /// The target is at 0 replicas and scaling from zero is not allowed.
    ScalingDisabled,
    /// `current > maxReplicas`: moved to the maximum without metrics.
    AboveMaxReplicas,
    /// `current < minReplicas`: moved to the minimum without metrics.
    BelowMinReplicas,
    /// Metrics could not produce a usable proposal: no scaling this cycle.
    MetricsFailed,
    /// Metrics → proposal → legacy normalization (no `spec.behavior`).
    Legacy,
    /// Metrics → proposal → behavior normalization.
    Behavior,
}

/// One metric of the spec: its value as status reports it, its target and its proposal or error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricDecision {
    /// `Resource`, `ContainerResource`, `Pods`, `Object`, `External`.
    pub metric_type: String,
    /// Resource or metric name.
    pub name: String,
    /// The `kubectl describe hpa` label, e.g. `resource cpu on pods  (as a percentage of request)`.
    pub label: String,
    /// Current value as status would report it, e.g. `45% (450m)`; `<unknown>` on error.
    pub current: String,
    /// Target as written, e.g. `50%`, `500m`.
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_value: Option<CurrentValue>,
    /// This metric's replica proposal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal: Option<i32>,
    /// The calculation details (ratios, pod groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Proposal>,
    /// Why this metric failed, as the controller's warning event says it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The condition reason of a failure, e.g. `FailedGetResourceMetric`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

/// The stabilization step: `P` → `S`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StabilizationStep {
    /// `P`.
    pub from: i32,
    /// `S`.
    pub to: i32,
    /// The AbleToScale reason this step set (`ReadyForNewScale`, `ScaleUpStabilized`, `ScaleDownStabilized`).
    pub reason: String,
    /// Which window held the recommendation, when `S ≠ P`, e.g. `scaleDown window 300s`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
}

/// The limit step: `S` → the value to write.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitStep {
    pub from: i32,
    pub to: i32,
    /// The ScalingLimited reason (`DesiredWithinRange`, `ScaleUpLimit`, `TooManyReplicas`, …).
    pub reason: String,
    pub message: String,
    /// What bound it, e.g. `policy Pods 4 per 15s`, `maxReplicas 10`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<RateLimit>,
}

/// An event the controller would record on the HPA.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HpaEvent {
    /// `Normal` or `Warning`.
    pub event_type: String,
    pub reason: String,
    pub message: String,
}

/// The outcome of one reconcile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub now: f64,
    pub path: DecisionPath,
    /// `scale.spec.replicas` when read.
    pub current_replicas: i32,
    pub status_replicas: i32,
    pub min_replicas: i32,
    pub max_replicas: i32,
    /// The target's replicas after this reconcile: the value written when `rescale`, else current.
    pub desired_replicas: i32,
    /// The simulation must write `desired_replicas` into the target.
    pub rescale: bool,
    /// A write was attempted and failed (the target keeps `current_replicas`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_rescale_to: Option<i32>,
    /// `status.desiredReplicas` after this reconcile (keeps its old value when metrics failed).
    pub status_desired_replicas: i32,
    pub metrics: Vec<MetricDecision>,
    /// The raw proposal `P` (largest valid metric proposal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal: Option<i32>,
    /// The metric that gave `P`, e.g. `cpu resource utilization (percentage of request)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal_metric: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stabilization: Option<StabilizationStep>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<LimitStep>,
    /// `Some(min)` when the scale-from-zero floor raised the result to `minReplicas`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_from_zero_floor: Option<i32>,
    /// All status conditions after the reconcile.
    pub conditions: Vec<Condition>,
    pub events: Vec<HpaEvent>,
    /// One line, like the controller's event: `New size: 7; reason: cpu resource utilization
    /// (percentage of request) above target`.
    pub reason: String,
}

impl Decision {
    /// The stabilized recommendation `S`, when the metrics path ran.
    pub fn stabilized(&self) -> Option<i32> {
        self.stabilization.as_ref().map(|s| s.to)
    }

    /// What bound the result when it differs from `S`, e.g. `ScaleUpLimit: policy Pods 4 per 15s`.
    pub fn limited_by(&self) -> Option<String> {
        let l = self.limit.as_ref()?;
        if l.to == l.from {
            return None;
        }
        Some(match &l.bound_by {
            Some(b) => format!("{}: {b}", l.reason),
            None => l.reason.clone(),
        })
    }

    /// The reason of a condition type, e.g. `condition_reason("ScalingLimited")`.
    pub fn condition_reason(&self, condition_type: &str) -> Option<&str> {
        self.conditions
            .iter()
            .find(|c| c.condition_type.to_string() == condition_type)
            .map(|c| c.reason.as_str())
    }
}
