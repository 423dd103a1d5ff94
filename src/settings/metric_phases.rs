//! When the metrics pipeline samples (`cluster.metric_phases`; `docs/metrics-pipeline.md`):
//! on the run's own grid, or each component on a phase of its own drawn from the seed, as on a
//! real cluster.

use serde::Deserialize;

/// `cluster.metric_phases` as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum MetricPhases {
    /// metrics-server scrapes at t = resolution, 2 × resolution, …; the kubelet's CPU window
    /// ends at the scrape; Prometheus scrapes at t = 0, interval, ….
    Aligned,
    /// metrics-server's ticker, each kubelet's stats collection and each Prometheus scrape job
    /// run on a phase of their own, drawn from the scenario's seed, as on a real cluster (the
    /// default).
    #[default]
    Seeded,
}
