//! Named scalar metrics of a run, read from its summary: the vocabulary shared by SLOs,
//! baselines and the columns of `sweep.csv`.
//!
//! Metrics are read from the summary as JSON (the form `summary.json` stores) into one typed
//! struct, [`SummaryFigures`], so a baseline written by an earlier version compares with a run
//! of this one (a metric an old file lacks is simply absent), and a field renamed in the
//! summary fails this module's tests instead of reading as "–".

use super::summary::Backtest;
use crate::sim::Summary;
use crate::units::format_seconds;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The figures of `summary.json` the metrics read, by the summary's own field names. Every
/// field is optional: a summary of an earlier version may lack any of them.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub(crate) struct SummaryFigures {
    pub(crate) requests: RequestFigures,
    pub(crate) latency_s: LatencyFigures,
    pub(crate) wait_s: WaitFigures,
    pub(crate) replicas: ReplicaFigures,
    pub(crate) backlog: BacklogFigures,
    pub(crate) overload_s: Option<f64>,
    pub(crate) scale_events: Option<f64>,
    pub(crate) restarts: Option<f64>,
    pub(crate) throttled_s: Option<f64>,
    pub(crate) pending_pod_s: Option<f64>,
    pub(crate) nodes: Option<NodeFigures>,
    pub(crate) backtest: Option<Backtest>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub(crate) struct RequestFigures {
    pub(crate) arrived: Option<f64>,
    pub(crate) in_flight_end: Option<f64>,
    pub(crate) served: Option<f64>,
    pub(crate) dropped: Option<f64>,
    pub(crate) timed_out: Option<f64>,
    pub(crate) retries: Option<f64>,
    pub(crate) rejected: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub(crate) struct LatencyFigures {
    pub(crate) mean: Option<f64>,
    pub(crate) p50: Option<f64>,
    pub(crate) p95: Option<f64>,
    pub(crate) p99: Option<f64>,
    pub(crate) max: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub(crate) struct WaitFigures {
    pub(crate) mean: Option<f64>,
    pub(crate) p99: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub(crate) struct ReplicaFigures {
    pub(crate) min: Option<f64>,
    pub(crate) mean: Option<f64>,
    pub(crate) max: Option<f64>,
    pub(crate) ready_mean: Option<f64>,
    pub(crate) pod_hours: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub(crate) struct BacklogFigures {
    pub(crate) max: Option<f64>,
    pub(crate) mean: Option<f64>,
    pub(crate) max_age_s: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub(crate) struct NodeFigures {
    pub(crate) max: Option<f64>,
    pub(crate) mean: Option<f64>,
    pub(crate) node_hours: Option<f64>,
    pub(crate) cost: Option<f64>,
}

impl SummaryFigures {
    /// The figures of a summary in its JSON form. A part of the wrong shape reads as absent,
    /// as a missing one does.
    pub(crate) fn from_json(summary: &Value) -> SummaryFigures {
        let n = |key: &str| summary.get(key).and_then(Value::as_f64);
        SummaryFigures {
            requests: part(summary, "requests"),
            latency_s: part(summary, "latency_s"),
            wait_s: part(summary, "wait_s"),
            replicas: part(summary, "replicas"),
            backlog: part(summary, "backlog"),
            overload_s: n("overload_s"),
            scale_events: n("scale_events"),
            restarts: n("restarts"),
            throttled_s: n("throttled_s"),
            pending_pod_s: n("pending_pod_s"),
            nodes: part(summary, "nodes"),
            backtest: part(summary, "backtest"),
        }
    }
}

/// The part `key` of a summary in its JSON form, typed; absent when missing or of another shape
/// (a summary written by another version still reads, that part as absent).
pub(crate) fn part<T: serde::de::DeserializeOwned + Default>(summary: &Value, key: &str) -> T {
    summary
        .get(key)
        .and_then(|p| T::deserialize(p).ok())
        .unwrap_or_default()
}

/// What a metric counts, for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// A count of requests, events or pods.
    Count,
    /// A fraction of the arrived requests (0.01 = 1 %).
    Ratio,
    Seconds,
    /// Pod-hours (cost).
    PodHours,
    /// Node-hours, or money (node-hours × price).
    NodeHours,
}

/// One named metric.
#[derive(Debug)]
pub(crate) struct MetricDef {
    /// Column name in `sweep.csv` and key in `--tolerance`, `--objective`.
    pub(crate) name: &'static str,
    pub(crate) unit: Unit,
    /// Compared against a baseline by `scalesim check` (for every compared metric, higher is
    /// worse).
    pub(crate) regression: bool,
    extract: fn(&SummaryFigures) -> Option<f64>,
}

impl PartialEq for MetricDef {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl MetricDef {
    /// The value in a summary's figures, if it has one.
    pub(crate) fn read_figures(&self, figures: &SummaryFigures) -> Option<f64> {
        (self.extract)(figures).filter(|v| v.is_finite())
    }

    /// A value for people: `320ms`, `0.120%`, `3.5`.
    pub(crate) fn display(&self, v: Option<f64>) -> String {
        match v {
            None => "–".into(),
            Some(v) => match self.unit {
                Unit::Seconds => format_seconds(v),
                Unit::Ratio => {
                    let mut p = format!("{:.3}", 100.0 * v);
                    while p.ends_with('0') {
                        p.pop();
                    }
                    format!("{}%", p.trim_end_matches('.'))
                }
                Unit::Count | Unit::PodHours | Unit::NodeHours => {
                    if v.fract() == 0.0 {
                        format!("{v}")
                    } else {
                        format!("{v:.3}")
                    }
                }
            },
        }
    }
}

/// `part` of the arrived requests (0 when none arrived).
fn ratio(v: &SummaryFigures, part: Option<f64>) -> Option<f64> {
    let arrived = v.requests.arrived?;
    let part = part?;
    Some(if arrived > 0.0 { part / arrived } else { 0.0 })
}

/// Every metric, in `sweep.csv` column order.
pub(crate) const METRICS: &[MetricDef] = &[
    MetricDef {
        name: "arrived",
        unit: Unit::Count,
        regression: false,
        extract: |v| v.requests.arrived,
    },
    MetricDef {
        name: "served_ratio",
        unit: Unit::Ratio,
        regression: false,
        extract: |v| ratio(v, v.requests.served),
    },
    MetricDef {
        name: "dropped_ratio",
        unit: Unit::Ratio,
        regression: true,
        extract: |v| ratio(v, v.requests.dropped),
    },
    MetricDef {
        name: "timed_out_ratio",
        unit: Unit::Ratio,
        regression: true,
        extract: |v| ratio(v, v.requests.timed_out),
    },
    MetricDef {
        name: "latency_mean_s",
        unit: Unit::Seconds,
        regression: true,
        extract: |v| v.latency_s.mean,
    },
    MetricDef {
        name: "latency_p50_s",
        unit: Unit::Seconds,
        regression: true,
        extract: |v| v.latency_s.p50,
    },
    MetricDef {
        name: "latency_p95_s",
        unit: Unit::Seconds,
        regression: true,
        extract: |v| v.latency_s.p95,
    },
    MetricDef {
        name: "latency_p99_s",
        unit: Unit::Seconds,
        regression: true,
        extract: |v| v.latency_s.p99,
    },
    MetricDef {
        name: "latency_max_s",
        unit: Unit::Seconds,
        regression: false,
        extract: |v| v.latency_s.max,
    },
    MetricDef {
        name: "wait_mean_s",
        unit: Unit::Seconds,
        regression: false,
        extract: |v| v.wait_s.mean,
    },
    MetricDef {
        name: "wait_p99_s",
        unit: Unit::Seconds,
        regression: true,
        extract: |v| v.wait_s.p99,
    },
    MetricDef {
        name: "replicas_min",
        unit: Unit::Count,
        regression: false,
        extract: |v| v.replicas.min,
    },
    MetricDef {
        name: "replicas_mean",
        unit: Unit::Count,
        regression: false,
        extract: |v| v.replicas.mean,
    },
    MetricDef {
        name: "replicas_max",
        unit: Unit::Count,
        regression: false,
        extract: |v| v.replicas.max,
    },
    MetricDef {
        name: "pod_hours",
        unit: Unit::PodHours,
        regression: true,
        extract: |v| v.replicas.pod_hours,
    },
    MetricDef {
        name: "backlog_max",
        unit: Unit::Count,
        regression: true,
        extract: |v| v.backlog.max,
    },
    MetricDef {
        name: "backlog_mean",
        unit: Unit::Count,
        regression: false,
        extract: |v| v.backlog.mean,
    },
    MetricDef {
        name: "backlog_age_max_s",
        unit: Unit::Seconds,
        regression: true,
        extract: |v| v.backlog.max_age_s,
    },
    MetricDef {
        name: "overload_s",
        unit: Unit::Seconds,
        regression: true,
        extract: |v| v.overload_s,
    },
    MetricDef {
        name: "scale_events",
        unit: Unit::Count,
        regression: true,
        extract: |v| v.scale_events,
    },
    MetricDef {
        name: "rejected_ratio",
        unit: Unit::Ratio,
        regression: true,
        // Per attempt: a request retried three times can be answered 503 four times.
        extract: |v| {
            let attempts = v.requests.arrived? + v.requests.retries?;
            let rejected = v.requests.rejected?;
            Some(if attempts > 0.0 {
                rejected / attempts
            } else {
                0.0
            })
        },
    },
    MetricDef {
        name: "retries",
        unit: Unit::Count,
        regression: true,
        extract: |v| v.requests.retries,
    },
    MetricDef {
        name: "restarts",
        unit: Unit::Count,
        regression: true,
        extract: |v| v.restarts,
    },
    MetricDef {
        name: "throttled_s",
        unit: Unit::Seconds,
        regression: true,
        extract: |v| v.throttled_s,
    },
    MetricDef {
        name: "pending_pod_s",
        unit: Unit::Seconds,
        regression: true,
        extract: |v| v.pending_pod_s,
    },
    MetricDef {
        name: "node_hours",
        unit: Unit::NodeHours,
        regression: true,
        extract: |v| v.nodes.as_ref()?.node_hours,
    },
    MetricDef {
        name: "cost",
        unit: Unit::NodeHours,
        regression: true,
        extract: |v| v.nodes.as_ref()?.cost,
    },
    MetricDef {
        name: "backtest_replicas_within_1_ratio",
        unit: Unit::Ratio,
        regression: false,
        extract: |v| Some(v.backtest.as_ref()?.replicas.as_ref()?.within_1_ratio),
    },
    MetricDef {
        name: "backtest_replicas_mae",
        unit: Unit::Count,
        regression: false,
        extract: |v| Some(v.backtest.as_ref()?.replicas.as_ref()?.mae),
    },
    MetricDef {
        name: "backtest_latency_p99_mape",
        unit: Unit::Count,
        regression: false,
        extract: |v| Some(v.backtest.as_ref()?.latency_p99.as_ref()?.mape),
    },
];

/// The metric called `name`; seconds metrics also answer without their `_s` suffix
/// (`latency_p99` = `latency_p99_s`).
pub(crate) fn find(name: &str) -> Option<&'static MetricDef> {
    METRICS
        .iter()
        .find(|m| m.name == name || m.name.strip_suffix("_s") == Some(name))
}

/// The names of every metric, for error messages.
pub(crate) fn names() -> String {
    METRICS
        .iter()
        .map(|m| m.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Position of a metric in [`METRICS`].
fn position(def: &MetricDef) -> usize {
    METRICS
        .iter()
        .position(|m| m == def)
        .expect("a MetricDef comes from METRICS")
}

/// The value of every metric for one run (or an aggregate of runs), in [`METRICS`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics(pub Vec<Option<f64>>);

impl Metrics {
    /// Read every metric from a summary in its JSON form.
    pub(crate) fn from_json(summary: &Value) -> Metrics {
        let figures = SummaryFigures::from_json(summary);
        Metrics(METRICS.iter().map(|m| m.read_figures(&figures)).collect())
    }

    pub(crate) fn from_summary(summary: &Summary) -> Metrics {
        Self::from_json(&serde_json::to_value(summary).unwrap_or(Value::Null))
    }

    pub(crate) fn get(&self, def: &MetricDef) -> Option<f64> {
        self.0.get(position(def)).copied().flatten()
    }

    /// The value of the metric called `name` (see [`find`]).
    pub(crate) fn by_name(&self, name: &str) -> Option<f64> {
        find(name).and_then(|d| self.get(d))
    }

    /// Mean over runs, metric by metric, over the runs that have the metric.
    #[cfg(test)]
    fn iter(&self) -> impl Iterator<Item = (&'static MetricDef, Option<f64>)> + '_ {
        METRICS.iter().zip(self.0.iter().copied())
    }

    pub(crate) fn mean(runs: &[Metrics]) -> Metrics {
        Metrics(
            (0..METRICS.len())
                .map(|i| {
                    let vals: Vec<f64> = runs.iter().filter_map(|r| r.0[i]).collect();
                    (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
                })
                .collect(),
        )
    }

    /// Sample standard deviation over runs (n − 1), metric by metric; none below two values.
    pub(crate) fn std(runs: &[Metrics]) -> Metrics {
        Metrics(
            (0..METRICS.len())
                .map(|i| {
                    let vals: Vec<f64> = runs.iter().filter_map(|r| r.0[i]).collect();
                    if vals.len() < 2 {
                        return None;
                    }
                    let n = vals.len() as f64;
                    let mean = vals.iter().sum::<f64>() / n;
                    let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
                    Some(var.sqrt())
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_summary_json_and_tolerates_missing_fields() {
        let v = json!({
            "requests": {"arrived": 200, "served": 190, "dropped": 10, "timed_out": 0},
            "latency_s": {"p99": 0.5, "mean": null},
            "replicas": {"pod_hours": 2.5},
            "scale_events": 3
        });
        let m = Metrics::from_json(&v);
        assert_eq!(m.by_name("dropped_ratio"), Some(0.05));
        assert_eq!(m.by_name("latency_p99"), Some(0.5));
        assert_eq!(m.by_name("latency_p99_s"), Some(0.5));
        assert_eq!(m.by_name("latency_mean_s"), None);
        assert_eq!(m.by_name("backlog_age_max_s"), None);
        assert_eq!(m.by_name("scale_events"), Some(3.0));
        assert!(find("nope").is_none());
    }

    /// Every leaf path of `v` (objects only), dotted.
    fn leaves(v: &Value, prefix: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    leaves(x, &p, out);
                }
            }
            _ => out.push(prefix.to_string()),
        }
    }

    /// A real run's summary (with nodes, and a backtest) has every field the metrics read: a
    /// field renamed in `Summary` fails here instead of reading as "–" in `check`.
    #[test]
    fn every_figure_the_metrics_read_is_in_a_real_summary() {
        let mut run = crate::sim::short_real_run();
        run.summary.backtest = Some(Backtest {
            replicas: Some(Default::default()),
            latency_p99: Some(Default::default()),
            ..Default::default()
        });
        let summary = serde_json::to_value(&run.summary).unwrap();
        let figures = serde_json::to_value(SummaryFigures::from_json(&summary)).unwrap();
        let mut paths = Vec::new();
        leaves(&figures, "", &mut paths);
        assert!(paths.len() > 25, "{paths:?}");
        for p in &paths {
            let pointer = format!("/{}", p.replace('.', "/"));
            assert!(
                summary.pointer(&pointer).is_some(),
                "summary.json has no {p}: a metric reads a field the summary no longer writes"
            );
            assert!(
                !figures.pointer(&pointer).unwrap().is_null(),
                "{p} read as absent"
            );
        }
        let m = Metrics::from_json(&summary);
        for (def, v) in m.iter() {
            assert!(
                v.is_some(),
                "metric {} has no value in a real summary",
                def.name
            );
        }
    }

    #[test]
    fn mean_and_std_over_runs() {
        let a = Metrics::from_json(&json!({"scale_events": 2, "overload_s": 1.0}));
        let b = Metrics::from_json(&json!({"scale_events": 4}));
        let mean = Metrics::mean(&[a.clone(), b.clone()]);
        assert_eq!(mean.by_name("scale_events"), Some(3.0));
        assert_eq!(mean.by_name("overload_s"), Some(1.0));
        let std = Metrics::std(&[a, b]);
        assert!((std.by_name("scale_events").unwrap() - 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(std.by_name("overload_s"), None);
    }
}
