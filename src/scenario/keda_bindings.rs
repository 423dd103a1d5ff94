//! What a scenario adds to its KEDA objects before a run, and the checks that go with it:
//!
//! * **Targets of triggers scalesim does not model** (a core scaler outside the modelled set,
//!   or a vendor/external type such as `kedify-otel`). KEDA puts the scaler's target in the HPA
//!   it generates; scalesim reads it from the trigger's metadata (see
//!   `keda::scalers::unmodelled`). When the metadata has none, the trigger's binding under
//!   `metrics:` supplies it:
//!
//!   ```yaml
//!   metrics:
//!     pg: {signal: backlog, target: 10, activation_target: 2, metric_type: AverageValue}
//!   ```
//!
//!   What KEDA itself would use (a metadata value or the scaler's upstream default, a
//!   trigger-level `metricType`) wins over the binding, with a warning when they differ. A
//!   trigger that still has no target stops the run (exit 2) with a message saying how to bind
//!   it — unless it only feeds a `scalingModifiers` formula, whose own target is used.
//! * **`faults:` targets** must name a KEDA trigger (its name, metric name, type or index), or
//!   the fault would silently never fire.

// `InputError` is the crate's located input error, returned by value as everywhere else.
#![allow(clippy::result_large_err)]

use super::{Autoscalers, Fault};
use crate::error::InputError;
use crate::keda::metric::TargetType;
use crate::keda::model::TriggerModel;
use crate::keda::scalers::ScalerKind;
use crate::settings::binding::BindingMetricType;
use crate::settings::binding::BindingSpec;
use crate::yaml::Document;
use std::collections::BTreeMap;

/// One trigger of a KEDA object, as the scenario checks see it.
struct Site<'m> {
    owner: String,
    trigger: &'m mut TriggerModel,
    /// The HPA metric fed by this trigger (ScaledObjects without scalingModifiers).
    hpa_metric: Option<&'m mut crate::keda::generated_hpa::HpaMetric>,
    /// The trigger's value is only a formula input (its target is not used).
    formula_input: bool,
}

fn sites(autoscalers: &mut Autoscalers) -> Vec<Site<'_>> {
    let mut out = Vec::new();
    for so in &mut autoscalers.scaled_objects {
        let owner = format!("ScaledObject {:?}", so.name);
        let formula = so.modifiers.is_some();
        let mut metrics: Vec<Option<&mut crate::keda::generated_hpa::HpaMetric>> =
            so.triggers.iter().map(|_| None).collect();
        for m in so.hpa.metrics.iter_mut() {
            if let Some(i) = m.trigger_index
                && let Some(pos) = so.triggers.iter().position(|t| t.index == i)
            {
                metrics[pos] = Some(m);
            }
        }
        for (t, m) in so.triggers.iter_mut().zip(metrics) {
            out.push(Site {
                owner: owner.clone(),
                trigger: t,
                hpa_metric: m,
                formula_input: formula,
            });
        }
    }
    for sj in &mut autoscalers.scaled_jobs {
        let owner = format!("ScaledJob {:?}", sj.name);
        for t in sj.triggers.iter_mut() {
            out.push(Site {
                owner: owner.clone(),
                trigger: t,
                hpa_metric: None,
                formula_input: false,
            });
        }
    }
    out
}

fn milli_text(m: i64) -> String {
    if m % 1000 == 0 {
        format!("{}", m / 1000)
    } else {
        format!("{}m", m)
    }
}

