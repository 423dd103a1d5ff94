//! What one reconcile decided and why, in the words of `kubectl describe hpa` and of the
//! controller's events. Serialized into `events.jsonl`.

use super::normalize::RateLimit;
use super::observation::{Name, SelectorProblem};
use super::reason::Reason;
use super::replica_calc::{CurrentValue, Proposal};
use super::spec::{MetricTarget, TargetType};
use super::status::Condition;
use crate::units::Quantity;
use serde::{Serialize, Serializer};
use std::fmt;

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
    pub(crate) metric_type: Name,
    /// Resource or metric name.
    pub(crate) name: Name,
    /// The `kubectl describe hpa` label, e.g. `resource cpu on pods  (as a percentage of request)`.
    /// (The three texts are shared: every sync's decision clones them from the metric's header,
    /// docs/performance.md, "HPA decision core".)
    pub(crate) label: Name,
    /// Current value as status would report it, e.g. `45% (450m)`; `<unknown>` on error.
    pub current: CurrentText,
    /// Target as written, e.g. `50%`, `500m`.
    pub target: TargetText,
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
    pub(crate) failure_reason: Option<Reason>,
}

/// A metric's current value as `kubectl describe hpa` prints it (`45% (450m)`, `<unknown>`
/// when there is none): spelled when written, not at every sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CurrentText(pub Option<CurrentValue>);

impl fmt::Display for CurrentText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0.unwrap_or_default();
        let q = Quantity::from_milli;
        match (c.average_utilization, c.average_value_milli, c.value_milli) {
            (Some(u), Some(v), _) => write!(f, "{u}% ({})", q(v)),
            (Some(u), None, _) => write!(f, "{u}%"),
            (None, Some(v), _) | (None, None, Some(v)) => write!(f, "{}", q(v)),
            _ => f.write_str("<unknown>"),
        }
    }
}

impl Serialize for CurrentText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A metric's target as written (`50%`, `500m`, `<unset>`; empty for a metric without one):
/// spelled when written, not at every sync.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TargetText(pub Option<MetricTarget>);

impl fmt::Display for TargetText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(t) = &self.0 else {
            return Ok(());
        };
        let quantity = match t.target_type {
            TargetType::Utilization => match t.average_utilization {
                Some(u) => return write!(f, "{u}%"),
                None => t.average_value,
            },
            TargetType::AverageValue => t.average_value,
            TargetType::Value => t.value,
        };
        match quantity {
            Some(q) => write!(f, "{q}"),
            None => f.write_str("<unset>"),
        }
    }
}

impl Serialize for TargetText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The stabilization step: `P` → `S`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StabilizationStep {
    /// `P`.
    pub(crate) from: i32,
    /// `S`.
    pub(crate) to: i32,
    /// The AbleToScale reason this step set (`ReadyForNewScale`, `ScaleUpStabilized`, `ScaleDownStabilized`).
    pub(crate) reason: Reason,
    /// Which window held the recommendation, when `S ≠ P`, e.g. `scaleDown window 300s`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) window: Option<String>,
}

/// The limit step: `S` → the value to write.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitStep {
    pub(crate) from: i32,
    pub(crate) to: i32,
    /// The ScalingLimited reason (`DesiredWithinRange`, `ScaleUpLimit`, `TooManyReplicas`, …).
    pub(crate) reason: Reason,
    /// The ScalingLimited message (one of the controller's fixed texts).
    pub(crate) message: &'static str,
    /// What bound it, e.g. `policy Pods 4 per 15s`, `maxReplicas 10`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) bound_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rate: Option<RateLimit>,
}

/// The type of an event: `Normal` or `Warning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EventType {
    Normal,
    Warning,
}

/// An event the controller would record on the HPA.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HpaEvent {
    pub(crate) event_type: EventType,
    pub(crate) reason: Reason,
    pub(crate) message: String,
}

/// The outcome of one reconcile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub(crate) now: f64,
    pub(crate) path: DecisionPath,
    /// `scale.spec.replicas` when read.
    pub current_replicas: i32,
    pub(crate) status_replicas: i32,
    pub(crate) min_replicas: i32,
    pub(crate) max_replicas: i32,
    /// The target's replicas after this reconcile: the value written when `rescale`, else current.
    pub desired_replicas: i32,
    /// The simulation must write `desired_replicas` into the target.
    pub rescale: bool,
    /// A write was attempted and failed (the target keeps `current_replicas`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) failed_rescale_to: Option<i32>,
    /// `status.desiredReplicas` after this reconcile (keeps its old value when metrics failed).
    pub(crate) status_desired_replicas: i32,
    pub metrics: Vec<MetricDecision>,
    /// The raw proposal `P` (largest valid metric proposal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal: Option<i32>,
    /// The metric that gave `P`, e.g. `cpu resource utilization (percentage of request)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) proposal_metric: Option<Name>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stabilization: Option<StabilizationStep>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) limit: Option<LimitStep>,
    /// `Some(min)` when the scale-from-zero floor raised the result to `minReplicas`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) scale_from_zero_floor: Option<i32>,
    /// All status conditions after the reconcile.
    pub(crate) conditions: Vec<Condition>,
    pub(crate) events: Vec<HpaEvent>,
    /// One line, like the controller's event: `New size: 7; reason: cpu resource utilization
    /// (percentage of request) above target`.
    pub reason: DecisionReason,
}

