//! The HorizontalPodAutoscaler KEDA creates for a ScaledObject (upstream
//! controllers/keda/hpa.go), in scalesim's own small types; the HPA core converts it to its
//! spec type.
//!
//! * name `keda-hpa-<so>` unless `horizontalPodAutoscalerConfig.name`;
//! * `minReplicas = max(1, minReplicaCount)`, `maxReplicas = maxReplicaCount` (100);
//! * one metric per trigger (External `s<i>-…` with the trigger's target, Resource or
//!   ContainerResource for cpu/memory), sorted by source type (stable);
//! * with scalingModifiers: all External metrics replaced by one `composite-metric`
//!   (target `int64(target·1000)` milli, type `scalingModifiers.metricType`) and — upstream
//!   quirk — only `Resource` metrics kept (ContainerResource ones are dropped);
//! * `behavior` copied verbatim; nil stays nil (the HPA's legacy scaling path) unless a
//!   `paused-scale-in`/`paused-scale-out` annotation forces `selectPolicy: Disabled`.
//!
//! The rules, in the project's words: docs/keda.md#scaler-to-hpa.

use super::metric::{COMPOSITE_METRIC_NAME, MetricSource, TargetType, milli_truncated};
use super::scalers::MetricSpec;
use serde::Serialize;

/// One metric of the generated HPA.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HpaMetric {
    pub name: String,
    pub(crate) source: MetricSource,
    pub(crate) target_type: TargetType,
    /// AverageValue/Value target in milli-units (None: Utilization, or unknown for an
    /// unmodelled trigger until a signal binding supplies one).
    pub(crate) target_milli: Option<i64>,
    /// Utilization target in percent (cpu/memory).
    pub(crate) average_utilization: Option<i32>,
    /// Resource name for Resource/ContainerResource metrics.
    pub(crate) resource: Option<String>,
    pub(crate) container: Option<String>,
    /// Index of the trigger the metric comes from (None for the composite metric).
    pub(crate) trigger_index: Option<usize>,
}

/// The HPA KEDA would generate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeneratedHpa {
    pub(crate) name: String,
    pub min_replicas: i32,
    pub max_replicas: i32,
    pub metrics: Vec<HpaMetric>,
    /// HPA v2 `behavior`; None means the HPA's legacy scaling path.
    pub(crate) behavior: Option<serde_json::Value>,
}

impl GeneratedHpa {
    /// True when the HPA runs without a behavior object (legacy path: scale-up capped at
    /// `max(2×current, 4)` per sync, 300 s downscale stabilisation).
    pub(crate) fn legacy_behavior(&self) -> bool {
        self.behavior.is_none()
    }
}

