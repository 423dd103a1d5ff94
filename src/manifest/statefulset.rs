//! What a StatefulSet's own spec fields tell the simulation: `spec.podManagementPolicy` (how its
//! controller creates and deletes pods) and `spec.updateStrategy` (how a new pod template
//! replaces them), checked and defaulted as the API server checks and defaults them
//! (docs/statefulsets.md). The pod template itself is read like a Deployment's (`deployment`).

use super::deployment::{IntOrPercent, int_or_percent};
use crate::error::InputError;
use crate::yaml::Document;
use serde_json::Value;

/// `spec.podManagementPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum PodManagementPolicy {
    /// One pod at a time by ordinal, each after every lower one is Running and Ready; scale
    /// down from the highest ordinal, each after the one above is gone.
    #[default]
    OrderedReady,
    /// Every missing pod created and every surplus pod deleted at once.
    Parallel,
}

impl PodManagementPolicy {
    /// The policy as Kubernetes spells it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PodManagementPolicy::OrderedReady => "OrderedReady",
            PodManagementPolicy::Parallel => "Parallel",
        }
    }
}

/// `spec.updateStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UpdateStrategy {
    /// Pods with an ordinal at or above `partition` are replaced, highest first: one at a
    /// time, or with `maxUnavailable` as many as keep at most that many pods unavailable.
    RollingUpdate {
        partition: i32,
        max_unavailable: Option<IntOrPercent>,
    },
    /// Nothing is replaced: a pod takes the new template only when it is created again.
    OnDelete,
}

impl Default for UpdateStrategy {
    /// The API server's default: RollingUpdate with partition 0.
    fn default() -> UpdateStrategy {
        UpdateStrategy::RollingUpdate {
            partition: 0,
            max_unavailable: None,
        }
    }
}

/// The StatefulSet fields beyond its pod template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct StatefulSetSpec {
    pub(crate) policy: PodManagementPolicy,
    pub(crate) update: UpdateStrategy,
}

/// Read `spec.podManagementPolicy` and `spec.updateStrategy` (either may be absent).
pub(crate) fn parse(
    policy: Option<&Value>,
    update: Option<&Value>,
    doc: &Document<'_>,
) -> Result<StatefulSetSpec, InputError> {
    Ok(StatefulSetSpec {
        policy: pod_management_policy(policy, doc)?,
        update: match update {
            None | Some(Value::Null) => UpdateStrategy::default(),
            Some(v) => update_strategy(v, doc)?,
        },
    })
}

/// `spec.podManagementPolicy`: `OrderedReady` (also when absent or empty) or `Parallel`.
fn pod_management_policy(
    v: Option<&Value>,
    doc: &Document<'_>,
) -> Result<PodManagementPolicy, InputError> {
    match v {
        None | Some(Value::Null) => Ok(PodManagementPolicy::OrderedReady),
        Some(Value::String(s)) if s.is_empty() || s == "OrderedReady" => {
            Ok(PodManagementPolicy::OrderedReady)
        }
        Some(Value::String(s)) if s == "Parallel" => Ok(PodManagementPolicy::Parallel),
        Some(other) => Err(doc.error_at_path(
            "spec.podManagementPolicy",
            format!(
                "{} is not a pod management policy: expected `OrderedReady` or `Parallel`",
                shown(other)
            ),
        )),
    }
}

/// `spec.updateStrategy`: `type` `RollingUpdate` (also when absent or empty) with an optional
/// `rollingUpdate.partition` (a count, zero or more), or `OnDelete` without `rollingUpdate`.
fn update_strategy(v: &Value, doc: &Document<'_>) -> Result<UpdateStrategy, InputError> {
    let Value::Object(m) = v else {
        return Err(doc.error_at_path(
            "spec.updateStrategy",
            "must be a mapping (e.g. `{type: RollingUpdate, rollingUpdate: {partition: 0}}`)",
        ));
    };
    let rolling = m.get("rollingUpdate").filter(|r| !r.is_null());
    match m.get("type") {
        None | Some(Value::Null) => rolling_update(rolling, doc),
        Some(Value::String(s)) if s.is_empty() || s == "RollingUpdate" => {
            rolling_update(rolling, doc)
        }
        Some(Value::String(s)) if s == "OnDelete" => {
            if rolling.is_some() {
                return Err(doc.error_at_path(
                    "spec.updateStrategy.rollingUpdate",
                    "may only be given when `type` is `RollingUpdate`, not `OnDelete`",
                ));
            }
            Ok(UpdateStrategy::OnDelete)
        }
        Some(other) => Err(doc.error_at_path(
            "spec.updateStrategy.type",
            format!(
                "{} is not a StatefulSet update strategy: expected `RollingUpdate` or `OnDelete`",
                shown(other)
            ),
        )),
    }
}