impl Decision {
    #[cfg(test)]
    /// The stabilized recommendation `S`, when the metrics path ran.
    pub(crate) fn stabilized(&self) -> Option<i32> {
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
            None => l.reason.to_string(),
        })
    }

    /// The reason of a condition type, e.g. `condition_reason("ScalingLimited")`.
    pub fn condition_reason(&self, condition_type: &str) -> Option<&str> {
        self.conditions
            .iter()
            .find(|c| c.condition_type.to_string() == condition_type)
            .map(|c| c.reason.text())
    }
}

/// Why the target is rescaled (upstream's `rescaleReason`), spelled when written.
#[derive(Debug, Clone, PartialEq)]
pub enum RescaleReason {
    /// No reason: the proposal alone does not move the count (the window or a floor did).
    Unstated,
    AboveMaxReplicas,
    BelowMinReplicas,
    /// `<metric name> above target`.
    MetricAboveTarget(Name),
    AllMetricsBelowTarget,
}

impl fmt::Display for RescaleReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RescaleReason::Unstated => Ok(()),
            RescaleReason::AboveMaxReplicas => {
                f.write_str("Current number of replicas above Spec.MaxReplicas")
            }
            RescaleReason::BelowMinReplicas => {
                f.write_str("Current number of replicas below Spec.MinReplicas")
            }
            RescaleReason::MetricAboveTarget(metric) => write!(f, "{metric} above target"),
            RescaleReason::AllMetricsBelowTarget => f.write_str("All metrics below target"),
        }
    }
}

/// Why the count stayed where it was, when something held it.
#[derive(Debug, Clone, PartialEq)]
pub enum Unchanged {
    /// Nothing to add.
    Plain,
    /// The stabilization window held the recommendation `from` at `to`.
    Held { from: i32, to: i32, window: String },
    /// A limit bound the recommendation `from` at `to`.
    Limited { from: i32, to: i32, by: String },
    /// The metrics propose the current count.
    MetricsAgree,
}

/// The one-line summary of a reconcile ([`Decision::reason`]), spelled when written.
#[derive(Debug, Clone, PartialEq)]
pub enum DecisionReason {
    /// The scale subresource could not be read.
    FailedGetScale(String),
    ScalingDisabled,
    /// The scale's selector is missing, invalid or shared.
    Selector(SelectorProblem),
    /// Metrics failed: `invalid metrics (N invalid out of M), first error is: …`.
    InvalidMetrics {
        invalid: usize,
        total: usize,
        first_error: String,
    },
    /// The write of `desired` failed.
    FailedRescale {
        desired: i32,
        why: RescaleReason,
        error: String,
    },
    /// `desired` was written; `window_note` when the stabilization window alone raised it.
    Rescaled {
        desired: i32,
        why: RescaleReason,
        window_note: Option<WindowNote>,
    },
    NoChange {
        current: i32,
        why: Unchanged,
    },
}

/// scalesim's note on a legacy scale-up the stabilization window alone caused.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowNote {
    pub(crate) proposal: i32,
    pub(crate) window: String,
    pub(crate) held: i32,
}

impl DecisionReason {
    /// The warning event's text for a selector problem (also the decision's summary).
    pub(crate) fn selector_message(problem: &SelectorProblem) -> String {
        match problem {
            SelectorProblem::Missing => "selector is required".into(),
            _ => selector_condition_message(problem),
        }
    }
}

/// The `ScalingActive` condition message for a selector problem.
pub(crate) fn selector_condition_message(problem: &SelectorProblem) -> String {
    match problem {
        SelectorProblem::Missing => "the HPA target's scale is missing a selector".into(),
        SelectorProblem::Invalid(e) => {
            format!("couldn't convert selector into a corresponding internal selector object: {e}")
        }
        SelectorProblem::Ambiguous(others) => format!(
            "pods by selector are controlled by multiple HPAs: [{}]",
            others.join(" ")
        ),
    }
}

impl fmt::Display for DecisionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecisionReason::FailedGetScale(err) => {
                write!(f, "unable to get the target's current scale: {err}")
            }
            DecisionReason::ScalingDisabled => {
                f.write_str("scaling is disabled since the replica count of the target is zero")
            }
            DecisionReason::Selector(p) => f.write_str(&DecisionReason::selector_message(p)),
            DecisionReason::InvalidMetrics {
                invalid,
                total,
                first_error,
            } => write!(
                f,
                "invalid metrics ({invalid} invalid out of {total}), first error is: {first_error}"
            ),
            DecisionReason::FailedRescale {
                desired,
                why,
                error,
            } => write!(
                f,
                "Failed to rescale to {desired}; reason: {why}; error: {error}"
            ),
            DecisionReason::Rescaled {
                desired,
                why,
                window_note,
            } => {
                write!(f, "New size: {desired}; reason: {why}")?;
                match window_note {
                    Some(n) => write!(
                        f,
                        " [scalesim: raised by the stabilization window — metrics proposed {}, {} holds a recommendation of {}]",
                        n.proposal, n.window, n.held
                    ),
                    None => Ok(()),
                }
            }
            DecisionReason::NoChange { current, why } => {
                write!(f, "No change: {current} replicas")?;
                match why {
                    Unchanged::Plain => Ok(()),
                    Unchanged::Held { from, to, window } => {
                        write!(f, "; recommendation {from} held at {to} by the {window}")
                    }
                    Unchanged::Limited { from, to, by } => {
                        write!(f, "; recommendation {from} limited to {to} by {by}")
                    }
                    Unchanged::MetricsAgree => {
                        f.write_str("; the metrics recommend the current size")
                    }
                }
            }
        }
    }
}

impl Serialize for DecisionReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
