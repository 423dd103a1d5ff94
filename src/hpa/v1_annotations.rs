//! The round-trip annotations of an `autoscaling/v1` HorizontalPodAutoscaler.
//!
//! `kubectl get hpa.v1.autoscaling -o yaml` on an HPA created in autoscaling/v2 shows only
//! `targetCPUUtilizationPercentage`; everything else travels in annotations, which the API server
//! turns back into fields when the object is written in v1
//! (`Convert_v1_HorizontalPodAutoscaler_To_autoscaling_HorizontalPodAutoscaler`,
//! `pkg/apis/autoscaling/v1/conversion.go`):
//!
//! - `autoscaling.alpha.kubernetes.io/metrics`: the metrics other than a cpu Utilization
//!   target, a JSON list of autoscaling/v1 `MetricSpec`s (the v2beta1-style schema:
//!   `targetAverageUtilization`, `metricName`, `targetValue`, …), converted by the
//!   `Convert_v1_*MetricSource_To_autoscaling_*` functions; they come first, the
//!   `targetCPUUtilizationPercentage` metric after them. Malformed JSON fails the conversion.
//! - `autoscaling.alpha.kubernetes.io/behavior`: `spec.behavior`, the JSON of the *internal* Go
//!   type, so its keys are Go field names (`ScaleUp`, `StabilizationWindowSeconds`, `Policies`,
//!   `Tolerance`…). An empty object means no behavior. Upstream drops a malformed one silently;
//!   scalesim refuses it instead, since the HPA it would simulate is not the one meant.
//! - `autoscaling.alpha.kubernetes.io/current-metrics` and `…/conditions`: status, which
//!   scalesim does not read; malformed JSON fails the conversion upstream, and here too.
//!
//! Go's `encoding/json` matches keys case-insensitively (an exact match first), and so does this
//! module. The output is the autoscaling/v2 JSON shape, which the manifest loader then validates
//! exactly as it validates `spec.metrics` and `spec.behavior`.

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// `autoscaling.MetricSpecsAnnotation`.
pub(crate) const METRIC_SPECS: &str = "autoscaling.alpha.kubernetes.io/metrics";
/// `autoscaling.BehaviorSpecsAnnotation`.
pub(crate) const BEHAVIOR_SPECS: &str = "autoscaling.alpha.kubernetes.io/behavior";
/// `autoscaling.MetricStatusesAnnotation`.
pub(crate) const METRIC_STATUSES: &str = "autoscaling.alpha.kubernetes.io/current-metrics";
/// `autoscaling.HorizontalPodAutoscalerConditionsAnnotation`.
pub(crate) const CONDITIONS: &str = "autoscaling.alpha.kubernetes.io/conditions";

/// A problem with one annotation: its name and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AnnotationError {
    pub(crate) annotation: &'static str,
    pub(crate) message: String,
}

/// What the annotations restore, in autoscaling/v2 JSON form.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct RoundTrip {
    /// `spec.metrics` entries from the metrics annotation (to come before the cpu target).
    pub(crate) metrics: Vec<Value>,
    /// `spec.behavior`, when the annotation holds a non-empty one.
    pub(crate) behavior: Option<Value>,
    /// The behavior annotation was present but empty (`{}`): no behavior, as upstream.
    pub(crate) empty_behavior: bool,
}

