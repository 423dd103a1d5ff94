//! Validation of ScaledObjects and ScaledJobs as KEDA's API server (CRD schema and CEL rule),
//! admission webhook (apis/keda/v1alpha1/scaledobject_webhook.go) and controller do it, plus
//! scalesim's own warnings for settings KEDA accepts but that probably do not do what was
//! meant. Each object yields an [`ObjectReport`] and, when KEDA would run it, a model the
//! simulation can drive.
//!
//! Entry point: [`validate_source`] (every document of a file; TriggerAuthentications,
//! workloads, HPAs and LimitRanges in the same file are used by the rules that need them).
//!
//! The rules, in the project's words: docs/keda.md#validation.

use super::cluster::{self, ClusterObjects, same_namespace};
use super::findings::Findings;
use super::formula::Formula;
use super::generated_hpa::{self, HpaInputs, hpa_name};
use super::manifest::{Annotations, ObjectMeta, ScaledJobManifest, ScaledObjectManifest};
use super::metric::{MetricSource, TargetType, milli_to_f64};
use super::model::{
    FallbackBehavior, FallbackConfig, Modifiers, ScaledObjectModel, TargetRef, hpa_min_replicas,
};
use super::params::EnvKnowledge;
use super::report::{ObjectReport, PausePlan, Severity, SimulationPlan};
use super::scaledjob::{JobStrategy, ScaledJobModel};
use super::triggers::{self, Owner};
use crate::manifest::kind::ObjectKind;
use crate::yaml::{Document, Source, split_documents};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A runnable KEDA object.
#[allow(clippy::large_enum_variant)] // a handful per run; boxing buys nothing
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind")]
pub enum KedaObject {
    ScaledObject(ScaledObjectModel),
    ScaledJob(ScaledJobModel),
}

/// One validated object: its report and, when it has no errors, its model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidatedObject {
    pub report: ObjectReport,
    pub model: Option<KedaObject>,
}

/// The validation of a whole file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceReport {
    pub(crate) file: String,
    /// Problems of the file itself (YAML syntax, unrendered templates).
    pub file_findings: Vec<super::report::Finding>,
    pub objects: Vec<ValidatedObject>,
}

impl SourceReport {
    /// Every error of the file as one [`crate::Error`] (exit code 2), or None when KEDA would
    /// accept everything.
    pub fn to_error(&self) -> Option<crate::Error> {
        let errors: Vec<crate::InputError> = self
            .file_findings
            .iter()
            .chain(self.objects.iter().flat_map(|o| o.report.findings.iter()))
            .filter(|f| f.severity == Severity::Error)
            .map(super::report::Finding::to_input_error)
            .collect();
        (!errors.is_empty()).then_some(crate::Error::Inputs(errors))
    }

    /// The runnable objects (those without errors).
    pub fn models(&self) -> impl Iterator<Item = &KedaObject> {
        self.objects.iter().filter_map(|o| o.model.as_ref())
    }
}

const KEDA_API_VERSION: &str = "keda.sh/v1alpha1";

/// Built-in API groups: served versions and the kinds that have a `/scale` subresource.
/// (group, served versions, kinds with /scale, other kinds).
type GroupTable = &'static [(
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
)];

const BUILTIN_GROUPS: GroupTable = &[
    // group, versions, scalable kinds, other kinds
    (
        "",
        &["v1"],
        &["ReplicationController"],
        &["Pod", "Service", "ConfigMap", "Secret"],
    ),
    (
        "apps",
        &["v1"],
        &["Deployment", "StatefulSet", "ReplicaSet"],
        &["DaemonSet", "ControllerRevision"],
    ),
    ("batch", &["v1"], &[], &["Job", "CronJob"]),
    (
        "autoscaling",
        &["v1", "v2"],
        &[],
        &["HorizontalPodAutoscaler"],
    ),
];

/// `ParseGVKR` + the REST mapping of built-in groups. Ok(None): a custom resource scalesim
/// cannot check.
fn check_scale_target(api_version: &str, kind: &str) -> Result<Option<()>, String> {
    let (group, version) = match api_version.matches('/').count() {
        0 => ("", api_version),
        1 => api_version.split_once('/').unwrap_or(("", api_version)),
        _ => return Err(format!("unexpected GroupVersion string: {api_version}")),
    };
    let Some((_, versions, scalable, other)) = BUILTIN_GROUPS.iter().find(|(g, ..)| *g == group)
    else {
        return Ok(None);
    };
    if !versions.contains(&version) || !(scalable.contains(&kind) || other.contains(&kind)) {
        return Err(format!(
            "no matches for kind \"{kind}\" in version \"{api_version}\""
        ));
    }
    if !scalable.contains(&kind) {
        return Err(format!(
            "{kind} in {api_version} has no /scale subresource, so KEDA cannot scale it"
        ));
    }
    Ok(Some(()))
}

fn env_of_workload(w: Option<&cluster::Workload>, container: Option<&str>) -> EnvKnowledge {
    let Some(w) = w else {
        return EnvKnowledge::Unknown;
    };
    let c = match container.filter(|c| !c.is_empty()) {
        Some(name) => w.containers.iter().find(|c| c.name == name),
        None => w.containers.first(),
    };
    match c {
        Some(c) if !c.has_env_from => EnvKnowledge::Known(c.env.clone()),
        _ => EnvKnowledge::Unknown,
    }
}

/// Identity of a ScaledObject for the "one ScaledObject per workload / per HPA" rules.
#[derive(Debug, Clone)]
struct SoIdentity {
    name: String,
    namespace: Option<String>,
    gvk: String,
    target: String,
    hpa: String,
}

fn gvk_string(api_version: &str, kind: &str) -> String {
    format!("{api_version}.{kind}")
}

fn parse_failure(doc: &Document, kind: ObjectKind, e: crate::error::InputError) -> ValidatedObject {
    let f = super::report::Finding {
        severity: Severity::Error,
        rule: "crd.schema".into(),
        message: format!(
            "the API server rejects this {kind}: {}",
            strip_position(&e.message)
        ),
        field: e.location.field.clone(),
        file: Some(doc.source.path.display().to_string()),
        line: e.location.line,
        column: e.location.column,
    };
    ValidatedObject {
        report: ObjectReport {
            kind: kind.to_string(),
            name: None,
            namespace: None,
            document: doc.index,
            findings: vec![f],
            plan: None,
        },
        model: None,
    }
}

/// serde-saphyr messages may carry a document-relative "at line X, column Y"; the finding has
/// the file-wide position already.
fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) if msg[i..].contains("column") => {
            let rest = &msg[i + 9..];
            let end = rest.find("column").map(|c| {
                let after = &rest[c + 6..];
                let digits = after
                    .trim_start()
                    .find(|ch: char| !ch.is_ascii_digit())
                    .unwrap_or(after.trim_start().len());
                c + 6 + (after.len() - after.trim_start().len()) + digits
            });
            match end {
                Some(e) => format!("{}{}", &msg[..i], &rest[e..]),
                None => msg.to_string(),
            }
        }
        _ => msg.to_string(),
    }
}

/// `metadata` fields of a Kubernetes object (`ObjectMeta`); anything else is dropped.
const OBJECT_META_FIELDS: &[&str] = &[
    "name",
    "namespace",
    "labels",
    "annotations",
    "generateName",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "ownerReferences",
    "finalizers",
    "managedFields",
    "selfLink",
];

/// Unknown fields (paths such as `spec.triggers[0].foo`), including keys under `metadata`
/// that `ObjectMeta` does not have (a typo such as `namepsace` silently loses the field).
fn report_unknown_fields(f: &mut Findings, unknown: Vec<String>, metadata: &ObjectMeta) {
    let extra_meta = metadata
        .other
        .keys()
        .filter(|k| !OBJECT_META_FIELDS.contains(&k.as_str()))
        .map(|k| format!("metadata.{k}"));
    for path in unknown.into_iter().chain(extra_meta) {
        if path == "status" || path.starts_with("status.") || path.starts_with("status[") {
            continue;
        }
        let owner = if path.starts_with("metadata.") {
            "Kubernetes object metadata"
        } else {
            "KEDA"
        };
        f.not_modelled(
            "not-modelled.unknown-field",
            Some(path.clone()),
            format!("unknown field `{path}` is not modelled: {owner} has no such field (the API server drops it; strict kubectl validation rejects it)"),
        );
    }
}

