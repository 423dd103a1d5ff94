//! Changes made to the cluster's objects during the run (`changes:`, and `keda_events:` as its
//! shorthand), after resolution: at which instant which object becomes what. Parsing and
//! checking them is `crate::scenario::changes`; carrying them out is `crate::sim::changes`.
//! What each change does, as upstream does it: docs/keda.md#changes-during-a-run.

use crate::hpa::LoadedHpa;
use crate::keda::{ScaledJobModel, ScaledObjectModel};
use crate::manifest::deployment::Strategy;
use crate::manifest::statefulset::UpdateStrategy;
use crate::settings::workload::PodResources;

/// The kinds of object a change may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ObjectKind {
    ScaledObject,
    ScaledJob,
    HorizontalPodAutoscaler,
    Deployment,
}

impl ObjectKind {
    /// Every kind, in the order error messages list them.
    pub(crate) const ALL: [ObjectKind; 4] = [
        ObjectKind::ScaledObject,
        ObjectKind::ScaledJob,
        ObjectKind::HorizontalPodAutoscaler,
        ObjectKind::Deployment,
    ];

    /// The kind as Kubernetes spells it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ObjectKind::ScaledObject => "ScaledObject",
            ObjectKind::ScaledJob => "ScaledJob",
            ObjectKind::HorizontalPodAutoscaler => "HorizontalPodAutoscaler",
            ObjectKind::Deployment => "Deployment",
        }
    }

    /// A kind as `kubectl` accepts it: the name (any case) or its short name.
    pub(crate) fn parse(s: &str) -> Option<ObjectKind> {
        let l = s.to_ascii_lowercase();
        match l.as_str() {
            "scaledobject" | "scaledobjects" | "so" => Some(ObjectKind::ScaledObject),
            "scaledjob" | "scaledjobs" | "sj" => Some(ObjectKind::ScaledJob),
            "horizontalpodautoscaler" | "horizontalpodautoscalers" | "hpa" => {
                Some(ObjectKind::HorizontalPodAutoscaler)
            }
            "deployment" | "deployments" | "deploy" => Some(ObjectKind::Deployment),
            _ => None,
        }
    }
}

/// Where a change was written: its text in logs and its field in errors say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// `keda_events[k]`.
    KedaEvents,
    /// `changes[k]`.
    Changes,
}

impl Origin {
    pub(crate) fn key(self) -> &'static str {
        match self {
            Origin::KedaEvents => "keda_events",
            Origin::Changes => "changes",
        }
    }
}

/// What the object becomes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ChangeAction {
    /// The ScaledObject as it is from now on (created, or updated: spec or annotations).
    ScaledObject(Box<ScaledObjectModel>),
    /// The ScaledJob as it is from now on.
    ScaledJob(Box<ScaledJobModel>),
    /// A hand-made HPA as it is from now on.
    Hpa(Box<LoadedHpa>),
    /// The workload's `spec.replicas` set (an apply of its Deployment).
    DeploymentReplicas(i32),
    /// A new pod template (an apply of the Deployment with other requests or limits): rolled
    /// out under `strategy` (docs/rollouts.md), with `spec.replicas` when the file sets it. For
    /// a StatefulSet (`stateful_update` set) the template, or only its update strategy, rolled
    /// out under that strategy instead (docs/statefulsets.md).
    DeploymentTemplate {
        replicas: Option<i32>,
        template: Box<PodResources>,
        strategy: Strategy,
        stateful_update: Option<UpdateStrategy>,
    },
    /// The object deleted.
    Delete { kind: ObjectKind, name: String },
}

impl ChangeAction {
    /// Whether KEDA's operator carries it out (a ScaledObject or ScaledJob created, updated or
    /// deleted), rather than the API server and kube-controller-manager.
    pub(crate) fn is_keda_reconciled(&self) -> bool {
        match self {
            ChangeAction::ScaledObject(_) | ChangeAction::ScaledJob(_) => true,
            ChangeAction::Delete { kind, .. } => {
                matches!(kind, ObjectKind::ScaledObject | ObjectKind::ScaledJob)
            }
            ChangeAction::Hpa(_)
            | ChangeAction::DeploymentReplicas(_)
            | ChangeAction::DeploymentTemplate { .. } => false,
        }
    }
}

/// One resolved change.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Change {
    pub(crate) at: f64,
    pub(crate) origin: Origin,
    /// Its index in the scenario's list (`keda_events[index]` or `changes[index]`).
    pub(crate) index: usize,
    pub(crate) action: ChangeAction,
}

impl Change {
    /// The field that wrote it, for errors: `changes[2]`.
    pub(crate) fn field(&self) -> String {
        format!("{}[{}]", self.origin.key(), self.index)
    }
}
