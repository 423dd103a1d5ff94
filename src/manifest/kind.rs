//! The Kubernetes object kinds scalesim reads by name, as one enum: a kind is parsed once from
//! a document's `kind` string and compared as a value, and written back with the exact
//! spelling Kubernetes uses (`Display`).

use std::fmt;

/// A Kubernetes object kind scalesim knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ObjectKind {
    HorizontalPodAutoscaler,
    ScaledObject,
    ScaledJob,
    TriggerAuthentication,
    ClusterTriggerAuthentication,
    Deployment,
    StatefulSet,
    ReplicaSet,
    Rollout,
    Job,
    CronJob,
    LimitRange,
    /// `kind: List` (what `kubectl get -o yaml` prints for several objects).
    List,
}

/// Every kind with its spelling (the one table `as_str` and `parse` read).
const KINDS: &[(ObjectKind, &str)] = &[
    (
        ObjectKind::HorizontalPodAutoscaler,
        "HorizontalPodAutoscaler",
    ),
    (ObjectKind::ScaledObject, "ScaledObject"),
    (ObjectKind::ScaledJob, "ScaledJob"),
    (ObjectKind::TriggerAuthentication, "TriggerAuthentication"),
    (
        ObjectKind::ClusterTriggerAuthentication,
        "ClusterTriggerAuthentication",
    ),
    (ObjectKind::Deployment, "Deployment"),
    (ObjectKind::StatefulSet, "StatefulSet"),
    (ObjectKind::ReplicaSet, "ReplicaSet"),
    (ObjectKind::Rollout, "Rollout"),
    (ObjectKind::Job, "Job"),
    (ObjectKind::CronJob, "CronJob"),
    (ObjectKind::LimitRange, "LimitRange"),
    (ObjectKind::List, "List"),
];

impl ObjectKind {
    /// The kind as Kubernetes spells it.
    pub(crate) fn as_str(self) -> &'static str {
        KINDS
            .iter()
            .find(|(k, _)| *k == self)
            .map(|(_, s)| *s)
            .unwrap_or_default()
    }

    /// The kind a document's `kind` string names (exact spelling), if scalesim knows it.
    pub(crate) fn parse(s: &str) -> Option<ObjectKind> {
        KINDS.iter().find(|(_, n)| *n == s).map(|(k, _)| *k)
    }

    /// A workload with a pod template that autoscalers scale (Deployment, StatefulSet,
    /// ReplicaSet, Argo Rollout).
    pub(crate) fn is_workload(self) -> bool {
        matches!(
            self,
            Self::Deployment | Self::StatefulSet | Self::ReplicaSet | Self::Rollout
        )
    }

    /// Whether `s` spells this kind.
    pub(crate) fn is(self, s: &str) -> bool {
        self.as_str() == s
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_spelling() {
        for (k, s) in KINDS {
            assert_eq!(k.as_str(), *s);
            assert_eq!(ObjectKind::parse(s), Some(*k));
            assert_eq!(k.to_string(), *s);
        }
        assert_eq!(ObjectKind::parse("horizontalpodautoscaler"), None);
        assert_eq!(ObjectKind::parse(""), None);
    }
}