/// A field the CRD schema marks required is missing (the API server's `Required value`).
fn required(f: &mut Findings, field: &str) {
    f.error(
        "crd.required",
        Some(field.into()),
        format!("{field}: Required value"),
    );
}

fn check_minimum(f: &mut Findings, field: &str, v: Option<i32>, min: i32) {
    if let Some(v) = v
        && v < min
    {
        f.error(
            "crd.minimum",
            Some(field.into()),
            format!("{field}: Invalid value: {v}: should be greater than or equal to {min}"),
        );
    }
}

/// Trigger metadata values written as unquoted numbers or booleans. The CRD declares them
/// strings, so the API server rejects them (`must be of type string`); scalesim reads them as
/// the text written and warns.
fn unquoted_metadata(
    f: &mut Findings,
    doc: &Document,
    triggers: Option<&Vec<super::manifest::Trigger>>,
) {
    let lines: Vec<&str> = doc.source.text.lines().collect();
    for (i, t) in triggers.into_iter().flatten().enumerate() {
        for (k, v) in t.metadata.iter().flatten() {
            let field = format!("spec.triggers[{i}].metadata.{k}");
            let Some((line, col)) = doc.locate(&field) else {
                continue;
            };
            let Some(text) = lines.get(line.saturating_sub(1)) else {
                continue;
            };
            let first = text.chars().nth(col.saturating_sub(1));
            if matches!(first, Some('"') | Some('\'')) {
                continue;
            }
            let raw = v.as_str().trim();
            let looks_typed = crate::keda::go::json_float(raw).is_ok()
                || matches!(
                    raw.to_ascii_lowercase().as_str(),
                    "true" | "false" | "yes" | "no" | "on" | "off"
                );
            if looks_typed && !raw.is_empty() {
                f.warn(
                    "k8s.metadata-not-string",
                    Some(field),
                    format!("unquoted `{raw}`: trigger metadata values are strings, and the API server rejects a number or boolean here (\"must be of type string\"); scalesim reads it as \"{raw}\" — quote it"),
                );
            }
        }
    }
}

fn check_enum(f: &mut Findings, field: &str, v: Option<&str>, allowed: &[&str]) -> bool {
    match v {
        Some(x) if !allowed.contains(&x) => {
            let list: Vec<String> = allowed.iter().map(|a| format!("{a:?}")).collect();
            f.error(
                "crd.enum",
                Some(field.into()),
                format!(
                    "{field}: Unsupported value: {x:?}: supported values: {}",
                    list.join(", ")
                ),
            );
            false
        }
        _ => true,
    }
}

/// `rollout.strategy` and the deprecated `rolloutStrategy` (docs/keda.md#scaledjob): KEDA's
/// controller reads the deprecated field when it is non-empty, else `rollout.strategy`, and
/// treats every value but `gradual` as the default rollout (delete the previous version's
/// Jobs). Any string is accepted; one that is not a documented name gets a warning.
fn rollout_strategy_checks(f: &mut Findings, s: &super::manifest::ScaledJobSpec) {
    let deprecated = s.rollout_strategy.as_deref().filter(|v| !v.is_empty());
    let current = s.rollout.as_ref().and_then(|r| r.strategy.as_deref());
    for (field, value) in [
        ("spec.rolloutStrategy", deprecated),
        ("spec.rollout.strategy", current),
    ] {
        if let Some(v) = value
            && !ROLLOUT_STRATEGIES.contains(&v)
        {
            f.warn(
                "warn.rollout-strategy",
                Some(field.into()),
                format!(
                    "{field} {v:?} is not one of \"default\", \"gradual\", \"immediate\": KEDA accepts it and rolls out as with \"default\" (Jobs of the previous version are deleted on update)"
                ),
            );
        }
    }
    if deprecated.is_some() && current.is_some() {
        f.warn(
            "warn.rollout-strategy",
            Some("spec.rollout.strategy".into()),
            "both rolloutStrategy and rollout.strategy are set: KEDA reads the deprecated rolloutStrategy and ignores rollout.strategy",
        );
    }
}

/// The rollout names KEDA documents or its CRD lists: `default` and `immediate` (one
/// behaviour) and `gradual` (running Jobs of the previous version are left to finish).
const ROLLOUT_STRATEGIES: &[&str] = &["default", "gradual", "immediate"];

fn name_checks(f: &mut Findings, name: &Option<String>) {
    match name.as_deref() {
        None | Some("") => f.error(
            "k8s.name-required",
            Some("metadata.name".into()),
            "metadata.name is required",
        ),
        Some(_) => {}
    }
}

/// What the phases of a ScaledObject's validation share: the spec and the values derived
/// from it before any rule runs.
struct SoCtx<'a> {
    s: &'a super::manifest::ScaledObjectSpec,
    so_name: String,
    ns: Option<String>,
    ann: Annotations,
    target: super::manifest::ScaleTargetRef,
    adv: super::manifest::Advanced,
    sm: super::manifest::ScalingModifiers,
    uses_modifiers: bool,
    custom_hpa_name: Option<String>,
    hpa: String,
    hpa_max: i32,
    trigger_types: Vec<String>,
    min: i32,
    polling: i32,
    cooldown: i32,
    metric_type: TargetType,
}

impl<'a> SoCtx<'a> {
    fn new(m: &'a ScaledObjectManifest) -> Self {
        let s = &m.spec;
        let so_name = m.metadata.name.clone().unwrap_or_default();
        let adv = s.advanced.clone().unwrap_or_default();
        let sm = adv.scaling_modifiers.clone().unwrap_or_default();
        let custom_hpa_name = adv
            .horizontal_pod_autoscaler_config
            .as_ref()
            .and_then(|h| h.name.clone());
        let hpa = hpa_name(&so_name, custom_hpa_name.as_deref());
        let trigger_types: Vec<String> = s
            .triggers
            .iter()
            .flatten()
            .map(|t| t.trigger_type.clone().unwrap_or_default())
            .collect();
        let metric_type = sm
            .metric_type
            .as_deref()
            .and_then(TargetType::parse)
            .unwrap_or(TargetType::AverageValue);
        SoCtx {
            s,
            ns: m.metadata.namespace.clone(),
            ann: Annotations::from_map(m.metadata.annotation_pairs()),
            target: s.scale_target_ref.clone().unwrap_or_default(),
            uses_modifiers: sm.is_set(),
            hpa_max: s.max_replica_count.unwrap_or(100),
            min: s.min_replica_count.unwrap_or(0),
            polling: s.polling_interval.unwrap_or(30),
            cooldown: s.cooldown_period.unwrap_or(300),
            so_name,
            adv,
            sm,
            custom_hpa_name,
            hpa,
            trigger_types,
            metric_type,
        }
    }
}

/// A cpu or memory trigger (a `Resource` metric, not an external one).
fn is_res(t: &str) -> bool {
    t == "cpu" || t == "memory"
}

/// The scale target a ScaledObject names, with defaults applied, and the workload it found.
struct SoTarget<'c> {
    api_version: String,
    kind: String,
    target_name: String,
    gvk: String,
    workload: Option<&'c cluster::Workload>,
}

