//! `scalesim validate`: every document of the given manifests, read together, with what scalesim
//! will simulate for it and what it does not model — as a structured [`ValidationReport`]
//! (serializable for `--json`) and as text ([`render_text`]).
//!
//! * ScaledObjects/ScaledJobs: KEDA's validation ([`crate::keda::validate::validate_sources`]:
//!   API server, admission webhook, controller, scaler build) and its simulation plan — the
//!   triggers, the metrics they read, the signals and backend delays, the HPA KEDA generates
//!   with its effective behavior, the loop timings, fallback, scalingModifiers and pauses.
//! * HorizontalPodAutoscalers: the API server's validation ([`crate::hpa::load_hpa`]), metrics,
//!   bounds, legacy vs behavior path and unknown fields.
//! * Everything else: one line saying how it is used (scale-target pod facts, KEDA rule
//!   inputs) or that it is ignored.
//!
//! The workloads, HPAs, LimitRanges and TriggerAuthentications of every input are visible to
//! the rules of every other input. Nothing here prints; the CLI does.

use crate::error::InputError;
use crate::hpa::spec::{Behavior, EffectiveRules, HpaSpec, MetricSpec, MetricTarget};
use crate::hpa::{FeatureGates, load_hpa};
use crate::keda::catalog::{CatalogStatus, DelayClass, Signal};
use crate::keda::cluster::ClusterObjects;
use crate::keda::generated_hpa::{GeneratedHpa, check_behavior};
use crate::keda::metric::{MetricSource, TargetType};
use crate::keda::model::FallbackBehavior;
use crate::keda::report::{Finding, ObjectReport, Severity, SimulationPlan, TriggerPlan};
use crate::keda::validate::validate_sources;
use crate::manifest::kind::ObjectKind;
use crate::yaml::{Document, Source, split_documents};
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;

/// The HPA's downscale stabilization when `behavior.scaleDown` leaves it unset
/// (kube-controller-manager `--horizontal-pod-autoscaler-downscale-stabilization`, default 5 m).
const DOWNSCALE_STABILIZATION_S: i32 = 300;

/// What an HPA without `behavior` does.
pub(crate) const LEGACY_PATH: &str =
    "none → legacy HPA path: scale-up ≤ max(2×current, 4) per sync, 300 s downscale stabilization";

/// The whole validation: one entry per input, in the order given.
#[derive(Debug, Clone, Serialize)]
pub struct ValidationReport {
    pub(crate) files: Vec<FileReport>,
    pub(crate) summary: Counts,
}

/// Totals over every input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Counts {
    pub(crate) files: usize,
    pub(crate) documents: usize,
    pub(crate) errors: usize,
    pub(crate) warnings: usize,
    pub(crate) unchecked: usize,
    pub(crate) not_modelled: usize,
}

/// One input file (or `-`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FileReport {
    pub(crate) file: String,
    /// Problems of the file as a whole (unreadable, unrendered Helm template).
    pub(crate) findings: Vec<Finding>,
    /// Every non-empty document, in file order (comment-only documents are skipped).
    pub(crate) documents: Vec<DocumentReport>,
}

/// How a document takes part in the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Role {
    ScaledObject,
    ScaledJob,
    Hpa,
    /// A workload: its pod template's containers (requests, env) feed the rules and the pods.
    Workload,
    /// A LimitRange or (Cluster)TriggerAuthentication some KEDA rules consult.
    RuleInput,
    /// Not modelled.
    Ignored,
    /// Not a readable Kubernetes object (YAML error, no `kind`).
    Invalid,
}

/// One document.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DocumentReport {
    /// Index among the file's non-empty documents (0-based).
    pub(crate) index: usize,
    /// First line of the document's content (1-based, file-wide).
    pub(crate) line: usize,
    pub(crate) api_version: String,
    pub(crate) kind: String,
    pub(crate) name: Option<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) role: Role,
    /// One line saying how the document is used (every role but ScaledObject/ScaledJob/Hpa).
    pub(crate) note: Option<String>,
    /// Errors, warnings, unchecked rules and not-modelled fields, as KEDA's report has them.
    pub(crate) findings: Vec<Finding>,
    /// ScaledObject/ScaledJob: what will be simulated.
    pub(crate) plan: Option<SimulationPlan>,
    /// ScaledObject with a `behavior`: the generated HPA's behavior with the API defaults filled.
    pub(crate) generated_hpa_behavior: Option<EffectiveBehavior>,
    /// ScaledObject: `spec.scaleTargetRef` with KEDA's defaults (apps/v1, Deployment).
    pub(crate) scale_target: Option<ScaleTarget>,
    /// HorizontalPodAutoscaler.
    pub(crate) hpa: Option<HpaDetail>,
    /// Advice attached to findings, by rule.
    pub(crate) hints: Vec<Hint>,
}

