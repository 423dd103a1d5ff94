//! The autoscaler manifests a scenario names (and `--manifest` adds): every document is read,
//! the autoscalers are loaded and validated by their own modules (HPAs by the API server's
//! rules, ScaledObjects/ScaledJobs by KEDA's), workload manifests are kept for their pod facts,
//! and everything else is listed as not modelled — never silently dropped.

use super::patch::{Patch, patch_document};
use crate::error::{Error, InputError, Location};
use crate::hpa::{FeatureGates, LoadedHpa, load_hpa};
use crate::keda::cluster::{self, ClusterObjects};
use crate::keda::report::Severity;
use crate::keda::{KedaObject, ScaledJobModel, ScaledObjectModel, validate_source};
use crate::manifest::{self, deployment::PodTemplateFacts};
use crate::yaml::{Document, Source};
use std::path::PathBuf;

/// What the autoscaler manifests contained.
#[derive(Debug, Clone, Default)]
pub struct Autoscalers {
    pub hpas: Vec<LoadedHpa>,
    pub scaled_objects: Vec<ScaledObjectModel>,
    pub scaled_jobs: Vec<ScaledJobModel>,
    /// Workloads found beside the autoscalers (used for pod facts when `pods.manifest` is absent).
    pub workloads: Vec<PodTemplateFacts>,
    /// One line per document or field that is not modelled, and KEDA's warnings.
    pub notes: Vec<String>,
}

/// Kinds that commonly travel with autoscalers and do not affect scaling.
const IGNORED_KINDS: &[&str] = &[
    "Service",
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "Ingress",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
    "Namespace",
    "TriggerAuthentication",
    "ClusterTriggerAuthentication",
    "ServiceMonitor",
    "PodMonitor",
    "LimitRange",
];

/// KEDA's admission rule against a second autoscaler on the workload.
const EXISTING_HPA_RULE: &str = "webhook.existing-hpa";

/// Read every manifest path (`-` = standard input, at most once).
/// `patches` (sweep overrides) apply to the documents they select; `used` marks which did.
/// With `allow_conflicts`, a hand-made HPA beside a ScaledObject is kept (as on clusters whose
/// KEDA predates the admission check) instead of being rejected as KEDA's webhook does.
pub fn load(
    paths: &[PathBuf],
    gates: &FeatureGates,
    patches: &[Patch],
    used: &mut [bool],
    allow_conflicts: bool,
) -> Result<Autoscalers, Error> {
    let mut out = Autoscalers::default();
    let mut errors: Vec<InputError> = Vec::new();
    if paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(InputError::new(
            Location::file("-"),
            "standard input can be read only once (`-` given twice)",
        )
        .into());
    }
    let sources: Vec<Source> = paths
        .iter()
        .map(|p| manifest::read_source(p))
        .collect::<Result<_, _>>()?;
    // Objects KEDA's rules consult, from every file (each file adds its own again when validated).
    // Objects KEDA's rules consult from the *other* files (each file's own are added when it
    // is validated). Every object of the scenario is known: an absent HPA is known to be absent.
    let mut per_file: Vec<ClusterObjects> = Vec::new();
    for source in &sources {
        let mut c = ClusterObjects::default();
        for (h, doc) in manifest::documents(source)? {
            let Ok(v) = doc.value() else { continue };
            if h.kind == "HorizontalPodAutoscaler" {
                if !allow_conflicts && let Some(hpa) = cluster::hpa_from(&v) {
                    c.hpas.get_or_insert_with(Vec::new).push(hpa);
                }
            } else if let Some(w) = cluster::workload_from(&v) {
                c.workloads.push(w);
            }
        }
        per_file.push(c);
    }
    let others = |i: usize| -> ClusterObjects {
        let mut c = ClusterObjects {
            hpas: Some(Vec::new()),
            ..Default::default()
        };
        for (j, f) in per_file.iter().enumerate().filter(|(j, _)| *j != i) {
            let _ = j;
            c.workloads.extend(f.workloads.iter().cloned());
            if let Some(h) = &f.hpas {
                c.hpas
                    .get_or_insert_with(Vec::new)
                    .extend(h.iter().cloned());
            }
        }
        c
    };
    for (file_index, source) in sources.iter().enumerate() {
        let path = &source.path;
        let docs = manifest::documents(source)?;
        if docs.is_empty() {
            out.notes.push(format!(
                "{}: no Kubernetes objects in this file",
                path.display()
            ));
        }
        // Documents KEDA should see differently (patched, or hidden HPAs): (byte range, text).
        let mut replacements: Vec<(std::ops::Range<usize>, String)> = Vec::new();
        for (h, original) in &docs {
            let patched = match patch_document(original, &h.kind, &h.name, patches, used) {
                Ok(p) => p,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let patched_doc = patched.as_ref().map(|s| Document {
                source: s,
                index: 0,
                line_offset: 0,
                text: &s.text,
            });
            let doc = patched_doc.as_ref().unwrap_or(original);
            let what = format!(
                "{}: {} {:?}",
                path.display(),
                if h.kind.is_empty() { "object" } else { &h.kind },
                h.name
            );
            let keda_kind = matches!(h.kind.as_str(), "ScaledObject" | "ScaledJob");
            if let Some(p) = &patched
                && keda_kind
            {
                replacements.push((byte_range(source, original), p.text.clone()));
            }
            match h.kind.as_str() {
                "HorizontalPodAutoscaler" => {
                    if allow_conflicts {
                        // Keep it out of KEDA's view so its webhook rule does not reject the pair.
                        let blank: String = original.text.lines().map(|_| "\n").collect();
                        replacements.push((byte_range(source, original), blank));
                    }
                    match load_hpa(doc, gates) {
                        Ok(hpa) => {
                            for w in hpa.warnings() {
                                out.notes.push(format!("{what}: {w}"));
                            }
                            out.hpas.push(hpa);
                        }
                        Err(Error::Input(e)) => errors.push(*e),
                        Err(Error::Inputs(es)) => errors.extend(es),
                        Err(e) => return Err(e),
                    }
                }
                "Deployment" | "StatefulSet" | "ReplicaSet" | "Rollout" => {
                    match manifest::deployment::parse(doc) {
                        Ok(facts) => out.workloads.push(facts),
                        Err(e) => errors.push(e),
                    }
                }
                "ScaledObject" | "ScaledJob" => {}
                "" => errors.push(doc.error_at_path("kind", "a manifest document without `kind`")),
                k if IGNORED_KINDS.contains(&k) => {
                    out.notes.push(format!("{what}: not modelled (ignored)"))
                }
                _ => out
                    .notes
                    .push(format!("{what}: kind not modelled by scalesim (ignored)")),
            }
        }
        if !docs
            .iter()
            .any(|(h, _)| matches!(h.kind.as_str(), "ScaledObject" | "ScaledJob"))
        {
            continue;
        }
        let keda_source = if replacements.is_empty() {
            source.clone()
        } else {
            let mut text = source.text.clone();
            replacements.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
            for (range, with) in replacements {
                // Keep documents apart: a replacement that is JSON gets its own `---`.
                text.replace_range(range, &format!("{with}\n"));
            }
            Source::from_string(path.clone(), text)
        };
        let report = validate_source(&keda_source, &others(file_index));
        for o in &report.objects {
            let name = o.report.name.clone().unwrap_or_default();
            for f in &o.report.findings {
                let line = format!(
                    "{}: {} {name:?}: {}",
                    path.display(),
                    o.report.kind,
                    f.message
                );
                match f.severity {
                    Severity::Error => {}
                    _ => out.notes.push(line),
                }
            }
        }
        if let Some(Error::Inputs(mut es)) = report.to_error() {
            for (e, f) in es.iter_mut().zip(
                report
                    .objects
                    .iter()
                    .flat_map(|o| o.report.findings.iter())
                    .filter(|f| f.severity == Severity::Error),
            ) {
                if f.rule == EXISTING_HPA_RULE {
                    e.message += " — clusters with an older KEDA run both and they fight; set `autoscaler.allow_conflicts: true` (or --allow-conflicts) to simulate that";
                }
            }
            errors.extend(es);
            continue;
        }
        for m in report.models() {
            match m {
                KedaObject::ScaledObject(so) => out.scaled_objects.push(so.clone()),
                KedaObject::ScaledJob(sj) => out.scaled_jobs.push(sj.clone()),
            }
        }
    }
    match errors.len() {
        0 => Ok(out),
        1 => Err(errors.remove(0).into()),
        _ => Err(Error::Inputs(errors)),
    }
}

