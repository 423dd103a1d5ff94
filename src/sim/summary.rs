//! The run summary (`summary.json` and the table on stdout): request outcomes, latency, pods,
//! backlog and scaling activity, computed once the run is over.

use crate::record::{Distribution, RequestTotals};
use crate::settings::Scenario;
use crate::settings::nodes::Cluster;
use crate::world::World;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::hpa_driver::HpaStats;
use super::keda_driver::KedaStats;
use super::series_stats::SeriesStats;
use super::verdict::{NeverRead, Verdict};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LatencySummary {
    pub(crate) mean: Option<f64>,
    pub(crate) p50: Option<f64>,
    pub(crate) p95: Option<f64>,
    pub p99: Option<f64>,
    pub(crate) max: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct WaitSummary {
    pub(crate) mean: Option<f64>,
    pub(crate) p99: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplicaSummary {
    /// Min/max/mean of spec.replicas over the time-series samples.
    pub(crate) min: i32,
    pub max: i32,
    pub(crate) mean: f64,
    /// Ready pods, time-averaged over samples.
    pub(crate) ready_mean: f64,
    /// Integral of existing pods (any phase but gone) over time: what you pay for.
    pub(crate) pod_seconds: f64,
    pub(crate) pod_hours: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BacklogSummary {
    pub max: u64,
    pub mean: f64,
    /// Largest age of the oldest waiting request, read at the end of every step (seconds).
    pub(crate) max_age_s: f64,
}

/// Nodes and what they cost (with `cluster.nodes`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NodeSummary {
    /// `none`, `cluster-autoscaler` or `karpenter`.
    pub autoscaler: String,
    /// Nodes that exist (provisioning, Ready or draining), over the time-series samples.
    pub(crate) min: u32,
    pub max: u32,
    pub(crate) mean: f64,
    /// Integral of existing nodes over time: what the cloud bills.
    pub(crate) node_seconds: f64,
    pub node_hours: f64,
    /// Node-hours × each pool's price per hour.
    pub cost: f64,
    /// Nodes the autoscaler requested and removed.
    pub added: u32,
    pub removed: u32,
    pub(crate) pools: Vec<PoolSummary>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct PoolSummary {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) node_type: String,
    pub(crate) price_per_hour: f64,
    pub(crate) node_hours: f64,
    pub(crate) cost: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// Did it keep up, and what held the autoscaler back (see `docs/verdict.md`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    pub(crate) scenario: String,
    pub(crate) seed: u64,
    pub(crate) duration_s: f64,
    /// The traffic model the run used.
    pub(crate) fidelity: crate::settings::fidelity::Fidelity,
    pub(crate) requests: RequestTotals,
    pub latency_s: LatencySummary,
    pub(crate) wait_s: WaitSummary,
    pub replicas: ReplicaSummary,
    pub backlog: BacklogSummary,
    /// Seconds of overload: see [`overload_seconds`].
    pub(crate) overload_s: f64,
    /// Number of times spec.replicas changed.
    pub(crate) scale_events: u32,
    /// Changes of direction of spec.replicas (up then down, or down then up) per hour: two
    /// autoscalers fighting over one workload flap it many times an hour.
    pub direction_changes_per_hour: f64,
    /// Pod-seconds spent Pending with no node to run on (0 without `cluster.nodes`).
    pub pending_pod_s: f64,
    /// Container restarts after failed liveness probes.
    pub restarts: u64,
    /// Seconds pods were stalled by their CFS quota, summed over pods.
    pub throttled_s: f64,
    /// Nodes, node-hours and cost (with `cluster.nodes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<NodeSummary>,
    /// What each HPA did and what held it back (hand-made ones, then those KEDA generated).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hpa: Vec<HpaStats>,
    /// What each KEDA object did (activations, cooldowns, fallback, jobs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keda: Vec<KedaStats>,
    pub(crate) warnings: Vec<String>,
    /// How closely the run followed the recorded series (`observed:`), when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) backtest: Option<Backtest>,
    /// What the charts need besides the time series (so `compare` draws runs as `run` does).
    pub(crate) chart: ChartInfo,
}

/// What a run's charts need besides its time series: the time axis, the latency panel's
/// reference lines, and each autoscaler metric's unit.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ChartInfo {
    /// t = 0 as a wall-clock instant (RFC 3339) when it has a meaning (see
    /// [`Scenario::clock_start`]): the time axis reads clock time. Absent: elapsed time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) start_time: Option<String>,
    /// The client timeout, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) timeout_s: Option<f64>,
    /// The p99 latency objective (`slo.latency_p99`), seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) slo_latency_p99_s: Option<f64>,
    /// The unit of each autoscaler metric, by its column label (`cpu` → `% of CPU request`).
    pub(crate) metric_units: BTreeMap<String, String>,
}

impl ChartInfo {
    /// The chart information of `scenario`, with these metric units.
    pub(crate) fn new(scenario: &Scenario, metric_units: BTreeMap<String, String>) -> ChartInfo {
        ChartInfo {
            start_time: scenario.clock_start().map(|t| t.to_rfc3339()),
            timeout_s: scenario.workload.timeout,
            slo_latency_p99_s: scenario
                .slo
                .as_ref()
                .and_then(|s| s.latency_p99)
                .map(|s| s.0),
            metric_units,
        }
    }
}

/// Seconds of overload: the total length of the time-series steps in which a request was dropped
/// or timed out, or in which the backlog grew (more requests waiting at the step's end than at
/// the previous step's end) while its oldest request had already waited at least one step.
/// The age condition keeps the ordinary coming and going of a queue under moderate load out of
/// the count; what remains is demand outrunning the pods that serve it.
pub(crate) fn overload_seconds(s: &SeriesStats, duration: f64) -> f64 {
    overloaded_rows(s, duration)
        .iter()
        .enumerate()
        .filter(|(_, o)| **o)
        .map(|(r, _)| (duration - s.time(r)).clamp(0.0, s.step))
        .fold(0.0, |a, b| a + b) // not `sum`, whose empty total is -0.0
}

/// Which time-series steps are overloaded (see [`overload_seconds`]); a step that starts at or
/// after the end of the run is not.
pub(crate) fn overloaded_rows(s: &SeriesStats, duration: f64) -> Vec<bool> {
    (0..s.rows)
        .map(|r| s.loss_or_growth(r) && s.time(r) < duration)
        .collect()
}

fn opt(v: f64) -> Option<f64> {
    if v.is_finite() { Some(v) } else { None }
}

/// What the control plane hands the summary at the end of a run: each autoscaler's statistics
/// and, per sampler, the metrics no autoscaler ever read.
pub(crate) struct ControlStats {
    pub(crate) hpa: Vec<HpaStats>,
    pub(crate) keda: Vec<KedaStats>,
    pub(crate) never_read: Vec<NeverRead>,
}

impl Summary {
    pub(crate) fn build(
        scenario: &Scenario,
        world: &World,
        s: &SeriesStats,
        control: ControlStats,
        warnings: &[String],
        chart: ChartInfo,
    ) -> Summary {
        let ControlStats {
            hpa,
            keda,
            never_read,
        } = control;
        let n = s.rows.max(1) as f64;
        let (spec_min, spec_max) = spec_range(s, scenario.pods.replicas);
        let scale_events = world.pods().replica_changes();
        let nodes = scenario
            .nodes
            .as_ref()
            .map(|c| NodeSummary::of(c, world, s));
        let mut summary = Summary {
            verdict: None,
            scenario: scenario.name.clone(),
            seed: scenario.seed,
            duration_s: scenario.duration,
            fidelity: scenario.fidelity,
            requests: world.recorder().totals().clone(),
            latency_s: LatencySummary::of(world.recorder().latency()),
            wait_s: WaitSummary {
                mean: opt(world.recorder().wait().mean()),
                p99: opt(world.recorder().wait().quantile(0.99)),
            },
            replicas: ReplicaSummary {
                min: spec_min,
                max: spec_max,
                mean: s.spec_sum / n,
                ready_mean: s.ready_sum / n,
                pod_seconds: world.pods().pod_seconds(),
                pod_hours: world.pods().pod_seconds() / 3600.0,
            },
            backlog: BacklogSummary {
                max: s.backlog_max,
                mean: s.backlog_sum / n,
                max_age_s: s.backlog_age_max,
            },
            overload_s: overload_seconds(s, scenario.duration),
            scale_events,
            direction_changes_per_hour: if scenario.duration > 0.0 {
                world.pods().direction_changes() as f64 * 3600.0 / scenario.duration
            } else {
                0.0
            },
            pending_pod_s: world.nodes().pending_pod_seconds(),
            restarts: world.pods().restarts(),
            throttled_s: world.pods().throttled_seconds(),
            nodes,
            hpa,
            keda,
            warnings: warnings.to_vec(),
            backtest: None,
            chart,
        };
        let limits = summary
            .hpa
            .iter()
            .map(|h| (h.name.as_str(), &h.limits))
            .collect();
        let verdict = Verdict::of(scenario, s, &summary, &limits, never_read);
        summary.verdict = Some(verdict);
        summary
    }
}

/// The least and most spec.replicas over the run, counting the initial `replicas`.
fn spec_range(s: &SeriesStats, initial: i32) -> (i32, i32) {
    let min = s.spec_min.unwrap_or(0).min(initial);
    let max = s.spec_max.unwrap_or(0).max(initial);
    (min, max)
}

impl LatencySummary {
    fn of(latency: &Distribution) -> LatencySummary {
        LatencySummary {
            mean: opt(latency.mean()),
            p50: opt(latency.quantile(0.50)),
            p95: opt(latency.quantile(0.95)),
            p99: opt(latency.quantile(0.99)),
            max: opt(latency.max()),
        }
    }
}

impl NodeSummary {
    /// Nodes over the run, per pool and in all, with their cost.
    fn of(c: &Cluster, world: &World, s: &SeriesStats) -> NodeSummary {
        let n = s.rows.max(1) as f64;
        let pools: Vec<PoolSummary> = c
            .pools
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let secs = world.nodes().pool_seconds(i);
                PoolSummary {
                    name: p.name.clone(),
                    node_type: p.node_type.clone(),
                    price_per_hour: p.price_per_hour,
                    node_hours: secs / 3600.0,
                    cost: secs / 3600.0 * p.price_per_hour,
                }
            })
            .collect();
        let node_seconds = world.nodes().node_seconds();
        NodeSummary {
            autoscaler: c.autoscaler.name().to_string(),
            min: s.nodes_min.unwrap_or(0),
            max: s.nodes_max.unwrap_or(0),
            mean: s.nodes_sum / n,
            node_seconds,
            node_hours: node_seconds / 3600.0,
            cost: pools.iter().map(|p| p.cost).sum(),
            added: world.nodes().added(),
            removed: world.nodes().removed(),
            pools,
        }
    }
}

