//! The autoscaler manifests a scenario names (and `--manifest` adds): every document is read,
//! the autoscalers are loaded and validated by their own modules, workload manifests are kept
//! for their pod facts, and everything else is listed as not modelled — never silently dropped.

use super::patch::{Patch, patch_document};
use crate::error::{Error, InputError, Location};
use crate::hpa::{FeatureGates, LoadedHpa, load_hpa};
use crate::manifest::{self, deployment::PodTemplateFacts};
use crate::yaml::Document;
use std::path::PathBuf;

/// What the autoscaler manifests contained.
#[derive(Debug, Clone, Default)]
pub struct Autoscalers {
    pub hpas: Vec<LoadedHpa>,
    /// Workloads found beside the autoscalers (used for pod facts when `pods.manifest` is absent).
    pub workloads: Vec<PodTemplateFacts>,
    /// One line per document or field that is not modelled.
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
];

/// Read every manifest path (`-` = standard input, at most once).
/// `patches` (sweep overrides) apply to the documents they select; `used` marks which did.
pub fn load(
    paths: &[PathBuf],
    gates: &FeatureGates,
    patches: &[Patch],
    used: &mut [bool],
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
    for path in paths {
        let source = manifest::read_source(path)?;
        let docs = manifest::documents(&source)?;
        if docs.is_empty() {
            out.notes.push(format!(
                "{}: no Kubernetes objects in this file",
                path.display()
            ));
        }
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
            match h.kind.as_str() {
                "HorizontalPodAutoscaler" => match load_hpa(doc, gates) {
                    Ok(hpa) => {
                        for w in hpa.warnings() {
                            out.notes.push(format!("{what}: {w}"));
                        }
                        out.hpas.push(hpa);
                    }
                    Err(Error::Input(e)) => errors.push(*e),
                    Err(Error::Inputs(es)) => errors.extend(es),
                    Err(e) => return Err(e),
                },
                "Deployment" | "StatefulSet" | "ReplicaSet" | "Rollout" => {
                    match manifest::deployment::parse(doc) {
                        Ok(facts) => out.workloads.push(facts),
                        Err(e) => errors.push(e),
                    }
                }
                "" => errors.push(doc.error_at_path("kind", "a manifest document without `kind`")),
                k if IGNORED_KINDS.contains(&k) => {
                    out.notes.push(format!("{what}: not modelled (ignored)"))
                }
                _ => out
                    .notes
                    .push(format!("{what}: kind not modelled by scalesim (ignored)")),
            }
        }
    }
    match errors.len() {
        0 => Ok(out),
        1 => Err(errors.remove(0).into()),
        _ => Err(Error::Inputs(errors)),
    }
}