/// A ScaledObject's scale target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ScaleTarget {
    pub(crate) api_version: String,
    pub(crate) kind: String,
    pub(crate) name: String,
}

/// A piece of advice about a finding's rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Hint {
    pub(crate) rule: String,
    pub(crate) text: String,
}

/// An HPA `behavior` after API-server defaulting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct EffectiveBehavior {
    pub(crate) scale_up: EffectiveRules,
    pub(crate) scale_down: EffectiveRules,
}

impl EffectiveBehavior {
    pub(crate) fn of(b: &Behavior) -> EffectiveBehavior {
        let (scale_up, scale_down) = b.effective(DOWNSCALE_STABILIZATION_S);
        EffectiveBehavior {
            scale_up,
            scale_down,
        }
    }
}

/// A HorizontalPodAutoscaler as the controller will run it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct HpaDetail {
    pub(crate) target_api_version: String,
    pub(crate) target_kind: String,
    pub(crate) target_name: String,
    /// None when the API server would reject the manifest.
    pub(crate) spec: Option<HpaSpec>,
    /// No `behavior`: the legacy scaling path.
    pub(crate) legacy_path: bool,
    pub(crate) behavior: Option<EffectiveBehavior>,
}

impl ValidationReport {
    pub(crate) fn has_errors(&self) -> bool {
        self.summary.errors > 0
    }

    /// Every finding of every input, in output order.
    pub(crate) fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.files.iter().flat_map(|f| {
            f.findings
                .iter()
                .chain(f.documents.iter().flat_map(|d| d.findings.iter()))
        })
    }
}

fn str_at(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    cur.as_str().map(str::to_string)
}

fn finding_from_input_error(
    e: &InputError,
    rule: &str,
    file: &str,
    fallback_line: Option<usize>,
) -> Finding {
    let mut f = Finding::new(
        Severity::Error,
        rule,
        e.location.field.clone(),
        e.message.clone(),
    );
    f.file = Some(
        e.location
            .file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| file.to_string()),
    );
    f.line = e.location.line.or(fallback_line);
    f.column = e.location.column;
    f
}

/// A scale target as an autoscaler names it (kind defaults to Deployment).
#[derive(Debug, Clone, PartialEq)]
struct TargetName {
    kind: String,
    name: String,
    namespace: Option<String>,
}

/// The target an autoscaler names in `spec.scaleTargetRef`.
fn targets_of(v: &Value) -> Option<TargetName> {
    let r = v.get("spec")?.get("scaleTargetRef")?;
    let k = str_at(r, &["kind"]).filter(|k| !k.is_empty());
    Some(TargetName {
        kind: k.unwrap_or_else(|| "Deployment".into()),
        name: str_at(r, &["name"]).unwrap_or_default(),
        namespace: str_at(v, &["metadata", "namespace"]),
    })
}

fn same_ns(a: &Option<String>, b: &Option<String>) -> bool {
    crate::keda::cluster::same_namespace(a, b)
}

/// Validate every input together. `inputs` are the files as read (a read failure is reported
/// as that file's error).
pub fn validate_inputs(inputs: &[Result<Source, InputError>]) -> ValidationReport {
    let sources: Vec<Source> = inputs
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .cloned()
        .collect();
    let keda_reports = validate_sources(&sources, &ClusterObjects::default());
    // Every autoscaler's target, for the workload lines and the HPA conflict notes.
    let mut autoscalers: Vec<(String, TargetName)> = Vec::new();
    for s in &sources {
        for d in split_documents(s) {
            let Ok(v) = d.value() else { continue };
            let kind = str_at(&v, &["kind"]).and_then(|k| ObjectKind::parse(&k));
            let Some(kind @ (ObjectKind::ScaledObject | ObjectKind::HorizontalPodAutoscaler)) =
                kind
            else {
                continue;
            };
            if let Some(t) = targets_of(&v) {
                let name = str_at(&v, &["metadata", "name"]).unwrap_or_default();
                autoscalers.push((format!("{kind} {name:?}"), t));
            }
        }
    }
    let mut files = Vec::new();
    let mut sources_iter = sources.iter().zip(keda_reports);
    for input in inputs {
        match input {
            Err(e) => {
                let file = e
                    .location
                    .file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                files.push(FileReport {
                    findings: vec![finding_from_input_error(e, "input.read", &file, None)],
                    file,
                    documents: Vec::new(),
                });
            }
            Ok(_) => {
                let (source, keda) = sources_iter.next().expect("one report per source");
                files.push(file_report(source, keda, &autoscalers));
            }
        }
    }
    let mut report = ValidationReport {
        summary: Counts {
            files: files.len(),
            documents: files.iter().map(|f| f.documents.len()).sum(),
            ..Default::default()
        },
        files,
    };
    let mut counts = report.summary.clone();
    for f in report.findings() {
        match f.severity {
            Severity::Error => counts.errors += 1,
            Severity::Warning => counts.warnings += 1,
            Severity::Unchecked => counts.unchecked += 1,
            Severity::NotModelled => counts.not_modelled += 1,
        }
    }
    report.summary = counts;
    report
}

