//! What an annotation change made during the run (`kubectl annotate`, a scenario's
//! `changes:`) does to a KEDA object as KEDA reads it: the annotations are read again by KEDA's
//! own rules ([`Annotations::from_map`]), and a ScaledObject's generated HPA gets the behavior
//! the paused-scale-in/out annotations give it (upstream `updateHPAIfNeeded` then updates the
//! HPA). What the simulation does with the new object: docs/keda.md#changes-during-a-run.

use super::ScaledJobModel;
use super::generated_hpa::paused_behavior;
use super::manifest::Annotations;
use super::model::ScaledObjectModel;
use std::collections::BTreeMap;

/// `map` with `remove` removed, then `set` set.
fn edited(
    map: &BTreeMap<String, String>,
    set: &[(String, String)],
    remove: &[String],
) -> BTreeMap<String, String> {
    let mut out = map.clone();
    for k in remove {
        out.remove(k);
    }
    for (k, v) in set {
        out.insert(k.clone(), v.clone());
    }
    out
}

impl ScaledObjectModel {
    /// The object with its annotations edited: the interpreted annotations and the generated
    /// HPA's behavior follow.
    pub(crate) fn annotated(&self, set: &[(String, String)], remove: &[String]) -> Self {
        let mut m = self.clone();
        m.annotation_map = edited(&self.annotation_map, set, remove);
        m.annotations = Annotations::from_map(
            m.annotation_map
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        m.hpa.behavior = paused_behavior(
            m.declared_behavior.as_ref(),
            m.annotations.paused_scale_in,
            m.annotations.paused_scale_out,
        );
        m
    }

    /// Does `other` differ from this object outside its annotations — a change that bumps
    /// `metadata.generation`, after which KEDA restarts the object's loop with new scalers?
    pub(crate) fn spec_differs(&self, other: &ScaledObjectModel) -> bool {
        let mut same_annotations = self.clone();
        same_annotations.annotations = other.annotations.clone();
        same_annotations.annotation_map = other.annotation_map.clone();
        same_annotations.hpa.behavior = other.hpa.behavior.clone();
        same_annotations != *other
    }
}

impl ScaledJobModel {
    /// The job with its annotations edited: `autoscaling.keda.sh/paused` read again.
    pub(crate) fn annotated(&self, set: &[(String, String)], remove: &[String]) -> Self {
        let mut m = self.clone();
        m.annotation_map = edited(&self.annotation_map, set, remove);
        m.paused = Annotations::from_map(
            m.annotation_map
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .paused;
        m
    }
}

#[cfg(test)]
mod tests {
    use super::super::manifest::{ANN_PAUSED_REPLICAS, ANN_PAUSED_SCALE_IN};
    use super::super::testutil::model;

    fn so() -> super::ScaledObjectModel {
        model(
            "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: w}\nspec:\n  scaleTargetRef: {name: w}\n  advanced: {horizontalPodAutoscalerConfig: {behavior: {scaleDown: {stabilizationWindowSeconds: 0}}}}\n  triggers:\n  - type: cron\n    metadata: {timezone: UTC, start: '0 * * * *', end: '30 * * * *', desiredReplicas: '2'}\n",
        )
    }

    #[test]
    fn paused_scale_in_disables_scale_down_and_removing_it_restores_the_written_behavior() {
        let m = so();
        let paused = m.annotated(&[(ANN_PAUSED_SCALE_IN.into(), "true".into())], &[]);
        assert!(paused.annotations.paused_scale_in);
        let b = paused.hpa.behavior.clone().unwrap();
        assert_eq!(b["scaleDown"]["selectPolicy"], "Disabled");
        assert_eq!(b["scaleDown"]["stabilizationWindowSeconds"], 0);
        assert!(!m.spec_differs(&paused), "an annotation is no spec change");
        let back = paused.annotated(&[], &[ANN_PAUSED_SCALE_IN.into()]);
        assert_eq!(back, m);
    }

    #[test]
    fn paused_replicas_pause_and_a_spec_change_is_one() {
        let m = so();
        let p = m.annotated(&[(ANN_PAUSED_REPLICAS.into(), "3".into())], &[]);
        assert!(p.annotations.is_paused());
        let mut bigger = m.clone();
        bigger.max_replica_count = Some(7);
        assert!(m.spec_differs(&bigger));
    }
}
