//! Service-level objectives (`slo:`) that `scalesim check` verifies and sweeps mark per point.

use crate::units::Seconds;
use serde::Deserialize;

/// Service-level objectives of a scenario (`slo:`). Every bound is inclusive ("at most"); a
/// latency bound with nothing served fails unless nothing arrived.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SloSpec {
    /// Whole-run p99 latency (arrival to completion of served requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) latency_p99: Option<Seconds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) latency_p95: Option<Seconds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) latency_mean: Option<Seconds>,
    /// Dropped / arrived, a fraction (0.001 = 0.1 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_dropped_ratio: Option<f64>,
    /// Timed out / arrived, a fraction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_timed_out_ratio: Option<f64>,
    /// Most requests waiting at the end of any step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_backlog: Option<u64>,
    /// Oldest waiting request, read at the end of every step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_backlog_age: Option<Seconds>,
    /// Cost: the integral of existing pods over the run, in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_pod_hours: Option<f64>,
    /// Seconds of overload (summary `overload_s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_overload_seconds: Option<Seconds>,
    /// Changes of spec.replicas (flapping).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_scale_events: Option<u32>,
    /// Node-hours (with `cluster.nodes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_node_hours: Option<f64>,
    /// Node-hours × price per hour (with `cluster.nodes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_cost: Option<f64>,
    /// Attempts answered 503 / arrived requests, a fraction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_rejected_ratio: Option<f64>,
    /// Backtest (`observed:`): at least this fraction of steps with the simulated replicas
    /// within ±1 of the recorded ones. The one lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min_backtest_replicas_within_1_ratio: Option<f64>,
    /// Backtest: mean absolute replica difference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_backtest_replicas_mae: Option<f64>,
    /// Backtest: mean absolute percentage error of the per-step p99 latency, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_backtest_latency_p99_mape: Option<f64>,
}

impl SloSpec {
    /// Reject bounds that cannot be met or make no sense: `(field, message)`.
    pub(crate) fn validate(&self) -> Result<(), (&'static str, String)> {
        for (field, v) in [
            ("max_dropped_ratio", self.max_dropped_ratio),
            ("max_timed_out_ratio", self.max_timed_out_ratio),
            (
                "min_backtest_replicas_within_1_ratio",
                self.min_backtest_replicas_within_1_ratio,
            ),
        ] {
            if let Some(v) = v
                && !(0.0..=1.0).contains(&v)
            {
                return Err((
                    field,
                    format!("{v} is not a ratio between 0 and 1 (0.001 = 0.1 %)"),
                ));
            }
        }
        for (field, v) in [
            ("max_pod_hours", self.max_pod_hours),
            ("max_node_hours", self.max_node_hours),
            ("max_cost", self.max_cost),
            ("max_backtest_replicas_mae", self.max_backtest_replicas_mae),
            (
                "max_backtest_latency_p99_mape",
                self.max_backtest_latency_p99_mape,
            ),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && v >= 0.0)
            {
                return Err((field, format!("{v} must be zero or more")));
            }
        }
        if let Some(v) = self.max_rejected_ratio
            && !(v.is_finite() && v >= 0.0)
        {
            return Err((
                "max_rejected_ratio",
                format!("{v} must be zero or more (0.01 = 1 %)"),
            ));
        }
        Ok(())
    }

    /// True when no objective is set.
    pub(crate) fn is_empty(&self) -> bool {
        *self == SloSpec::default()
    }
}