/// `summary.json`'s `backtest`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub(crate) struct Backtest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) replicas: Option<ReplicaAgreement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) latency_p99: Option<LatencyAgreement>,
    /// The observed values at each time-series row, for the charts (not in `summary.json`).
    #[serde(skip)]
    pub(crate) steps: ObservedSteps,
}

/// The observed series at the end of each time-series row (where the run reads its gauges),
/// NaN where there is no recorded value: what the charts draw over the simulated columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ObservedSteps {
    pub(crate) replicas: Option<Vec<f64>>,
    pub(crate) latency_p99: Option<Vec<f64>>,
}

/// Simulated `spec_replicas` against observed replicas.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub(crate) struct ReplicaAgreement {
    /// The observed series' file name.
    pub(crate) observed: String,
    /// Steps compared.
    pub(crate) samples: usize,
    /// Fraction of steps where the simulated count is within ±1 of the observed one.
    pub(crate) within_1_ratio: f64,
    /// Mean absolute difference, replicas.
    pub(crate) mae: f64,
    pub(crate) max_abs_error: f64,
}

/// Simulated per-step p99 latency against the observed p99.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub(crate) struct LatencyAgreement {
    pub(crate) observed: String,
    pub(crate) samples: usize,
    /// Mean absolute percentage error, in percent.
    pub(crate) mape: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Series;

    #[test]
    fn overload_counts_losses_and_aged_growth() {
        let mut s = Series::new(9.5, 1.0);
        // Row 1: a drop. Row 3: backlog grows but nobody has waited a step (not overload).
        // Row 5: grows with an old request. Row 9 (half a step long): a timeout.
        s.dropped[1] = 1;
        s.backlog[3] = 4;
        s.backlog_age[3] = 0.2;
        s.backlog[4] = 4;
        s.backlog[5] = 9;
        s.backlog_age[5] = 1.5;
        s.timed_out[9] = 2;
        assert_eq!(overload_seconds(&SeriesStats::of(&s), 9.5), 2.5);
    }

    #[test]
    fn no_overload_is_a_positive_zero() {
        // summary.json writes `0.0`, not `-0.0`.
        let s = Series::new(10.0, 1.0);
        assert!(overload_seconds(&SeriesStats::of(&s), 10.0).is_sign_positive());
    }
}
