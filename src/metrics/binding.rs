//! The scenario's `metrics:` block: which simulated signal an autoscaler metric reads, through
//! which backend. Keys are the names autoscalers use: an HPA Pods/Object/External metric name,
//! or a KEDA trigger's name or metric name.
//!
//! ```yaml
//! metrics:
//!   http_requests_per_second: {signal: request_rate, backend: prometheus}
//!   queue_messages: {signal: backlog}            # backend default: direct
//!   p95_latency_ms: {signal: latency_p95, backend: {kind: prometheus, window: 2m}, scale: 1000}
//! ```

use super::backend::{BackendKind, BackendSpec, BackendTiming};
use super::signal::Signal;
use serde::Deserialize;

/// One entry of `metrics:` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindingSpec {
    /// request_rate, served_rate, latency_p50/p95/p99, in_flight, in_service, backlog,
    /// backlog_age, cpu, memory, ready_pods, or a trace column (`column:<name>` or its bare name).
    pub signal: String,
    /// direct (default), prometheus, cloudwatch, or `{kind, scrape_interval, window, delay}`.
    #[serde(default)]
    pub backend: Option<BackendSpec>,
    /// Multiplies the value (unit conversion, e.g. 1000 for seconds → milliseconds).
    #[serde(default)]
    pub scale: Option<f64>,
}

/// A resolved binding.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Binding {
    pub name: String,
    pub signal: Signal,
    pub timing: BackendTiming,
    pub scale: f64,
}

impl BindingSpec {
    /// Resolve against the trace's columns; `default_backend` applies when none is written.
    pub fn resolve(
        &self,
        name: &str,
        trace_columns: &[String],
        default_backend: BackendKind,
    ) -> Result<Binding, String> {
        let signal = Signal::parse(&self.signal, trace_columns)?;
        let timing = self
            .backend
            .clone()
            .unwrap_or(BackendSpec::Kind(default_backend))
            .timing();
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