/// A warning for each field of the document that holds unrendered template text, on the line
/// where the text first appears.
fn template_text_findings(d: &Document, v: &Value, file: &str) -> Vec<Finding> {
    crate::manifest::template_text::fields_with_template_text(v)
        .into_iter()
        .map(|t| {
            let mut f = Finding::new(
                Severity::Warning,
                "input.template-text",
                Some(t.field.clone()),
                format!(
                    "`{}` looks like unrendered template text (Helm, envsubst): the API server would take it literally; render the manifest first (`helm template …`, `envsubst`)",
                    t.text
                ),
            );
            f.file = Some(file.to_string());
            f.line = d
                .text
                .lines()
                .position(|l| l.contains(&t.text))
                .map(|i| d.line_offset + i + 1);
            f
        })
        .collect()
}

fn first_content_line(d: &Document) -> usize {
    let skip = d
        .text
        .lines()
        .position(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && !t.starts_with('%')
        })
        .unwrap_or(0);
    d.line_offset + skip + 1
}

fn file_report(
    source: &Source,
    keda: crate::keda::validate::SourceReport,
    autoscalers: &[(String, TargetName)],
) -> FileReport {
    let file = source.path.display().to_string();
    // The KEDA report's own YAML findings are re-made per document below.
    let mut findings: Vec<Finding> = keda
        .file_findings
        .iter()
        .filter(|f| f.rule != "input.yaml")
        .cloned()
        .collect();
    if findings.iter().any(|f| f.rule == "input.helm-template") {
        return FileReport {
            file,
            findings,
            documents: Vec::new(),
        };
    }
    let mut keda_objects = keda.objects.into_iter().map(|o| o.report).peekable();
    let documents: Vec<DocumentReport> = split_documents(source)
        .iter()
        .map(|d| document_report(d, &file, &mut keda_objects, autoscalers))
        .collect();
    if documents.is_empty() {
        let mut f = Finding::new(
            Severity::Warning,
            "input.empty",
            None,
            "no Kubernetes objects in this input (nothing to validate)",
        );
        f.file = Some(file.clone());
        findings.push(f);
    }
    FileReport {
        file,
        findings,
        documents,
    }
}

/// A document's report before anything is known about it.
fn blank_document(index: usize, line: usize) -> DocumentReport {
    DocumentReport {
        index,
        line,
        api_version: String::new(),
        kind: String::new(),
        name: None,
        namespace: None,
        role: Role::Invalid,
        note: None,
        findings: Vec::new(),
        plan: None,
        generated_hpa_behavior: None,
        scale_target: None,
        hpa: None,
        hints: Vec::new(),
    }
}

/// One document of a file: read as YAML, then reported by its kind (KEDA objects take the
/// next of `keda_objects`, which KEDA reports in document order).
fn document_report(
    d: &Document<'_>,
    file: &str,
    keda_objects: &mut std::iter::Peekable<impl Iterator<Item = ObjectReport>>,
    autoscalers: &[(String, TargetName)],
) -> DocumentReport {
    let line = first_content_line(d);
    let mut doc = blank_document(d.index, line);
    let v = match d.value() {
        Ok(v) => v,
        Err(e) => {
            doc.note = Some("not readable as YAML".into());
            doc.findings
                .push(finding_from_input_error(&e, "input.yaml", file, Some(line)));
            return doc;
        }
    };
    let template_text = template_text_findings(d, &v, file);
    doc.api_version = str_at(&v, &["apiVersion"]).unwrap_or_default();
    doc.kind = str_at(&v, &["kind"]).unwrap_or_default();
    doc.name = str_at(&v, &["metadata", "name"]);
    doc.namespace = str_at(&v, &["metadata", "namespace"]);
    let kind = doc.kind.clone();
    match ObjectKind::parse(&kind) {
        Some(k @ (ObjectKind::ScaledObject | ObjectKind::ScaledJob)) => {
            let Some(report) = keda_objects.next_if(|o| o.document == d.index) else {
                doc.role = Role::Ignored;
                doc.note = Some("not validated (internal mismatch; please report)".into());
                return doc;
            };
            keda_document(&mut doc, report);
            if k == ObjectKind::ScaledObject {
                doc.scale_target = scale_target_of(&v);
            }
        }
        Some(ObjectKind::HorizontalPodAutoscaler) => hpa_document(&mut doc, d, file, autoscalers),
        _ if kind.is_empty() => {
            let mut f = Finding::new(
                Severity::Error,
                "input.no-kind",
                Some("kind".into()),
                "not a Kubernetes object: the document has no `kind` (the API server rejects it)",
            );
            f.file = Some(file.to_string());
            f.line = Some(line);
            doc.note = Some("not a Kubernetes object".into());
            doc.findings.push(f);
        }
        _ => other_document(&mut doc, &kind, &v, autoscalers),
    }
    doc.findings.extend(template_text);
    doc
}

