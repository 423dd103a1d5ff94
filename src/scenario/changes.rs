//! `changes:` — objects created, updated, annotated or deleted during the run, as a team
//! would with `kubectl apply`, `kubectl annotate` and `kubectl delete`:
//!
//! ```yaml
//! changes:
//! - {at: 10m, apply: manifests/so-v2.yaml}   # create or update every object in the file
//! - {at: 20m, annotate: {object: ScaledObject/worker,
//!                        set: {autoscaling.keda.sh/paused-scale-in: "true"},
//!                        remove: [autoscaling.keda.sh/force-activation]}}
//! - {at: 30m, delete: ScaledObject/worker}
//! ```
//!
//! Each change is resolved here into what the object *becomes* (a validated ScaledObject or
//! ScaledJob, a loaded HPA, the workload's replicas) or its deletion, checked against the
//! objects that exist at that instant. `keda_events:` (`crate::scenario::keda_events`) is
//! shorthand for annotations and deletions of ScaledObjects and resolves through the same
//! path. What the simulation does with each: docs/keda.md#changes-during-a-run.

// `InputError` is the crate's located input error, returned by value as everywhere else.
#![allow(clippy::result_large_err)]

use super::autoscalers;
use crate::error::{Error, InputError};
use crate::hpa::{FeatureGates, LoadedHpa};
use crate::keda::manifest::LooseString;
use crate::keda::{ScaledJobModel, ScaledObjectModel};
use crate::manifest::deployment::PodTemplateFacts;
use crate::manifest::statefulset::StatefulSetSpec;
use crate::settings::autoscalers::Autoscalers;
use crate::settings::changes::{Change, ChangeAction, ObjectKind, Origin};
use crate::settings::workload::{PodResources, Pods};
use crate::units::Seconds;
use crate::yaml::Document;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One entry of `changes:` as written: `at` and exactly one of `apply`, `annotate`, `delete`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeSpec {
    /// When (from t = 0, at most the run's duration).
    pub(crate) at: Seconds,
    /// A manifest file (relative to the scenario file): every object in it is created, or
    /// updated when it exists (`kubectl apply`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub(crate) apply: Option<PathBuf>,
    /// Set or remove annotations of an object (`kubectl annotate`).
    #[serde(default)]
    pub(crate) annotate: Option<AnnotateSpec>,
    /// Delete an object: `Kind/name` (`kubectl delete`).
    #[serde(default)]
    pub(crate) delete: Option<String>,
}

/// `annotate:` of a change.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnnotateSpec {
    /// `Kind/name`: a ScaledObject or ScaledJob.
    pub(crate) object: String,
    /// Annotations to set (key → value).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub(crate) set: BTreeMap<String, LooseString>,
    /// Annotation keys to remove.
    #[serde(default)]
    pub(crate) remove: Vec<String>,
}

/// A change before it is checked against the objects of its instant.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) at: f64,
    pub(crate) origin: Origin,
    pub(crate) index: usize,
    /// The field naming the object, for errors (`changes[2].delete`).
    pub(crate) field: String,
    pub(crate) op: Op,
}

/// What a change does, as written.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    /// The objects of an applied file.
    Apply(Box<Autoscalers>),
    Annotate {
        kind: ObjectKind,
        name: String,
        set: Vec<(String, String)>,
        remove: Vec<String>,
    },
    Delete {
        kind: ObjectKind,
        name: String,
    },
}

/// What resolving changes needs from the rest of the scenario.
pub(super) struct Context<'a> {
    pub(super) doc: &'a Document<'a>,
    pub(super) base_dir: &'a Path,
    pub(super) duration: f64,
    pub(super) gates: &'a FeatureGates,
    pub(super) autoscalers: &'a Autoscalers,
    pub(super) pods: &'a Pods,
}

/// `keda_events:` (already parsed) and `changes:` of the scenario, resolved into one list.
pub(super) fn resolve_all(
    raw: &super::ScenarioFile,
    keda_events: Vec<Pending>,
    doc: &Document<'_>,
    base_dir: &Path,
    duration: f64,
    a: &super::ResolvedAutoscalers,
    pods: &Pods,
) -> Result<Vec<Change>, Error> {
    let cx = Context {
        doc,
        base_dir,
        duration,
        gates: &a.controller_manager.feature_gates,
        autoscalers: &a.autoscalers,
        pods,
    };
    let mut pending = keda_events;
    for mut p in parse(&raw.changes, &cx)? {
        if let Op::Apply(objects) = &mut p.op {
            // The applied file's KEDA triggers take their targets from `metrics:` as the
            // scenario's own do.
            super::keda_bindings::apply_binding_targets(objects, &raw.metrics, doc)?;
        }
        pending.push(p);
    }
    Ok(resolve(pending, &cx)?)
}

