//! `keda_events:` — changes to a ScaledObject during the run, as a team would make them with
//! `kubectl`: pause it (the `autoscaling.keda.sh/paused-replicas` or `…/paused` annotation),
//! unpause it (annotations removed), or delete it.
//!
//! ```yaml
//! keda_events:
//! - {at: 10m, pause: worker, replicas: 3}   # paused-replicas: 3 (without `replicas`: paused: true)
//! - {at: 20m, unpause: worker}
//! - {at: 30m, delete: worker}               # restoreToOriginalReplicaCount applies
//! ```
//!
//! What each does follows upstream KEDA (controllers/keda/scaledobject_controller.go,
//! scaledobject_finalizer.go): pausing stops KEDA's loop and deletes the generated HPA (with
//! `replicas`, the target is set to that count); unpausing creates the HPA anew and restarts
//! the loop, which checks at once; deleting stops the loop, the HPA goes with its owner, and
//! with `advanced.restoreToOriginalReplicaCount: true` the target is set back to the replica
//! count it had when KEDA first saw it (else replicas stay as they are).

// `InputError` is the crate's located input error, returned by value as everywhere else.
#![allow(clippy::result_large_err)]

use super::Autoscalers;
use crate::error::InputError;
use crate::units::Seconds;
use crate::yaml::Document;
use serde::Deserialize;

pub(crate) use crate::settings::keda_events::{KedaAction, KedaObjectEvent};

/// One entry of `keda_events:` as written.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct KedaEventSpec {
    /// When (from t = 0).
    pub(crate) at: Seconds,
    /// Pause this ScaledObject.
    #[serde(default)]
    pub(crate) pause: Option<String>,
    /// Remove its pause annotations.
    #[serde(default)]
    pub(crate) unpause: Option<String>,
    /// Delete it.
    #[serde(default)]
    pub(crate) delete: Option<String>,
    /// With `pause`: the `paused-replicas` count (absent: `paused: "true"`, replicas kept).
    #[serde(default)]
    pub(crate) replicas: Option<u32>,
}

/// Check the events against the scenario's ScaledObjects; sorted by time (stable).
pub(super) fn resolve(
    specs: &[KedaEventSpec],
    autoscalers: &Autoscalers,
    doc: &Document<'_>,
) -> Result<Vec<KedaObjectEvent>, InputError> {
    let names: Vec<&str> = autoscalers
        .scaled_objects
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    let mut out: Vec<KedaObjectEvent> = Vec::new();
    for (i, e) in specs.iter().enumerate() {
        let path = format!("keda_events[{i}]");
        let given: Vec<(&str, &String, KedaAction)> = [
            (
                "pause",
                &e.pause,
                KedaAction::Pause {
                    replicas: e.replicas.map(|r| r.min(i32::MAX as u32) as i32),
                },
            ),
            ("unpause", &e.unpause, KedaAction::Unpause),
            ("delete", &e.delete, KedaAction::Delete),
        ]
        .into_iter()
        .filter_map(|(k, v, a)| v.as_ref().map(|v| (k, v, a)))
        .collect();
        let [(key, object, action)] = given[..] else {
            return Err(doc.error_at_path(
                &path,
                "give exactly one of `pause`, `unpause` or `delete`, naming a ScaledObject",
            ));
        };
        if e.replicas.is_some() && !matches!(action, KedaAction::Pause { .. }) {
            return Err(doc.error_at_path(
                &format!("{path}.replicas"),
                "`replicas` goes with `pause` (the paused-replicas count)",
            ));
        }
        if !names.contains(&object.as_str()) {
            let expected = if names.is_empty() {
                "the scenario has no ScaledObject".to_string()
            } else {
                format!(
                    "expected a ScaledObject of the scenario: {}",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(doc.error_at_path(
                &format!("{path}.{key}"),
                format!("`{object}` is not a ScaledObject here: {expected}"),
            ));
        }
        out.push(KedaObjectEvent {
            at: e.at.0,
            object: object.clone(),
            action,
        });
    }
    // Stable: events at the same instant apply in the order written.
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by(|&a, &b| out[a].at.total_cmp(&out[b].at).then(a.cmp(&b)));
    for (pos, &k) in order.iter().enumerate() {
        let e = &out[k];
        if let Some(&d) = order[..pos]
            .iter()
            .find(|&&j| out[j].object == e.object && out[j].action == KedaAction::Delete)
        {
            return Err(doc.error_at_path(
                &format!("keda_events[{k}]"),
                format!(
                    "ScaledObject `{}` is deleted by keda_events[{d}] before this event",
                    e.object
                ),
            ));
        }
    }
    Ok(order.into_iter().map(|k| out[k].clone()).collect())
}