fn validate_so_inner(
    doc: &Document,
    cluster: &ClusterObjects,
    others: &[SoIdentity],
) -> ValidatedObject {
    let mut unknown = Vec::new();
    let m: ScaledObjectManifest = match doc.parse_reporting_unknown(&mut |p| unknown.push(p)) {
        Ok(m) => m,
        Err(e) => return parse_failure(doc, ObjectKind::ScaledObject, e),
    };
    let mut f = Findings::default();
    report_unknown_fields(&mut f, unknown, &m.metadata);
    name_checks(&mut f, &m.metadata.name);
    let cx = SoCtx::new(&m);
    let s = cx.s;
    // --- CRD schema ---
    let fallback = so_schema_checks(&mut f, &cx);
    // --- Webhook ---
    so_bounds_and_name_checks(&mut f, &cx);
    let tg = so_scale_target(&mut f, &cx, cluster);
    so_uniqueness_checks(&mut f, &cx, &tg, others);
    so_existing_hpa_checks(&mut f, &cx, &tg, cluster);
    so_cpu_memory_checks(&mut f, &cx, &tg, cluster);
    let formula = so_modifier_checks(&mut f, &cx, fallback.as_ref());
    // Triggers
    let env = env_of_workload(tg.workload, cx.target.env_source_container_name.as_deref());
    unquoted_metadata(&mut f, doc, s.triggers.as_ref());
    let checked = triggers::check(
        &mut f,
        s.triggers.as_ref(),
        Owner::ScaledObject,
        &cx.ns,
        cluster,
        &env,
        cx.uses_modifiers,
    );
    so_controller_checks(&mut f, &cx, &checked);
    // --- Warnings (accepted, probably wrong) ---
    so_setting_warnings(&mut f, &cx);
    if let Some(fb) = &fallback {
        so_fallback_warnings(&mut f, &cx, fb);
    }
    if cx.uses_modifiers {
        so_modifier_warnings(&mut f, &cx, formula.as_ref(), &checked);
    }
    so_trigger_warnings(&mut f, &cx, &checked);

    // Not modelled (restoreToOriginalReplicaCount is: it applies when a scenario deletes the
    // object with `keda_events`).
    if cx.ann.hpa_excluded_labels.is_some() {
        f.not_modelled(
            "not-modelled.annotation",
            Some("metadata.annotations".into()),
            "scaledobject.keda.sh/hpa-excluded-labels only affects HPA labels",
        );
    }

    // --- Model ---
    let modifiers = so_modifiers(&cx, formula.as_ref());
    let behavior = cx
        .adv
        .horizontal_pod_autoscaler_config
        .as_ref()
        .and_then(|h| h.behavior.clone());
    if let Some(b) = &behavior {
        so_behavior_checks(&mut f, b);
    }
    let generated = so_generated_hpa(&cx, &checked, behavior.as_ref());
    let plan = so_plan(&cx, &checked, &generated, &fallback, &modifiers);
    let model = (!f.has_errors() && checked.complete).then(|| {
        let mut o = so_model(&cx, &tg, checked, generated, fallback, modifiers);
        if let KedaObject::ScaledObject(so) = &mut o {
            so.declared_behavior = behavior.clone();
            so.annotation_map = m
                .metadata
                .annotation_pairs()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        }
        o
    });
    let report = ObjectReport {
        kind: ObjectKind::ScaledObject.to_string(),
        name: m.metadata.name.clone(),
        namespace: cx.ns.clone(),
        document: doc.index,
        findings: f.locate(doc),
        plan: Some(plan),
    };
    ValidatedObject { report, model }
}

/// The CRD schema: required fields, minimums, enums, the fallback block and the CEL rule.
fn so_schema_checks(f: &mut Findings, cx: &SoCtx) -> Option<FallbackConfig> {
    let SoCtx { s, target, sm, .. } = cx;

    if s.scale_target_ref.is_none() {
        required(f, "spec.scaleTargetRef");
    } else if target.name.as_deref().unwrap_or("").is_empty() {
        f.error(
            "crd.required",
            Some("spec.scaleTargetRef.name".into()),
            "spec.scaleTargetRef.name: Required value (min length 1)",
        );
    }
    check_minimum(f, "spec.pollingInterval", s.polling_interval, 1);
    check_minimum(
        f,
        "spec.initialCooldownPeriod",
        s.initial_cooldown_period,
        0,
    );
    check_minimum(f, "spec.cooldownPeriod", s.cooldown_period, 0);
    check_minimum(f, "spec.idleReplicaCount", s.idle_replica_count, 0);
    check_minimum(f, "spec.minReplicaCount", s.min_replica_count, 0);
    check_minimum(f, "spec.maxReplicaCount", s.max_replica_count, 1);
    check_enum(
        f,
        "spec.advanced.scalingModifiers.metricType",
        sm.metric_type.as_deref(),
        &["AverageValue", "Value"],
    );
    let mut fallback = None;
    if let Some(fb) = &s.fallback {
        if fb.failure_threshold.is_none() {
            required(f, "spec.fallback.failureThreshold");
        }
        if fb.replicas.is_none() {
            required(f, "spec.fallback.replicas");
        }
        check_minimum(f, "spec.fallback.failureThreshold", fb.failure_threshold, 0);
        check_minimum(f, "spec.fallback.replicas", fb.replicas, 0);
        let b = fb.behavior.as_deref().unwrap_or("static");
        if check_enum(
            f,
            "spec.fallback.behavior",
            Some(b),
            &[
                "static",
                "currentReplicas",
                "currentReplicasIfHigher",
                "currentReplicasIfLower",
                "scalingModifiers",
            ],
        ) && let (Some(t), Some(r), Some(beh)) = (
            fb.failure_threshold,
            fb.replicas,
            FallbackBehavior::parse(b),
        ) {
            fallback = Some(FallbackConfig {
                failure_threshold: t,
                replicas: r,
                behavior: beh,
            });
        }
    }
    // CEL: minReplicaCount <= maxReplicaCount (default 100)
    if let Some(min) = s.min_replica_count {
        let max = s.max_replica_count.unwrap_or(100);
        if min > max {
            f.error(
                "crd.cel.min-le-max",
                Some("spec.minReplicaCount".into()),
                "minReplicaCount must be less than or equal to maxReplicaCount",
            );
        }
    }
    fallback
}

/// verifyReplicaCount, verifyName and verifyFallback of the admission webhook.
fn so_bounds_and_name_checks(f: &mut Findings, cx: &SoCtx) {
    let SoCtx {
        s,
        so_name,
        hpa,
        hpa_max,
        trigger_types,
        uses_modifiers,
        ..
    } = cx;
    let (hpa_max, uses_modifiers) = (*hpa_max, *uses_modifiers);

    // verifyReplicaCount (quirk: the HPA min when minReplicaCount is set, 0 when unset)
    let effective_min = if s.min_replica_count.is_some() {
        hpa_min_replicas(s.min_replica_count)
    } else {
        0
    };
    if effective_min > hpa_max {
        f.error(
            "webhook.replica-bounds",
            Some("spec.minReplicaCount".into()),
            format!("MinReplicaCount={effective_min} must be less than MaxReplicaCount={hpa_max}"),
        );
    }
    if let Some(idle) = s.idle_replica_count
        && idle >= effective_min
    {
        f.error(
            "webhook.idle-replica-count",
            Some("spec.idleReplicaCount".into()),
            format!("IdleReplicaCount={idle} must be less than MinReplicaCount={effective_min}"),
        );
    }
    // verifyName
    if so_name.len() > 63 {
        f.error(
            "webhook.name-length",
            Some("metadata.name".into()),
            format!("scaledobject name {so_name:?} is {} characters long; must be no more than 63 characters because it is used as the \"scaledobject.keda.sh/name\" label value", so_name.len()),
        );
    }
    if hpa.len() > 63 && so_name.len() <= 63 {
        f.error(
            "webhook.hpa-name-length",
            Some("spec.advanced.horizontalPodAutoscalerConfig.name".into()),
            format!("HPA name {hpa:?} derived from scaledobject is {} characters long; must be no more than 63 characters; set spec.advanced.horizontalPodAutoscalerConfig.name to a shorter name or shorten the scaledobject name", hpa.len()),
        );
    }
    // verifyFallback: without modifiers, needs a non-cpu/memory trigger.
    if s.fallback.is_some() && !uses_modifiers && !trigger_types.iter().any(|t| !is_res(t)) {
        f.error(
            "webhook.fallback",
            Some("spec.fallback".into()),
            "at least one trigger (that is not cpu or memory) has to have the `AverageValue` type for the fallback to be enabled",
        );
    }
}

