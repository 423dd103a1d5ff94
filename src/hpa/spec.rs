//! The normalized `HorizontalPodAutoscaler` spec the controller reads (autoscaling/v2 shape),
//! and the API server's defaults for `spec.behavior` (docs/hpa.md#policies).
//!
//! Targets keep the upstream shape (a `type` plus optional `value` / `averageValue` /
//! `averageUtilization`) because the controller chooses its code path from the *populated fields*,
//! not only from `type`, exactly as `horizontal.go` does; [`MetricTarget::utilization`] and friends
//! build the common cases in code.

use crate::units::Quantity;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// `spec` of a HorizontalPodAutoscaler, as the controller sees it after API-server defaulting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HpaSpec {
    /// `spec.minReplicas`; `None` means the default, 1.
    pub min_replicas: Option<i32>,
    pub max_replicas: i32,
    /// `spec.metrics` in order. Empty means the API-server default: Resource cpu, 80 % utilization.
    pub metrics: Vec<MetricSpec>,
    /// `spec.behavior`. `Some` switches the controller to the behavior path (docs/hpa.md#normalization), even
    /// when both directions are left to their defaults.
    pub behavior: Option<Behavior>,
}

impl Default for HpaSpec {
    fn default() -> Self {
        HpaSpec {
            min_replicas: None,
            max_replicas: 10,
            metrics: Vec::new(),
            behavior: None,
        }
    }
}

impl HpaSpec {
    /// `minReplicas` with its default (1).
    pub(crate) fn min(&self) -> i32 {
        self.min_replicas.unwrap_or(1)
    }

    /// The metrics the controller evaluates: `spec.metrics`, or the default cpu 80 % when empty.
    pub(crate) fn effective_metrics(&self) -> Vec<MetricSpec> {
        if self.metrics.is_empty() {
            vec![MetricSpec::default_cpu()]
        } else {
            self.metrics.clone()
        }
    }

    /// [`HpaSpec::effective_metrics`] borrowed when the spec lists metrics (no copy per sync).
    pub(crate) fn metrics_or_default(&self) -> std::borrow::Cow<'_, [MetricSpec]> {
        if self.metrics.is_empty() {
            std::borrow::Cow::Owned(vec![MetricSpec::default_cpu()])
        } else {
            std::borrow::Cow::Borrowed(&self.metrics)
        }
    }

    /// True when at least one Object or External metric exists (scale-to-zero needs one).
    pub(crate) fn has_object_or_external_metric(&self) -> bool {
        self.metrics
            .iter()
            .any(|m| matches!(m, MetricSpec::Object { .. } | MetricSpec::External { .. }))
    }
}

/// One entry of `spec.metrics`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum MetricSpec {
    /// Per-pod resource usage from metrics-server, summed over the pod's containers.
    Resource { name: String, target: MetricTarget },
    /// Per-pod resource usage of one named container.
    ContainerResource {
        name: String,
        container: String,
        target: MetricTarget,
    },
    /// A custom per-pod metric (custom metrics API), averaged over pods.
    Pods {
        metric: MetricIdentifier,
        target: MetricTarget,
    },
    /// One value describing another object (custom metrics API).
    Object {
        described_object: ObjectReference,
        metric: MetricIdentifier,
        target: MetricTarget,
    },
    /// A metric from outside the cluster (external metrics API); all series are summed.
    External {
        metric: MetricIdentifier,
        target: MetricTarget,
    },
    /// A metric type the controller does not know (`InvalidMetricSourceType`).
    Unknown { type_name: String },
}

impl MetricSpec {
    /// The API-server default when `spec.metrics` is empty: cpu at 80 % of request.
    pub(crate) fn default_cpu() -> Self {
        MetricSpec::Resource {
            name: "cpu".into(),
            target: MetricTarget::utilization(80),
        }
    }
    pub fn resource(name: &str, target: MetricTarget) -> Self {
        MetricSpec::Resource {
            name: name.into(),
            target,
        }
    }
    pub fn container_resource(name: &str, container: &str, target: MetricTarget) -> Self {
        MetricSpec::ContainerResource {
            name: name.into(),
            container: container.into(),
            target,
        }
    }
    pub fn pods(metric: &str, target: MetricTarget) -> Self {
        MetricSpec::Pods {
            metric: MetricIdentifier::named(metric),
            target,
        }
    }
    pub fn object(kind: &str, name: &str, metric: &str, target: MetricTarget) -> Self {
        MetricSpec::Object {
            described_object: ObjectReference {
                kind: kind.into(),
                name: name.into(),
                api_version: String::new(),
            },
            metric: MetricIdentifier::named(metric),
            target,
        }
    }
    pub fn external(metric: &str, target: MetricTarget) -> Self {
        MetricSpec::External {
            metric: MetricIdentifier::named(metric),
            target,
        }
    }