/// Parse `changes:` entries into pending changes (files read, objects validated).
pub(super) fn parse(specs: &[ChangeSpec], cx: &Context<'_>) -> Result<Vec<Pending>, Error> {
    let mut out = Vec::new();
    for (i, c) in specs.iter().enumerate() {
        let path = format!("changes[{i}]");
        let given = [c.apply.is_some(), c.annotate.is_some(), c.delete.is_some()];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(cx
                .doc
                .error_at_path(
                    &path,
                    "give exactly one of `apply` (a manifest file), `annotate` or `delete` (`Kind/name`)",
                )
                .into());
        }
        let (field, op) = if let Some(file) = &c.apply {
            let field = format!("{path}.apply");
            (
                field.clone(),
                Op::Apply(Box::new(load_file(file, &field, cx)?)),
            )
        } else if let Some(a) = &c.annotate {
            let field = format!("{path}.annotate.object");
            let (kind, name) = object_ref(&a.object, &field, cx.doc)?;
            let set = a
                .set
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().to_string()))
                .collect();
            let op = Op::Annotate {
                kind,
                name,
                set,
                remove: a.remove.clone(),
            };
            (field, op)
        } else {
            let field = format!("{path}.delete");
            let (kind, name) = object_ref(c.delete.as_deref().unwrap_or(""), &field, cx.doc)?;
            (field, Op::Delete { kind, name })
        };
        out.push(Pending {
            at: c.at.0,
            origin: Origin::Changes,
            index: i,
            field,
            op,
        });
    }
    Ok(out)
}

/// `Kind/name` with a kind a change may name.
fn object_ref(
    s: &str,
    field: &str,
    doc: &Document<'_>,
) -> Result<(ObjectKind, String), InputError> {
    let kinds = ObjectKind::ALL.map(ObjectKind::as_str).join(", ");
    let Some((kind, name)) = s
        .split_once('/')
        .filter(|(k, n)| !k.is_empty() && !n.is_empty())
    else {
        return Err(doc.error_at_path(
            field,
            format!("`{s}`: expected `Kind/name`, e.g. `ScaledObject/worker` (kinds: {kinds})"),
        ));
    };
    let Some(k) = ObjectKind::parse(kind) else {
        return Err(doc.error_at_path(
            field,
            format!("`{kind}` is not a kind a change can name: expected one of {kinds}"),
        ));
    };
    Ok((k, name.to_string()))
}

/// The objects of an applied file, loaded and validated as the scenario's manifests are.
fn load_file(file: &Path, field: &str, cx: &Context<'_>) -> Result<Autoscalers, Error> {
    let path = cx.base_dir.join(file);
    super::check_referenced(cx.doc, field, &path)?;
    let loaded = autoscalers::load(std::slice::from_ref(&path), cx.gates, &[], &mut [], false)?;
    if loaded.hpas.is_empty()
        && loaded.scaled_objects.is_empty()
        && loaded.scaled_jobs.is_empty()
        && loaded.workloads.is_empty()
    {
        return Err(cx
            .doc
            .error_at_path(
                field,
                format!(
                    "{}: no object a change can apply (expected a ScaledObject, ScaledJob, HorizontalPodAutoscaler or Deployment)",
                    path.display()
                ),
            )
            .into());
    }
    Ok(loaded)
}

/// The objects that exist, as the changes go by.
struct Cluster {
    scaled_objects: BTreeMap<String, ScaledObjectModel>,
    scaled_jobs: BTreeMap<String, ScaledJobModel>,
    hpas: BTreeMap<String, LoadedHpa>,
    /// Where each deleted object was deleted (kind, name) → field.
    deleted: BTreeMap<(ObjectKind, String), String>,
    /// The pod template as the changes go by (a rollout replaces it).
    template: PodResources,
    /// The simulated workload's StatefulSet fields as the changes go by (None: not a
    /// StatefulSet).
    stateful: Option<StatefulSetSpec>,
    /// The workloads the scenario's autoscalers scale (a Deployment change must name one).
    workloads: Vec<String>,
}