/// `spec.updateStrategy.rollingUpdate`: its `partition` (0 when absent).
fn rolling_update(v: Option<&Value>, doc: &Document<'_>) -> Result<UpdateStrategy, InputError> {
    let Some(v) = v else {
        return Ok(UpdateStrategy::default());
    };
    let Value::Object(m) = v else {
        return Err(doc.error_at_path(
            "spec.updateStrategy.rollingUpdate",
            "must be a mapping (e.g. `{partition: 2}`)",
        ));
    };
    let partition = match m.get("partition") {
        None | Some(Value::Null) => 0,
        Some(p) => p
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .filter(|n| *n >= 0)
            .ok_or_else(|| {
                doc.error_at_path(
                    "spec.updateStrategy.rollingUpdate.partition",
                    format!(
                        "must be a whole number, zero or more (the lowest ordinal a rolling update replaces), got {}",
                        shown(p)
                    ),
                )
            })?,
    };
    let max_unavailable = match m.get("maxUnavailable").filter(|v| !v.is_null()) {
        None => None,
        Some(v) => Some(max_unavailable(v, doc)?),
    };
    Ok(UpdateStrategy::RollingUpdate {
        partition,
        max_unavailable,
    })
}

/// `rollingUpdate.maxUnavailable` (the MaxUnavailableStatefulSet feature): a count or a
/// percentage of the replicas, above 0 and at most 100 %.
fn max_unavailable(v: &Value, doc: &Document<'_>) -> Result<IntOrPercent, InputError> {
    const FIELD: &str = "spec.updateStrategy.rollingUpdate.maxUnavailable";
    let n = int_or_percent(v, FIELD, doc)?;
    match n {
        IntOrPercent::Int(0) | IntOrPercent::Percent(0) => {
            Err(doc.error_at_path(FIELD, "must be greater than 0"))
        }
        IntOrPercent::Percent(p) if p > 100 => {
            Err(doc.error_at_path(FIELD, "must not be greater than 100%"))
        }
        n => Ok(n),
    }
}

/// A YAML value as the user wrote it, for a message.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Source, split_documents};

    fn spec_of(fields: &str) -> Result<StatefulSetSpec, String> {
        let src = Source::from_string(
            "s.yaml",
            format!(
                "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: db}}\nspec:\n{fields}  template:\n    spec:\n      containers: [{{name: app}}]\n"
            ),
        );
        let docs = split_documents(&src);
        crate::manifest::deployment::parse(&docs[0])
            .map(|f| f.stateful.expect("a StatefulSet"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn reads_the_policy_and_update_strategy_with_the_api_servers_defaults() {
        use PodManagementPolicy::*;
        use UpdateStrategy::*;
        assert_eq!(spec_of(""), Ok(StatefulSetSpec::default()));
        let s = spec_of("  podManagementPolicy: Parallel\n  updateStrategy: {type: OnDelete}\n");
        assert_eq!(
            s,
            Ok(StatefulSetSpec {
                policy: Parallel,
                update: OnDelete
            })
        );
        let s = spec_of("  updateStrategy: {rollingUpdate: {partition: 3}}\n");
        assert_eq!(
            s.map(|s| s.update),
            Ok(RollingUpdate {
                partition: 3,
                max_unavailable: None
            })
        );
        let s = spec_of("  updateStrategy: {rollingUpdate: {maxUnavailable: \"50%\"}}\n");
        assert_eq!(
            s.map(|s| s.update),
            Ok(RollingUpdate {
                partition: 0,
                max_unavailable: Some(crate::manifest::deployment::IntOrPercent::Percent(50))
            })
        );
        let s = spec_of("  podManagementPolicy: \"\"\n  updateStrategy: {type: RollingUpdate}\n");
        assert_eq!(s, Ok(StatefulSetSpec::default()));
    }

    #[test]
    fn bad_fields_are_located() {
        for (bad, field) in [
            (
                "  podManagementPolicy: Ordered\n",
                "spec.podManagementPolicy",
            ),
            ("  podManagementPolicy: 3\n", "spec.podManagementPolicy"),
            (
                "  updateStrategy: {type: Recreate}\n",
                "spec.updateStrategy.type",
            ),
            ("  updateStrategy: RollingUpdate\n", "spec.updateStrategy"),
            (
                "  updateStrategy: {rollingUpdate: {partition: -1}}\n",
                "spec.updateStrategy.rollingUpdate.partition",
            ),
            (
                "  updateStrategy: {rollingUpdate: {partition: \"2\"}}\n",
                "spec.updateStrategy.rollingUpdate.partition",
            ),
            (
                "  updateStrategy: {type: OnDelete, rollingUpdate: {partition: 1}}\n",
                "spec.updateStrategy.rollingUpdate",
            ),
            (
                "  updateStrategy: {rollingUpdate: {maxUnavailable: 0}}\n",
                "maxUnavailable",
            ),
            (
                "  updateStrategy: {rollingUpdate: {maxUnavailable: 150%}}\n",
                "maxUnavailable",
            ),
        ] {
            let e = spec_of(bad).unwrap_err();
            assert!(e.contains(field) && e.contains("s.yaml:5"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_deployment_has_no_stateful_spec() {
        let src = Source::from_string(
            "d.yaml",
            "kind: Deployment\nmetadata: {name: web}\nspec:\n  podManagementPolicy: Nonsense\n  template:\n    spec:\n      containers: [{name: app}]\n",
        );
        let docs = split_documents(&src);
        let f = crate::manifest::deployment::parse(&docs[0]).unwrap();
        assert_eq!(f.stateful, None);
    }
}
