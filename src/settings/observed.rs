//! `observed:` — the recorded series a run is backtested against (`docs/backtest.md`).

use serde::Deserialize;
use std::path::PathBuf;

/// `observed:` — what the cluster recorded over the trace's period (paths relative to the
/// scenario file).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ObservedSpec {
    /// The replica count over time (e.g. `kube_deployment_status_replicas`).
    #[serde(default)]
    pub(crate) replicas: Option<PathBuf>,
    /// p99 latency in seconds over time.
    #[serde(default)]
    pub(crate) latency_p99: Option<PathBuf>,
}