/// Inputs of the HPA generation.
pub(crate) struct HpaInputs<'a> {
    pub(crate) so_name: &'a str,
    pub(crate) hpa_name: Option<&'a str>,
    pub(crate) min_replica_count: Option<i32>,
    pub(crate) max_replica_count: Option<i32>,
    /// `(trigger index, metric spec)` for every trigger.
    pub(crate) metrics: Vec<(usize, &'a MetricSpec)>,
    pub(crate) behavior: Option<&'a serde_json::Value>,
    pub(crate) paused_scale_in: bool,
    pub(crate) paused_scale_out: bool,
    /// `(target, metric type)` of scalingModifiers when used.
    pub(crate) modifiers: Option<(&'a str, TargetType)>,
}

/// The generated HPA's default name.
pub(crate) fn hpa_name(so_name: &str, custom: Option<&str>) -> String {
    match custom {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => format!("keda-hpa-{so_name}"),
    }
}

/// The generated HPA's behavior: the one written, with the side the paused-scale-in (scaleDown)
/// or paused-scale-out (scaleUp) annotation pauses set to `selectPolicy: Disabled`.
pub(crate) fn paused_behavior(
    declared: Option<&serde_json::Value>,
    paused_scale_in: bool,
    paused_scale_out: bool,
) -> Option<serde_json::Value> {
    let mut behavior = declared.cloned();
    let mut disable = |side: &str| {
        let b = behavior.get_or_insert_with(|| serde_json::json!({}));
        if let Some(obj) = b.as_object_mut() {
            let rules = obj
                .entry(side.to_string())
                .or_insert_with(|| serde_json::json!({}));
            if let Some(r) = rules.as_object_mut() {
                r.insert("selectPolicy".into(), serde_json::json!("Disabled"));
            }
        }
    };
    if paused_scale_in {
        disable("scaleDown");
    }
    if paused_scale_out {
        disable("scaleUp");
    }
    behavior
}

pub(crate) fn generate(inp: &HpaInputs) -> GeneratedHpa {
    let mut metrics: Vec<HpaMetric> = inp
        .metrics
        .iter()
        .map(|(i, m)| HpaMetric {
            name: m.name.clone(),
            source: m.source,
            target_type: m.target_type,
            target_milli: m.target_milli,
            average_utilization: m.average_utilization,
            resource: m.resource.clone(),
            container: m.container.clone(),
            trigger_index: Some(*i),
        })
        .collect();
    metrics.sort_by(|a, b| a.source.as_str().cmp(b.source.as_str()));
    if let Some((target, metric_type)) = inp.modifiers {
        let t: f64 = target.trim().parse().unwrap_or(0.0);
        if t > 0.0 {
            metrics.retain(|m| m.source == MetricSource::Resource);
            metrics.push(HpaMetric {
                name: COMPOSITE_METRIC_NAME.to_string(),
                source: MetricSource::External,
                target_type: metric_type,
                target_milli: Some(milli_truncated(t)),
                average_utilization: None,
                resource: None,
                container: None,
                trigger_index: None,
            });
        }
    }
    let behavior = paused_behavior(inp.behavior, inp.paused_scale_in, inp.paused_scale_out);
    GeneratedHpa {
        name: hpa_name(inp.so_name, inp.hpa_name),
        min_replicas: super::model::hpa_min_replicas(inp.min_replica_count),
        max_replicas: super::model::hpa_max_replicas(inp.max_replica_count),
        metrics,
        behavior,
    }
}

/// The generated HPA's `behavior` read as the API server reads an HPA's: typed, validated, with
/// the unset fields left for [`crate::hpa::spec::Behavior::effective`] to default.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct BehaviorCheck {
    /// None when the API server would reject it.
    pub(crate) behavior: Option<crate::hpa::spec::Behavior>,
    /// `(path below behavior, message)` of every rejection, e.g.
    /// `("scaleUp.stabilizationWindowSeconds", "Invalid value: 3601: must be …")`.
    pub(crate) errors: Vec<(String, String)>,
    /// Paths below behavior the HPA API has no field for (the API server drops them).
    pub(crate) unknown_fields: Vec<String>,
}

