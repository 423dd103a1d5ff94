//! The mutable state KEDA keeps for one ScaledObject between loop runs: `status.lastActiveTime`,
//! `status.health` (fallback failure counters per metric), the metrics cache that
//! `useCachedMetrics` reads, and the scalers' own memory (lost when KEDA rebuilds its scalers
//! after any error). Plain data; the control-loop functions update it.

use super::scalers::ScalerMemory;
use serde::Serialize;
use std::collections::BTreeMap;

/// One metric value as KEDA's metrics adapter returns it (milli-units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricValue {
    pub name: String,
    pub milli: i64,
}

/// `status.health[metric]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct HealthStatus {
    pub failures: i32,
    /// `Failing` (true) or `Happy` (false).
    pub failing: bool,
}

/// A record of the metrics cache (written by the polling loop for `useCachedMetrics` triggers).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CachedRecord {
    pub(crate) active: bool,
    /// The metrics after fallback handling (None when the fetch failed).
    pub(crate) metrics: Option<Vec<MetricValue>>,
    pub(crate) error: Option<String>,
}

/// KEDA's memory of one ScaledObject.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ScaledObjectState {
    /// `metadata.creationTimestamp` (seconds of the simulated clock).
    pub(crate) created_at: f64,
    /// `status.lastActiveTime`.
    pub last_active_time: Option<f64>,
    pub(crate) health: BTreeMap<String, HealthStatus>,
    pub(crate) metrics_cache: BTreeMap<String, CachedRecord>,
    /// Per trigger, indexed like `spec.triggers`.
    pub(crate) scaler_memory: Vec<ScalerMemory>,
    /// Condition `Fallback` (some metric failing past the threshold).
    pub(crate) fallback_condition: bool,
}

impl ScaledObjectState {
    pub fn new(created_at: f64, triggers: usize) -> Self {
        ScaledObjectState {
            created_at,
            scaler_memory: vec![ScalerMemory::default(); triggers],
            ..Default::default()
        }
    }

    /// KEDA clears its scaler cache after any scaler error: scalers are rebuilt, losing their
    /// memory (Kafka's previous offsets). Metric cache records are kept.
    pub(crate) fn invalidate_scalers(&mut self) {
        for m in &mut self.scaler_memory {
            *m = ScalerMemory::default();
        }
    }

    #[cfg(test)]
    pub(crate) fn memory(&mut self, index: usize) -> &mut ScalerMemory {
        if self.scaler_memory.len() <= index {
            self.scaler_memory
                .resize(index + 1, ScalerMemory::default());
        }
        &mut self.scaler_memory[index]
    }
}

/// What the control loops see of the scale target at the moment they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TargetView {
    /// The target's `spec.replicas` (a Deployment's nil replicas reads as 1).
    pub spec_replicas: i32,
    /// Running and Ready pods matching the target's selector.
    pub ready_pods: i32,
}