    /// The metric source type as written in YAML (`Resource`, `Pods`, …).
    pub(crate) fn type_name(&self) -> &str {
        match self {
            MetricSpec::Resource { .. } => "Resource",
            MetricSpec::ContainerResource { .. } => "ContainerResource",
            MetricSpec::Pods { .. } => "Pods",
            MetricSpec::Object { .. } => "Object",
            MetricSpec::External { .. } => "External",
            MetricSpec::Unknown { type_name } => type_name,
        }
    }

    /// The metric's name: resource name or metric name.
    pub(crate) fn name(&self) -> &str {
        match self {
            MetricSpec::Resource { name, .. } | MetricSpec::ContainerResource { name, .. } => name,
            MetricSpec::Pods { metric, .. }
            | MetricSpec::Object { metric, .. }
            | MetricSpec::External { metric, .. } => &metric.name,
            MetricSpec::Unknown { .. } => "",
        }
    }

    pub fn target(&self) -> Option<&MetricTarget> {
        match self {
            MetricSpec::Resource { target, .. }
            | MetricSpec::ContainerResource { target, .. }
            | MetricSpec::Pods { target, .. }
            | MetricSpec::Object { target, .. }
            | MetricSpec::External { target, .. } => Some(target),
            MetricSpec::Unknown { .. } => None,
        }
    }
}

/// `metric: {name, selector}` of Pods, Object and External metrics.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct MetricIdentifier {
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) selector: Option<LabelSelector>,
}

impl MetricIdentifier {
    pub(crate) fn named(name: &str) -> Self {
        MetricIdentifier {
            name: name.into(),
            selector: None,
        }
    }
}

/// A Kubernetes label selector (only carried and shown; the metrics pipeline applies it).
#[derive(Debug, Clone, PartialEq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) match_labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) match_expressions: Vec<LabelSelectorRequirement>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, serde::Deserialize)]
pub(crate) struct LabelSelectorRequirement {
    pub(crate) key: String,
    pub(crate) operator: String,
    #[serde(default)]
    pub(crate) values: Vec<String>,
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for e in &self.match_expressions {
            parts.push(format!(
                "{} {} ({})",
                e.key,
                e.operator.to_lowercase(),
                e.values.join(",")
            ));
        }
        write!(f, "{}", parts.join(","))
    }
}

/// `scaleTargetRef` / `describedObject`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ObjectReference {
    pub(crate) kind: String,
    pub(crate) name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) api_version: String,
}

/// `target.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TargetType {
    Utilization,
    Value,
    AverageValue,
}

impl fmt::Display for TargetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TargetType::Utilization => "Utilization",
            TargetType::Value => "Value",
            TargetType::AverageValue => "AverageValue",
        })
    }
}

/// A metric's `target`, upstream-shaped: which value the controller uses depends on the populated
/// fields (Resource: `averageValue` first, then `averageUtilization`; Object: `type` must match;
/// External: `averageValue` first, then `value`; Pods: `averageValue`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricTarget {
    #[serde(rename = "type")]
    pub(crate) target_type: TargetType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) value: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) average_value: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_utilization: Option<i32>,
}

impl MetricTarget {
    /// `{type: Utilization, averageUtilization: percent}`.
    pub fn utilization(percent: i32) -> Self {
        MetricTarget {
            target_type: TargetType::Utilization,
            value: None,
            average_value: None,
            average_utilization: Some(percent),
        }
    }
    /// `{type: AverageValue, averageValue: q}`.
    pub fn average_value(q: Quantity) -> Self {
        MetricTarget {
            target_type: TargetType::AverageValue,
            value: None,
            average_value: Some(q),
            average_utilization: None,
        }
    }
    /// `{type: Value, value: q}`.
    pub fn value(q: Quantity) -> Self {
        MetricTarget {
            target_type: TargetType::Value,
            value: Some(q),
            average_value: None,
            average_utilization: None,
        }
    }
}

/// `spec.behavior`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Behavior {
    pub scale_up: Option<ScalingRules>,
    pub scale_down: Option<ScalingRules>,
}

/// One direction of `spec.behavior` as written (unset fields are `None`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ScalingRules {
    pub stabilization_window_seconds: Option<i32>,
    pub select_policy: Option<SelectPolicy>,
    /// `None` = not written (the default list applies); `Some(vec![])` is rejected by validation.
    pub policies: Option<Vec<ScalingPolicy>>,
    /// Per-direction tolerance (HPAConfigurableTolerance); `None` = the cluster tolerance.
    pub tolerance: Option<f64>,
}

/// `selectPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub enum SelectPolicy {
    #[default]
    Max,
    Min,
    Disabled,
}

impl fmt::Display for SelectPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SelectPolicy::Max => "Max",
            SelectPolicy::Min => "Min",
            SelectPolicy::Disabled => "Disabled",
        })
    }
}