/// `obj[key]` as `encoding/json` finds it: the exact key, else a case-insensitive match;
/// `null` counts as absent (a nil pointer).
fn field<'a>(obj: &'a Value, key: &str) -> Option<&'a Value> {
    let m = obj.as_object()?;
    m.get(key)
        .or_else(|| {
            m.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
        .filter(|v| !v.is_null())
}

fn put(out: &mut Map<String, Value>, key: &str, v: Option<&Value>) {
    if let Some(v) = v {
        out.insert(key.to_string(), v.clone());
    }
}

fn parse_json(
    annotations: &BTreeMap<String, Value>,
    name: &'static str,
) -> Result<Option<Value>, AnnotationError> {
    let Some(raw) = annotations.get(name) else {
        return Ok(None);
    };
    let err = |message: String| AnnotationError {
        annotation: name,
        message,
    };
    let text = raw
        .as_str()
        .ok_or_else(|| err(format!("must be a string holding JSON, found {raw}")))?;
    serde_json::from_str(text)
        .map(Some)
        .map_err(|e| err(format!("is not valid JSON: {e}")))
}

/// A JSON list of objects (or `null`), as `json.Unmarshal` into a Go slice of structs needs.
fn list_of_objects(v: &Value, name: &'static str) -> Result<Vec<Value>, AnnotationError> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        other => {
            return Err(AnnotationError {
                annotation: name,
                message: format!("must be a JSON list, found {}", kind(other)),
            });
        }
    };
    for (i, item) in items.iter().enumerate() {
        if !(item.is_object() || item.is_null()) {
            return Err(AnnotationError {
                annotation: name,
                message: format!("entry {i} must be a JSON object, found {}", kind(item)),
            });
        }
    }
    Ok(items.clone())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// One autoscaling/v1 `MetricSpec` → the autoscaling/v2 shape (`Convert_v1_MetricSpec_To_…`).
fn convert_metric(m: &Value) -> Value {
    let mut out = Map::new();
    put(&mut out, "type", field(m, "type"));
    if let Some(r) = field(m, "resource") {
        out.insert("resource".into(), resource_source(r, false));
    }
    if let Some(r) = field(m, "containerResource") {
        out.insert("containerResource".into(), resource_source(r, true));
    }
    if let Some(p) = field(m, "pods") {
        out.insert("pods".into(), pods_source(p));
    }
    if let Some(o) = field(m, "object") {
        out.insert("object".into(), object_source(o));
    }
    if let Some(e) = field(m, "external") {
        out.insert("external".into(), external_source(e));
    }
    Value::Object(out)
}

/// Convert_v1_ResourceMetricSource_To_autoscaling_ResourceMetricSource (and the same for a
/// container resource): Utilization when targetAverageUtilization is set, else AverageValue.
fn resource_source(r: &Value, container: bool) -> Value {
    let utilization = field(r, "targetAverageUtilization");
    let mut t = Map::new();
    t.insert(
        "type".into(),
        json!(if utilization.is_some() {
            "Utilization"
        } else {
            "AverageValue"
        }),
    );
    put(&mut t, "averageUtilization", utilization);
    put(&mut t, "averageValue", field(r, "targetAverageValue"));
    let mut s = Map::new();
    put(&mut s, "name", field(r, "name"));
    if container {
        put(&mut s, "container", field(r, "container"));
    }
    s.insert("target".into(), Value::Object(t));
    Value::Object(s)
}

/// A v2 `MetricIdentifier`.
fn identifier(name: Option<&Value>, selector: Option<&Value>) -> Value {
    let mut id = Map::new();
    put(&mut id, "name", name);
    put(&mut id, "selector", selector);
    Value::Object(id)
}

/// Convert_v1_PodsMetricSource_To_autoscaling_PodsMetricSource: always AverageValue; the v1
/// field is not a pointer, so an absent one is the zero quantity (rejected as not positive).
fn pods_source(p: &Value) -> Value {
    let average = field(p, "targetAverageValue")
        .cloned()
        .unwrap_or(json!("0"));
    json!({
        "metric": identifier(field(p, "metricName"), field(p, "selector")),
        "target": {"type": "AverageValue", "averageValue": average},
    })
}

