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
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl Finding {
    pub fn new(
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
    pub fn to_input_error(&self) -> InputError {
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
    pub index: usize,
    pub name: Option<String>,
    pub trigger_type: String,
    pub status: CatalogStatus,
    /// The HPA metric (name `s<i>-…`, source, target type and value).
    pub metric: Option<MetricSpec>,
    pub activation_threshold: Option<f64>,
    pub signal: Option<Signal>,
    pub delay: Option<DelayClass>,
    pub use_cached_metrics: bool,
}

/// The effect of the pause annotations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PausePlan {
    pub paused: bool,
    pub paused_replicas: Option<i32>,
    pub scale_in_paused: bool,
    pub scale_out_paused: bool,
    pub force_activation: bool,
    pub description: String,
}

/// What will be simulated for one object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulationPlan {
    pub triggers: Vec<TriggerPlan>,
    /// ScaledObject only.
    pub hpa: Option<GeneratedHpa>,
    /// The HPA has no behavior object: the legacy path (scale-up ≤ max(2×, 4) per sync,
    /// 300 s downscale stabilisation).
    pub legacy_hpa_path: bool,
    pub polling_interval_s: f64,
    pub cooldown_period_s: Option<f64>,
    pub initial_cooldown_period_s: Option<f64>,
    pub pause: Option<PausePlan>,
    /// `spec.fallback` with defaults (ScaledObject only; None when absent or invalid).
    pub fallback: Option<FallbackConfig>,
    /// `spec.advanced.scalingModifiers` (ScaledObject only; None when not used).
    pub scaling_modifiers: Option<Modifiers>,
    pub notes: Vec<String>,
}

/// The report of one ScaledObject/ScaledJob document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectReport {
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// Index of the document in its file.
    pub document: usize,
    pub findings: Vec<Finding>,
    pub plan: Option<SimulationPlan>,
}

impl ObjectReport {
    pub fn with(&self, severity: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.severity == severity)
    }
    pub fn has_errors(&self) -> bool {
        self.with(Severity::Error).next().is_some()
    }
    /// The errors as input errors (exit code 2 in `validate`).
    pub fn errors_as_input_errors(&self) -> Vec<InputError> {
        self.with(Severity::Error)
            .map(Finding::to_input_error)
            .collect()
    }
}
