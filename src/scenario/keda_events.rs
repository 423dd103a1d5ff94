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

use super::changes::{Op, Pending};
use crate::error::InputError;
use crate::keda::manifest::{ANN_PAUSED, ANN_PAUSED_REPLICAS};
use crate::settings::changes::{ObjectKind, Origin};
use crate::units::Seconds;
use crate::yaml::Document;
use serde::Deserialize;

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

/// The events as pending changes: `pause` sets the pause annotation (`paused-replicas: N`, or
/// `paused: "true"`), `unpause` removes both, `delete` deletes. They are checked against the
/// objects of their instant with `changes:` (`super::changes::resolve`).
pub(super) fn pending(
    specs: &[KedaEventSpec],
    doc: &Document<'_>,
) -> Result<Vec<Pending>, InputError> {
    let mut out = Vec::new();
    for (i, e) in specs.iter().enumerate() {
        let path = format!("keda_events[{i}]");
        let given: Vec<(&str, &String)> = [
            ("pause", &e.pause),
            ("unpause", &e.unpause),
            ("delete", &e.delete),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect();
        let [(key, object)] = given[..] else {
            return Err(doc.error_at_path(
                &path,
                "give exactly one of `pause`, `unpause` or `delete`, naming a ScaledObject",
            ));
        };
        if e.replicas.is_some() && key != "pause" {
            return Err(doc.error_at_path(
                &format!("{path}.replicas"),
                "`replicas` goes with `pause` (the paused-replicas count)",
            ));
        }
        let (kind, name) = (ObjectKind::ScaledObject, object.clone());
        let op = match key {
            "pause" => {
                let set = match e.replicas {
                    Some(r) => (
                        ANN_PAUSED_REPLICAS.to_string(),
                        r.min(i32::MAX as u32).to_string(),
                    ),
                    None => (ANN_PAUSED.to_string(), "true".to_string()),
                };
                Op::Annotate {
                    kind,
                    name,
                    set: vec![set],
                    remove: Vec::new(),
                }
            }
            "unpause" => Op::Annotate {
                kind,
                name,
                set: Vec::new(),
                remove: vec![ANN_PAUSED.to_string(), ANN_PAUSED_REPLICAS.to_string()],
            },
            _ => Op::Delete { kind, name },
        };
        out.push(Pending {
            at: e.at.0,
            origin: Origin::KedaEvents,
            index: i,
            field: format!("{path}.{key}"),
            op,
        });
    }
    Ok(out)
}