/// Byte range of a document inside its file's text (documents are slices of it).
fn byte_range(source: &Source, doc: &Document<'_>) -> std::ops::Range<usize> {
    let start = doc.text.as_ptr() as usize - source.text.as_ptr() as usize;
    start..start + doc.text.len()
}

/// Keep only the autoscalers of the workload named `target` (`autoscaler.target`): an HPA or
/// ScaledObject whose `scaleTargetRef.name` is it, a ScaledJob named it. The others are listed
/// in the notes as not simulated, as the objects of another workload on a real cluster would
/// not touch this one. An error (the names there are) when none is left.
pub(crate) fn keep_target(a: &mut Autoscalers, target: &str) -> Result<(), String> {
    let mut targets: Vec<String> = Vec::new();
    let mut skipped = |kind: &str, name: &str, of: &str| {
        targets.push(of.to_string());
        format!("{kind} {name:?} scales {of:?}, not `autoscaler.target` {target:?}: not simulated")
    };
    let mut notes = Vec::new();
    a.hpas.retain(|h| {
        let keep = h.scale_target_ref.name == target;
        if !keep {
            notes.push(skipped(
                "HorizontalPodAutoscaler",
                &h.name,
                &h.scale_target_ref.name,
            ));
        }
        keep
    });
    a.scaled_objects.retain(|s| {
        let keep = s.target.name == target;
        if !keep {
            notes.push(skipped("ScaledObject", &s.name, &s.target.name));
        }
        keep
    });
    a.scaled_jobs.retain(|j| {
        let keep = j.name == target;
        if !keep {
            notes.push(skipped("ScaledJob", &j.name, &j.name));
        }
        keep
    });
    if a.hpas.is_empty() && a.scaled_objects.is_empty() && a.scaled_jobs.is_empty() {
        targets.sort();
        targets.dedup();
        return Err(format!(
            "no autoscaler scales {target:?}; the manifests' autoscalers scale {}",
            targets
                .iter()
                .map(|t| format!("{t:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    a.notes.extend(notes);
    Ok(())
}