/// Check every pending change against the objects of its instant, in time order (stable: the
/// `keda_events:` entries first, then `changes:`, each in the order written), and resolve it.
pub(super) fn resolve(
    mut pending: Vec<Pending>,
    cx: &Context<'_>,
) -> Result<Vec<Change>, InputError> {
    pending.sort_by(|a, b| a.at.total_cmp(&b.at));
    let a = cx.autoscalers;
    let mut workloads: Vec<String> = a
        .scaled_objects
        .iter()
        .map(|s| s.target.name.clone())
        .collect();
    workloads.extend(a.hpas.iter().map(|h| h.scale_target_ref.name.clone()));
    workloads.extend(cx.pods.template.iter().map(|t| t.name.clone()));
    let mut cluster = Cluster {
        scaled_objects: a
            .scaled_objects
            .iter()
            .map(|s| (s.name.clone(), s.clone()))
            .collect(),
        scaled_jobs: a
            .scaled_jobs
            .iter()
            .map(|s| (s.name.clone(), s.clone()))
            .collect(),
        hpas: a.hpas.iter().map(|h| (h.name.clone(), h.clone())).collect(),
        deleted: BTreeMap::new(),
        template: cx.pods.resources(),
        stateful: cx.pods.template.as_ref().and_then(|t| t.stateful),
        workloads,
    };
    let mut out = Vec::new();
    for p in pending {
        if p.at > cx.duration {
            return Err(cx.doc.error_at_path(
                &format!("{}[{}].at", p.origin.key(), p.index),
                format!(
                    "{} is after the end of the run ({}): a change must fall within the run",
                    crate::units::format_seconds(p.at),
                    crate::units::format_seconds(cx.duration)
                ),
            ));
        }
        for action in cluster.resolve_one(&p, cx.doc)? {
            out.push(Change {
                at: p.at,
                origin: p.origin,
                index: p.index,
                action,
            });
        }
    }
    Ok(out)
}

impl Cluster {
    fn resolve_one(
        &mut self,
        p: &Pending,
        doc: &Document<'_>,
    ) -> Result<Vec<ChangeAction>, InputError> {
        match &p.op {
            Op::Apply(objects) => self.apply(objects, p, doc),
            Op::Annotate {
                kind,
                name,
                set,
                remove,
            } => {
                let action = match kind {
                    ObjectKind::ScaledObject => {
                        let so = self.existing_so(name, p, doc)?;
                        let new = so.annotated(set, remove);
                        *so = new.clone();
                        ChangeAction::ScaledObject(Box::new(new))
                    }
                    ObjectKind::ScaledJob => {
                        let Some(sj) = self.scaled_jobs.get_mut(name) else {
                            return Err(self.absent(*kind, name, p, doc));
                        };
                        let new = sj.annotated(set, remove);
                        *sj = new.clone();
                        ChangeAction::ScaledJob(Box::new(new))
                    }
                    _ => {
                        return Err(doc.error_at_path(
                            &p.field,
                            format!(
                                "annotations of a {} change nothing scalesim simulates: annotate a ScaledObject or a ScaledJob",
                                kind.as_str()
                            ),
                        ));
                    }
                };
                Ok(vec![action])
            }
            Op::Delete { kind, name } => {
                let present = match kind {
                    ObjectKind::ScaledObject => self.scaled_objects.remove(name).is_some(),
                    ObjectKind::ScaledJob => self.scaled_jobs.remove(name).is_some(),
                    ObjectKind::HorizontalPodAutoscaler => self.hpas.remove(name).is_some(),
                    ObjectKind::Deployment => {
                        return Err(doc.error_at_path(
                            &p.field,
                            "deleting the simulated workload is not modelled: set its replicas with an `apply` of its Deployment instead",
                        ));
                    }
                };
                if !present {
                    return Err(self.absent(*kind, name, p, doc));
                }
                self.deleted.insert(
                    (*kind, name.clone()),
                    format!("{}[{}]", p.origin.key(), p.index),
                );
                Ok(vec![ChangeAction::Delete {
                    kind: *kind,
                    name: name.clone(),
                }])
            }
        }
    }

    fn existing_so(
        &mut self,
        name: &str,
        p: &Pending,
        doc: &Document<'_>,
    ) -> Result<&mut ScaledObjectModel, InputError> {
        if !self.scaled_objects.contains_key(name) {
            return Err(self.absent(ObjectKind::ScaledObject, name, p, doc));
        }
        Ok(self.scaled_objects.get_mut(name).expect("checked"))
    }