/// A ScaledObject's `spec.scaleTargetRef`, with Kubernetes' defaults.
fn scale_target_of(v: &Value) -> Option<ScaleTarget> {
    let r = v.get("spec").and_then(|s| s.get("scaleTargetRef"))?;
    let get = |k: &str, default: &str| {
        str_at(r, &[k])
            .filter(|x| !x.is_empty())
            .unwrap_or_else(|| default.to_string())
    };
    Some(ScaleTarget {
        api_version: get("apiVersion", "apps/v1"),
        kind: get("kind", "Deployment"),
        name: get("name", ""),
    })
}

fn keda_document(doc: &mut DocumentReport, report: ObjectReport) {
    doc.role = if ObjectKind::ScaledJob.is(&report.kind) {
        Role::ScaledJob
    } else {
        Role::ScaledObject
    };
    doc.name = report.name.clone().or(doc.name.take());
    doc.namespace = report.namespace.clone().or(doc.namespace.take());
    doc.generated_hpa_behavior = report
        .plan
        .as_ref()
        .and_then(|p| p.hpa.as_ref())
        .and_then(|h| h.behavior.as_ref())
        .and_then(|b| check_behavior(b).behavior)
        .map(|b| EffectiveBehavior::of(&b));
    let mut findings = report.findings;
    findings.sort_by_key(|f| f.severity); // stable: keeps KEDA's order within a severity
    for rule in findings.iter().map(|f| f.rule.as_str()) {
        if let Some(text) = hint_for(rule)
            && !doc.hints.iter().any(|h| h.rule == rule)
        {
            doc.hints.push(Hint {
                rule: rule.into(),
                text: text.into(),
            });
        }
    }
    doc.findings = findings;
    doc.plan = report.plan;
}

fn hint_for(rule: &str) -> Option<&'static str> {
    match rule {
        "webhook.existing-hpa" => Some(
            "KEDA's admission webhook rejects a ScaledObject whose workload already has an HPA (rule webhook.existing-hpa), because the two would fight over the replica count. Clusters with an older KEDA (before its admission webhooks) or with the webhooks disabled accept both and run both autoscalers; `scalesim run` simulates that with `allow_conflicts: true` under `autoscaler:`. To have KEDA adopt the HPA instead, annotate the ScaledObject `scaledobject.keda.sh/transfer-hpa-ownership: \"true\"` and name the HPA in `spec.advanced.horizontalPodAutoscalerConfig.name`; or delete the HPA.",
        ),
        "webhook.duplicate-scale-target" => Some(
            "only one ScaledObject may manage a workload: merge the triggers into one ScaledObject (the HPA takes the maximum over its metrics).",
        ),
        _ => None,
    }
}

fn hpa_document(
    doc: &mut DocumentReport,
    d: &Document,
    file: &str,
    autoscalers: &[(String, TargetName)],
) {
    doc.role = Role::Hpa;
    match load_hpa(d, &FeatureGates::default()) {
        Ok(h) => {
            for u in &h.unknown_fields {
                let mut f = Finding::new(
                    Severity::NotModelled,
                    "not-modelled.unknown-field",
                    Some(u.clone()),
                    format!(
                        "unknown field `{u}` is not modelled: the HPA API has no such field (the API server drops it; strict kubectl validation rejects it)"
                    ),
                );
                f.file = Some(file.to_string());
                let (l, c) = d.locate(u).unwrap_or((doc.line, 1));
                f.line = Some(l);
                f.column = Some(c);
                doc.findings.push(f);
            }
            for n in &h.notes {
                let mut f =
                    Finding::new(Severity::NotModelled, "not-modelled.hpa", None, n.clone());
                f.file = Some(file.to_string());
                f.line = Some(doc.line);
                doc.findings.push(f);
            }
            doc.hpa = Some(HpaDetail {
                target_api_version: h.scale_target_ref.api_version.clone(),
                target_kind: h.scale_target_ref.kind.clone(),
                target_name: h.scale_target_ref.name.clone(),
                legacy_path: h.spec.behavior.is_none(),
                behavior: h.spec.behavior.as_ref().map(EffectiveBehavior::of),
                spec: Some(h.spec),
            });
        }
        Err(e) => {
            let errors: Vec<InputError> = match e {
                crate::Error::Input(e) => vec![*e],
                crate::Error::Inputs(es) => es,
                other => vec![InputError::in_file(file, other.to_string())],
            };
            for e in &errors {
                let mut f = finding_from_input_error(e, "apiserver.hpa", file, Some(doc.line));
                f.message = format!(
                    "the API server rejects this HorizontalPodAutoscaler: {}",
                    f.message
                );
                doc.findings.push(f);
            }
            let v = d.value().unwrap_or(Value::Null);
            let r = v.get("spec").and_then(|s| s.get("scaleTargetRef"));
            let get = |k: &str| r.and_then(|r| str_at(r, &[k])).unwrap_or_default();
            doc.hpa = Some(HpaDetail {
                target_api_version: get("apiVersion"),
                target_kind: get("kind"),
                target_name: get("name"),
                spec: None,
                legacy_path: v.get("spec").and_then(|s| s.get("behavior")).is_none(),
                behavior: None,
            });
        }
    }
    // A ScaledObject on the same workload: KEDA's webhook rejects that ScaledObject.
    if let Some(h) = &doc.hpa {
        let kind = if h.target_kind.is_empty() {
            "Deployment"
        } else {
            &h.target_kind
        };
        for (who, t) in autoscalers {
            if who.starts_with("ScaledObject")
                && t.kind == kind
                && t.name == h.target_name
                && same_ns(&t.namespace, &doc.namespace)
            {
                doc.hints.push(Hint {
                    rule: "webhook.existing-hpa".into(),
                    text: format!("{who} targets the same {kind} {:?}: KEDA's admission webhook rejects that ScaledObject while this HPA exists (see its error)", h.target_name),
                });
            }
        }
    }
}

