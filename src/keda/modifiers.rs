//! `HandleScalingModifiers` (upstream pkg/scaling/modifiers/formula.go): with scalingModifiers,
//! the per-trigger metrics become one `composite-metric`.
//!
//! * No trigger in fallback: the formula runs with each trigger's metric value (quantised,
//!   as a float) bound to the trigger's name; a trigger without a value this time, or — under
//!   `fallback.behavior: scalingModifiers` — one failing past the threshold, is `nil`. A `nil`
//!   result becomes `fallback.replicas × target`. The composite value is `int64(v·1000)` milli
//!   (truncated, negatives kept).
//! * Some trigger in fallback (other behaviors): the formula is skipped and the first fallback
//!   value is the composite value.
//!
//! The rules, in the project's words: docs/keda.md#scaling-modifiers.

use super::metric::{COMPOSITE_METRIC_NAME, milli_to_f64, milli_truncated};
use super::model::{FallbackBehavior, ScaledObjectModel};
use super::state::{HealthStatus, MetricValue};
use std::collections::BTreeMap;

/// The composite metric (or the metrics unchanged when scalingModifiers are not used).
pub fn apply(
    model: &ScaledObjectModel,
    health: &BTreeMap<String, HealthStatus>,
    metrics: Vec<MetricValue>,
    fallback_active: bool,
    fallback_metrics: &[MetricValue],
) -> Result<Vec<MetricValue>, String> {
    let Some(m) = &model.modifiers else {
        return Ok(metrics);
    };
    if fallback_active {
        return Ok(match fallback_metrics.first() {
            Some(f) => vec![MetricValue {
                name: COMPOSITE_METRIC_NAME.to_string(),
                milli: f.milli,
            }],
            None => metrics,
        });
    }
    let Some(formula) = &m.formula else {
        return Ok(metrics);
    };
    let nil_past_threshold = model
        .fallback
        .as_ref()
        .filter(|f| f.behavior == FallbackBehavior::ScalingModifiers);
    let mut vars: BTreeMap<String, Option<f64>> = BTreeMap::new();
    // Every named non-cpu/memory trigger is a variable; missing ones read as nil.
    for t in model.triggers.iter().filter(|t| !t.is_cpu_memory()) {
        if let Some(n) = &t.name {
            vars.insert(n.clone(), None);
        }
    }
    for v in &metrics {
        let Some(trigger) = model.trigger_for_metric(&v.name) else {
            continue;
        };
        let Some(name) = &trigger.name else { continue };
        let mut value = Some(milli_to_f64(v.milli));
        if let Some(fb) = nil_past_threshold
            && health
                .get(&v.name)
                .is_some_and(|h| h.failures > fb.failure_threshold)
        {
            value = None;
        }
        vars.insert(name.clone(), value);
    }
    let out = match formula
        .eval(&vars)
        .map_err(|e| format!("error trying to run custom formula: {e}"))?
    {
        Some(v) => v,
        None => {
            let Some(fb) = &model.fallback else {
                return Err(
                    "scalingModifiers formula evaluated to nil but no fallback is configured"
                        .into(),
                );
            };
            let target: f64 = m.target.trim().parse().map_err(|_| {
                format!("scalingModifiers formula evaluated to nil and target {:?} is not a valid float", m.target)
            })?;
            fb.replicas as f64 * target
        }
    };
    Ok(vec![MetricValue {
        name: COMPOSITE_METRIC_NAME.to_string(),
        milli: milli_truncated(out),
    }])
}