/// The scale target's group/version/kind (defaults applied) and whether KEDA can scale it.
fn so_scale_target<'c>(f: &mut Findings, cx: &SoCtx, cluster: &'c ClusterObjects) -> SoTarget<'c> {
    let SoCtx { target, ns, .. } = cx;

    let api_version = target
        .api_version
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "apps/v1".into());
    let kind = target
        .kind
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| ObjectKind::Deployment.to_string());
    let target_name = target.name.clone().unwrap_or_default();
    match check_scale_target(&api_version, &kind) {
        Err(e) => f.error("webhook.scale-target", Some(if target.api_version.is_some() { "spec.scaleTargetRef.apiVersion".into() } else { "spec.scaleTargetRef.kind".into() }), e),
        Ok(None) => f.unchecked(
            "unchecked.scale-target-kind",
            Some("spec.scaleTargetRef".into()),
            format!("{kind} ({api_version}) is a custom resource: scalesim assumes it exists and exposes /scale"),
        ),
        Ok(Some(())) => {}
    }
    let gvk = gvk_string(&api_version, &kind);
    let workload = cluster
        .workloads
        .iter()
        .find(|w| w.name == target_name && w.kind == kind && same_namespace(&w.namespace, ns));
    SoTarget {
        api_version,
        kind,
        target_name,
        gvk,
        workload,
    }
}

/// verifyScaledObjects: one ScaledObject per workload and per HPA name.
fn so_uniqueness_checks(f: &mut Findings, cx: &SoCtx, tg: &SoTarget, others: &[SoIdentity]) {
    let SoCtx {
        so_name, ns, hpa, ..
    } = cx;
    let SoTarget {
        target_name, gvk, ..
    } = tg;

    for o in others {
        if o.name == *so_name || !same_namespace(&o.namespace, ns) {
            continue;
        }
        if o.target == *target_name && o.gvk == *gvk {
            f.error(
                "webhook.duplicate-scale-target",
                Some("spec.scaleTargetRef.name".into()),
                format!("the workload '{target_name}' of type '{gvk}' is already managed by the ScaledObject '{}'", o.name),
            );
        }
        if o.hpa == *hpa {
            f.error(
                "webhook.duplicate-hpa-name",
                None,
                format!(
                    "the HPA '{hpa}' is already managed by the ScaledObject '{}'",
                    o.name
                ),
            );
        }
    }
}

/// verifyHpas: no other HPA may already scale the target (unless ownership is transferred).
fn so_existing_hpa_checks(f: &mut Findings, cx: &SoCtx, tg: &SoTarget, cluster: &ClusterObjects) {
    let SoCtx {
        so_name,
        ns,
        ann,
        custom_hpa_name,
        ..
    } = cx;
    let SoTarget {
        target_name, gvk, ..
    } = tg;

    match &cluster.hpas {
        None => f.unchecked(
            "unchecked.existing-hpa",
            Some("spec.scaleTargetRef".into()),
            "no HorizontalPodAutoscalers were given: whether another HPA already manages this workload (which KEDA rejects) is not checked",
        ),
        Some(hpas) => {
            for h in hpas.iter().filter(|h| same_namespace(&h.namespace, ns) && !h.ownership_validation_disabled) {
                let h_api = if h.target_api_version.is_empty() { "apps/v1" } else { &h.target_api_version };
                let h_kind = if h.target_kind.is_empty() { ObjectKind::Deployment.as_str() } else { &h.target_kind };
                if gvk_string(h_api, h_kind) != *gvk || h.target_name != *target_name {
                    continue;
                }
                if h.owner_scaled_object.as_deref() == Some(so_name.as_str()) {
                    continue;
                }
                if ann.transfer_hpa_ownership {
                    if custom_hpa_name.as_deref() != Some(h.name.as_str()) {
                        f.error(
                            "webhook.transfer-hpa-ownership",
                            None,
                            format!("the existing hpa '{}' for workload '{target_name}' of type '{gvk}' must be specified by name in advanced settings to enable ownership transfer", h.name),
                        );
                    }
                } else {
                    f.error(
                        "webhook.existing-hpa",
                        Some("spec.scaleTargetRef.name".into()),
                        format!("the workload '{target_name}' of type '{gvk}' is already managed by the hpa '{}'", h.name),
                    );
                }
            }
        }
    }
}

/// verifyCPUMemoryScalers: cpu/memory triggers need requests and cannot scale to zero.
fn so_cpu_memory_checks(f: &mut Findings, cx: &SoCtx, tg: &SoTarget, cluster: &ClusterObjects) {
    let SoCtx {
        s,
        ns,
        trigger_types,
        ..
    } = cx;
    let SoTarget {
        api_version,
        kind,
        workload,
        ..
    } = tg;
    let workload = *workload;

    let has_res = trigger_types.iter().any(|t| is_res(t));
    let only_res = !trigger_types.is_empty() && trigger_types.iter().all(|t| is_res(t));
    let apps_target = api_version == "apps/v1"
        && matches!(
            ObjectKind::parse(kind),
            Some(ObjectKind::Deployment | ObjectKind::StatefulSet)
        );
    if has_res && apps_target {
        if only_res && s.min_replica_count.unwrap_or(0) == 0 {
            f.error(
                "webhook.cpu-memory.scale-to-zero",
                Some("spec.minReplicaCount".into()),
                "scaledobject has only cpu/memory triggers AND minReplica is 0 (scale to zero doesn't work in this case)",
            );
        }
        check_resource_requests(
            f,
            s.triggers.as_deref().unwrap_or(&[]),
            workload,
            cluster,
            ns,
        );
    } else if only_res && s.min_replica_count.unwrap_or(0) == 0 {
        f.warn(
            "warn.cpu-memory-only-min-zero",
            Some("spec.minReplicaCount".into()),
            "only cpu/memory triggers with minReplicaCount 0: the object is always active, so it never scales to zero (the webhook only rejects this for Deployments/StatefulSets)",
        );
    }
}

/// The scalingModifiers block: formula, target and the fallback behaviour that needs them.
fn so_modifier_checks(
    f: &mut Findings,
    cx: &SoCtx,
    fallback: Option<&FallbackConfig>,
) -> Option<Formula> {
    let SoCtx {
        s,
        sm,
        uses_modifiers,
        ..
    } = cx;
    let uses_modifiers = *uses_modifiers;

    let named: BTreeSet<String> = s
        .triggers
        .iter()
        .flatten()
        .filter(|t| !is_res(t.trigger_type.as_deref().unwrap_or("")))
        .filter_map(|t| t.name.clone().filter(|n| !n.is_empty()))
        .collect();
    let mut formula = None;
    if uses_modifiers {
        let text = sm.formula.as_ref().map(|x| x.0.clone()).unwrap_or_default();
        let target_s = sm.target.as_ref().map(|x| x.0.clone()).unwrap_or_default();
        if text.is_empty() {
            f.error(
                "webhook.scaling-modifiers",
                Some("spec.advanced.scalingModifiers.formula".into()),
                "error ScalingModifiers.Formula is mandatory",
            );
        } else if target_s.is_empty() {
            f.error("webhook.scaling-modifiers", Some("spec.advanced.scalingModifiers.target".into()), "error validating formula in ScalingModifiers: formula is given but target is empty");
        } else {
            match Formula::compile(&text).and_then(|fm| fm.validate(&named).map(|_| fm)) {
                Ok(fm) => formula = Some(fm),
                Err(e) => f.error(
                    "webhook.scaling-modifiers",
                    Some("spec.advanced.scalingModifiers.formula".into()),
                    format!("error validating formula in ScalingModifiers: {e}"),
                ),
            }
            match crate::keda::go::parse_float(target_s.trim()) {
                Ok(v) if v > 0.0 => {}
                _ => f.error(
                    "webhook.scaling-modifiers",
                    Some("spec.advanced.scalingModifiers.target".into()),
                    format!("error validating target in ScalingModifiers: error converting target for scalingModifiers (string->float) to valid target: {target_s:?}"),
                ),
            }
        }
    }
    if fallback.is_some_and(|fb| fb.behavior == FallbackBehavior::ScalingModifiers)
        && (!uses_modifiers || sm.formula.as_ref().is_none_or(|x| x.0.is_empty()))
    {
        f.error(
            "webhook.scaling-modifiers-fallback",
            Some("spec.fallback.behavior".into()),
            "scalingModifiers fallback behavior requires scalingModifiers.formula to be defined",
        );
    }
    formula
}