/// Convert_v1_ObjectMetricSource_To_autoscaling_ObjectMetricSource: Value unless averageValue
/// is set. Upstream also copies the non-pointer `targetValue` (zero when absent) into
/// `target.value` for an AverageValue target; the controller never reads it there, so a
/// zero placeholder is left out rather than failing validation as "must be positive".
fn object_source(o: &Value) -> Value {
    let average = field(o, "averageValue");
    let mut t = Map::new();
    t.insert(
        "type".into(),
        json!(if average.is_some() {
            "AverageValue"
        } else {
            "Value"
        }),
    );
    let value = field(o, "targetValue").cloned();
    match (average, value) {
        (None, v) => {
            t.insert("value".into(), v.unwrap_or(json!("0")));
        }
        (Some(_), Some(v)) if !is_zero_quantity(&v) => {
            t.insert("value".into(), v);
        }
        _ => {}
    }
    put(&mut t, "averageValue", average);
    let mut s = Map::new();
    put(&mut s, "describedObject", field(o, "target"));
    s.insert(
        "metric".into(),
        identifier(field(o, "metricName"), field(o, "selector")),
    );
    s.insert("target".into(), Value::Object(t));
    Value::Object(s)
}

/// Convert_v1_ExternalMetricSource_To_autoscaling_ExternalMetricSource: Value when
/// targetValue is set, else AverageValue.
fn external_source(e: &Value) -> Value {
    let value = field(e, "targetValue");
    let mut t = Map::new();
    t.insert(
        "type".into(),
        json!(if value.is_some() {
            "Value"
        } else {
            "AverageValue"
        }),
    );
    put(&mut t, "value", value);
    put(&mut t, "averageValue", field(e, "targetAverageValue"));
    json!({
        "metric": identifier(field(e, "metricName"), field(e, "metricSelector")),
        "target": Value::Object(t),
    })
}