fn other_document(
    doc: &mut DocumentReport,
    kind: &str,
    v: &Value,
    autoscalers: &[(String, TargetName)],
) {
    let has_pod_template = v
        .get("spec")
        .and_then(|s| s.get("template"))
        .and_then(|t| t.get("spec"))
        .and_then(|s| s.get("containers"))
        .is_some();
    let parsed = ObjectKind::parse(kind);
    let (role, note) = match parsed {
        Some(
            k @ (ObjectKind::TriggerAuthentication | ObjectKind::ClusterTriggerAuthentication),
        ) => {
            let cluster = k == ObjectKind::ClusterTriggerAuthentication;
            let ta = crate::keda::cluster::trigger_auth_from(v, cluster);
            let params: Vec<&str> = ta.params.iter().map(String::as_str).collect();
            let provides = if params.is_empty() {
                match &ta.pod_identity {
                    Some(p) => format!("pod identity {p}"),
                    None => "no parameters".into(),
                }
            } else {
                format!("parameters {}", params.join(", "))
            };
            (
                Role::RuleInput,
                format!("used by KEDA's rules: supplies {provides} to the triggers that reference it (credentials are not simulated)"),
            )
        }
        Some(ObjectKind::LimitRange) => {
            let lr = crate::keda::cluster::limit_range_from(v);
            let res: Vec<&str> = lr.resources.iter().map(String::as_str).collect();
            (
                Role::RuleInput,
                format!(
                    "used by KEDA's cpu/memory rule: container defaults for {}",
                    if res.is_empty() { "nothing".to_string() } else { res.join(", ") }
                ),
            )
        }
        Some(k)
            if has_pod_template
                && (k.is_workload() || matches!(k, ObjectKind::Job | ObjectKind::CronJob)) =>
        {
            let name = doc.name.clone().unwrap_or_default();
            let by: Vec<&str> = autoscalers
                .iter()
                .filter(|(_, t)| k.is(&t.kind) && t.name == name && same_ns(&t.namespace, &doc.namespace))
                .map(|(who, _)| who.as_str())
                .collect();
            if by.is_empty() {
                (
                    Role::Workload,
                    "workload not targeted by any autoscaler in the input (its pod template would give the pod facts)".into(),
                )
            } else {
                (
                    Role::Workload,
                    format!(
                        "used as the scale target's pod facts (containers, requests, env) for {}",
                        by.join(", ")
                    ),
                )
            }
        }
        Some(ObjectKind::List) => (
            Role::Ignored,
            "ignored: the items of a List are not read — give them as separate documents (e.g. `kubectl get … -o yaml` per object)".into(),
        ),
        _ => (Role::Ignored, "ignored: not modelled".into()),
    };
    doc.role = role;
    doc.note = Some(note);
}

// ---------------------------------------------------------------------------------------------
// Text rendering

/// `file:line`.
fn at(file: &str, line: usize) -> String {
    format!("{file}:{line}")
}

fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Unchecked => "unchecked",
        Severity::NotModelled => "not modelled",
    }
}

/// `error: file:line:col: field `x`: message [rule]`.
pub(crate) fn finding_line(f: &Finding) -> String {
    format!("{}: {}", severity_label(f.severity), f.to_input_error())
}