/// The controller's checks: paused-replicas must be an int; external metric names unique.
fn so_controller_checks(f: &mut Findings, cx: &SoCtx, checked: &triggers::CheckedTriggers) {
    let SoCtx { so_name, ann, .. } = cx;

    if let Some(Err(e)) = ann.paused_replica_count() {
        f.error(
            "controller.paused-replicas",
            Some("metadata.annotations".into()),
            format!("autoscaling.keda.sh/paused-replicas: {e}"),
        );
    }
    let mut seen = BTreeSet::new();
    for t in &checked.models {
        if t.scaler.metric.source == MetricSource::External
            && !seen.insert(t.scaler.metric.name.clone())
        {
            f.error(
                "controller.duplicate-metric-name",
                Some(format!("spec.triggers[{}]", t.index)),
                format!(
                    "metricName {} defined multiple times in ScaledObject {so_name}",
                    t.scaler.metric.name
                ),
            );
        }
    }
}

/// Warnings about polling, cooldown and idle settings that KEDA accepts but ignores.
fn so_setting_warnings(f: &mut Findings, cx: &SoCtx) {
    let SoCtx {
        s,
        min,
        polling,
        cooldown,
        ..
    } = cx;
    let (min, polling, cooldown) = (*min, *polling, *cooldown);

    let uses_cached = s.triggers.iter().flatten().any(|t| t.use_cached_metrics);
    if s.polling_interval.is_some() && min > 0 && s.idle_replica_count.is_none() && !uses_cached {
        f.warn(
            "webhook.warning.polling-interval",
            Some("spec.pollingInterval".into()),
            "PollingInterval is configured but is not relevant. PollingInterval is only relevant when minReplicaCount = 0, idleReplicaCount is set, or useCachedMetrics is enabled",
        );
    }
    if s.cooldown_period.is_some() && min > 0 && s.idle_replica_count.is_none() {
        f.warn(
            "webhook.warning.cooldown-period",
            Some("spec.cooldownPeriod".into()),
            "CooldownPeriod is configured but is not relevant. CooldownPeriod is only relevant when minReplicaCount = 0 or idleReplicaCount is set",
        );
    }
    let scales_to_zero = min == 0 || s.idle_replica_count.is_some();
    if scales_to_zero && cooldown < polling {
        f.warn(
            "warn.cooldown-shorter-than-polling",
            Some("spec.cooldownPeriod".into()),
            format!("cooldownPeriod {cooldown}s is shorter than pollingInterval {polling}s: the cooldown is only checked at polls, so scale-to-zero happens at the first poll after the last active one, {polling}s later"),
        );
    }
    if let Some(idle) = s.idle_replica_count {
        if idle > 0 {
            f.warn(
                "warn.idle-replica-count",
                Some("spec.idleReplicaCount".into()),
                "KEDA's docs warn that only idleReplicaCount 0 works reliably",
            );
        }
        if s.min_replica_count == Some(0) && idle == 0 {
            f.warn("warn.idle-replica-count", Some("spec.idleReplicaCount".into()), "idleReplicaCount 0 with minReplicaCount 0 has no effect (it is the same as scale-to-zero)");
        }
    }
}

/// Warnings about a fallback that cannot do what it says.
fn so_fallback_warnings(f: &mut Findings, cx: &SoCtx, fb: &FallbackConfig) {
    let SoCtx {
        s,
        sm,
        hpa_max,
        uses_modifiers,
        min,
        ..
    } = cx;
    let (hpa_max, uses_modifiers, min) = (*hpa_max, *uses_modifiers, *min);
    let uses_cached = s.triggers.iter().flatten().any(|t| t.use_cached_metrics);

    if fb.replicas > hpa_max {
        f.warn(
            "warn.fallback-above-max",
            Some("spec.fallback.replicas".into()),
            format!(
                "fallback.replicas {} is above maxReplicaCount {hpa_max}: the HPA clamps it",
                fb.replicas
            ),
        );
    }
    if uses_modifiers
        && crate::keda::go::parse_int(
            sm.target.as_ref().map(|x| x.as_str()).unwrap_or("").trim(),
            64,
        )
        .is_err()
    {
        f.warn(
            "warn.fallback-disabled",
            Some("spec.advanced.scalingModifiers.target".into()),
            "with scalingModifiers, fallback needs an integer `target`: this fallback is silently disabled",
        );
    }
    if fb.replicas == 0 && min == 0 {
        f.warn(
            "warn.fallback-zero",
            Some("spec.fallback.replicas".into()),
            "fallback.replicas 0 with minReplicaCount 0: erroring triggers count as inactive, so KEDA scales to zero after the cooldown instead of waiting for fallback",
        );
    }
    if uses_cached {
        f.warn(
            "warn.fallback-cached-metrics",
            Some("spec.fallback".into()),
            "fallback with useCachedMetrics: the HPA reads a cached fallback value as a success and resets the failure count, so fallback alternates with metric errors",
        );
    }
}

/// Warnings about a scalingModifiers formula: unused or unnamed triggers, activation.
fn so_modifier_warnings(
    f: &mut Findings,
    cx: &SoCtx,
    formula: Option<&Formula>,
    checked: &triggers::CheckedTriggers,
) {
    let SoCtx { s, sm, .. } = cx;

    if let Some(fm) = formula {
        let ids = fm.identifiers();
        for t in s
            .triggers
            .iter()
            .flatten()
            .filter(|t| !is_res(t.trigger_type.as_deref().unwrap_or("")))
        {
            match t.name.as_deref().filter(|n| !n.is_empty()) {
                Some(n) if !ids.contains(n) => f.warn(
                    "warn.formula-ignores-trigger",
                    Some("spec.advanced.scalingModifiers.formula".into()),
                    format!("the formula does not use trigger `{n}`: its metric is fetched but does not affect scaling (it still affects errors)"),
                ),
                None => f.warn(
                    "warn.formula-unnamed-trigger",
                    Some("spec.triggers".into()),
                    format!("a {} trigger has no `name`, so the formula cannot refer to it", t.trigger_type.as_deref().unwrap_or("")),
                ),
                _ => {}
            }
        }
    }
    if let Some(a) = sm
        .activation_target
        .as_ref()
        .filter(|a| !a.0.trim().is_empty())
        && crate::keda::go::parse_float(a.0.trim()).is_err()
    {
        f.warn(
                "warn.activation-target-invalid",
                Some("spec.advanced.scalingModifiers.activationTarget".into()),
                format!("activationTarget {:?} is not a number: KEDA accepts it but every poll fails before deciding (the HPA keeps working)", a.0),
            );
    }
    // The composite metric's activation works like any trigger's: above its target the
    // object stays at zero while the HPA would already want several pods.
    let num = |v: Option<&super::manifest::LooseString>| {
        v.and_then(|x| crate::keda::go::parse_float(x.0.trim()).ok())
            .filter(|x| x.is_finite())
    };
    if let (Some(act), Some(target)) = (num(sm.activation_target.as_ref()), num(sm.target.as_ref()))
        && target > 0.0
        && act > target
    {
        f.warn(
            "warn.activation-above-target",
            Some("spec.advanced.scalingModifiers.activationTarget".into()),
            format!(
                "scalingModifiers.activationTarget {act} is above the target {target}: the workload stays at zero until the composite metric exceeds {act}, then jumps to about {} replicas",
                (act / target).ceil()
            ),
        );
    }
    if checked
        .models
        .iter()
        .any(|t| t.scaler.metric.source == MetricSource::ContainerResource)
    {
        f.warn(
            "warn.container-resource-dropped",
            Some("spec.advanced.scalingModifiers".into()),
            "with scalingModifiers KEDA keeps only `Resource` metrics in the HPA: cpu/memory triggers with `containerName` are dropped",
        );
    }
}

