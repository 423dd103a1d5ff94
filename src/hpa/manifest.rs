//! `HorizontalPodAutoscaler` manifests as `kubectl get hpa -o yaml` or a Helm chart writes them:
//! `autoscaling/v2` (and `v2beta2`, same schema) and `autoscaling/v1`
//! (`targetCPUUtilizationPercentage`, converted as the API server does; absent → cpu 80 %).
//!
//! Unknown keys are tolerated: `status` and extra `metadata` (labels, annotations, managedFields…)
//! silently, anything else is returned in [`LoadedHpa::unknown_fields`] so the caller can say it is
//! not modelled. What the API server's `ValidateHorizontalPodAutoscaler` would reject is rejected
//! here too, each error located at its field and naming the rule.

use super::settings::FeatureGates;
use super::spec::{
    Behavior, HpaSpec, LabelSelector, MetricIdentifier, MetricSpec, MetricTarget, ObjectReference,
    PolicyType, ScalingPolicy, ScalingRules, SelectPolicy, TargetType,
};
use super::tolerance::Tolerance;
use super::v1_annotations;
use crate::error::{Error, InputError};
use crate::manifest::kind::ObjectKind;
use crate::units::Quantity;
use crate::yaml::Document;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The largest `stabilizationWindowSeconds` the API server accepts.
pub(crate) const MAX_STABILIZATION_WINDOW_SECONDS: i32 = 3600;
/// The largest policy `periodSeconds` the API server accepts.
pub(crate) const MAX_PERIOD_SECONDS: i32 = 1800;

/// A loaded, validated HPA manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedHpa {
    /// `metadata.name`.
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
    /// `apiVersion` as written.
    pub(crate) api_version: String,
    /// `spec.scaleTargetRef`.
    pub(crate) scale_target_ref: ObjectReference,
    pub spec: HpaSpec,
    /// Dotted paths of keys scalesim does not model (outside `metadata` and `status`).
    pub(crate) unknown_fields: Vec<String>,
    /// Other things said about the manifest (e.g. fields dropped because a feature gate is off).
    pub(crate) notes: Vec<String>,
}

