//! The scenario's `metrics:` block: which simulated signal an autoscaler metric reads, through
//! which backend. Keys are the names autoscalers use: an HPA Pods/Object/External metric name,
//! or a KEDA trigger's name or metric name.
//!
//! ```yaml
//! metrics:
//!   http_requests_per_second: {signal: request_rate, backend: prometheus}
//!   queue_messages: {signal: backlog}            # backend default: direct
//!   p95_latency_ms: {signal: latency_p95, backend: {kind: prometheus, window: 2m}, scale: 1000}
//!   pg: {signal: backlog, target: 10, activation_target: 2, metric_type: AverageValue}
//! ```
//!
//! `target`, `activation_target` and `metric_type` are for KEDA triggers scalesim does not
//! model (a core scaler outside the modelled set, or a vendor/external one) whose metadata
//! does not say what KEDA would put in the HPA; see `scenario::keda_bindings`.

use super::backend::{BackendKind, BackendSpec, BackendTiming};
use super::signal::Signal;
use crate::units::Quantity;
use serde::Deserialize;

/// The HPA target type a binding gives a KEDA trigger (`metric_type:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
pub(crate) enum BindingMetricType {
    AverageValue,
    Value,
}

/// One entry of `metrics:` as written.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BindingSpec {
    /// request_rate, served_rate, latency_p50/p95/p99, in_flight, in_service, backlog,
    /// backlog_age, cpu, memory, ready_pods, or a trace column (`column:<name>` or its bare name).
    pub(crate) signal: String,
    /// direct (default), prometheus, cloudwatch, or `{kind, scrape_interval, window, delay}`.
    #[serde(default)]
    pub(crate) backend: Option<BackendSpec>,
    /// Multiplies the value (unit conversion, e.g. 1000 for seconds → milliseconds).
    #[serde(default)]
    pub(crate) scale: Option<f64>,
    /// KEDA trigger not modelled by scalesim: its HPA target when its metadata has none.
    #[serde(default)]
    pub(crate) target: Option<Quantity>,
    /// KEDA trigger not modelled by scalesim: active when the value is above this (default 0),
    /// when its metadata has no activation threshold.
    #[serde(default)]
    pub(crate) activation_target: Option<Quantity>,
    /// KEDA trigger not modelled by scalesim: `AverageValue` (default) or `Value`, when the
    /// trigger sets no `metricType`.
    #[serde(default)]
    pub(crate) metric_type: Option<BindingMetricType>,
}

impl BindingSpec {
    /// Does the binding carry KEDA target settings?
    pub(crate) fn has_keda_target_settings(&self) -> bool {
        self.target.is_some() || self.activation_target.is_some() || self.metric_type.is_some()
    }
}

/// A resolved binding.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct Binding {
    pub(crate) name: String,
    pub(crate) signal: Signal,
    pub(crate) timing: BackendTiming,
    pub(crate) scale: f64,
}

impl BindingSpec {
    /// Resolve against the trace's columns; `default_backend` applies when none is written.
    pub(crate) fn resolve(
        &self,
        name: &str,
        trace_columns: &[String],
        default_backend: BackendKind,
    ) -> Result<Binding, String> {
        self.resolve_over(name, trace_columns, BackendTiming::of(default_backend))
    }

    /// [`Self::resolve`] with a whole default timing: a KEDA scaler's own backend delay, which
    /// also underlies a `backend:` of the same kind.
    pub(crate) fn resolve_over(
        &self,
        name: &str,
        trace_columns: &[String],
        default: BackendTiming,
    ) -> Result<Binding, String> {
        let signal = Signal::parse(&self.signal, trace_columns)?;
        let timing = match &self.backend {
            Some(spec) => spec.timing_over(default),
            None => default,
        };
        if !(timing.interval > 0.0) {
            return Err("backend scrape_interval must be above zero".into());
        }
        if !(timing.window > 0.0) {
            return Err("backend window must be above zero".into());
        }
        let scale = self.scale.unwrap_or(1.0);
        if !scale.is_finite() {
            return Err("scale must be a finite number".into());
        }
        Ok(Binding {
            name: name.to_string(),
            signal,
            timing,
            scale,
        })
    }
}