/// Per-trigger warnings: cron with Value, unknown time zones, activation above target.
fn so_trigger_warnings(f: &mut Findings, cx: &SoCtx, checked: &triggers::CheckedTriggers) {
    let SoCtx {
        s, uses_modifiers, ..
    } = cx;
    let uses_modifiers = *uses_modifiers;

    for t in &checked.models {
        let base = format!("spec.triggers[{}]", t.index);
        if t.trigger_type == "cron" && t.scaler.metric.target_type == TargetType::Value {
            f.warn("warn.cron-value", Some(format!("{base}.metricType")), "cron with metricType Value: the HPA computes desiredReplicas × ready pods, not desiredReplicas");
        }
        if t.trigger_type == "cron"
            && let Some(tz) = s
                .triggers
                .as_ref()
                .and_then(|v| v.get(t.index))
                .and_then(|tr| tr.metadata.as_ref())
                .and_then(|m| m.get("timezone"))
            && super::cron::load_zone(tz.as_str().trim()).is_err()
        {
            f.warn(
                        "warn.cron-timezone",
                        Some(format!("{base}.metadata.timezone")),
                        format!("unknown timezone {:?}: KEDA builds the scaler but every fetch fails (\"unable to load timezone\")", tz.as_str()),
                    );
        }
        if let (Some(act), Some(target)) =
            (t.scaler.activation_threshold, t.scaler.metric.target_milli)
            && !uses_modifiers
            && t.trigger_type != "cron"
            && target > 0
            && act > milli_to_f64(target)
        {
            f.warn(
                    "warn.activation-above-target",
                    Some(base.clone()),
                    format!(
                        "activation threshold {act} is above the scaling target {}: the workload stays at zero until the metric exceeds {act}, then jumps to about {} replicas",
                        milli_to_f64(target),
                        (act / milli_to_f64(target)).ceil()
                    ),
                );
        }
    }
}

/// The scalingModifiers the model runs, when the object has them.
fn so_modifiers(cx: &SoCtx, formula: Option<&Formula>) -> Option<Modifiers> {
    let SoCtx {
        sm,
        uses_modifiers,
        metric_type,
        ..
    } = cx;
    let metric_type = *metric_type;

    uses_modifiers.then(|| Modifiers {
        formula: formula.cloned(),
        formula_source: sm.formula.as_ref().map(|x| x.0.clone()).unwrap_or_default(),
        target: sm
            .target
            .as_ref()
            .map(|x| x.0.trim().to_string())
            .unwrap_or_default(),
        activation_target: sm
            .activation_target
            .as_ref()
            .map(|x| x.0.clone())
            .unwrap_or_default(),
        metric_type,
    })
}

/// The API server's checks of the HPA behavior KEDA copies into the generated HPA.
fn so_behavior_checks(f: &mut Findings, b: &serde_json::Value) {
    let base = "spec.advanced.horizontalPodAutoscalerConfig.behavior";
    let at = |p: &str| {
        if p.is_empty() {
            base.to_string()
        } else {
            format!("{base}.{p}")
        }
    };
    let checked = generated_hpa::check_behavior(b);
    for (p, msg) in &checked.errors {
        f.error(
            "controller.hpa-behavior",
            Some(at(p)),
            format!("KEDA accepts the ScaledObject but cannot create its HPA: the API server rejects `behavior{}{p}`: {msg}", if p.is_empty() { "" } else { "." }),
        );
    }
    for p in &checked.unknown_fields {
        f.not_modelled(
            "not-modelled.unknown-field",
            Some(at(p)),
            format!("unknown field `behavior.{p}`: an HPA behavior has no such field (the API server drops it)"),
        );
    }
}

/// The HPA KEDA generates for the ScaledObject.
fn so_generated_hpa(
    cx: &SoCtx,
    checked: &triggers::CheckedTriggers,
    behavior: Option<&serde_json::Value>,
) -> generated_hpa::GeneratedHpa {
    let SoCtx {
        s,
        so_name,
        ann,
        sm,
        custom_hpa_name,
        uses_modifiers,
        metric_type,
        ..
    } = cx;

    let metric_refs: Vec<(usize, &super::scalers::MetricSpec)> = checked
        .models
        .iter()
        .map(|t| (t.index, &t.scaler.metric))
        .collect();
    let sm_target = sm.target.as_ref().map(|x| x.0.clone()).unwrap_or_default();
    generated_hpa::generate(&HpaInputs {
        so_name,
        hpa_name: custom_hpa_name.as_deref(),
        min_replica_count: s.min_replica_count,
        max_replica_count: s.max_replica_count,
        metrics: metric_refs,
        behavior,
        paused_scale_in: ann.paused_scale_in,
        paused_scale_out: ann.paused_scale_out,
        modifiers: uses_modifiers.then_some((sm_target.as_str(), *metric_type)),
    })
}

/// What `scalesim keda check` prints about how the object will be simulated.
fn so_plan(
    cx: &SoCtx,
    checked: &triggers::CheckedTriggers,
    generated: &generated_hpa::GeneratedHpa,
    fallback: &Option<FallbackConfig>,
    modifiers: &Option<Modifiers>,
) -> SimulationPlan {
    let SoCtx {
        s,
        ann,
        hpa_max,
        polling,
        cooldown,
        ..
    } = cx;

    let pause = pause_plan(ann);
    let mut notes = Vec::new();
    if generated.legacy_behavior() {
        notes.push("no horizontalPodAutoscalerConfig.behavior: the HPA uses its legacy path (scale-up ≤ max(2×current, 4) per sync, 300 s downscale stabilisation)".into());
    }
    notes.push(format!(
        "KEDA owns 0↔{} (activation, cooldown {cooldown}s); the HPA owns {}↔{}",
        hpa_min_replicas(s.min_replica_count),
        hpa_min_replicas(s.min_replica_count),
        hpa_max
    ));
    SimulationPlan {
        triggers: checked.plans.clone(),
        legacy_hpa_path: generated.legacy_behavior(),
        hpa: Some(generated.clone()),
        polling_interval_s: *polling as f64,
        cooldown_period_s: Some(*cooldown as f64),
        initial_cooldown_period_s: Some(s.initial_cooldown_period.unwrap_or(0) as f64),
        pause: Some(pause),
        fallback: fallback.clone(),
        scaling_modifiers: modifiers.clone(),
        notes,
    }
}