/// Check a `behavior` object as the API server would when KEDA creates its HPA (the same rules
/// as for a hand-written HPA, [`crate::hpa::load_hpa`], with the default feature gates).
pub(crate) fn check_behavior(behavior: &serde_json::Value) -> BehaviorCheck {
    let text = format!(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: generated}}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: target}}\n  maxReplicas: 1\n  behavior: {}\n",
        serde_json::to_string(behavior).unwrap_or_else(|_| "{}".into())
    );
    let source = crate::yaml::Source::from_string("generated-hpa.yaml", text);
    let doc = crate::yaml::Document {
        source: &source,
        index: 0,
        line_offset: 0,
        text: &source.text,
    };
    let relative = |field: Option<&str>| {
        let f = field.unwrap_or("");
        f.strip_prefix("spec.behavior")
            .map(|r| r.trim_start_matches('.').to_string())
            .unwrap_or_default()
    };
    let mut out = BehaviorCheck::default();
    match crate::hpa::load_hpa(&doc, &crate::hpa::FeatureGates::default()) {
        Ok(h) => {
            out.behavior = h.spec.behavior;
            out.unknown_fields = h
                .unknown_fields
                .iter()
                .filter(|f| f.starts_with("spec.behavior"))
                .map(|f| relative(Some(f)))
                .collect();
        }
        Err(crate::Error::Input(e)) => out
            .errors
            .push((relative(e.location.field.as_deref()), e.message.clone())),
        Err(crate::Error::Inputs(es)) => out.errors.extend(
            es.iter()
                .map(|e| (relative(e.location.field.as_deref()), e.message.clone())),
        ),
        Err(e) => out.errors.push((String::new(), e.to_string())),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, source: MetricSource) -> MetricSpec {
        MetricSpec {
            name: name.into(),
            source,
            target_type: TargetType::AverageValue,
            target_milli: Some(5000),
            average_utilization: None,
            resource: None,
            container: None,
        }
    }

    #[test]
    fn defaults_sorting_and_pauses() {
        let (a, b, c) = (
            spec("s0-x", MetricSource::External),
            spec("cpu", MetricSource::Resource),
            spec("memory", MetricSource::ContainerResource),
        );
        let hpa = generate(&HpaInputs {
            so_name: "so",
            hpa_name: None,
            min_replica_count: Some(0),
            max_replica_count: None,
            metrics: vec![(0, &a), (1, &b), (2, &c)],
            behavior: None,
            paused_scale_in: true,
            paused_scale_out: false,
            modifiers: None,
        });
        assert_eq!(
            (hpa.name.as_str(), hpa.min_replicas, hpa.max_replicas),
            ("keda-hpa-so", 1, 100)
        );
        let order: Vec<&str> = hpa.metrics.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(order, ["memory", "s0-x", "cpu"]);
        assert_eq!(
            hpa.behavior,
            Some(serde_json::json!({"scaleDown": {"selectPolicy": "Disabled"}}))
        );
    }

    #[test]
    fn composite_replaces_external_and_drops_container_resource() {
        let (a, b, c) = (
            spec("s0-x", MetricSource::External),
            spec("cpu", MetricSource::Resource),
            spec("memory", MetricSource::ContainerResource),
        );
        let hpa = generate(&HpaInputs {
            so_name: "so",
            hpa_name: Some("custom"),
            min_replica_count: Some(3),
            max_replica_count: Some(7),
            metrics: vec![(0, &a), (1, &b), (2, &c)],
            behavior: Some(&serde_json::json!({"scaleUp": {"stabilizationWindowSeconds": 0}})),
            paused_scale_in: false,
            paused_scale_out: false,
            modifiers: Some(("2.5", TargetType::Value)),
        });
        let names: Vec<&str> = hpa.metrics.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["cpu", "composite-metric"]);
        assert_eq!(hpa.metrics[1].target_milli, Some(2500));
        assert_eq!(hpa.metrics[1].target_type, TargetType::Value);
        assert_eq!(
            (hpa.name.as_str(), hpa.min_replicas, hpa.max_replicas),
            ("custom", 3, 7)
        );
        assert!(!hpa.legacy_behavior());
    }

    #[test]
    fn behavior_checked_as_the_api_server_does() {
        let ok = check_behavior(
            &serde_json::json!({"scaleDown": {"stabilizationWindowSeconds": 60, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 30}]}}),
        );
        assert!(ok.errors.is_empty(), "{:?}", ok.errors);
        let b = ok.behavior.unwrap();
        let (up, down) = b.effective(300);
        assert_eq!(up.policies.len(), 2, "scale-up defaults filled");
        assert_eq!(down.stabilization_window_seconds, 60);
        let bad = check_behavior(
            &serde_json::json!({"scaleUp": {"stabilizationWindowSeconds": 3601}, "scaleDown": {"selectPolicy": "Fastest"}}),
        );
        let paths: Vec<&str> = bad.errors.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "scaleUp.stabilizationWindowSeconds",
                "scaleDown.selectPolicy"
            ]
        );
        assert!(bad.behavior.is_none());
        let unknown = check_behavior(&serde_json::json!({"scaleUp": {"stabilisation": 5}}));
        assert_eq!(unknown.unknown_fields, ["scaleUp.stabilisation"]);
    }
}