/// Fill the targets of unmodelled triggers from their bindings; returns warnings.
pub(super) fn apply_binding_targets(
    autoscalers: &mut Autoscalers,
    bindings: &BTreeMap<String, BindingSpec>,
    doc: &Document<'_>,
) -> Result<Vec<String>, InputError> {
    let mut warnings = Vec::new();
    let mut used: Vec<&str> = Vec::new();
    for site in sites(autoscalers) {
        let t = site.trigger;
        if !matches!(t.scaler.kind, ScalerKind::Unmodelled) {
            continue;
        }
        let keys = t.binding_keys();
        let bound = keys.iter().find_map(|k| bindings.get_key_value(k.as_str()));
        let what = format!(
            "{}: trigger {} ({})",
            site.owner,
            t.display_name(),
            t.trigger_type
        );
        if let Some((key, b)) = bound {
            used.push(key.as_str());
            // metricType: the trigger's own, else the binding's, else AverageValue.
            if let Some(mt) = b.metric_type {
                let wanted = match mt {
                    BindingMetricType::AverageValue => TargetType::AverageValue,
                    BindingMetricType::Value => TargetType::Value,
                };
                if t.metric_type_written {
                    if wanted != t.scaler.metric.target_type {
                        warnings.push(format!(
                            "{what}: `metrics.{key}.metric_type` is ignored: the trigger sets metricType {}",
                            t.scaler.metric.target_type.as_str()
                        ));
                    }
                } else {
                    t.scaler.metric.target_type = wanted;
                }
            }
            if let Some(q) = b.target {
                match t.scaler.metric.target_milli {
                    Some(m) if m != q.milli => warnings.push(format!(
                        "{what}: `metrics.{key}.target` is ignored: KEDA uses the target {} from the trigger's metadata (or the scaler's default)",
                        milli_text(m)
                    )),
                    Some(_) => {}
                    None if q.milli <= 0 => {
                        return Err(doc.error_at_path(
                            &format!("metrics.{key}.target"),
                            format!("{what}: the target must be above zero"),
                        ));
                    }
                    None => t.scaler.metric.target_milli = Some(q.milli),
                }
            }
            if let Some(q) = b.activation_target {
                let a = q.as_f64();
                match t.scaler.activation_threshold {
                    Some(x) if x != a => warnings.push(format!(
                        "{what}: `metrics.{key}.activation_target` is ignored: KEDA uses the activation threshold {x} from the trigger's metadata (or the scaler's default)"
                    )),
                    Some(_) => {}
                    None => t.scaler.activation_threshold = Some(a),
                }
            }
        }
        if let Some(m) = site.hpa_metric {
            m.target_type = t.scaler.metric.target_type;
            m.target_milli = t.scaler.metric.target_milli;
        }
        if t.scaler.metric.target_milli.is_none() && !site.formula_input {
            let binding = match bound {
                Some((key, _)) => format!("add `target:` to `metrics.{key}`"),
                None => format!(
                    "bind it under `metrics:` with a target, e.g. `metrics: {{{}: {{signal: backlog, target: 10}}}}` (keys: the trigger's name, metric name `{}`, type or index)",
                    keys[0], t.scaler.metric.name
                ),
            };
            let path = match bound {
                Some((key, _)) => format!("metrics.{key}"),
                None => "metrics".to_string(),
            };
            return Err(doc.error_at_path(
                &path,
                format!(
                    "{what} has no target: scalesim does not model this scaler and its metadata gives no target KEDA would put in the HPA; {binding}"
                ),
            ));
        }
    }
    for (key, b) in bindings {
        if b.has_keda_target_settings() && !used.contains(&key.as_str()) {
            warnings.push(format!(
                "`metrics.{key}`: `target`, `activation_target` and `metric_type` apply only to KEDA triggers scalesim does not model; ignored here"
            ));
        }
    }
    Ok(warnings)
}

/// Every `faults:` entry must name a KEDA trigger (exit 2 otherwise, listing the valid names).
pub(super) fn check_fault_targets(
    faults: &[Fault],
    autoscalers: &Autoscalers,
    doc: &Document<'_>,
) -> Result<(), InputError> {
    let mut valid: Vec<String> = Vec::new();
    for t in autoscalers
        .scaled_objects
        .iter()
        .flat_map(|s| s.triggers.iter())
        .chain(
            autoscalers
                .scaled_jobs
                .iter()
                .flat_map(|s| s.triggers.iter()),
        )
    {
        for k in t.binding_keys() {
            if !valid.contains(&k) {
                valid.push(k);
            }
        }
    }
    for (i, f) in faults.iter().enumerate() {
        let Some(target) = f.backend_target() else {
            continue;
        };
        if valid.iter().any(|v| v == target) {
            continue;
        }
        let expected = if valid.is_empty() {
            "faults make a KEDA trigger's backend fail, and this scenario has no ScaledObject or ScaledJob".to_string()
        } else {
            format!(
                "expected a KEDA trigger's name, metric name, type or index: one of {}",
                valid
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Err(doc.error_at_path(
            &format!("faults[{i}].target"),
            format!("`{target}` matches no trigger: {expected}"),
        ));
    }
    Ok(())
}