    /// The error for a change naming an object that does not exist at its instant.
    fn absent(&self, kind: ObjectKind, name: &str, p: &Pending, doc: &Document<'_>) -> InputError {
        let k = kind.as_str();
        if let Some(by) = self.deleted.get(&(kind, name.to_string())) {
            let what = match p.origin {
                Origin::KedaEvents => "event",
                Origin::Changes => "change",
            };
            return doc.error_at_path(
                &format!("{}[{}]", p.origin.key(), p.index),
                format!("{k} `{name}` is deleted by {by} before this {what}"),
            );
        }
        let names: Vec<String> = match kind {
            ObjectKind::ScaledObject => self.scaled_objects.keys().cloned().collect(),
            ObjectKind::ScaledJob => self.scaled_jobs.keys().cloned().collect(),
            ObjectKind::HorizontalPodAutoscaler => self.hpas.keys().cloned().collect(),
            ObjectKind::Deployment => self.workloads.clone(),
        };
        let expected = if names.is_empty() {
            format!("the scenario has no {k}")
        } else {
            format!(
                "expected a {k} of the scenario: {}",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        doc.error_at_path(&p.field, format!("`{name}` is not a {k} here: {expected}"))
    }

    /// Every object of an applied file: created, or updated when it exists.
    fn apply(
        &mut self,
        objects: &Autoscalers,
        p: &Pending,
        doc: &Document<'_>,
    ) -> Result<Vec<ChangeAction>, InputError> {
        let mut out = Vec::new();
        for so in &objects.scaled_objects {
            self.scaled_objects.insert(so.name.clone(), so.clone());
            self.deleted
                .remove(&(ObjectKind::ScaledObject, so.name.clone()));
            out.push(ChangeAction::ScaledObject(Box::new(so.clone())));
        }
        for sj in &objects.scaled_jobs {
            self.scaled_jobs.insert(sj.name.clone(), sj.clone());
            self.deleted
                .remove(&(ObjectKind::ScaledJob, sj.name.clone()));
            out.push(ChangeAction::ScaledJob(Box::new(sj.clone())));
        }
        for h in &objects.hpas {
            self.hpas.insert(h.name.clone(), h.clone());
            self.deleted
                .remove(&(ObjectKind::HorizontalPodAutoscaler, h.name.clone()));
            out.push(ChangeAction::Hpa(Box::new(h.clone())));
        }
        for w in &objects.workloads {
            out.extend(self.deployment(w, p, doc)?);
        }
        Ok(out)
    }

    /// A Deployment applied (it must be the simulated workload): its replicas, and a rollout
    /// of a new pod template when its requests or limits differ (docs/rollouts.md).
    fn deployment(
        &mut self,
        w: &PodTemplateFacts,
        p: &Pending,
        doc: &Document<'_>,
    ) -> Result<Option<ChangeAction>, InputError> {
        if !self.workloads.contains(&w.name) {
            return Err(self.absent(ObjectKind::Deployment, &w.name, p, doc));
        }
        let template = self.template.applied(w);
        let changed = template.differs_from(&self.template);
        if let (Some(now), Some(applied)) = (self.stateful, w.stateful) {
            return self.stateful_set(w, now, applied, changed.then_some(template), p, doc);
        }
        if !changed {
            return Ok(w.replicas.map(ChangeAction::DeploymentReplicas));
        }
        if w.kind != "Deployment" || self.stateful.is_some() {
            let simulated = match self.stateful {
                Some(_) => {
                    "the simulated workload is a StatefulSet: apply it with the new template"
                }
                None if w.stateful.is_some() => {
                    "the simulated workload was not read from a StatefulSet manifest (`pods.manifest`), so it is simulated as a Deployment: apply only `spec.replicas`"
                }
                None => {
                    "only a Deployment's or a StatefulSet's rollout is simulated: apply only `spec.replicas`"
                }
            };
            return Err(doc.error_at_path(
                &p.field,
                format!(
                    "{} `{}` changes the pods' requests or limits, but {simulated}",
                    w.kind, w.name
                ),
            ));
        }
        self.template = template.clone();
        Ok(Some(ChangeAction::DeploymentTemplate {
            replicas: w.replicas,
            template: Box::new(template),
            strategy: w.strategy,
            stateful_update: None,
        }))
    }

    /// The simulated StatefulSet applied: its replicas, and its new template (`template`, when
    /// its requests or limits differ) or update strategy rolled out (docs/statefulsets.md).
    /// Its `podManagementPolicy` may not change, as the API server forbids it.
    fn stateful_set(
        &mut self,
        w: &PodTemplateFacts,
        now: StatefulSetSpec,
        applied: StatefulSetSpec,
        template: Option<PodResources>,
        p: &Pending,
        doc: &Document<'_>,
    ) -> Result<Option<ChangeAction>, InputError> {
        if applied.policy != now.policy {
            return Err(doc.error_at_path(
                &p.field,
                format!(
                    "StatefulSet `{}` changes `spec.podManagementPolicy` from `{}` to `{}`: it cannot be updated (the API server forbids it)",
                    w.name,
                    now.policy.as_str(),
                    applied.policy.as_str()
                ),
            ));
        }
        if template.is_none() && applied.update == now.update {
            return Ok(w.replicas.map(ChangeAction::DeploymentReplicas));
        }
        self.stateful = Some(applied);
        if let Some(t) = &template {
            self.template = t.clone();
        }
        Ok(Some(ChangeAction::DeploymentTemplate {
            replicas: w.replicas,
            template: Box::new(self.template.clone()),
            strategy: w.strategy,
            stateful_update: Some(applied.update),
        }))
    }
}