/// A number in milli-units as written by a person: `10`, `0.5`, `0.025`.
fn milli(m: i64) -> String {
    if m % 1000 == 0 {
        (m / 1000).to_string()
    } else {
        let s = format!("{:.3}", m as f64 / 1000.0);
        s.trim_end_matches('0').to_string()
    }
}

fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// The target as the generated HPA has it; with none in the trigger's metadata, what `run`
/// needs instead: a `target:` in the binding named `binding` (the trigger's or metric's name).
fn keda_target(
    target_type: TargetType,
    target_milli: Option<i64>,
    utilization: Option<i32>,
    binding: &str,
) -> String {
    match (target_type, target_milli, utilization) {
        (TargetType::Utilization, _, Some(u)) => format!("Utilization {u} %"),
        (t, Some(m), _) => format!("{} {}", t.as_str(), milli(m)),
        (t, None, _) => format!(
            "{} — none in the metadata: `run` takes it from the binding, e.g. `metrics: {{{binding}: {{signal: backlog, target: 10}}}}`",
            t.as_str()
        ),
    }
}

fn signal_text(s: &Signal) -> String {
    match s {
        Signal::QueueBacklog {
            visible,
            in_flight,
            delayed,
        } => {
            let mut parts = Vec::new();
            if *visible {
                parts.push("visible");
            }
            if *in_flight {
                parts.push("in flight");
            }
            if *delayed {
                parts.push("delayed");
            }
            format!("queue backlog ({})", parts.join(" + "))
        }
        Signal::ConsumerLag => "consumer-group lag".into(),
        Signal::Named { suggested } => format!("a named signal (suggested: {suggested})"),
        Signal::Clock => "the clock (schedule)".into(),
        Signal::Resource {
            resource,
            container,
        } => match container {
            Some(c) => format!("pod {resource} usage of container {c}"),
            None => format!("pod {resource} usage"),
        },
    }
}

fn delay_text(d: &DelayClass) -> String {
    match d {
        DelayClass::Direct => "direct read, near real time".into(),
        DelayClass::NearRealTimeApi => "approximate near-real-time API".into(),
        DelayClass::PrometheusScrape => "Prometheus scrape (scrape interval + rate window)".into(),
        DelayClass::CloudMetrics {
            granularity_s,
            lag_s,
            window_s,
        } => format!(
            "cloud metrics: {} s datapoints, {} s late, averaged over {} s",
            number(*granularity_s),
            number(*lag_s),
            number(*window_s)
        ),
        DelayClass::MetricsServer => "metrics-server window".into(),
        DelayClass::Clock => "none (computed from the clock)".into(),
    }
}

fn status_text(s: CatalogStatus) -> &'static str {
    match s {
        CatalogStatus::Modelled => "modelled",
        CatalogStatus::CoreNotModelled => {
            "core KEDA scaler, not modelled: bind it to a named signal"
        }
        CatalogStatus::Unknown => "not a core KEDA scaler: bind it to a named signal",
    }
}

