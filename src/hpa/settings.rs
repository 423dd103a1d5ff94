//! Controller-wide settings: the kube-controller-manager flags that shape the HPA algorithm,
//! read from a scenario's `cluster.controller_manager:` block (docs/hpa.md#settings).

use crate::units::Seconds;
use serde::{Deserialize, Serialize};

/// `cluster.controller_manager:` — every key optional, snake_case, defaults as a real cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ControllerSettings {
    /// `--horizontal-pod-autoscaler-sync-period` (15 s): how often each HPA is reconciled. The
    /// decision core does not use it; the simulation schedules `reconcile` with it.
    pub sync_period: Seconds,
    /// `--horizontal-pod-autoscaler-tolerance` (0.1), both directions.
    pub tolerance: f64,
    /// The scale-up side of the cluster-wide tolerance when it differs from `tolerance` (which
    /// is then the scale-down side). No flag sets this — a real cluster's tolerance is
    /// symmetric — so it is not a scenario setting; it lets a harness reproduce upstream unit
    /// tests that build `Tolerances{scaleDown, scaleUp}` for the controller directly.
    /// Per-HPA `behavior` tolerances still replace either side.
    #[serde(skip)]
    pub tolerance_up: Option<f64>,
    /// `--horizontal-pod-autoscaler-cpu-initialization-period` (5 m).
    pub cpu_initialization_period: Seconds,
    /// `--horizontal-pod-autoscaler-initial-readiness-delay` (30 s).
    pub initial_readiness_delay: Seconds,
    /// `--horizontal-pod-autoscaler-downscale-stabilization` (5 m): the legacy window and the
    /// default `behavior.scaleDown.stabilizationWindowSeconds`.
    pub downscale_stabilization: Seconds,
    pub feature_gates: FeatureGates,
    /// Legacy (behavior-less) scale-up cap `max(factor × current, minimum)`; hard-coded 2.0 upstream
    /// (its unit tests use 8).
    pub legacy_scale_up_limit_factor: f64,
    /// Legacy scale-up cap minimum; hard-coded 4.0 upstream.
    pub legacy_scale_up_limit_minimum: f64,
}

/// The feature gates that change the HPA algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeatureGates {
    /// `minReplicas: 0` with Object/External metrics, and the `ScaledToZero` condition (off by default).
    #[serde(rename = "HPAScaleToZero")]
    pub hpa_scale_to_zero: bool,
    /// Per-direction `behavior.scale{Up,Down}.tolerance` (on by default).
    #[serde(rename = "HPAConfigurableTolerance")]
    pub hpa_configurable_tolerance: bool,
    /// Pod-level `resources.requests` used for utilization when set (beta, on by default).
    #[serde(rename = "PodLevelResources")]
    pub pod_level_resources: bool,
}

impl Default for FeatureGates {
    fn default() -> Self {
        FeatureGates {
            hpa_scale_to_zero: false,
            hpa_configurable_tolerance: true,
            pod_level_resources: true,
        }
    }
}

impl Default for ControllerSettings {
    fn default() -> Self {
        ControllerSettings {
            sync_period: Seconds(15.0),
            tolerance: 0.1,
            tolerance_up: None,
            cpu_initialization_period: Seconds(300.0),
            initial_readiness_delay: Seconds(30.0),
            downscale_stabilization: Seconds(300.0),
            feature_gates: FeatureGates::default(),
            legacy_scale_up_limit_factor: 2.0,
            legacy_scale_up_limit_minimum: 4.0,
        }
    }
}

impl ControllerSettings {
    /// The downscale-stabilization window in whole seconds, as the controller converts it for an
    /// unset `scaleDown.stabilizationWindowSeconds` (`int32(d.Seconds())`, truncating).
    pub fn downscale_window_seconds(&self) -> i32 {
        self.downscale_stabilization.0 as i32
    }

    /// Check the values; on failure returns `(field, message)` for the scenario loader to locate.
    pub(crate) fn validate(&self) -> Result<(), (&'static str, String)> {
        let finite_nonneg = |v: f64| v.is_finite() && v >= 0.0;
        if !(self.sync_period.0.is_finite() && self.sync_period.0 > 0.0) {
            return Err(("sync_period", "must be a duration greater than zero".into()));
        }
        if !finite_nonneg(self.tolerance) {
            return Err((
                "tolerance",
                format!(
                    "{} is not a usable tolerance (expected a number ≥ 0, e.g. 0.1)",
                    self.tolerance
                ),
            ));
        }
        if !finite_nonneg(self.legacy_scale_up_limit_factor) {
            return Err((
                "legacy_scale_up_limit_factor",
                "must be a number ≥ 0".into(),
            ));
        }
        if !finite_nonneg(self.legacy_scale_up_limit_minimum) {
            return Err((
                "legacy_scale_up_limit_minimum",
                "must be a number ≥ 0".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_kube_controller_manager() {
        let s: ControllerSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(s, ControllerSettings::default());
        assert_eq!(s.sync_period.0, 15.0);
        assert_eq!(s.tolerance, 0.1);
        assert_eq!(s.cpu_initialization_period.0, 300.0);
        assert_eq!(s.initial_readiness_delay.0, 30.0);
        assert_eq!(s.downscale_stabilization.0, 300.0);
        assert!(!s.feature_gates.hpa_scale_to_zero);
        assert!(s.feature_gates.hpa_configurable_tolerance);
        assert_eq!(s.legacy_scale_up_limit_factor, 2.0);
        assert_eq!(s.legacy_scale_up_limit_minimum, 4.0);
    }

    #[test]
    fn reads_snake_case_yaml_with_durations_and_rejects_unknown_keys() {
        let src = crate::yaml::Source::from_string(
            "s.yaml",
            "sync_period: 30s\ntolerance: 0.05\ncpu_initialization_period: 2m\nfeature_gates:\n  HPAScaleToZero: true\n",
        );
        let s: ControllerSettings = crate::yaml::parse(&src).unwrap();
        assert_eq!(s.sync_period.0, 30.0);
        assert_eq!(s.tolerance, 0.05);
        assert_eq!(s.cpu_initialization_period.0, 120.0);
        assert!(s.feature_gates.hpa_scale_to_zero);
        assert!(s.feature_gates.hpa_configurable_tolerance);
        let bad = crate::yaml::Source::from_string("s.yaml", "sync_perod: 30s\n");
        let e = crate::yaml::parse::<ControllerSettings>(&bad).unwrap_err();
        assert!(e.to_string().contains("sync_perod"), "{e}");
        let bad_gate =
            crate::yaml::Source::from_string("s.yaml", "feature_gates:\n  HPAScaleToZer0: true\n");
        assert!(crate::yaml::parse::<ControllerSettings>(&bad_gate).is_err());
    }

    #[test]
    fn validate_rejects_negative_tolerance() {
        let s = ControllerSettings {
            tolerance: -0.1,
            ..Default::default()
        };
        assert_eq!(s.validate().unwrap_err().0, "tolerance");
        assert!(ControllerSettings::default().validate().is_ok());
    }
}