impl LoadedHpa {
    /// One warning per unknown field, e.g. ``field `spec.foo` is not modelled by scalesim (ignored)``.
    pub(crate) fn warnings(&self) -> Vec<String> {
        self.unknown_fields
            .iter()
            .map(|f| format!("field `{f}` is not modelled by scalesim (ignored)"))
            .chain(self.notes.iter().cloned())
            .collect()
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawHpa {
    api_version: Option<String>,
    kind: Option<String>,
    #[serde(default)]
    metadata: RawMetadata,
    spec: Option<RawSpec>,
}

#[derive(Debug, Default, Deserialize)]
struct RawMetadata {
    name: Option<String>,
    namespace: Option<String>,
    /// Read for the autoscaling/v1 round-trip annotations.
    annotations: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSpec {
    scale_target_ref: Option<RawRef>,
    min_replicas: Option<i32>,
    max_replicas: Option<i32>,
    /// v2 / v2beta2.
    metrics: Option<Vec<RawMetric>>,
    behavior: Option<RawBehavior>,
    /// v1.
    #[serde(rename = "targetCPUUtilizationPercentage")]
    target_cpu_utilization_percentage: Option<i32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRef {
    api_version: Option<String>,
    kind: Option<String>,
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMetric {
    #[serde(rename = "type")]
    metric_type: Option<String>,
    resource: Option<RawResource>,
    container_resource: Option<RawContainerResource>,
    pods: Option<RawMetricSource>,
    object: Option<RawObject>,
    external: Option<RawMetricSource>,
}

#[derive(Debug, Deserialize)]
struct RawResource {
    name: Option<String>,
    #[serde(default)]
    target: RawTarget,
}

#[derive(Debug, Deserialize)]
struct RawContainerResource {
    name: Option<String>,
    container: Option<String>,
    #[serde(default)]
    target: RawTarget,
}

#[derive(Debug, Deserialize)]
struct RawMetricSource {
    #[serde(default)]
    metric: RawIdentifier,
    #[serde(default)]
    target: RawTarget,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawObject {
    #[serde(default)]
    described_object: RawRef,
    #[serde(default)]
    metric: RawIdentifier,
    #[serde(default)]
    target: RawTarget,
}

#[derive(Debug, Default, Deserialize)]
struct RawIdentifier {
    name: Option<String>,
    selector: Option<LabelSelector>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTarget {
    #[serde(rename = "type")]
    target_type: Option<String>,
    value: Option<Quantity>,
    average_value: Option<Quantity>,
    average_utilization: Option<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBehavior {
    scale_up: Option<RawRules>,
    scale_down: Option<RawRules>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRules {
    stabilization_window_seconds: Option<i32>,
    select_policy: Option<String>,
    policies: Option<Vec<RawPolicy>>,
    tolerance: Option<Tolerance>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPolicy {
    #[serde(rename = "type")]
    policy_type: Option<String>,
    value: Option<i32>,
    period_seconds: Option<i32>,
}

/// `a.b.3.c` (serde_ignored) → `a.b[3].c` (the form [`Document::error_at_path`] reads).
fn bracket_path(p: &str) -> String {
    let mut out = String::new();
    for seg in p.split('.').filter(|s| *s != "?") {
        if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
    }
    out
}

/// Collects validation errors located in the document.
struct Errors<'d, 'a> {
    doc: &'d Document<'a>,
    list: Vec<InputError>,
}

impl Errors<'_, '_> {
    fn add(&mut self, path: &str, msg: impl Into<String>) {
        self.list.push(self.doc.error_at_path(path, msg));
    }
    fn required(&mut self, path: &str, detail: &str) {
        let msg = if detail.is_empty() {
            "Required value".to_string()
        } else {
            format!("Required value: {detail}")
        };
        self.add(path, msg);
    }
    fn invalid(&mut self, path: &str, value: impl std::fmt::Display, rule: &str) {
        self.add(path, format!("Invalid value: {value}: {rule}"));
    }
}

/// Load and validate one HorizontalPodAutoscaler document. `gates` decides what the API server
/// allows (`minReplicas: 0` needs HPAScaleToZero; `tolerance` is dropped without
/// HPAConfigurableTolerance).
pub(crate) fn load_hpa(doc: &Document<'_>, gates: &FeatureGates) -> Result<LoadedHpa, Error> {
    let mut unknown = Vec::new();
    let raw: RawHpa = doc.parse_reporting_unknown(&mut |p| unknown.push(p))?;
    let unknown_fields: Vec<String> = unknown
        .iter()
        .map(|p| bracket_path(p))
        .filter(|p| !(p == "status" || p.starts_with("status.") || p.starts_with("metadata.")))
        .collect();
    let (api_version, v1) = check_kind_and_version(doc, raw.kind, raw.api_version)?;

    let mut errs = Errors {
        doc,
        list: Vec::new(),
    };
    let mut notes = Vec::new();
    let name = raw.metadata.name.clone().unwrap_or_default();
    if name.is_empty() {
        errs.required("metadata.name", "name or generateName is required");
    }
    let Some(mut spec) = raw.spec else {
        errs.required("spec", "a HorizontalPodAutoscaler needs a spec");
        return Err(into_error(errs.list));
    };

    let r = spec.scale_target_ref.take().unwrap_or_default();
    let scale_target_ref = convert_scale_target_ref(&mut errs, &r);

    // metrics
    let mut behavior_source = spec.behavior.take();
    let mut behavior_from_annotation = false;
    let mut metrics = if v1 {
        let empty = BTreeMap::new();
        let annotations = raw.metadata.annotations.as_ref().unwrap_or(&empty);
        v1_metrics(
            &mut errs,
            &mut notes,
            &spec,
            annotations,
            (&mut behavior_source, &mut behavior_from_annotation),
        )
    } else {
        v2_metrics(&mut errs, &mut notes, &spec)
    };

    if metrics.is_empty() {
        metrics.push(MetricSpec::default_cpu());
    }

    let max = check_replicas(&mut errs, gates, &spec, &metrics);
    let behavior = convert_behavior(
        &mut errs,
        &mut notes,
        gates,
        behavior_source.as_ref(),
        behavior_from_annotation,
    );

    if !errs.list.is_empty() {
        return Err(into_error(errs.list));
    }
    Ok(LoadedHpa {
        name,
        namespace: raw.metadata.namespace,
        api_version,
        scale_target_ref,
        spec: HpaSpec {
            min_replicas: spec.min_replicas,
            max_replicas: max,
            metrics,
            behavior,
        },
        unknown_fields,
        notes,
    })
}

/// `spec.scaleTargetRef`, validated.
fn convert_scale_target_ref(errs: &mut Errors<'_, '_>, r: &RawRef) -> ObjectReference {
    let scale_target_ref = ObjectReference {
        kind: r.kind.clone().unwrap_or_default(),
        name: r.name.clone().unwrap_or_default(),
        api_version: r.api_version.clone().unwrap_or_default(),
    };
    validate_reference(errs, "spec.scaleTargetRef", &scale_target_ref);
    scale_target_ref
}

/// The document must be a HorizontalPodAutoscaler of a supported apiVersion; returns the
/// apiVersion and whether it is autoscaling/v1.
fn check_kind_and_version(
    doc: &Document<'_>,
    kind: Option<String>,
    api_version: Option<String>,
) -> Result<(String, bool), Error> {
    let kind = kind.unwrap_or_default();
    if !ObjectKind::HorizontalPodAutoscaler.is(&kind) {
        return Err(doc
            .error_at_path(
                "kind",
                format!("expected kind HorizontalPodAutoscaler, found {kind:?}"),
            )
            .into());
    }
    let api_version = api_version.unwrap_or_default();
    let v1 = match api_version.as_str() {
        "autoscaling/v2" | "autoscaling/v2beta2" => false,
        "autoscaling/v1" => true,
        "autoscaling/v2beta1" => {
            return Err(doc
                .error_at_path(
                    "apiVersion",
                    "autoscaling/v2beta1 is not supported (removed in Kubernetes 1.25; its metric schema differs): convert to autoscaling/v2",
                )
                .into());
        }
        other => {
            return Err(doc
                .error_at_path(
                    "apiVersion",
                    format!("unsupported apiVersion {other:?} for a HorizontalPodAutoscaler (expected autoscaling/v2, autoscaling/v2beta2 or autoscaling/v1)"),
                )
                .into());
        }
    };
    Ok((api_version, v1))
}

/// autoscaling/v1 metrics: the round-trip annotations, then targetCPUUtilizationPercentage.
fn v1_metrics(
    errs: &mut Errors<'_, '_>,
    notes: &mut Vec<String>,
    spec: &RawSpec,
    annotations: &BTreeMap<String, serde_json::Value>,
    behavior: (&mut Option<RawBehavior>, &mut bool),
) -> Vec<MetricSpec> {
    let mut metrics = Vec::new();
    let behavior_source = &*behavior.0;
    if spec.metrics.is_some() {
        errs.add(
            "spec.metrics",
            "autoscaling/v1 has no `metrics`; use apiVersion autoscaling/v2",
        );
    }
    if behavior_source.is_some() {
        errs.add(
            "spec.behavior",
            "autoscaling/v1 has no `behavior`; use apiVersion autoscaling/v2",
        );
    }
    // Convert_v1_HorizontalPodAutoscaler_To_autoscaling_HorizontalPodAutoscaler: metrics and
    // behavior from the round-trip annotations, then the targetCPUUtilizationPercentage one.
    v1_round_trip(errs, notes, annotations, &mut metrics, behavior);
    if let Some(t) = spec.target_cpu_utilization_percentage {
        if t < 1 {
            errs.invalid(
                "spec.targetCPUUtilizationPercentage",
                t,
                "must be greater than 0",
            );
        }
        metrics.push(MetricSpec::resource("cpu", MetricTarget::utilization(t)));
    }
    metrics
}

/// The metrics and behavior kept in autoscaling/v1's round-trip annotations.
fn v1_round_trip(
    errs: &mut Errors<'_, '_>,
    notes: &mut Vec<String>,
    annotations: &BTreeMap<String, serde_json::Value>,
    metrics: &mut Vec<MetricSpec>,
    behavior: (&mut Option<RawBehavior>, &mut bool),
) {
    let (behavior_source, behavior_from_annotation) = behavior;
    let doc = errs.doc;
    match v1_annotations::decode(annotations) {
        Ok(rt) => {
            for (i, m) in rt.metrics.into_iter().enumerate() {
                let path = format!(
                    "metadata.annotations[{}][{i}]",
                    v1_annotations::METRIC_SPECS
                );
                let before = errs.list.len();
                match serde_json::from_value::<RawMetric>(m) {
                    Ok(raw) => {
                        if let Some(ms) = convert_metric(errs, &path, &raw) {
                            metrics.push(ms);
                        }
                    }
                    Err(e) => errs.add(
                        &path,
                        format!(
                            "not a metric spec: {}",
                            crate::yaml::messages::json_words(&e)
                        ),
                    ),
                }
                locate_at_annotation(doc, &mut errs.list[before..], v1_annotations::METRIC_SPECS);
            }
            if let Some(b) = rt.behavior {
                match serde_json::from_value::<RawBehavior>(b) {
                    Ok(b) if behavior_source.is_none() => {
                        *behavior_source = Some(b);
                        *behavior_from_annotation = true;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let before = errs.list.len();
                        errs.add(
                            &format!("metadata.annotations[{}]", v1_annotations::BEHAVIOR_SPECS),
                            format!(
                                "not a behavior spec: {}",
                                crate::yaml::messages::json_words(&e)
                            ),
                        );
                        locate_at_annotation(
                            doc,
                            &mut errs.list[before..],
                            v1_annotations::BEHAVIOR_SPECS,
                        );
                    }
                }
            }
            if rt.empty_behavior {
                notes.push(format!(
                    "annotation {} is empty: no spec.behavior (the API server ignores an empty one)",
                    v1_annotations::BEHAVIOR_SPECS
                ));
            }
        }
        Err(e) => {
            let before = errs.list.len();
            errs.add(
                &format!("metadata.annotations[{}]", e.annotation),
                format!("annotation {} {}", e.annotation, e.message),
            );
            locate_at_annotation(doc, &mut errs.list[before..], e.annotation);
        }
    }
}

/// autoscaling/v2 (and v2beta2) metrics.
fn v2_metrics(
    errs: &mut Errors<'_, '_>,
    notes: &mut Vec<String>,
    spec: &RawSpec,
) -> Vec<MetricSpec> {
    let mut metrics = Vec::new();
    if spec.target_cpu_utilization_percentage.is_some() {
        unknown_push(
            notes,
            "spec.targetCPUUtilizationPercentage is an autoscaling/v1 field; ignored in autoscaling/v2",
        );
    }
    for (i, m) in spec.metrics.iter().flatten().enumerate() {
        if let Some(ms) = convert_metric(errs, &format!("spec.metrics[{i}]"), m) {
            metrics.push(ms);
        }
    }
    metrics
}

/// minReplicas/maxReplicas bounds (and scale-to-zero's metric rule); returns maxReplicas.
fn check_replicas(
    errs: &mut Errors<'_, '_>,
    gates: &FeatureGates,
    spec: &RawSpec,
    metrics: &[MetricSpec],
) -> i32 {
    let lower_bound = if gates.hpa_scale_to_zero { 0 } else { 1 };
    if let Some(min) = spec.min_replicas
        && min < lower_bound
    {
        let why = if gates.hpa_scale_to_zero {
            format!("must be greater than or equal to {lower_bound}")
        } else {
            format!(
                "must be greater than or equal to {lower_bound} (minReplicas 0 needs the HPAScaleToZero feature gate)"
            )
        };
        errs.invalid("spec.minReplicas", min, &why);
    }
    let max = match spec.max_replicas {
        Some(m) => m,
        None => {
            errs.required("spec.maxReplicas", "");
            0
        }
    };
    if spec.max_replicas.is_some() && max < 1 {
        errs.invalid("spec.maxReplicas", max, "must be greater than 0");
    }
    if let Some(min) = spec.min_replicas
        && spec.max_replicas.is_some()
        && max < min
    {
        errs.invalid(
            "spec.maxReplicas",
            max,
            "must be greater than or equal to `minReplicas`",
        );
    }
    if spec.min_replicas == Some(0)
        && !metrics
            .iter()
            .any(|m| matches!(m, MetricSpec::Object { .. } | MetricSpec::External { .. }))
    {
        errs.add(
            "spec.metrics",
            "Forbidden: must specify at least one Object or External metric to support scaling to zero replicas",
        );
    }
    max
}

/// spec.behavior (or the v1 behavior annotation) converted, tolerance dropped when gated off.
fn convert_behavior(
    errs: &mut Errors<'_, '_>,
    notes: &mut Vec<String>,
    gates: &FeatureGates,
    behavior_source: Option<&RawBehavior>,
    behavior_from_annotation: bool,
) -> Option<Behavior> {
    let doc = errs.doc;
    let (bp, before) = if behavior_from_annotation {
        (
            format!("metadata.annotations[{}]", v1_annotations::BEHAVIOR_SPECS),
            errs.list.len(),
        )
    } else {
        ("spec.behavior".to_string(), errs.list.len())
    };
    let behavior = behavior_source.as_ref().map(|b| Behavior {
        scale_up: b
            .scale_up
            .as_ref()
            .map(|r| convert_rules(errs, &format!("{bp}.scaleUp"), r)),
        scale_down: b
            .scale_down
            .as_ref()
            .map(|r| convert_rules(errs, &format!("{bp}.scaleDown"), r)),
    });
    if behavior_from_annotation {
        locate_at_annotation(
            doc,
            &mut errs.list[before..],
            v1_annotations::BEHAVIOR_SPECS,
        );
    }
    behavior.map(|mut b| {
        if !gates.hpa_configurable_tolerance {
            for (dir, rules) in [("scaleUp", &mut b.scale_up), ("scaleDown", &mut b.scale_down)] {
                if let Some(r) = rules
                    && r.tolerance.take().is_some()
                {
                    notes.push(format!(
                        "spec.behavior.{dir}.tolerance dropped: the HPAConfigurableTolerance feature gate is off"
                    ));
                }
            }
        }
        b
    })
}

/// Errors about a round-trip annotation carry the line of its key (their dotted path cannot be
/// looked up: annotation names contain dots, so the lookup stops at `annotations:`).
fn locate_at_annotation(doc: &Document<'_>, errors: &mut [InputError], annotation: &str) {
    let Some((line, col)) = doc.locate("metadata.annotations") else {
        return;
    };
    let at = doc
        .text
        .lines()
        .enumerate()
        .skip(line.saturating_sub(doc.line_offset + 1))
        .find(|(_, l)| l.contains(annotation))
        .map(|(i, l)| (i + 1 + doc.line_offset, l.find(annotation).unwrap_or(0) + 1));
    let (line, col) = at.unwrap_or((line, col));
    for e in errors {
        *e = doc.source.error_at(
            line,
            Some(col),
            e.location.field.as_deref(),
            e.message.clone(),
        );
    }
}

fn unknown_push(notes: &mut Vec<String>, s: &str) {
    notes.push(s.to_string());
}

fn into_error(mut list: Vec<InputError>) -> Error {
    if list.len() == 1 {
        Error::Input(Box::new(list.remove(0)))
    } else {
        Error::Inputs(list)
    }
}

/// `IsValidPathSegmentName`.
fn path_segment_problem(s: &str) -> Option<String> {
    if s == "." || s == ".." {
        return Some(format!("may not be '{s}'"));
    }
    for bad in ["/", "%"] {
        if s.contains(bad) {
            return Some(format!("may not contain '{bad}'"));
        }
    }
    None
}

fn validate_reference(errs: &mut Errors<'_, '_>, path: &str, r: &ObjectReference) {
    if r.kind.is_empty() {
        errs.required(&format!("{path}.kind"), "");
    } else if let Some(p) = path_segment_problem(&r.kind) {
        errs.invalid(&format!("{path}.kind"), &r.kind, &p);
    }
    if r.name.is_empty() {
        errs.required(&format!("{path}.name"), "");
    } else if let Some(p) = path_segment_problem(&r.name) {
        errs.invalid(&format!("{path}.name"), &r.name, &p);
    }
}

fn validate_identifier(
    errs: &mut Errors<'_, '_>,
    path: &str,
    id: &RawIdentifier,
) -> MetricIdentifier {
    let name = id.name.clone().unwrap_or_default();
    if name.is_empty() {
        errs.required(&format!("{path}.name"), "must specify a metric name");
    } else if let Some(p) = path_segment_problem(&name) {
        errs.invalid(&format!("{path}.name"), &name, &p);
    }
    MetricIdentifier {
        name,
        selector: id.selector.clone(),
    }
}

/// `validateMetricTarget` plus conversion; `None` when the type is missing or unknown.
fn validate_target(errs: &mut Errors<'_, '_>, path: &str, t: &RawTarget) -> Option<MetricTarget> {
    let target_type = match t.target_type.as_deref() {
        None | Some("") => {
            errs.required(&format!("{path}.type"), "must specify a metric target type");
            None
        }
        Some("Utilization") => Some(TargetType::Utilization),
        Some("Value") => Some(TargetType::Value),
        Some("AverageValue") => Some(TargetType::AverageValue),
        Some(other) => {
            errs.invalid(
                &format!("{path}.type"),
                other,
                "must be either Utilization, Value, or AverageValue",
            );
            None
        }
    };
    if let Some(v) = t.value
        && v.milli <= 0
    {
        errs.invalid(&format!("{path}.value"), v, "must be positive");
    }
    if let Some(v) = t.average_value
        && v.milli <= 0
    {
        errs.invalid(&format!("{path}.averageValue"), v, "must be positive");
    }
    if let Some(u) = t.average_utilization
        && u < 1
    {
        errs.invalid(
            &format!("{path}.averageUtilization"),
            u,
            "must be greater than 0",
        );
    }
    target_type.map(|target_type| MetricTarget {
        target_type,
        value: t.value,
        average_value: t.average_value,
        average_utilization: t.average_utilization,
    })
}

fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A metric source type and the field that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Object,
    External,
    Pods,
    Resource,
    ContainerResource,
}

/// Every source, in the order the API server reports a populated foreign field.
const SOURCES: [Source; 5] = [
    Source::Object,
    Source::External,
    Source::Pods,
    Source::Resource,
    Source::ContainerResource,
];

impl Source {
    /// The `type:` value.
    fn type_name(self) -> &'static str {
        match self {
            Source::Object => "Object",
            Source::External => "External",
            Source::Pods => "Pods",
            Source::Resource => "Resource",
            Source::ContainerResource => "ContainerResource",
        }
    }

    /// The field that carries the source.
    fn field(self) -> &'static str {
        match self {
            Source::Object => "object",
            Source::External => "external",
            Source::Pods => "pods",
            Source::Resource => "resource",
            Source::ContainerResource => "containerResource",
        }
    }

    fn present_in(self, m: &RawMetric) -> bool {
        match self {
            Source::Object => m.object.is_some(),
            Source::External => m.external.is_some(),
            Source::Pods => m.pods.is_some(),
            Source::Resource => m.resource.is_some(),
            Source::ContainerResource => m.container_resource.is_some(),
        }
    }
}

/// `validateMetricSpec` plus conversion.
fn convert_metric(errs: &mut Errors<'_, '_>, path: &str, m: &RawMetric) -> Option<MetricSpec> {
    let source = metric_source(errs, path, m)?;
    let base = format!("{path}.{}", source.field());
    match source {
        Source::Resource => resource_metric(errs, &base, m.resource.as_ref()?),
        Source::ContainerResource => {
            container_resource_metric(errs, &base, m.container_resource.as_ref()?)
        }
        Source::Pods => pods_metric(errs, &base, m.pods.as_ref()?),
        Source::Object => object_metric(errs, &base, m.object.as_ref()?),
        Source::External => external_metric(errs, &base, m.external.as_ref()?),
    }
}

/// The source `type:` names, when it is known and is the only one populated.
fn metric_source(errs: &mut Errors<'_, '_>, path: &str, m: &RawMetric) -> Option<Source> {
    let metric_type = m.metric_type.clone().unwrap_or_default();
    let expected = SOURCES.into_iter().find(|s| s.type_name() == metric_type);
    if metric_type.is_empty() {
        errs.required(&format!("{path}.type"), "must specify a metric source type");
    } else if expected.is_none() {
        errs.add(
            &format!("{path}.type"),
            format!("Unsupported value: {metric_type:?}: supported values: \"ContainerResource\", \"External\", \"Object\", \"Pods\", \"Resource\""),
        );
    }
    let present: Vec<Source> = SOURCES.into_iter().filter(|s| s.present_in(m)).collect();
    if present.len() > 1 {
        for s in present.iter().filter(|s| Some(**s) != expected) {
            errs.add(
                &format!("{path}.{}", s.field()),
                "Forbidden: must populate the given metric source only",
            );
        }
    }
    let expected = expected?;
    if !present.contains(&expected) {
        errs.required(
            &format!("{path}.{}", expected.field()),
            "must populate information for the given metric source",
        );
        return None;
    }
    Some(expected)
}

fn resource_metric(errs: &mut Errors<'_, '_>, base: &str, r: &RawResource) -> Option<MetricSpec> {
    let name = r.name.clone().unwrap_or_default();
    if name.is_empty() {
        errs.required(&format!("{base}.name"), "must specify a resource name");
    }
    let tp = format!("{base}.target");
    let target = validate_target(errs, &tp, &r.target);
    one_of_utilization_or_value(errs, &tp, &r.target);
    Some(MetricSpec::Resource {
        name,
        target: target?,
    })
}

fn container_resource_metric(
    errs: &mut Errors<'_, '_>,
    base: &str,
    r: &RawContainerResource,
) -> Option<MetricSpec> {
    let name = r.name.clone().unwrap_or_default();
    if name.is_empty() {
        errs.required(&format!("{base}.name"), "must specify a resource name");
    }
    let container = r.container.clone().unwrap_or_default();
    if container.is_empty() {
        errs.required(&format!("{base}.container"), "must specify a container");
    } else if !is_dns1123_label(&container) {
        errs.invalid(
            &format!("{base}.container"),
            &container,
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        );
    }
    let tp = format!("{base}.target");
    let target = validate_target(errs, &tp, &r.target);
    one_of_utilization_or_value(errs, &tp, &r.target);
    Some(MetricSpec::ContainerResource {
        name,
        container,
        target: target?,
    })
}

fn pods_metric(errs: &mut Errors<'_, '_>, base: &str, s: &RawMetricSource) -> Option<MetricSpec> {
    let metric = validate_identifier(errs, &format!("{base}.metric"), &s.metric);
    let tp = format!("{base}.target");
    let target = validate_target(errs, &tp, &s.target);
    if s.target.average_value.is_none() {
        errs.required(
            &format!("{tp}.averageValue"),
            "must specify a positive target averageValue",
        );
    }
    Some(MetricSpec::Pods {
        metric,
        target: target?,
    })
}

fn object_metric(errs: &mut Errors<'_, '_>, base: &str, o: &RawObject) -> Option<MetricSpec> {
    let described_object = ObjectReference {
        kind: o.described_object.kind.clone().unwrap_or_default(),
        name: o.described_object.name.clone().unwrap_or_default(),
        api_version: o.described_object.api_version.clone().unwrap_or_default(),
    };
    validate_reference(errs, &format!("{base}.describedObject"), &described_object);
    let metric = validate_identifier(errs, &format!("{base}.metric"), &o.metric);
    let tp = format!("{base}.target");
    let target = validate_target(errs, &tp, &o.target);
    if o.target.value.is_none() && o.target.average_value.is_none() {
        errs.required(
            &format!("{tp}.averageValue"),
            "must set either a target value or averageValue",
        );
    }
    Some(MetricSpec::Object {
        described_object,
        metric,
        target: target?,
    })
}

fn external_metric(
    errs: &mut Errors<'_, '_>,
    base: &str,
    s: &RawMetricSource,
) -> Option<MetricSpec> {
    let metric = validate_identifier(errs, &format!("{base}.metric"), &s.metric);
    let tp = format!("{base}.target");
    let target = validate_target(errs, &tp, &s.target);
    if s.target.value.is_none() && s.target.average_value.is_none() {
        errs.required(
            &format!("{tp}.averageValue"),
            "must set either a target value for metric or a per-pod target",
        );
    }
    if s.target.value.is_some() && s.target.average_value.is_some() {
        errs.add(
            &format!("{tp}.value"),
            "Forbidden: may not set both a target value for metric and a per-pod target",
        );
    }
    Some(MetricSpec::External {
        metric,
        target: target?,
    })
}

fn one_of_utilization_or_value(errs: &mut Errors<'_, '_>, tp: &str, t: &RawTarget) {
    if t.average_utilization.is_none() && t.average_value.is_none() {
        errs.required(
            &format!("{tp}.averageUtilization"),
            "must set either a target raw value or a target utilization",
        );
    }
    if t.average_utilization.is_some() && t.average_value.is_some() {
        errs.add(
            &format!("{tp}.averageValue"),
            "Forbidden: may not set both a target raw value and a target utilization",
        );
    }
}

/// `validateScalingRules` plus conversion.
fn convert_rules(errs: &mut Errors<'_, '_>, path: &str, r: &RawRules) -> ScalingRules {
    if let Some(w) = r.stabilization_window_seconds {
        check_window(errs, path, w);
    }
    let select_policy = r
        .select_policy
        .as_deref()
        .and_then(|p| convert_select_policy(errs, path, p));
    let policies = r.policies.as_ref().map(|list| {
        if list.is_empty() {
            errs.required(
                &format!("{path}.policies"),
                "must specify at least one Policy",
            );
        }
        list.iter()
            .enumerate()
            .filter_map(|(i, p)| convert_policy(errs, &format!("{path}.policies[{i}]"), p))
            .collect::<Vec<_>>()
    });
    // `Tolerance.AsApproximateFloat64()` (horizontal.go): every digit the quantity keeps.
    let tolerance = r.tolerance.as_ref().map(|t| {
        if t.value < 0.0 {
            errs.invalid(
                &format!("{path}.tolerance"),
                &t.text,
                "must be greater than or equal to 0",
            );
        }
        t.value
    });
    ScalingRules {
        stabilization_window_seconds: r.stabilization_window_seconds,
        select_policy,
        policies,
        tolerance,
    }
}

/// `stabilizationWindowSeconds` within `[0, MAX_STABILIZATION_WINDOW_SECONDS]`.
fn check_window(errs: &mut Errors<'_, '_>, path: &str, w: i32) {
    if w < 0 {
        errs.invalid(
            &format!("{path}.stabilizationWindowSeconds"),
            w,
            "must be greater than or equal to zero",
        );
    }
    if w > MAX_STABILIZATION_WINDOW_SECONDS {
        errs.invalid(
            &format!("{path}.stabilizationWindowSeconds"),
            w,
            &format!("must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}"),
        );
    }
}

fn convert_select_policy(
    errs: &mut Errors<'_, '_>,
    path: &str,
    text: &str,
) -> Option<SelectPolicy> {
    match text {
        "Max" => Some(SelectPolicy::Max),
        "Min" => Some(SelectPolicy::Min),
        "Disabled" => Some(SelectPolicy::Disabled),
        other => {
            errs.add(
                &format!("{path}.selectPolicy"),
                format!(
                    "Unsupported value: {other:?}: supported values: \"Disabled\", \"Max\", \"Min\""
                ),
            );
            None
        }
    }
}

/// One `policies[i]` entry: its type, a positive value and a period in `(0, MAX_PERIOD_SECONDS]`.
fn convert_policy(errs: &mut Errors<'_, '_>, pp: &str, p: &RawPolicy) -> Option<ScalingPolicy> {
    let policy_type = match p.policy_type.as_deref() {
        Some("Pods") => Some(PolicyType::Pods),
        Some("Percent") => Some(PolicyType::Percent),
        other => {
            errs.add(
                &format!("{pp}.type"),
                format!(
                    "Unsupported value: {:?}: supported values: \"Percent\", \"Pods\"",
                    other.unwrap_or("")
                ),
            );
            None
        }
    };
    let value = p.value.unwrap_or(0);
    if value <= 0 {
        errs.invalid(&format!("{pp}.value"), value, "must be greater than zero");
    }
    let period = p.period_seconds.unwrap_or(0);
    if period <= 0 {
        errs.invalid(
            &format!("{pp}.periodSeconds"),
            period,
            "must be greater than zero",
        );
    }
    if period > MAX_PERIOD_SECONDS {
        errs.invalid(
            &format!("{pp}.periodSeconds"),
            period,
            &format!("must be less than or equal to {MAX_PERIOD_SECONDS}"),
        );
    }
    policy_type.map(|policy_type| ScalingPolicy {
        policy_type,
        value,
        period_seconds: period,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Source, split_documents};

    fn load(text: &str) -> Result<LoadedHpa, Error> {
        load_gated(text, FeatureGates::default())
    }
    fn load_gated(text: &str, gates: FeatureGates) -> Result<LoadedHpa, Error> {
        let src = Source::from_string("hpa.yaml", text);
        let docs = split_documents(&src);
        load_hpa(&docs[0], &gates)
    }
    fn err_text(text: &str) -> String {
        load(text).unwrap_err().to_string()
    }

    const FULL: &str = r#"apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
  namespace: prod
  annotations:
    meta.helm.sh/release-name: web
  managedFields: []
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  minReplicas: 2
  maxReplicas: 20
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 60
  - type: Pods
    pods:
      metric:
        name: requests_per_second
      target:
        type: AverageValue
        averageValue: 500m
  - type: External
    external:
      metric:
        name: queue_messages_ready
        selector:
          matchLabels:
            queue: jobs
      target:
        type: Value
        value: "10"
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 120
      policies:
      - type: Percent
        value: 50
        periodSeconds: 60
      tolerance: 0.05
    scaleUp:
      selectPolicy: Min
  fancyNewField: true
status:
  currentReplicas: 3
  desiredReplicas: 3
"#;

    #[test]
    fn loads_a_full_v2_manifest() {
        let h = load(FULL).unwrap();
        assert_eq!(h.name, "web");
        assert_eq!(h.namespace.as_deref(), Some("prod"));
        assert_eq!(h.scale_target_ref.kind, "Deployment");
        assert_eq!(h.spec.min_replicas, Some(2));
        assert_eq!(h.spec.max_replicas, 20);
        assert_eq!(h.spec.metrics.len(), 3);
        assert_eq!(
            h.spec.metrics[0],
            MetricSpec::resource("cpu", MetricTarget::utilization(60))
        );
        match &h.spec.metrics[1] {
            MetricSpec::Pods { target, .. } => {
                assert_eq!(target.average_value, Some(Quantity::from_milli(500)))
            }
            m => panic!("{m:?}"),
        }
        match &h.spec.metrics[2] {
            MetricSpec::External { metric, target } => {
                assert_eq!(target.value, Some(Quantity::from_milli(10_000)));
                assert_eq!(
                    metric.selector.as_ref().unwrap().match_labels["queue"],
                    "jobs"
                );
            }
            m => panic!("{m:?}"),
        }
        let b = h.spec.behavior.as_ref().unwrap();
        let down = b.scale_down.as_ref().unwrap();
        assert_eq!(down.stabilization_window_seconds, Some(120));
        assert_eq!(down.tolerance, Some(0.05));
        assert_eq!(
            down.policies.as_ref().unwrap(),
            &vec![ScalingPolicy::percent(50, 60)]
        );
        assert_eq!(
            b.scale_up.as_ref().unwrap().select_policy,
            Some(SelectPolicy::Min)
        );
        // status and metadata extras are fine; the unknown spec key is reported
        assert_eq!(h.unknown_fields, vec!["spec.fancyNewField".to_string()]);
        assert!(h.warnings()[0].contains("not modelled"));
    }

    #[test]
    fn v1_converts_target_cpu_and_defaults_to_80() {
        let h = load("apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\nspec:\n  scaleTargetRef: {kind: Deployment, name: a}\n  maxReplicas: 5\n  targetCPUUtilizationPercentage: 70\n").unwrap();
        assert_eq!(
            h.spec.metrics,
            vec![MetricSpec::resource("cpu", MetricTarget::utilization(70))]
        );
        assert_eq!(h.spec.min(), 1);
        let h = load("apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\nspec:\n  scaleTargetRef: {kind: Deployment, name: a}\n  maxReplicas: 5\n").unwrap();
        assert_eq!(h.spec.metrics, vec![MetricSpec::default_cpu()]);
    }

    /// What `kubectl get hpa.v1.autoscaling -o yaml` prints for an HPA created in v2 with a
    /// cpu target, a Pods metric and a behavior.
    const V1_ROUND_TRIP: &str = r#"apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata:
  name: web
  annotations:
    autoscaling.alpha.kubernetes.io/behavior: '{"ScaleUp":{"StabilizationWindowSeconds":0,"SelectPolicy":"Max","Policies":[{"Type":"Pods","Value":2,"PeriodSeconds":60}]},"ScaleDown":{"StabilizationWindowSeconds":120,"SelectPolicy":"Max","Policies":[{"Type":"Percent","Value":10,"PeriodSeconds":60}],"Tolerance":"1500u"}}'
    autoscaling.alpha.kubernetes.io/conditions: '[{"type":"AbleToScale","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z","reason":"ReadyForNewScale"}]'
    autoscaling.alpha.kubernetes.io/current-metrics: '[{"type":"Pods","pods":{"metricName":"rps","currentAverageValue":"8"}}]'
    autoscaling.alpha.kubernetes.io/metrics: '[{"type":"Pods","pods":{"metricName":"rps","targetAverageValue":"10"}}]'
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  targetCPUUtilizationPercentage: 60
status:
  currentReplicas: 2
  desiredReplicas: 2
"#;

    #[test]
    fn v1_round_trip_annotations_restore_metrics_and_behavior() {
        let h = load(V1_ROUND_TRIP).unwrap();
        // Annotation metrics first, then the targetCPUUtilizationPercentage one, as upstream.
        assert_eq!(h.spec.metrics.len(), 2, "{:?}", h.spec.metrics);
        match &h.spec.metrics[0] {
            MetricSpec::Pods { metric, target } => {
                assert_eq!(metric.name, "rps");
                assert_eq!(target.target_type, TargetType::AverageValue);
                assert_eq!(target.average_value, Some(Quantity::from_milli(10_000)));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            h.spec.metrics[1],
            MetricSpec::resource("cpu", MetricTarget::utilization(60))
        );
        let b = h.spec.behavior.expect("behavior restored");
        let up = b.scale_up.unwrap();
        assert_eq!(up.stabilization_window_seconds, Some(0));
        assert_eq!(
            up.policies,
            Some(vec![ScalingPolicy {
                policy_type: PolicyType::Pods,
                value: 2,
                period_seconds: 60
            }])
        );
        let down = b.scale_down.unwrap();
        assert_eq!(down.stabilization_window_seconds, Some(120));
        assert_eq!(down.tolerance, Some(0.0015));
        assert!(h.unknown_fields.is_empty(), "{:?}", h.unknown_fields);
    }

    #[test]
    fn malformed_v1_round_trip_annotations_are_errors_naming_them() {
        let broken = V1_ROUND_TRIP.replace(
            r#"'[{"type":"Pods","pods":{"metricName":"rps","targetAverageValue":"10"}}]'"#,
            r#"'[{"type":"Pods","pods":'"#,
        );
        let e = load(&broken).unwrap_err().to_string();
        assert!(e.contains("autoscaling.alpha.kubernetes.io/metrics"), "{e}");
        assert!(e.contains("not valid JSON"), "{e}");
        assert!(e.contains(":9:"), "located at the annotation's line: {e}");
        // Decoded but invalid: validated like spec.metrics, the path names the annotation.
        let invalid = V1_ROUND_TRIP.replace(
            r#""targetAverageValue":"10""#,
            r#""targetAverageValue":"-1""#,
        );
        let e = load(&invalid).unwrap_err().to_string();
        assert!(
            e.contains("metadata.annotations[autoscaling.alpha.kubernetes.io/metrics][0].pods.target.averageValue"),
            "{e}"
        );
        let bad_behavior = V1_ROUND_TRIP.replace(
            r#""Policies":[{"Type":"Pods""#,
            r#""Policies":[{"Type":"Nodes""#,
        );
        let e = load(&bad_behavior).unwrap_err().to_string();
        assert!(
            e.contains("autoscaling.alpha.kubernetes.io/behavior"),
            "{e}"
        );
        assert!(e.contains("Nodes"), "{e}");
        let bad_status =
            V1_ROUND_TRIP.replace(r#"'[{"type":"AbleToScale""#, r#"'{"type":"AbleToScale""#);
        let e = load(&bad_status).unwrap_err().to_string();
        assert!(
            e.contains("autoscaling.alpha.kubernetes.io/conditions"),
            "{e}"
        );
    }

    #[test]
    fn sub_milli_tolerance_keeps_full_precision() {
        for (text, want) in [
            ("\"0.0005\"", 0.0005),
            ("1500u", 0.0015),
            ("0.0005", 0.0005),
        ] {
            let spec =
                format!("  maxReplicas: 3\n  behavior:\n    scaleUp:\n      tolerance: {text}\n");
            let h = load(&with_spec(&spec)).unwrap();
            assert_eq!(
                h.spec.behavior.unwrap().scale_up.unwrap().tolerance,
                Some(want),
                "{text}"
            );
        }
    }

    #[test]
    fn v2beta2_is_accepted() {
        let t = FULL.replace("autoscaling/v2\n", "autoscaling/v2beta2\n");
        assert!(load(&t).is_ok());
    }

    fn with_spec(spec: &str) -> String {
        format!(
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: a\nspec:\n  scaleTargetRef:\n    kind: Deployment\n    name: a\n{spec}"
        )
    }

    #[test]
    fn rejections_are_located_and_name_the_rule() {
        let cases: Vec<(&str, &str, &str)> = vec![
            (
                "  minReplicas: 0\n  maxReplicas: 3\n",
                "spec.minReplicas",
                "must be greater than or equal to 1",
            ),
            (
                "  maxReplicas: 0\n",
                "spec.maxReplicas",
                "must be greater than 0",
            ),
            (
                "  minReplicas: 5\n  maxReplicas: 3\n",
                "spec.maxReplicas",
                "must be greater than or equal to `minReplicas`",
            ),
            (
                "  maxReplicas: 3\n  metrics:\n  - type: Foo\n",
                "spec.metrics[0].type",
                "Unsupported value",
            ),
            (
                "  maxReplicas: 3\n  metrics:\n  - type: Resource\n",
                "spec.metrics[0].resource",
                "must populate information",
            ),
            (
                "  maxReplicas: 3\n  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n      target:\n        type: Utilization\n        averageUtilization: 0\n",
                "spec.metrics[0].resource.target.averageUtilization",
                "must be greater than 0",
            ),
            (
                "  maxReplicas: 3\n  metrics:\n  - type: Pods\n    pods:\n      metric: {name: rps}\n      target: {type: AverageValue, averageValue: \"-1\"}\n",
                "spec.metrics[0].pods.target.averageValue",
                "must be positive",
            ),
            (
                "  maxReplicas: 3\n  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n      target:\n        type: Utilization\n",
                "spec.metrics[0].resource.target.averageUtilization",
                "must set either a target raw value or a target utilization",
            ),
            (
                "  maxReplicas: 3\n  behavior:\n    scaleUp:\n      stabilizationWindowSeconds: 3601\n",
                "spec.behavior.scaleUp.stabilizationWindowSeconds",
                "less than or equal to 3600",
            ),
            (
                "  maxReplicas: 3\n  behavior:\n    scaleDown:\n      policies:\n      - {type: Pods, value: 0, periodSeconds: 15}\n",
                "spec.behavior.scaleDown.policies[0].value",
                "must be greater than zero",
            ),
            (
                "  maxReplicas: 3\n  behavior:\n    scaleDown:\n      policies:\n      - {type: Pods, value: 1, periodSeconds: 1801}\n",
                "spec.behavior.scaleDown.policies[0].periodSeconds",
                "less than or equal to 1800",
            ),
            (
                "  maxReplicas: 3\n  behavior:\n    scaleDown:\n      policies: []\n",
                "spec.behavior.scaleDown.policies",
                "at least one Policy",
            ),
            (
                "  maxReplicas: 3\n  behavior:\n    scaleUp:\n      selectPolicy: Fastest\n",
                "spec.behavior.scaleUp.selectPolicy",
                "Unsupported value",
            ),
            (
                "  maxReplicas: 3\n  behavior:\n    scaleUp:\n      tolerance: -0.1\n",
                "spec.behavior.scaleUp.tolerance",
                "greater than or equal to 0",
            ),
        ];
        for (spec, field, rule) in cases {
            let e = load(&with_spec(spec)).unwrap_err();
            let list = match &e {
                Error::Input(ie) => vec![(**ie).clone()],
                Error::Inputs(l) => l.clone(),
                _ => panic!("{e}"),
            };
            let ie = list
                .iter()
                .find(|ie| ie.location.field.as_deref() == Some(field))
                .unwrap_or_else(|| panic!("no error at {field}: {e}"));
            assert!(ie.location.line.is_some(), "{e}");
            assert!(ie.message.contains(rule), "{field}: {e}");
        }
    }

    #[test]
    fn scale_to_zero_needs_gate_and_object_or_external_metric() {
        let spec = "  minReplicas: 0\n  maxReplicas: 3\n";
        let gates = FeatureGates {
            hpa_scale_to_zero: true,
            ..Default::default()
        };
        let e = load_gated(&with_spec(spec), gates).unwrap_err().to_string();
        assert!(e.contains("at least one Object or External metric"), "{e}");
        let ok = "  minReplicas: 0\n  maxReplicas: 3\n  metrics:\n  - type: External\n    external:\n      metric: {name: q}\n      target: {type: AverageValue, averageValue: 5}\n";
        assert!(load_gated(&with_spec(ok), gates).is_ok());
        assert!(load(&with_spec(ok)).is_err());
    }

    #[test]
    fn tolerance_dropped_when_gate_off() {
        let spec = "  maxReplicas: 3\n  behavior:\n    scaleUp:\n      tolerance: 0.2\n";
        let gates = FeatureGates {
            hpa_configurable_tolerance: false,
            ..Default::default()
        };
        let h = load_gated(&with_spec(spec), gates).unwrap();
        assert_eq!(h.spec.behavior.unwrap().scale_up.unwrap().tolerance, None);
        assert_eq!(h.notes.len(), 1);
    }

    #[test]
    fn wrong_kind_and_api_version() {
        assert!(
            err_text("apiVersion: apps/v1\nkind: Deployment\n")
                .contains("expected kind HorizontalPodAutoscaler")
        );
        assert!(
            err_text("apiVersion: autoscaling/v2beta1\nkind: HorizontalPodAutoscaler\n")
                .contains("v2beta1")
        );
        let e = err_text(
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\nspec:\n  maxReplicas: 3\n",
        );
        assert!(e.contains("spec.scaleTargetRef.kind"), "{e}");
    }

    #[test]
    fn several_errors_are_all_reported() {
        match load(&with_spec("  minReplicas: 0\n  maxReplicas: 0\n")).unwrap_err() {
            Error::Inputs(list) => assert!(list.len() >= 2),
            e => panic!("{e}"),
        }
    }
}
