//! The resolved run configuration: a scenario with every default applied, as `crate::scenario`
//! builds it from YAML and `world`, `metrics` and `sim` read it.

use super::autoscalers::Autoscalers;
use super::binding::BindingSpec;
use super::changes::Change;
use super::faults::Fault;
use super::fidelity::Fidelity;
use super::metric_phases::MetricPhases;
use super::nodes::Cluster;
use super::observed::ObservedSpec;
use super::overload::Overload;
use super::slo::SloSpec;
use super::workload::{Pods, Workload};
use crate::hpa::ControllerSettings;
use crate::trace::Trace;
use chrono::{DateTime, FixedOffset};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Default wall-clock instant of t = 0 when neither the scenario nor the trace gives one
/// (a Monday, so weekday-aware loads start the week).
pub const DEFAULT_START_TIME: &str = "2025-01-06T00:00:00Z";

/// A loaded scenario with every default applied.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: Option<String>,
    pub(crate) file: PathBuf,
    pub(crate) duration: f64,
    pub start_time: DateTime<FixedOffset>,
    pub(crate) seed: u64,
    pub(crate) step: f64,
    pub(crate) trace: Trace,
    pub workload: Workload,
    pub pods: Pods,
    pub(crate) metrics_server_resolution: f64,
    /// When metrics-server, the kubelets and Prometheus sample (`cluster.metric_phases`).
    pub(crate) metric_phases: MetricPhases,
    /// The traffic model in use (after resolving `auto`).
    pub(crate) fidelity: Fidelity,
    pub(crate) controller_manager: ControllerSettings,
    /// The autoscalers and other objects the manifests contained.
    pub autoscalers: Autoscalers,
    /// Backend outages.
    pub(crate) faults: Vec<Fault>,
    /// Objects created, updated or deleted during the run (`changes:`, `keda_events:`), in
    /// time order.
    pub(crate) changes: Vec<Change>,
    /// What a ScaledJob's job does (`jobs:`).
    pub(crate) jobs: super::jobs::JobBehaviour,
    /// `observed:` files, resolved against the scenario's folder.
    pub(crate) observed: ObservedSpec,
    /// `metrics:` bindings (validated; resolved by each autoscaler with its default backend).
    pub(crate) metric_bindings: BTreeMap<String, BindingSpec>,
    /// Service-level objectives (`slo:`), if any.
    pub(crate) slo: Option<SloSpec>,
    /// Retries, queue caps, liveness restarts, CFS quota (all off by default).
    pub(crate) overload: Overload,
    /// Nodes and their autoscaler (`None`: an infinite cluster).
    pub(crate) nodes: Option<Cluster>,
    /// Things the user should know (defaults stretched, settings ignored).
    pub(crate) warnings: Vec<String>,
}

impl Scenario {
    /// The flow-level interval, when the fluid model is in use.
    pub fn fluid_step(&self) -> Option<f64> {
        match self.fidelity {
            Fidelity::Fluid { step } => Some(step),
            Fidelity::Request => None,
        }
    }

    /// The wall-clock instant of t = 0 when it means something — the trace carried absolute
    /// timestamps or the scenario set `start_time` — and None for the default placeholder
    /// (charts then show elapsed time).
    pub(crate) fn clock_start(&self) -> Option<DateTime<FixedOffset>> {
        let placeholder =
            DateTime::parse_from_rfc3339(DEFAULT_START_TIME).expect("constant is valid");
        (self.trace.start_time.is_some() || self.start_time != placeholder)
            .then_some(self.start_time)
    }
}
