//! Fallback (upstream pkg/fallback/fallback.go): every metric fetch for a trigger — from the
//! polling loop and from each HPA request, cached records included — goes through
//! [`process`]. With a valid fallback configured, a success resets the metric's failure
//! counter; a failure increments it, and once `failures > failureThreshold` (strict) the error
//! is replaced by a synthetic value:
//!
//! * replica basis `R`: `static` → `fallback.replicas`; `currentReplicas` → target
//!   `spec.replicas`; `…IfHigher`/`…IfLower` → max/min of the two;
//! * `Value` targets divide `R` by the ready pods (0 ready pods: fallback fails, the error is
//!   returned);
//! * value = `int64(target · 1000 · R)` milli (target = the trigger's, or scalingModifiers'
//!   target with the metric renamed `composite-metric`);
//! * `behavior: scalingModifiers` instead returns a `-1` placeholder that the formula reads as
//!   `nil` (and does not count as fallback-active).
//!
//! The rules, in the project's words: docs/keda.md#fallback.

use super::metric::{COMPOSITE_METRIC_NAME, TargetType};
use super::model::{FallbackBehavior, ScaledObjectModel};
use super::scalers::MetricSpec;
use super::state::{HealthStatus, MetricValue, TargetView};
use serde::Serialize;
use std::collections::BTreeMap;

/// The outcome of one fetch after fallback handling.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FallbackOutcome {
    pub metrics: Vec<MetricValue>,
    /// Fallback replaced the error with a synthetic value.
    pub fallback_active: bool,
    /// The error still returned (None on success or when fallback engaged).
    pub error: Option<String>,
    /// The failure counter after this fetch (when health is tracked).
    pub(crate) failures: Option<i32>,
}

/// `GetMetricsWithFallback` for one metric.
pub fn process(
    model: &ScaledObjectModel,
    health: &mut BTreeMap<String, HealthStatus>,
    metric_name: &str,
    spec: &MetricSpec,
    fetched: Result<Vec<MetricValue>, String>,
    target: &TargetView,
) -> FallbackOutcome {
    let configured = model.fallback.is_some() && model.fallback_valid();
    let err = match fetched {
        Ok(metrics) => return healthy(health, metric_name, metrics, configured),
        Err(e) => e,
    };
    let Some(fb) = model.fallback.as_ref().filter(|_| configured) else {
        return FallbackOutcome {
            metrics: Vec::new(),
            fallback_active: false,
            error: Some(err),
            failures: None,
        };
    };
    let h = health.entry(metric_name.to_string()).or_default();
    h.failures += 1;
    h.failing = true;
    let failures = h.failures;
    let failed = |error: String| FallbackOutcome {
        metrics: Vec::new(),
        fallback_active: false,
        error: Some(error),
        failures: Some(failures),
    };
    if failures <= fb.failure_threshold {
        return failed(err);
    }
    if fb.behavior == FallbackBehavior::ScalingModifiers {
        return FallbackOutcome {
            metrics: vec![MetricValue {
                name: metric_name.to_string(),
                milli: -1000,
            }],
            fallback_active: false,
            error: None,
            failures: Some(failures),
        };
    }
    let Some(replicas) = fallback_replicas(model, fb, spec, target) else {
        return failed(
            "error performing fallback: readyReplicas is zero, cannot do fallback".to_string(),
        );
    };
    let (normalisation, name) = match &model.modifiers {
        Some(m) => (
            m.target.trim().parse::<f64>().unwrap_or(0.0),
            COMPOSITE_METRIC_NAME.to_string(),
        ),
        None => (
            spec.target_milli.unwrap_or(0) as f64 / 1000.0,
            metric_name.to_string(),
        ),
    };
    FallbackOutcome {
        metrics: vec![MetricValue {
            name,
            milli: truncate_milli(normalisation * 1000.0 * replicas),
        }],
        fallback_active: true,
        error: None,
        failures: Some(failures),
    }
}

/// A successful fetch: the metrics pass unchanged, and with fallback configured the metric's
/// failure count is reset.
fn healthy(
    health: &mut BTreeMap<String, HealthStatus>,
    metric_name: &str,
    metrics: Vec<MetricValue>,
    configured: bool,
) -> FallbackOutcome {
    let mut failures = None;
    if configured {
        health.insert(
            metric_name.to_string(),
            HealthStatus {
                failures: 0,
                failing: false,
            },
        );
        failures = Some(0);
    }
    FallbackOutcome {
        metrics,
        fallback_active: false,
        error: None,
        failures,
    }
}

/// The replica count fallback stands for (by behavior), per ready pod for a `Value` target;
/// `None` when a `Value` target has no ready pod.
fn fallback_replicas(
    model: &ScaledObjectModel,
    fb: &super::model::FallbackConfig,
    spec: &MetricSpec,
    target: &TargetView,
) -> Option<f64> {
    let current = target.spec_replicas as i64;
    let fr = fb.replicas as i64;
    let replicas = match fb.behavior {
        FallbackBehavior::Static | FallbackBehavior::ScalingModifiers => fr as f64,
        FallbackBehavior::CurrentReplicas => current as f64,
        FallbackBehavior::CurrentReplicasIfHigher => current.max(fr) as f64,
        FallbackBehavior::CurrentReplicasIfLower => current.min(fr) as f64,
    };
    let value_type = match &model.modifiers {
        Some(m) => m.metric_type == TargetType::Value,
        None => spec.target_type == TargetType::Value,
    };
    if !value_type {
        return Some(replicas);
    }
    (target.ready_pods > 0).then(|| replicas / target.ready_pods as f64)
}

/// Condition `Fallback`: some metric is failing past the threshold.
pub(crate) fn exceeded_threshold(
    model: &ScaledObjectModel,
    health: &BTreeMap<String, HealthStatus>,
) -> bool {
    match &model.fallback {
        Some(fb) if model.fallback_valid() => health
            .values()
            .any(|h| h.failing && h.failures > fb.failure_threshold),
        _ => false,
    }
}

/// Go's `int64(x)` of an already-scaled milli value (truncation toward zero, saturating).
fn truncate_milli(x: f64) -> i64 {
    if x.is_nan() {
        0
    } else {
        x.clamp(i64::MIN as f64, i64::MAX as f64) as i64
    }
}
