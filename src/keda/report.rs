//! The structured validation report of one ScaledObject/ScaledJob: findings (errors KEDA would
//! reject or fail on, warnings for accepted-but-probably-wrong settings, rules left unchecked
//! for lack of objects, things scalesim does not model) and the simulation plan — what will be
//! simulated and how.

use super::catalog::{CatalogStatus, DelayClass, Signal};
use super::generated_hpa::GeneratedHpa;
use super::model::{FallbackConfig, Modifiers};
use super::scalers::MetricSpec;
use crate::error::{InputError, Location};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// KEDA (API server, admission webhook, controller or scaler build) would reject or fail.
    Error,
    /// Accepted by KEDA but probably not what was meant.
    Warning,
    /// A rule that needs objects that were not given.
    Unchecked,
    /// Something scalesim does not simulate.
    NotModelled,
}

/// One finding, located in the user's file when possible.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Stable rule id, e.g. `webhook.idle-replica-count`, `scaler.build`.
    pub rule: String,
    pub message: String,
    /// Dotted field path (`spec.triggers[0].metadata.queueLength`).
    pub field: Option<String>,
    pub(crate) file: Option<String>,
    pub line: Option<usize>,
    pub(crate) column: Option<usize>,
}

impl Finding {
    pub(crate) fn new(
        severity: Severity,
        rule: &str,
        field: Option<String>,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            severity,
            rule: rule.to_string(),
            message: message.into(),
            field,
            file: None,
            line: None,
            column: None,
        }
    }

    /// As an input error (file, line, column, field, message with the rule).
    pub(crate) fn to_input_error(&self) -> InputError {
        let mut loc = Location::default();
        if let Some(f) = &self.file {
            loc.file = Some(f.into());
        }
        loc.line = self.line;
        loc.column = self.column;
        if let Some(f) = &self.field {
            loc = loc.with_field(f.clone());
        }
        InputError::new(loc, format!("{} [{}]", self.message, self.rule))
    }
}

/// How one trigger will be simulated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TriggerPlan {
    pub(crate) index: usize,
    pub(crate) name: Option<String>,
    pub(crate) trigger_type: String,
    pub(crate) status: CatalogStatus,
    /// The HPA metric (name `s<i>-…`, source, target type and value).
    pub metric: Option<MetricSpec>,
    pub(crate) activation_threshold: Option<f64>,
    pub(crate) signal: Option<Signal>,
    pub(crate) delay: Option<DelayClass>,
    pub(crate) use_cached_metrics: bool,
}

/// The effect of the pause annotations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct PausePlan {
    pub(crate) paused: bool,
    pub(crate) paused_replicas: Option<i32>,
    pub(crate) scale_in_paused: bool,
    pub(crate) scale_out_paused: bool,
    pub(crate) force_activation: bool,
    pub(crate) description: String,
}

/// What will be simulated for one object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulationPlan {
    pub triggers: Vec<TriggerPlan>,
    /// ScaledObject only.
    pub(crate) hpa: Option<GeneratedHpa>,
    /// The HPA has no behavior object: the legacy path (scale-up ≤ max(2×, 4) per sync,
    /// 300 s downscale stabilisation).
    pub(crate) legacy_hpa_path: bool,
    pub(crate) polling_interval_s: f64,
    pub(crate) cooldown_period_s: Option<f64>,
    pub(crate) initial_cooldown_period_s: Option<f64>,
    pub(crate) pause: Option<PausePlan>,
    /// `spec.fallback` with defaults (ScaledObject only; None when absent or invalid).
    pub(crate) fallback: Option<FallbackConfig>,
    /// `spec.advanced.scalingModifiers` (ScaledObject only; None when not used).
    pub(crate) scaling_modifiers: Option<Modifiers>,
    pub(crate) notes: Vec<String>,
}

/// The report of one ScaledObject/ScaledJob document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectReport {
    pub(crate) kind: String,
    pub(crate) name: Option<String>,
    pub(crate) namespace: Option<String>,
    /// Index of the document in its file.
    pub(crate) document: usize,
    pub findings: Vec<Finding>,
    pub plan: Option<SimulationPlan>,
}

impl ObjectReport {
    #[cfg(test)]
    pub(crate) fn with(&self, severity: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.severity == severity)
    }
}