/// One scaling policy: at most `value` pods (or percent) per `period_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScalingPolicy {
    pub(crate) policy_type: PolicyType,
    pub(crate) value: i32,
    pub period_seconds: i32,
}

impl ScalingPolicy {
    pub fn pods(value: i32, period_seconds: i32) -> Self {
        ScalingPolicy {
            policy_type: PolicyType::Pods,
            value,
            period_seconds,
        }
    }
    pub fn percent(value: i32, period_seconds: i32) -> Self {
        ScalingPolicy {
            policy_type: PolicyType::Percent,
            value,
            period_seconds,
        }
    }
}

impl fmt::Display for ScalingPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} per {}s",
            self.policy_type, self.value, self.period_seconds
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PolicyType {
    Pods,
    Percent,
}

impl fmt::Display for PolicyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyType::Pods => "Pods",
            PolicyType::Percent => "Percent",
        })
    }
}

/// One direction of the behavior after API-server defaulting and the controller's own default for
/// an unset scale-down window (the downscale-stabilization flag).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EffectiveRules {
    pub(crate) stabilization_window_seconds: i32,
    pub(crate) select_policy: SelectPolicy,
    pub(crate) policies: Vec<ScalingPolicy>,
    pub(crate) tolerance: Option<f64>,
}

impl EffectiveRules {
    /// The longest policy period (0 when there are no policies), used to flag outdated events.
    pub(crate) fn longest_period(&self) -> i32 {
        self.policies
            .iter()
            .map(|p| p.period_seconds)
            .max()
            .unwrap_or(0)
            .max(0)
    }
}

/// The API server's scale-up default: window 0, Max, `[Pods 4 / 15 s, Percent 100 / 15 s]`.
pub fn default_scale_up_rules() -> EffectiveRules {
    EffectiveRules {
        stabilization_window_seconds: 0,
        select_policy: SelectPolicy::Max,
        policies: vec![ScalingPolicy::pods(4, 15), ScalingPolicy::percent(100, 15)],
        tolerance: None,
    }
}

/// The API server's scale-down default: window unset (→ `downscale_window`), Max, `[Percent 100 / 15 s]`.
pub fn default_scale_down_rules(downscale_window: i32) -> EffectiveRules {
    EffectiveRules {
        stabilization_window_seconds: downscale_window,
        select_policy: SelectPolicy::Max,
        policies: vec![ScalingPolicy::percent(100, 15)],
        tolerance: None,
    }
}

/// Complete one direction field by field over `defaults` (a written policy list replaces the
/// default list as a whole), as `GenerateHPAScale{Up,Down}Rules` does.
pub fn complete_rules(written: Option<&ScalingRules>, defaults: EffectiveRules) -> EffectiveRules {
    let mut out = defaults;
    if let Some(w) = written {
        if let Some(s) = w.stabilization_window_seconds {
            out.stabilization_window_seconds = s;
        }
        if let Some(p) = w.select_policy {
            out.select_policy = p;
        }
        if let Some(p) = &w.policies {
            out.policies = p.clone();
        }
        if w.tolerance.is_some() {
            out.tolerance = w.tolerance;
        }
    }
    out
}

impl Behavior {
    /// Both directions with defaults applied; `downscale_window` is the controller's
    /// `--horizontal-pod-autoscaler-downscale-stabilization` in whole seconds.
    pub fn effective(&self, downscale_window: i32) -> (EffectiveRules, EffectiveRules) {
        (
            complete_rules(self.scale_up.as_ref(), default_scale_up_rules()),
            complete_rules(
                self.scale_down.as_ref(),
                default_scale_down_rules(downscale_window),
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behavior_defaults_are_completed_field_by_field() {
        let b = Behavior {
            scale_up: Some(ScalingRules {
                select_policy: Some(SelectPolicy::Min),
                ..Default::default()
            }),
            scale_down: Some(ScalingRules {
                policies: Some(vec![ScalingPolicy::pods(1, 60)]),
                ..Default::default()
            }),
        };
        let (up, down) = b.effective(300);
        assert_eq!(up.select_policy, SelectPolicy::Min);
        assert_eq!(up.stabilization_window_seconds, 0);
        assert_eq!(
            up.policies,
            vec![ScalingPolicy::pods(4, 15), ScalingPolicy::percent(100, 15)]
        );
        // unset scale-down window takes the controller flag
        assert_eq!(down.stabilization_window_seconds, 300);
        // a written list replaces the default list as a whole
        assert_eq!(down.policies, vec![ScalingPolicy::pods(1, 60)]);
        assert_eq!(down.longest_period(), 60);
    }

    #[test]
    fn empty_metrics_default_to_cpu_80() {
        let s = HpaSpec::default();
        assert_eq!(
            s.effective_metrics(),
            vec![MetricSpec::resource("cpu", MetricTarget::utilization(80))]
        );
        assert_eq!(s.min(), 1);
    }
}
