//! The KEDA objects as users write them (`keda.sh/v1alpha1` ScaledObject, ScaledJob,
//! TriggerAuthentication), deserialised field for field. Defaults are applied later (see
//! [`super::model`]); this layer keeps what was written, including which optional fields were
//! absent, so validation can apply KEDA's exact rules (several depend on "unset" vs "0").
//!
//! Strings that users often write unquoted (trigger metadata values, annotation values,
//! scalingModifiers targets) are read as [`LooseString`]: `queueLength: 5` is kept as `"5"`.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A string field that also accepts an unquoted scalar (number, bool, null), kept as written
/// where the YAML reader allows (`0.80` stays `0.80`; `null`/`~` becomes the empty string).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub(crate) struct LooseString(pub String);

impl LooseString {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for LooseString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LooseString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string (or an unquoted number or boolean)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LooseString, E> {
                Ok(LooseString(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<LooseString, E> {
                Ok(LooseString(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LooseString, E> {
                Ok(LooseString(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LooseString, E> {
                Ok(LooseString(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LooseString, E> {
                Ok(LooseString(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<LooseString, E> {
                Ok(LooseString(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LooseString, E> {
                Ok(LooseString(String::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<LooseString, E> {
                Ok(LooseString(String::new()))
            }
        }
        struct Opt;
        impl<'de> Visitor<'de> for Opt {
            type Value = LooseString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string (or an unquoted number or boolean)")
            }
            fn visit_none<E: de::Error>(self) -> Result<LooseString, E> {
                Ok(LooseString(String::new()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LooseString, E> {
                Ok(LooseString(String::new()))
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<LooseString, D2::Error> {
                // Ask for a string: the YAML reader then hands over the scalar's text unchanged.
                d.deserialize_string(V)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LooseString, E> {
                Ok(LooseString(v.to_string()))
            }
        }
        d.deserialize_option(Opt)
    }
}

/// `metadata` of a Kubernetes object (only what scalesim uses; other keys are accepted silently).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ObjectMeta {
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) namespace: Option<String>,
    #[serde(default)]
    pub(crate) labels: BTreeMap<String, LooseString>,
    #[serde(default)]
    pub(crate) annotations: BTreeMap<String, LooseString>,
    #[serde(flatten)]
    pub(crate) other: BTreeMap<String, serde_json::Value>,
}

/// `spec.scaleTargetRef`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ScaleTargetRef {
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) api_version: Option<String>,
    #[serde(default)]
    pub(crate) kind: Option<String>,
    #[serde(default)]
    pub(crate) env_source_container_name: Option<String>,
}

/// `triggers[].authenticationRef`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuthenticationRef {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) kind: Option<String>,
}

/// One entry of `spec.triggers`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Trigger {
    #[serde(rename = "type", default)]
    pub(crate) trigger_type: Option<String>,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) use_cached_metrics: bool,
    #[serde(default)]
    pub(crate) metadata: Option<BTreeMap<String, LooseString>>,
    #[serde(default)]
    pub(crate) authentication_ref: Option<AuthenticationRef>,
    #[serde(default)]
    pub(crate) metric_type: Option<String>,
}

/// `spec.fallback`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Fallback {
    #[serde(default)]
    pub(crate) failure_threshold: Option<i32>,
    #[serde(default)]
    pub(crate) replicas: Option<i32>,
    #[serde(default)]
    pub(crate) behavior: Option<String>,
}

/// `spec.advanced.scalingModifiers`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ScalingModifiers {
    #[serde(default)]
    pub(crate) formula: Option<LooseString>,
    #[serde(default)]
    pub(crate) target: Option<LooseString>,
    #[serde(default)]
    pub(crate) activation_target: Option<LooseString>,
    #[serde(default)]
    pub(crate) metric_type: Option<String>,
}

impl ScalingModifiers {
    /// `IsUsingModifiers`: the struct is not all-empty.
    pub(crate) fn is_set(&self) -> bool {
        let non_empty = |v: &Option<LooseString>| v.as_ref().is_some_and(|s| !s.0.is_empty());
        non_empty(&self.formula)
            || non_empty(&self.target)
            || non_empty(&self.activation_target)
            || self.metric_type.as_ref().is_some_and(|s| !s.is_empty())
    }
}

/// `spec.advanced.horizontalPodAutoscalerConfig`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HpaConfig {
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// HPA v2 `behavior`, copied verbatim into the generated HPA.
    #[serde(default)]
    pub(crate) behavior: Option<serde_json::Value>,
}

/// `spec.advanced`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Advanced {
    #[serde(default)]
    pub(crate) horizontal_pod_autoscaler_config: Option<HpaConfig>,
    #[serde(default)]
    pub(crate) restore_to_original_replica_count: bool,
    #[serde(default)]
    pub(crate) scaling_modifiers: Option<ScalingModifiers>,
}

/// `spec` of a ScaledObject.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ScaledObjectSpec {
    #[serde(default)]
    pub(crate) scale_target_ref: Option<ScaleTargetRef>,
    #[serde(default)]
    pub(crate) polling_interval: Option<i32>,
    #[serde(default)]
    pub(crate) initial_cooldown_period: Option<i32>,
    #[serde(default)]
    pub(crate) cooldown_period: Option<i32>,
    #[serde(default)]
    pub(crate) idle_replica_count: Option<i32>,
    #[serde(default)]
    pub(crate) min_replica_count: Option<i32>,
    #[serde(default)]
    pub(crate) max_replica_count: Option<i32>,
    #[serde(default)]
    pub(crate) advanced: Option<Advanced>,
    #[serde(default)]
    pub(crate) triggers: Option<Vec<Trigger>>,
    #[serde(default)]
    pub(crate) fallback: Option<Fallback>,
}

/// A whole ScaledObject document.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ScaledObjectManifest {
    #[serde(default)]
    pub(crate) api_version: Option<String>,
    #[serde(default)]
    pub(crate) kind: Option<String>,
    #[serde(default)]
    pub(crate) metadata: ObjectMeta,
    pub(crate) spec: ScaledObjectSpec,
    /// Status is written by KEDA, not by users; accepted and ignored.
    #[serde(default)]
    pub(crate) status: Option<serde_json::Value>,
}

/// `spec.scalingStrategy` of a ScaledJob.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ScalingStrategy {
    #[serde(default)]
    pub(crate) strategy: Option<String>,
    #[serde(default)]
    pub(crate) custom_scaling_queue_length_deduction: Option<i32>,
    #[serde(default)]
    pub(crate) custom_scaling_running_job_percentage: Option<LooseString>,
    #[serde(default)]
    pub(crate) pending_pod_conditions: Vec<String>,
    #[serde(default)]
    pub(crate) multiple_scalers_calculation: Option<String>,
}

/// `spec.rollout` of a ScaledJob.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Rollout {
    #[serde(default)]
    pub(crate) strategy: Option<String>,
    #[serde(default)]
    pub(crate) propagation_policy: Option<String>,
}

/// `spec` of a ScaledJob.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ScaledJobSpec {
    /// A batch/v1 JobSpec; kept untyped (scalesim reads only a few fields from it).
    #[serde(default)]
    pub(crate) job_target_ref: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) polling_interval: Option<i32>,
    #[serde(default)]
    pub(crate) successful_jobs_history_limit: Option<i32>,
    #[serde(default)]
    pub(crate) failed_jobs_history_limit: Option<i32>,
    #[serde(default)]
    pub(crate) rollout_strategy: Option<String>,
    #[serde(default)]
    pub(crate) rollout: Option<Rollout>,
    #[serde(default)]
    pub(crate) env_source_container_name: Option<String>,
    #[serde(default)]
    pub(crate) min_replica_count: Option<i32>,
    #[serde(default)]
    pub(crate) max_replica_count: Option<i32>,
    #[serde(default)]
    pub(crate) scaling_strategy: Option<ScalingStrategy>,
    #[serde(default)]
    pub(crate) triggers: Option<Vec<Trigger>>,
}

/// A whole ScaledJob document.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ScaledJobManifest {
    #[serde(default)]
    pub(crate) api_version: Option<String>,
    #[serde(default)]
    pub(crate) kind: Option<String>,
    #[serde(default)]
    pub(crate) metadata: ObjectMeta,
    pub(crate) spec: ScaledJobSpec,
    #[serde(default)]
    pub(crate) status: Option<serde_json::Value>,
}

/// The ScaledObject annotations KEDA acts on, interpreted as KEDA does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Annotations {
    /// `autoscaling.keda.sh/paused`: `strconv.ParseBool`, and any non-bool value counts as true.
    pub(crate) paused: bool,
    /// `autoscaling.keda.sh/paused-replicas`: present (its raw value) or absent.
    pub(crate) paused_replicas: Option<String>,
    pub(crate) paused_scale_in: bool,
    pub(crate) paused_scale_out: bool,
    pub(crate) force_activation: bool,
    pub(crate) transfer_hpa_ownership: bool,
    pub(crate) hpa_excluded_labels: Option<String>,
}

pub(crate) const ANN_PAUSED: &str = "autoscaling.keda.sh/paused";
pub(crate) const ANN_PAUSED_REPLICAS: &str = "autoscaling.keda.sh/paused-replicas";
pub(crate) const ANN_PAUSED_SCALE_IN: &str = "autoscaling.keda.sh/paused-scale-in";
pub(crate) const ANN_PAUSED_SCALE_OUT: &str = "autoscaling.keda.sh/paused-scale-out";
pub(crate) const ANN_FORCE_ACTIVATION: &str = "autoscaling.keda.sh/force-activation";
pub(crate) const ANN_TRANSFER_HPA: &str = "scaledobject.keda.sh/transfer-hpa-ownership";
pub(crate) const ANN_HPA_EXCLUDED_LABELS: &str = "scaledobject.keda.sh/hpa-excluded-labels";

impl Annotations {
    /// Read the annotations exactly as KEDA's `getBoolAnnotation` does: absent → false,
    /// a `ParseBool` value → that value, anything else → true.
    pub(crate) fn from_map<'a>(map: impl IntoIterator<Item = (&'a str, &'a str)>) -> Annotations {
        let map: BTreeMap<&str, &str> = map.into_iter().collect();
        let flag = |k: &str| {
            map.get(k)
                .map(|v| super::go::parse_bool(v).unwrap_or(true))
                .unwrap_or(false)
        };
        Annotations {
            paused: flag(ANN_PAUSED),
            paused_replicas: map.get(ANN_PAUSED_REPLICAS).map(|s| s.to_string()),
            paused_scale_in: flag(ANN_PAUSED_SCALE_IN),
            paused_scale_out: flag(ANN_PAUSED_SCALE_OUT),
            force_activation: flag(ANN_FORCE_ACTIVATION),
            // The webhook compares this one to the literal "true".
            transfer_hpa_ownership: map.get(ANN_TRANSFER_HPA) == Some(&"true"),
            hpa_excluded_labels: map.get(ANN_HPA_EXCLUDED_LABELS).map(|s| s.to_string()),
        }
    }

    /// `NeedToBePausedByAnnotation`: paused-replicas present, or `paused` truthy.
    pub(crate) fn is_paused(&self) -> bool {
        self.paused_replicas.is_some() || self.paused
    }

    /// `GetPausedReplicaCount`: the paused-replicas value as an int32, when present.
    pub(crate) fn paused_replica_count(&self) -> Option<Result<i32, String>> {
        self.paused_replicas
            .as_ref()
            .map(|v| super::go::parse_int(v, 32).map(|n| n as i32))
    }
}

impl ObjectMeta {
    pub(crate) fn annotation_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.annotations
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_follow_keda_bool_rules() {
        let a = Annotations::from_map([
            (ANN_PAUSED, "yes"),
            (ANN_PAUSED_SCALE_IN, "false"),
            (ANN_FORCE_ACTIVATION, "1"),
        ]);
        assert!(a.paused, "a non-bool value counts as true");
        assert!(!a.paused_scale_in);
        assert!(a.force_activation);
        assert!(a.is_paused());
        let b = Annotations::from_map([(ANN_PAUSED, "false"), (ANN_PAUSED_REPLICAS, "x")]);
        assert!(b.is_paused(), "paused-replicas presence alone pauses");
        assert!(b.paused_replica_count().is_some_and(|r| r.is_err()));
    }

    #[test]
    fn loose_strings_keep_unquoted_text() {
        let m: BTreeMap<String, LooseString> =
            serde_saphyr::from_str("a: 0.80\nb: 5\nc: true\nd: ~\n").unwrap();
        assert_eq!(m["a"].as_str(), "0.80");
        assert_eq!(m["b"].as_str(), "5");
        assert_eq!(m["c"].as_str(), "true");
        assert_eq!(m["d"].as_str(), "");
    }
}