fn trigger_lines(out: &mut String, t: &TriggerPlan) {
    let name = t
        .name
        .as_ref()
        .map(|n| format!(" {n:?}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "    [{}] {}{name} — {}",
        t.index,
        t.trigger_type,
        status_text(t.status)
    );
    match &t.metric {
        Some(m) => {
            let activation = match (t.activation_threshold, m.source) {
                (Some(a), _) => format!("active when value > {}", number(a)),
                (None, MetricSource::External) => "activation not read".into(),
                (None, _) => {
                    "no activation threshold (cpu/memory triggers do not take part in activation)"
                        .into()
                }
            };
            let _ = writeln!(
                out,
                "        metric {} ({}), target {}; {activation}",
                m.name,
                m.source.as_str(),
                keda_target(
                    m.target_type,
                    m.target_milli,
                    m.average_utilization,
                    t.name.as_deref().unwrap_or(&m.name)
                )
            );
        }
        None => {
            let _ = writeln!(out, "        no metric: the scaler could not be built");
        }
    }
    if let (Some(s), Some(d)) = (&t.signal, &t.delay) {
        let _ = writeln!(
            out,
            "        reads {} — delay: {}",
            signal_text(s),
            delay_text(d)
        );
    }
    if t.use_cached_metrics {
        let _ = writeln!(
            out,
            "        useCachedMetrics: the HPA reads the value of KEDA's last poll"
        );
    }
}

fn rules_text(r: &EffectiveRules) -> String {
    let policies: Vec<String> = r.policies.iter().map(|p| p.to_string()).collect();
    let mut s = format!(
        "stabilization {} s, select {}, policies {}",
        r.stabilization_window_seconds,
        r.select_policy,
        if policies.is_empty() {
            "none".into()
        } else {
            policies.join(", ")
        }
    );
    if let Some(t) = r.tolerance {
        let _ = write!(s, ", tolerance {t}");
    }
    s
}

fn behavior_lines(out: &mut String, indent: &str, legacy: bool, b: Option<&EffectiveBehavior>) {
    match (legacy, b) {
        (true, _) => {
            let _ = writeln!(out, "{indent}behavior: {LEGACY_PATH}");
        }
        (false, Some(b)) => {
            let _ = writeln!(out, "{indent}behavior: as given, API defaults filled");
            let _ = writeln!(out, "{indent}  scaleUp:   {}", rules_text(&b.scale_up));
            let _ = writeln!(out, "{indent}  scaleDown: {}", rules_text(&b.scale_down));
        }
        (false, None) => {
            let _ = writeln!(out, "{indent}behavior: given but invalid (see the errors)");
        }
    }
}

fn generated_hpa_lines(out: &mut String, h: &GeneratedHpa, eff: Option<&EffectiveBehavior>) {
    let _ = writeln!(
        out,
        "  generated HPA {}: min {} (= max(1, minReplicaCount)), max {}",
        h.name, h.min_replicas, h.max_replicas
    );
    for m in &h.metrics {
        let container = m
            .container
            .as_ref()
            .map(|c| format!(" container {c}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    metric {} {}{container}: {}",
            m.source.as_str(),
            m.name,
            keda_target(
                m.target_type,
                m.target_milli,
                m.average_utilization,
                &m.name
            )
        );
    }
    behavior_lines(out, "    ", h.behavior.is_none(), eff);
}

fn fallback_behavior_name(b: FallbackBehavior) -> &'static str {
    match b {
        FallbackBehavior::Static => "static",
        FallbackBehavior::CurrentReplicas => "currentReplicas",
        FallbackBehavior::CurrentReplicasIfHigher => "currentReplicasIfHigher",
        FallbackBehavior::CurrentReplicasIfLower => "currentReplicasIfLower",
        FallbackBehavior::ScalingModifiers => "scalingModifiers",
    }
}

fn plan_lines(out: &mut String, doc: &DocumentReport, plan: &SimulationPlan) {
    let _ = writeln!(out, "  triggers:");
    if plan.triggers.is_empty() {
        let _ = writeln!(out, "    none");
    }
    for t in &plan.triggers {
        trigger_lines(out, t);
    }
    if let Some(h) = &plan.hpa {
        generated_hpa_lines(out, h, doc.generated_hpa_behavior.as_ref());
    }
    let mut timing = format!("  KEDA loop: polling {} s", number(plan.polling_interval_s));
    if let Some(c) = plan.cooldown_period_s {
        let _ = write!(timing, ", cooldown {} s", number(c));
    }
    if let Some(c) = plan.initial_cooldown_period_s {
        let _ = write!(timing, ", initialCooldown {} s", number(c));
    }
    let _ = writeln!(out, "{timing}");
    if doc.role == Role::ScaledObject {
        match &plan.fallback {
            Some(f) => {
                let _ = writeln!(
                    out,
                    "  fallback: after more than {} consecutive failures of a trigger → {} replicas (behavior {})",
                    f.failure_threshold,
                    f.replicas,
                    fallback_behavior_name(f.behavior)
                );
            }
            None => {
                let _ = writeln!(out, "  fallback: none");
            }
        }
        match &plan.scaling_modifiers {
            Some(m) => {
                let act = if m.activation_target.trim().is_empty() {
                    "0"
                } else {
                    m.activation_target.trim()
                };
                let _ = writeln!(
                    out,
                    "  scalingModifiers: composite-metric = {} ; target {} ({}), activationTarget {act}",
                    m.formula_source.trim(),
                    m.target,
                    m.metric_type.as_str()
                );
            }
            None => {
                let _ = writeln!(out, "  scalingModifiers: none");
            }
        }
    }
    if let Some(p) = &plan.pause {
        let _ = writeln!(out, "  pause: {}", p.description);
    }
    for n in &plan.notes {
        // The legacy-path note repeats the generated HPA's behavior line.
        if plan.legacy_hpa_path && n.starts_with("no horizontalPodAutoscalerConfig.behavior") {
            continue;
        }
        let _ = writeln!(out, "  note: {n}");
    }
}

fn hpa_target_text(metric: &MetricSpec) -> String {
    let t = |t: &MetricTarget| {
        let mut parts = vec![t.target_type.to_string()];
        if let Some(u) = t.average_utilization {
            parts.push(format!("averageUtilization {u} %"));
        }
        if let Some(v) = t.average_value {
            parts.push(format!("averageValue {v}"));
        }
        if let Some(v) = t.value {
            parts.push(format!("value {v}"));
        }
        parts.join(", ")
    };
    match metric {
        MetricSpec::Resource { name, target } => format!("Resource {name}: {}", t(target)),
        MetricSpec::ContainerResource {
            name,
            container,
            target,
        } => format!(
            "ContainerResource {name} container {container}: {}",
            t(target)
        ),
        MetricSpec::Pods { metric, target } => format!("Pods {}: {}", metric.name, t(target)),
        MetricSpec::Object {
            described_object,
            metric,
            target,
        } => format!(
            "Object {} of {} {:?}: {}",
            metric.name,
            described_object.kind,
            described_object.name,
            t(target)
        ),
        MetricSpec::External { metric, target } => {
            format!("External {}: {}", metric.name, t(target))
        }
        MetricSpec::Unknown { type_name } => format!("{type_name} (unknown metric type)"),
    }
}

fn hpa_lines(out: &mut String, h: &HpaDetail) {
    let kind = if h.target_kind.is_empty() {
        "?"
    } else {
        &h.target_kind
    };
    let _ = writeln!(out, "  target: {kind} {:?}", h.target_name);
    let Some(spec) = &h.spec else {
        let _ = writeln!(out, "  not simulated: the API server rejects it");
        return;
    };
    let _ = writeln!(
        out,
        "  replicas: min {}{}, max {}",
        spec.min(),
        if spec.min_replicas.is_none() {
            " (default)"
        } else {
            ""
        },
        spec.max_replicas
    );
    if spec.metrics.is_empty() {
        let _ = writeln!(
            out,
            "  metrics: none given → the API-server default, Resource cpu: Utilization 80 %"
        );
    }
    for m in &spec.metrics {
        let _ = writeln!(out, "  metric {}", hpa_target_text(m));
    }
    behavior_lines(out, "  ", h.legacy_path, h.behavior.as_ref());
}

fn findings_lines(out: &mut String, findings: &[Finding], hints: &[Hint], quiet: bool) {
    let mut hinted = Vec::new();
    for f in findings {
        if quiet && !matches!(f.severity, Severity::Error | Severity::Warning) {
            continue;
        }
        let _ = writeln!(out, "{}{}", if quiet { "" } else { "  " }, finding_line(f));
        if let Some(h) = hints.iter().find(|h| h.rule == f.rule)
            && !hinted.contains(&h.rule)
        {
            hinted.push(h.rule.clone());
            let _ = writeln!(out, "{}  hint: {}", if quiet { "" } else { "  " }, h.text);
        }
    }
}

fn header(file: &str, d: &DocumentReport) -> String {
    let kind = if d.kind.is_empty() {
        "document"
    } else {
        &d.kind
    };
    let mut s = format!("{}: {kind}", at(file, d.line));
    if let Some(n) = &d.name {
        let _ = write!(s, " {n:?}");
    }
    if let Some(ns) = &d.namespace {
        let _ = write!(s, " (namespace {ns})");
    }
    s
}

/// The report as text: per object, in file order then document order. `quiet`: only the
/// errors and warnings.
pub(crate) fn render_text(r: &ValidationReport, quiet: bool) -> String {
    let mut out = String::new();
    for file in &r.files {
        findings_lines(&mut out, &file.findings, &[], quiet);
        for d in &file.documents {
            if quiet {
                findings_lines(&mut out, &d.findings, &d.hints, true);
                continue;
            }
            match d.role {
                Role::ScaledObject | Role::ScaledJob | Role::Hpa => {
                    let _ = writeln!(out, "{}", header(&file.file, d));
                    if let Some(t) = &d.scale_target {
                        let _ = writeln!(
                            out,
                            "  scale target: {} {:?} ({})",
                            t.kind, t.name, t.api_version
                        );
                    }
                    if let Some(p) = &d.plan {
                        plan_lines(&mut out, d, p);
                    }
                    if let Some(h) = &d.hpa {
                        hpa_lines(&mut out, h);
                    }
                    for h in d
                        .hints
                        .iter()
                        .filter(|h| !d.findings.iter().any(|f| f.rule == h.rule))
                    {
                        let _ = writeln!(out, "  note: {}", h.text);
                    }
                    findings_lines(&mut out, &d.findings, &d.hints, false);
                    out.push('\n');
                }
                _ => {
                    let _ = writeln!(
                        out,
                        "{}: {}",
                        header(&file.file, d),
                        d.note.as_deref().unwrap_or("")
                    );
                    findings_lines(&mut out, &d.findings, &d.hints, false);
                }
            }
        }
    }
    if !quiet {
        let s = &r.summary;
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        if !out.ends_with("\n\n") && !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "{} in {}: {}, {}, {} unchecked, {} not modelled",
            plural(s.documents, "document", "documents"),
            plural(s.files, "file", "files"),
            plural(s.errors, "error", "errors"),
            plural(s.warnings, "warning", "warnings"),
            s.unchecked,
            s.not_modelled
        );
    }
    out
}
