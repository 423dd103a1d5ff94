//! The autoscaler manifests a scenario names (and `--manifest` adds): every document is read,
//! the autoscalers are loaded and validated by their own modules (HPAs by the API server's
//! rules, ScaledObjects/ScaledJobs by KEDA's), workload manifests are kept for their pod facts,
//! and everything else is listed as not modelled — never silently dropped.

use super::patch::{Patch, patch_document};
use crate::error::{Error, InputError, Location};
use crate::hpa::{FeatureGates, load_hpa};
use crate::keda::cluster::{self, ClusterObjects};
use crate::keda::report::Severity;
use crate::keda::{KedaObject, validate_source};
use crate::manifest;
use crate::yaml::{Document, Source};
use std::path::PathBuf;

pub(crate) use crate::settings::autoscalers::Autoscalers;

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
pub(crate) fn load(
    paths: &[PathBuf],
    gates: &FeatureGates,
    patches: &[Patch],
    used: &mut [bool],
    allow_conflicts: bool,
) -> Result<Autoscalers, Error> {
    let mut out = Autoscalers::default();
    let mut errors: Vec<InputError> = Vec::new();
    let sources = read_sources(paths)?;
    let per_file = cluster_objects_per_file(&sources, allow_conflicts)?;
    for (file_index, source) in sources.iter().enumerate() {
        let docs = manifest::documents(source)?;
        if docs.is_empty() {
            out.notes.push(format!(
                "{}: no Kubernetes objects in this file",
                source.path.display()
            ));
        }
        let mut loader = FileLoader {
            source,
            gates,
            allow_conflicts,
            out: &mut out,
            errors: &mut errors,
            replacements: Vec::new(),
        };
        for (h, original) in &docs {
            loader.load_document(h, original, patches, used)?;
        }
        if !docs
            .iter()
            .any(|(h, _)| matches!(h.kind.as_str(), "ScaledObject" | "ScaledJob"))
        {
            continue;
        }
        loader.load_keda_objects(&others_than(&per_file, file_index));
    }
    match errors.len() {
        0 => Ok(out),
        1 => Err(errors.remove(0).into()),
        _ => Err(Error::Inputs(errors)),
    }
}

/// Every manifest file, read once (standard input at most once).
fn read_sources(paths: &[PathBuf]) -> Result<Vec<Source>, Error> {
    if paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(InputError::new(
            Location::file("-"),
            "standard input can be read only once (`-` given twice)",
        )
        .into());
    }
    Ok(paths
        .iter()
        .map(|p| manifest::read_source(p))
        .collect::<Result<_, _>>()?)
}

/// The objects KEDA's rules consult, file by file: HPAs (unless conflicts are allowed) and
/// workloads.
fn cluster_objects_per_file(
    sources: &[Source],
    allow_conflicts: bool,
) -> Result<Vec<ClusterObjects>, Error> {
    let mut per_file: Vec<ClusterObjects> = Vec::new();
    for source in sources {
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
    Ok(per_file)
}

/// Objects KEDA's rules consult from the *other* files (each file's own are added when it is
/// validated). Every object of the scenario is known: an absent HPA is known to be absent.
fn others_than(per_file: &[ClusterObjects], i: usize) -> ClusterObjects {
    let mut c = ClusterObjects {
        hpas: Some(Vec::new()),
        ..Default::default()
    };
    for (_, f) in per_file.iter().enumerate().filter(|(j, _)| *j != i) {
        c.workloads.extend(f.workloads.iter().cloned());
        if let Some(h) = &f.hpas {
            c.hpas
                .get_or_insert_with(Vec::new)
                .extend(h.iter().cloned());
        }
    }
    c
}

/// Loading one manifest file: its HPAs and workloads document by document, then its KEDA
/// objects validated together as KEDA sees the file.
struct FileLoader<'a> {
    source: &'a Source,
    gates: &'a FeatureGates,
    allow_conflicts: bool,
    out: &'a mut Autoscalers,
    errors: &'a mut Vec<InputError>,
    /// Documents KEDA should see differently (patched, or hidden HPAs): (byte range, text).
    replacements: Vec<(std::ops::Range<usize>, String)>,
}