/// The runnable model of a ScaledObject KEDA accepts.
fn so_model(
    cx: &SoCtx,
    tg: &SoTarget,
    checked: triggers::CheckedTriggers,
    generated: generated_hpa::GeneratedHpa,
    fallback: Option<FallbackConfig>,
    modifiers: Option<Modifiers>,
) -> KedaObject {
    let SoCtx {
        s,
        so_name,
        ns,
        ann,
        adv,
        polling,
        cooldown,
        ..
    } = cx;
    let SoTarget {
        api_version,
        kind,
        target_name,
        ..
    } = tg;

    KedaObject::ScaledObject(ScaledObjectModel {
        name: so_name.clone(),
        namespace: ns.clone(),
        target: TargetRef {
            api_version: api_version.clone(),
            kind: kind.clone(),
            name: target_name.clone(),
        },
        polling_interval_s: *polling as f64,
        cooldown_period_s: *cooldown as f64,
        initial_cooldown_period_s: s.initial_cooldown_period.unwrap_or(0) as f64,
        min_replica_count: s.min_replica_count,
        max_replica_count: s.max_replica_count,
        idle_replica_count: s.idle_replica_count,
        fallback,
        modifiers,
        annotations: ann.clone(),
        restore_to_original_replica_count: adv.restore_to_original_replica_count,
        triggers: checked.models,
        hpa: generated,
        annotation_map: BTreeMap::new(),
        declared_behavior: None,
    })
}
fn pause_plan(ann: &Annotations) -> PausePlan {
    let paused_replicas = ann.paused_replica_count().and_then(Result::ok);
    let description = if ann.paused_replicas.is_some() {
        match paused_replicas {
            Some(n) => format!(
                "paused at {n} replicas: KEDA sets the target to {n} once, stops its loop and deletes the HPA"
            ),
            None => "paused (paused-replicas is not an integer)".into(),
        }
    } else if ann.paused {
        "paused at the current replica count: KEDA's loop stops and the HPA is deleted".into()
    } else {
        let mut parts = Vec::new();
        if ann.paused_scale_in {
            parts.push("scale-in paused (no scale to zero/idle; HPA scaleDown disabled)");
        }
        if ann.paused_scale_out {
            parts.push("scale-out paused (no activation from zero/idle; HPA scaleUp disabled)");
        }
        if ann.force_activation {
            parts.push("activation forced (always treated as active)");
        }
        if parts.is_empty() {
            "not paused".to_string()
        } else {
            parts.join("; ")
        }
    };
    PausePlan {
        paused: ann.is_paused(),
        paused_replicas,
        scale_in_paused: ann.paused_scale_in,
        scale_out_paused: ann.paused_scale_out,
        force_activation: ann.force_activation,
        description,
    }
}

fn check_resource_requests(
    f: &mut Findings,
    triggers: &[super::manifest::Trigger],
    workload: Option<&cluster::Workload>,
    cluster: &ClusterObjects,
    ns: &Option<String>,
) {
    let Some(w) = workload else {
        f.unchecked(
            "unchecked.cpu-memory-requests",
            Some("spec.scaleTargetRef".into()),
            "the scale target was not given: whether its containers request the cpu/memory the triggers need (which the webhook requires) is not checked",
        );
        return;
    };
    for (i, t) in triggers.iter().enumerate() {
        let ty = t.trigger_type.as_deref().unwrap_or("");
        if ty != "cpu" && ty != "memory" {
            continue;
        }
        let container = t
            .metadata
            .as_ref()
            .and_then(|m| m.get("containerName"))
            .map(|v| v.0.clone())
            .unwrap_or_default();
        for c in &w.containers {
            if !container.is_empty() && c.name != container {
                continue;
            }
            if c.resources_set.contains(ty) {
                continue;
            }
            let from_limit_range = match &cluster.limit_ranges {
                Some(lrs) => lrs
                    .iter()
                    .any(|l| same_namespace(&l.namespace, ns) && l.resources.contains(ty)),
                None => {
                    f.unchecked(
                        "unchecked.limit-range",
                        Some(format!("spec.triggers[{i}]")),
                        format!("container {} sets no {ty} request; a LimitRange default would satisfy KEDA, but no LimitRanges were given", c.name),
                    );
                    continue;
                }
            };
            if !from_limit_range {
                f.error(
                    "webhook.cpu-memory.requests",
                    Some(format!("spec.triggers[{i}].type")),
                    format!("the scaledobject has a {ty} trigger but the container {} doesn't have the {ty} request defined", c.name),
                );
            }
        }
    }
}

/// Validate one ScaledJob document: the CRD schema, the job template, the triggers, then
/// warnings for settings KEDA accepts that probably do not do what was meant.
pub(crate) fn validate_scaled_job(doc: &Document, cluster: &ClusterObjects) -> ValidatedObject {
    let mut unknown = Vec::new();
    let m: ScaledJobManifest = match doc.parse_reporting_unknown(&mut |p| unknown.push(p)) {
        Ok(m) => m,
        Err(e) => return parse_failure(doc, ObjectKind::ScaledJob, e),
    };
    let mut f = Findings::default();
    report_unknown_fields(
        &mut f,
        unknown
            .into_iter()
            .filter(|p| !p.starts_with("spec.jobTargetRef"))
            .collect(),
        &m.metadata,
    );
    name_checks(&mut f, &m.metadata.name);
    let s = &m.spec;
    let ns = m.metadata.namespace.clone();
    let template_containers = sj_template_containers(&mut f, s);
    let ss = s.scaling_strategy.clone().unwrap_or_default();
    sj_schema_checks(&mut f, s, &ss);
    sj_job_spec_checks(&mut f, s);
    // Env for *FromEnv: the job template's container.
    let env = match template_containers {
        Some(cs) => {
            let w = cluster::Workload {
                containers: cs.iter().map(cluster::container_from).collect(),
                ..Default::default()
            };
            env_of_workload(Some(&w), s.env_source_container_name.as_deref())
        }
        None => EnvKnowledge::Unknown,
    };
    unquoted_metadata(&mut f, doc, s.triggers.as_ref());
    let checked = triggers::check(
        &mut f,
        s.triggers.as_ref(),
        Owner::ScaledJob,
        &ns,
        cluster,
        &env,
        false,
    );
    let strategy = JobStrategy::select(
        ss.strategy.as_deref(),
        ss.custom_scaling_queue_length_deduction,
        ss.custom_scaling_running_job_percentage
            .as_ref()
            .map(|p| p.as_str()),
    );
    sj_warnings(&mut f, s, &ss, strategy, &checked);
    let ann = Annotations::from_map(m.metadata.annotation_pairs());
    let plan = sj_plan(s, &checked, &ann, strategy);
    let model = (!f.has_errors() && checked.complete).then(|| {
        KedaObject::ScaledJob(ScaledJobModel::from_manifest(
            &m,
            checked.models,
            ann.paused,
        ))
    });
    let report = ObjectReport {
        kind: ObjectKind::ScaledJob.to_string(),
        name: m.metadata.name.clone(),
        namespace: ns,
        document: doc.index,
        findings: f.locate(doc),
        plan: Some(plan),
    };
    ValidatedObject { report, model }
}

/// `spec.jobTargetRef` and its template's containers are required; the containers, if given.
fn sj_template_containers<'m>(
    f: &mut Findings,
    s: &'m super::manifest::ScaledJobSpec,
) -> Option<&'m Vec<serde_json::Value>> {
    let template_containers = s
        .job_target_ref
        .as_ref()
        .and_then(|j| j.get("template"))
        .and_then(|t| t.get("spec"))
        .and_then(|sp| sp.get("containers"))
        .and_then(|c| c.as_array());
    match (&s.job_target_ref, template_containers) {
        (None, _) => required(f, "spec.jobTargetRef"),
        (Some(_), None) => f.error(
            "crd.required",
            Some("spec.jobTargetRef.template".into()),
            "spec.jobTargetRef.template.spec.containers: Required value",
        ),
        _ => {}
    }
    template_containers
}

/// The CRD's minimums and enums on a ScaledJob's spec (docs/keda.md#enums).
fn sj_schema_checks(
    f: &mut Findings,
    s: &super::manifest::ScaledJobSpec,
    ss: &super::manifest::ScalingStrategy,
) {
    for (field, v, min) in [
        ("spec.pollingInterval", s.polling_interval, 1),
        (
            "spec.successfulJobsHistoryLimit",
            s.successful_jobs_history_limit,
            0,
        ),
        (
            "spec.failedJobsHistoryLimit",
            s.failed_jobs_history_limit,
            0,
        ),
        ("spec.minReplicaCount", s.min_replica_count, 0),
        ("spec.maxReplicaCount", s.max_replica_count, 1),
    ] {
        check_minimum(f, field, v, min);
    }
    rollout_strategy_checks(f, s);
    if let Some(r) = &s.rollout {
        check_enum(
            f,
            "spec.rollout.propagationPolicy",
            r.propagation_policy.as_deref(),
            &["foreground", "background"],
        );
    }
    check_enum(
        f,
        "spec.scalingStrategy.strategy",
        ss.strategy.as_deref(),
        &["default", "custom", "accurate", "eager"],
    );
    check_enum(
        f,
        "spec.scalingStrategy.multipleScalersCalculation",
        ss.multiple_scalers_calculation.as_deref(),
        &["min", "avg", "sum", "max"],
    );
}