fn is_zero_quantity(v: &Value) -> bool {
    match v {
        Value::String(s) => crate::units::parse_quantity(s).is_ok_and(|q| q.milli == 0),
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

/// The internal `HorizontalPodAutoscalerBehavior` (Go field names) → the v2 shape.
fn convert_behavior(b: &Value) -> Result<Option<Value>, String> {
    if !b.is_object() {
        return Err(format!("must be a JSON object, found {}", kind(b)));
    }
    let rules = |r: &Value, dir: &str| -> Result<Value, String> {
        if !r.is_object() {
            return Err(format!("{dir} must be a JSON object, found {}", kind(r)));
        }
        let mut out = Map::new();
        put(
            &mut out,
            "stabilizationWindowSeconds",
            field(r, "StabilizationWindowSeconds"),
        );
        put(&mut out, "selectPolicy", field(r, "SelectPolicy"));
        put(&mut out, "tolerance", field(r, "Tolerance"));
        if let Some(list) = field(r, "Policies") {
            let Some(items) = list.as_array() else {
                return Err(format!(
                    "{dir}.Policies must be a JSON list, found {}",
                    kind(list)
                ));
            };
            let mut policies = Vec::new();
            for (i, p) in items.iter().enumerate() {
                if !p.is_object() {
                    return Err(format!(
                        "{dir}.Policies[{i}] must be a JSON object, found {}",
                        kind(p)
                    ));
                }
                let mut q = Map::new();
                put(&mut q, "type", field(p, "Type"));
                put(&mut q, "value", field(p, "Value"));
                put(&mut q, "periodSeconds", field(p, "PeriodSeconds"));
                policies.push(Value::Object(q));
            }
            out.insert("policies".into(), Value::Array(policies));
        }
        Ok(Value::Object(out))
    };
    let mut out = Map::new();
    if let Some(r) = field(b, "ScaleUp") {
        out.insert("scaleUp".into(), rules(r, "ScaleUp")?);
    }
    if let Some(r) = field(b, "ScaleDown") {
        out.insert("scaleDown".into(), rules(r, "ScaleDown")?);
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

/// Decode the round-trip annotations of an autoscaling/v1 HPA (`metadata.annotations`).
pub(crate) fn decode(annotations: &BTreeMap<String, Value>) -> Result<RoundTrip, AnnotationError> {
    let mut rt = RoundTrip::default();
    if let Some(v) = parse_json(annotations, METRIC_SPECS)? {
        rt.metrics = list_of_objects(&v, METRIC_SPECS)?
            .iter()
            .filter(|m| !m.is_null())
            .map(convert_metric)
            .collect();
    }
    if let Some(v) = parse_json(annotations, BEHAVIOR_SPECS)? {
        rt.behavior = convert_behavior(&v).map_err(|message| AnnotationError {
            annotation: BEHAVIOR_SPECS,
            message,
        })?;
        rt.empty_behavior = rt.behavior.is_none();
    }
    for status in [METRIC_STATUSES, CONDITIONS] {
        if let Some(v) = parse_json(annotations, status)? {
            list_of_objects(&v, status)?;
        }
    }
    Ok(rt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(pairs: &[(&str, &str)]) -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect()
    }

    #[test]
    fn v1_metric_specs_become_v2_metrics() {
        let rt = decode(&ann(&[(
            METRIC_SPECS,
            r#"[{"type":"Pods","pods":{"metricName":"rps","targetAverageValue":"10"}},
                {"type":"External","external":{"metricName":"q","metricSelector":{"matchLabels":{"a":"b"}},"targetAverageValue":"30"}},
                {"type":"Object","object":{"target":{"kind":"Service","name":"web","apiVersion":"v1"},"metricName":"hits","targetValue":"0","averageValue":"5"}},
                {"TYPE":"Resource","Resource":{"name":"memory","targetAverageValue":"100Mi"}}]"#,
        )]))
        .unwrap();
        assert_eq!(
            rt.metrics[0],
            json!({"type":"Pods","pods":{"metric":{"name":"rps"},"target":{"type":"AverageValue","averageValue":"10"}}})
        );
        assert_eq!(
            rt.metrics[1]["external"]["target"],
            json!({"type":"AverageValue","averageValue":"30"})
        );
        assert_eq!(
            rt.metrics[1]["external"]["metric"]["selector"]["matchLabels"]["a"],
            "b"
        );
        assert_eq!(
            rt.metrics[2]["object"]["target"],
            json!({"type":"AverageValue","averageValue":"5"})
        );
        assert_eq!(
            rt.metrics[2]["object"]["describedObject"]["kind"],
            "Service"
        );
        assert_eq!(
            rt.metrics[3],
            json!({"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"100Mi"}}})
        );
    }

    #[test]
    fn behavior_uses_go_field_names_case_insensitively() {
        let rt = decode(&ann(&[(
            BEHAVIOR_SPECS,
            r#"{"ScaleUp":{"StabilizationWindowSeconds":0,"SelectPolicy":"Max","Policies":[{"Type":"Pods","Value":4,"PeriodSeconds":15}]},
                "scaledown":{"stabilizationWindowSeconds":60,"Tolerance":"50m","SelectPolicy":null}}"#,
        )]))
        .unwrap();
        let b = rt.behavior.unwrap();
        assert_eq!(
            b["scaleUp"],
            json!({"stabilizationWindowSeconds":0,"selectPolicy":"Max","policies":[{"type":"Pods","value":4,"periodSeconds":15}]})
        );
        assert_eq!(
            b["scaleDown"],
            json!({"stabilizationWindowSeconds":60,"tolerance":"50m"})
        );
        let empty = decode(&ann(&[(BEHAVIOR_SPECS, "{}")])).unwrap();
        assert!(empty.behavior.is_none() && empty.empty_behavior);
    }

    #[test]
    fn malformed_annotations_name_themselves() {
        for (name, text) in [
            (METRIC_SPECS, "[{"),
            (METRIC_SPECS, r#"{"type":"Pods"}"#),
            (BEHAVIOR_SPECS, "not json"),
            (BEHAVIOR_SPECS, r#"{"ScaleUp":{"Policies":{}}}"#),
            (CONDITIONS, r#""text""#),
            (METRIC_STATUSES, ""),
        ] {
            let e = decode(&ann(&[(name, text)])).unwrap_err();
            assert_eq!(e.annotation, name, "{text}");
        }
        let e = decode(&[(METRIC_SPECS.to_string(), json!(5))].into()).unwrap_err();
        assert!(e.message.contains("must be a string"), "{}", e.message);
    }
}