impl FileLoader<'_> {
    /// One document: patched (sweeps), then loaded by its kind or noted as not modelled.
    fn load_document(
        &mut self,
        h: &manifest::Header,
        original: &Document<'_>,
        patches: &[Patch],
        used: &mut [bool],
    ) -> Result<(), Error> {
        let patched = match patch_document(original, &h.kind, &h.name, patches, used) {
            Ok(p) => p,
            Err(e) => {
                self.errors.push(e);
                return Ok(());
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
            self.source.path.display(),
            if h.kind.is_empty() { "object" } else { &h.kind },
            h.name
        );
        let keda_kind = matches!(h.kind.as_str(), "ScaledObject" | "ScaledJob");
        if let Some(p) = &patched
            && keda_kind
        {
            let range = byte_range(self.source, original);
            self.replacements.push((range, p.text.clone()));
        }
        match h.kind.as_str() {
            "HorizontalPodAutoscaler" => return self.load_hpa(original, doc, &what),
            "Deployment" | "StatefulSet" | "ReplicaSet" | "Rollout" => {
                match manifest::deployment::parse(doc) {
                    Ok(facts) => self.out.workloads.push(facts),
                    Err(e) => self.errors.push(e),
                }
            }
            "ScaledObject" | "ScaledJob" => {}
            "" => self
                .errors
                .push(doc.error_at_path("kind", "a manifest document without `kind`")),
            k if IGNORED_KINDS.contains(&k) => self
                .out
                .notes
                .push(format!("{what}: not modelled (ignored)")),
            _ => self
                .out
                .notes
                .push(format!("{what}: kind not modelled by scalesim (ignored)")),
        }
        Ok(())
    }

    /// A hand-made HPA, with its warnings as notes.
    fn load_hpa(
        &mut self,
        original: &Document<'_>,
        doc: &Document<'_>,
        what: &str,
    ) -> Result<(), Error> {
        if self.allow_conflicts {
            // Keep it out of KEDA's view so its webhook rule does not reject the pair.
            let blank: String = original.text.lines().map(|_| "\n").collect();
            let range = byte_range(self.source, original);
            self.replacements.push((range, blank));
        }
        match load_hpa(doc, self.gates) {
            Ok(hpa) => {
                for w in hpa.warnings() {
                    self.out.notes.push(format!("{what}: {w}"));
                }
                self.out.hpas.push(hpa);
            }
            Err(Error::Input(e)) => self.errors.push(*e),
            Err(Error::Inputs(es)) => self.errors.extend(es),
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// The file as KEDA sees it: with the replacements made.
    fn keda_source(&mut self) -> Source {
        if self.replacements.is_empty() {
            return self.source.clone();
        }
        let mut text = self.source.text.clone();
        self.replacements
            .sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
        for (range, with) in self.replacements.drain(..) {
            // Keep documents apart: a replacement that is JSON gets its own `---`.
            text.replace_range(range, &format!("{with}\n"));
        }
        Source::from_string(self.source.path.clone(), text)
    }

    /// The file's ScaledObjects and ScaledJobs, validated by KEDA's rules against `others`:
    /// findings below an error become notes; errors fail the load.
    fn load_keda_objects(&mut self, others: &ClusterObjects) {
        let path = self.source.path.clone();
        let keda_source = self.keda_source();
        let report = validate_source(&keda_source, others);
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
                    _ => self.out.notes.push(line),
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
            self.errors.extend(es);
            return;
        }
        for m in report.models() {
            match m {
                KedaObject::ScaledObject(so) => self.out.scaled_objects.push(so.clone()),
                KedaObject::ScaledJob(sj) => self.out.scaled_jobs.push(sj.clone()),
            }
        }
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