/// The Job spec fields that change job counts, checked as the API server checks every Job
/// KEDA creates from `jobTargetRef` (upstream `validateJobSpec`): a value it rejects means no
/// Job is ever created (docs/keda.md#what-a-job-does).
fn sj_job_spec_checks(f: &mut Findings, s: &super::manifest::ScaledJobSpec) {
    let Some(job) = &s.job_target_ref else {
        return;
    };
    for (field, problem) in super::scaledjob::JobSpecFacts::problems(job) {
        f.error(
            "job.invalid",
            Some(field.clone()),
            format!(
                "{field}: Invalid value: {problem} (the Job API rejects it: every Job KEDA creates from this ScaledJob would fail)"
            ),
        );
    }
}

/// Settings a ScaledJob accepts that probably do not do what was meant.
fn sj_warnings(
    f: &mut Findings,
    s: &super::manifest::ScaledJobSpec,
    ss: &super::manifest::ScalingStrategy,
    strategy: JobStrategy,
    checked: &triggers::CheckedTriggers,
) {
    if ss.strategy.as_deref() == Some("custom") && strategy == JobStrategy::Default {
        f.warn(
            "warn.scaledjob-custom-strategy",
            Some("spec.scalingStrategy.customScalingRunningJobPercentage".into()),
            "customScalingRunningJobPercentage is missing or not a number: KEDA silently uses the default strategy",
        );
    }
    if let (Some(mn), Some(mx)) = (s.min_replica_count, s.max_replica_count)
        && mn > mx
    {
        f.warn("warn.scaledjob-min-above-max", Some("spec.minReplicaCount".into()), "minReplicaCount above maxReplicaCount: KEDA clamps min to max and uses max as the budget");
    }
    if s.min_replica_count.is_some_and(|m| m > 0) && s.max_replica_count.is_none() {
        f.warn("warn.scaledjob-budget", Some("spec.maxReplicaCount".into()), "minReplicaCount set without maxReplicaCount: the scaling budget is 100 (not 100 − min)");
    }
    for t in &checked.models {
        if t.scaler.metric.target_type == TargetType::Value {
            f.warn(
                "warn.scaledjob-value-target",
                Some(format!("spec.triggers[{}].metricType", t.index)),
                "ScaledJobs only use AverageValue targets: with metricType Value this trigger's maxValue is 0 and it never lets jobs be created",
            );
        }
    }
}

/// What the simulation will run for a ScaledJob.
fn sj_plan(
    s: &super::manifest::ScaledJobSpec,
    checked: &triggers::CheckedTriggers,
    ann: &Annotations,
    strategy: JobStrategy,
) -> SimulationPlan {
    SimulationPlan {
        triggers: checked.plans.clone(),
        hpa: None,
        legacy_hpa_path: false,
        polling_interval_s: s.polling_interval.unwrap_or(30) as f64,
        cooldown_period_s: None,
        initial_cooldown_period_s: None,
        pause: Some(pause_plan(ann)),
        fallback: None,
        scaling_modifiers: None,
        notes: vec![format!(
            "jobs per poll: min(ceil(queue), effective max) with budget MaxRC = {} and strategy {:?}",
            super::scaledjob::max_rc(s.min_replica_count, s.max_replica_count),
            strategy
        )],
    }
}

/// The first line holding Helm template syntax, if any (template text inside a quoted value
/// reads as YAML: `validate` warns about it per field instead).
fn helm_template_line(text: &str) -> Option<usize> {
    text.lines()
        .map(crate::manifest::template_text::outside_quotes)
        .position(|l| l.contains("{{") && l.contains("}}"))
        .map(|i| i + 1)
}

/// Validate every KEDA object of a file. Workloads, HPAs, LimitRanges and
/// (Cluster)TriggerAuthentications found in the file are added to `extra`.
pub fn validate_source(source: &Source, extra: &ClusterObjects) -> SourceReport {
    validate_sources(std::slice::from_ref(source), extra)
        .pop()
        .expect("one report per source")
}

fn helm_finding(file: &str, line: usize) -> super::report::Finding {
    let mut fnd = super::report::Finding::new(
        Severity::Error,
        "input.helm-template",
        None,
        "this is an unrendered Helm template (`{{ … }}`), not a manifest: render it first (`helm template …`) and validate the output",
    );
    fnd.file = Some(file.to_string());
    fnd.line = Some(line);
    fnd
}

/// Validate the KEDA objects of several files read together (e.g. a chart's rendered output
/// split over files): the workloads, HPAs, LimitRanges and (Cluster)TriggerAuthentications of
/// every file are added to `extra`, and the one-ScaledObject-per-workload/per-HPA rules apply
/// across files. One report per source, in order.
pub(crate) fn validate_sources(sources: &[Source], extra: &ClusterObjects) -> Vec<SourceReport> {
    let mut cluster = extra.clone();
    // Per source: its file findings and its KEDA documents (document, kind, apiVersion).
    type KedaDocs<'a> = Vec<(Document<'a>, String, String)>;
    let mut per_source: Vec<(Vec<super::report::Finding>, KedaDocs)> = Vec::new();
    for source in sources {
        let file = source.path.display().to_string();
        if let Some(line) = helm_template_line(&source.text) {
            per_source.push((vec![helm_finding(&file, line)], Vec::new()));
            continue;
        }
        let mut file_findings = Vec::new();
        let mut keda_docs = Vec::new();
        for d in split_documents(source) {
            let v = match d.value() {
                Ok(v) => v,
                Err(e) => {
                    let mut fnd = super::report::Finding::new(
                        Severity::Error,
                        "input.yaml",
                        e.location.field.clone(),
                        e.message.clone(),
                    );
                    fnd.file = Some(file.clone());
                    fnd.line = e.location.line;
                    fnd.column = e.location.column;
                    file_findings.push(fnd);
                    continue;
                }
            };
            let text = |key: &str| {
                v.get(key)
                    .and_then(|k| k.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            let (kind, api) = (text("kind"), text("apiVersion"));
            if matches!(
                ObjectKind::parse(&kind),
                Some(ObjectKind::ScaledObject | ObjectKind::ScaledJob)
            ) {
                keda_docs.push((d, kind, api));
            } else {
                cluster.add_object(&v);
            }
        }
        per_source.push((file_findings, keda_docs));
    }
    let mut identities: Vec<SoIdentity> = Vec::new();
    let mut reports = Vec::new();
    for (source, (file_findings, keda_docs)) in sources.iter().zip(per_source) {
        let file = source.path.display().to_string();
        let mut objects = Vec::new();
        for (d, kind, api) in keda_docs {
            let mut obj = if ObjectKind::ScaledObject.is(&kind) {
                validate_so_inner(&d, &cluster, &identities)
            } else {
                validate_scaled_job(&d, &cluster)
            };
            if api != KEDA_API_VERSION {
                let mut fnd = super::report::Finding::new(
                    Severity::Error,
                    "k8s.api-version",
                    Some("apiVersion".into()),
                    format!(
                        "no matches for kind \"{kind}\" in version \"{api}\" (expected {KEDA_API_VERSION})"
                    ),
                );
                fnd.file = Some(file.clone());
                if let Some((l, c)) = d.locate("apiVersion") {
                    fnd.line = Some(l);
                    fnd.column = Some(c);
                }
                obj.report.findings.insert(0, fnd);
                obj.model = None;
            }
            if let Some(KedaObject::ScaledObject(m)) = &obj.model {
                identities.push(SoIdentity {
                    name: m.name.clone(),
                    namespace: m.namespace.clone(),
                    gvk: gvk_string(&m.target.api_version, &m.target.kind),
                    target: m.target.name.clone(),
                    hpa: m.hpa.name.clone(),
                });
            }
            objects.push(obj);
        }
        reports.push(SourceReport {
            file,
            file_findings,
            objects,
        });
    }
    reports
}

#[cfg(test)]
mod tests;
