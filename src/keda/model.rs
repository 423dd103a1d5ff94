//! A ScaledObject as KEDA runs it: defaults applied (pollingInterval 30 s, cooldownPeriod
//! 300 s, initialCooldownPeriod 0, fallback behavior `static`, scalingModifiers metricType
//! `AverageValue`), annotations interpreted, and every trigger's scaler built. Built by
//! [`super::validate`] from a manifest that KEDA would accept; consumed by the control-loop
//! functions ([`super::operator`], [`super::metrics_server`], [`super::executor`]).
//!
//! The rules, in the project's words: docs/keda.md#defaults.

use super::formula::Formula;
use super::generated_hpa::GeneratedHpa;
use super::manifest::Annotations;
use super::metric::TargetType;
use super::scalers::Scaler;
use serde::Serialize;
use std::collections::BTreeMap;

/// `spec.fallback.behavior`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum FallbackBehavior {
    Static,
    CurrentReplicas,
    CurrentReplicasIfHigher,
    CurrentReplicasIfLower,
    ScalingModifiers,
}

impl FallbackBehavior {
    /// The CRD enum; an empty/absent value is the default `static`.
    pub(crate) fn parse(s: &str) -> Option<FallbackBehavior> {
        match s {
            "" | "static" => Some(FallbackBehavior::Static),
            "currentReplicas" => Some(FallbackBehavior::CurrentReplicas),
            "currentReplicasIfHigher" => Some(FallbackBehavior::CurrentReplicasIfHigher),
            "currentReplicasIfLower" => Some(FallbackBehavior::CurrentReplicasIfLower),
            "scalingModifiers" => Some(FallbackBehavior::ScalingModifiers),
            _ => None,
        }
    }
}

/// `spec.fallback`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct FallbackConfig {
    pub(crate) failure_threshold: i32,
    pub(crate) replicas: i32,
    pub(crate) behavior: FallbackBehavior,
}

/// `spec.advanced.scalingModifiers`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Modifiers {
    #[serde(skip)]
    pub(crate) formula: Option<Formula>,
    pub(crate) formula_source: String,
    /// As written (fallback needs it to parse as an integer).
    pub(crate) target: String,
    pub(crate) activation_target: String,
    pub(crate) metric_type: TargetType,
}

/// The scale target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct TargetRef {
    pub(crate) api_version: String,
    pub(crate) kind: String,
    pub(crate) name: String,
}

/// One trigger with its built scaler.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TriggerModel {
    pub(crate) index: usize,
    pub name: Option<String>,
    pub(crate) trigger_type: String,
    pub(crate) use_cached_metrics: bool,
    /// The trigger sets `metricType` itself (a scenario binding may not override it).
    pub(crate) metric_type_written: bool,
    pub scaler: Scaler,
}

impl TriggerModel {
    pub(crate) fn is_cpu_memory(&self) -> bool {
        self.trigger_type == "cpu" || self.trigger_type == "memory"
    }
    /// The names a scenario may use for the trigger under `metrics:` and in `faults:`, in the
    /// order they are looked up: its `name`, its metric name (`s0-prometheus`), its type, its
    /// index.
    pub(crate) fn binding_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .name
            .iter()
            .filter(|n| !n.is_empty())
            .cloned()
            .collect();
        keys.push(self.scaler.metric.name.clone());
        keys.push(self.trigger_type.clone());
        keys.push(self.index.to_string());
        keys
    }

    /// The name KEDA uses for the trigger in logs and formula pairing.
    pub(crate) fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("{}#{}", self.trigger_type, self.index))
    }
}

/// A runnable ScaledObject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaledObjectModel {
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
    pub(crate) target: TargetRef,
    pub(crate) polling_interval_s: f64,
    pub(crate) cooldown_period_s: f64,
    pub(crate) initial_cooldown_period_s: f64,
    pub(crate) min_replica_count: Option<i32>,
    pub(crate) max_replica_count: Option<i32>,
    pub idle_replica_count: Option<i32>,
    pub(crate) fallback: Option<FallbackConfig>,
    pub(crate) modifiers: Option<Modifiers>,
    pub(crate) annotations: Annotations,
    /// `advanced.restoreToOriginalReplicaCount`: on deletion, set the target back to the
    /// replica count it had when KEDA first saw it.
    pub(crate) restore_to_original_replica_count: bool,
    pub triggers: Vec<TriggerModel>,
    pub hpa: GeneratedHpa,
    /// `metadata.annotations` as written (a change during the run may set or remove some).
    #[serde(skip)]
    pub(crate) annotation_map: BTreeMap<String, String>,
    /// `advanced.horizontalPodAutoscalerConfig.behavior` as written: the generated HPA's
    /// behavior before the paused-scale-in/out annotations disable a side.
    #[serde(skip)]
    pub(crate) declared_behavior: Option<serde_json::Value>,
}

impl ScaledObjectModel {
    /// `minReplicaCount` or 0.
    pub(crate) fn min_replicas(&self) -> i32 {
        self.min_replica_count.unwrap_or(0)
    }

    /// `GetHPAMaxReplicas`: `maxReplicaCount` or 100.
    pub(crate) fn hpa_max_replicas(&self) -> i32 {
        hpa_max_replicas(self.max_replica_count)
    }

    /// `HasValidFallback` (given a fallback): thresholds ≥ 0 and, with scalingModifiers, an
    /// integer target > 0. An invalid fallback is silently ignored by KEDA.
    pub(crate) fn fallback_valid(&self) -> bool {
        let Some(f) = &self.fallback else {
            return false;
        };
        let modifiers_ok = match &self.modifiers {
            Some(m) => crate::keda::go::parse_int(&m.target, 64).is_ok_and(|v| v > 0),
            None => true,
        };
        f.failure_threshold >= 0 && f.replicas >= 0 && modifiers_ok
    }

    /// Every trigger is cpu/memory (the object is then always active).
    pub(crate) fn only_cpu_memory(&self) -> bool {
        self.triggers.iter().all(TriggerModel::is_cpu_memory)
    }

    /// The trigger that produces an external metric name.
    pub(crate) fn trigger_for_metric(&self, metric_name: &str) -> Option<&TriggerModel> {
        self.triggers
            .iter()
            .find(|t| !t.is_cpu_memory() && same_metric_name(&t.scaler.metric.name, metric_name))
    }
}

/// Do two External metric names name the same metric? The HPA's metrics API matches names
/// case-insensitively; the names usually are the very same bytes, which one compare settles.
#[inline]
pub(crate) fn same_metric_name(a: &str, b: &str) -> bool {
    a == b || a.eq_ignore_ascii_case(b)
}

pub(crate) fn hpa_min_replicas(min: Option<i32>) -> i32 {
    match min {
        Some(m) if m > 0 => m,
        _ => 1,
    }
}

pub(crate) fn hpa_max_replicas(max: Option<i32>) -> i32 {
    max.unwrap_or(100)
}
