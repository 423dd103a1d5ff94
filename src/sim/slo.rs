//! Service-level objectives: each bound of a scenario's `slo:` block checked against a run's
//! metrics, PASS or FAIL with the measured value.

use super::figures::{self, MetricDef, Metrics};
use crate::settings::slo::SloSpec;

/// One objective checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SloResult {
    /// The `slo:` key, e.g. `latency_p99` or `max_dropped_ratio`.
    pub(crate) name: &'static str,
    /// The metric it bounds.
    pub(crate) metric: &'static MetricDef,
    /// The bound (inclusive): an upper one, or a lower one for `min_…` keys.
    pub(crate) limit: f64,
    pub(crate) measured: Option<f64>,
    pub(crate) pass: bool,
}

impl SloResult {
    /// `latency_p99 <= 500ms`, `min_backtest_replicas_within_1_ratio >= 0.9`.
    pub(crate) fn describe(&self) -> String {
        let op = if is_lower_bound(self.name) {
            ">="
        } else {
            "<="
        };
        format!(
            "{} {op} {}",
            self.name,
            self.metric.display(Some(self.limit))
        )
    }

    /// `measured 320ms` or why there is no measurement.
    pub(crate) fn measured_text(&self) -> String {
        match self.measured {
            Some(v) => format!("measured {}", self.metric.display(Some(v))),
            None if self.metric.name.starts_with("backtest_") => {
                "no value: the scenario has no `observed:` series".into()
            }
            None if self.pass => "no value: nothing arrived".into(),
            None => "no value: no request was served".into(),
        }
    }
}

/// The objectives a spec sets, as `(slo key, metric, bound)`, in a fixed order.
pub(crate) fn bounds(slo: &SloSpec) -> Vec<(&'static str, &'static MetricDef, f64)> {
    let m = |name| figures::find(name).expect("SLO metrics exist");
    let secs = |s: Option<crate::units::Seconds>| s.map(|s| s.0);
    let all: [(&'static str, &'static str, Option<f64>); 16] = [
        ("latency_p99", "latency_p99_s", secs(slo.latency_p99)),
        ("latency_p95", "latency_p95_s", secs(slo.latency_p95)),
        ("latency_mean", "latency_mean_s", secs(slo.latency_mean)),
        ("max_dropped_ratio", "dropped_ratio", slo.max_dropped_ratio),
        (
            "max_timed_out_ratio",
            "timed_out_ratio",
            slo.max_timed_out_ratio,
        ),
        (
            "max_backlog",
            "backlog_max",
            slo.max_backlog.map(|v| v as f64),
        ),
        (
            "max_backlog_age",
            "backlog_age_max_s",
            secs(slo.max_backlog_age),
        ),
        ("max_pod_hours", "pod_hours", slo.max_pod_hours),
        (
            "max_overload_seconds",
            "overload_s",
            secs(slo.max_overload_seconds),
        ),
        (
            "max_scale_events",
            "scale_events",
            slo.max_scale_events.map(|v| v as f64),
        ),
        ("max_node_hours", "node_hours", slo.max_node_hours),
        ("max_cost", "cost", slo.max_cost),
        (
            "max_rejected_ratio",
            "rejected_ratio",
            slo.max_rejected_ratio,
        ),
        (
            "min_backtest_replicas_within_1_ratio",
            "backtest_replicas_within_1_ratio",
            slo.min_backtest_replicas_within_1_ratio,
        ),
        (
            "max_backtest_replicas_mae",
            "backtest_replicas_mae",
            slo.max_backtest_replicas_mae,
        ),
        (
            "max_backtest_latency_p99_mape",
            "backtest_latency_p99_mape",
            slo.max_backtest_latency_p99_mape,
        ),
    ];
    all.into_iter()
        .filter_map(|(name, metric, bound)| bound.map(|b| (name, m(metric), b)))
        .collect()
}

/// `min_…` objectives are lower bounds; every other one an upper bound.
fn is_lower_bound(slo_key: &str) -> bool {
    slo_key.starts_with("min_")
}

/// Check every objective. A missing measurement (a latency with nothing served) fails, unless
/// nothing arrived at all.
pub(crate) fn evaluate(slo: &SloSpec, values: &Metrics) -> Vec<SloResult> {
    let nothing_arrived = values.by_name("arrived").is_none_or(|a| a == 0.0);
    bounds(slo)
        .into_iter()
        .map(|(name, metric, limit)| {
            let measured = values.get(metric);
            let pass = match measured {
                Some(v) if is_lower_bound(name) => v >= limit,
                Some(v) => v <= limit,
                None => nothing_arrived && !metric.name.starts_with("backtest_"),
            };
            SloResult {
                name,
                metric,
                limit,
                measured,
                pass,
            }
        })
        .collect()
}

/// The `slo:` key of the objective that bounds `metric`, if the spec bounds it.
pub(crate) fn limit_for(slo: &SloSpec, metric: &MetricDef) -> Option<f64> {
    bounds(slo)
        .into_iter()
        .find(|(_, m, _)| *m == metric)
        .map(|(_, _, b)| b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Seconds;
    use serde_json::json;

    #[test]
    fn pass_and_fail_with_measured_values() {
        let slo = SloSpec {
            latency_p99: Some(Seconds(0.5)),
            max_dropped_ratio: Some(0.001),
            max_scale_events: Some(4),
            ..Default::default()
        };
        let m = Metrics::from_json(&json!({
            "requests": {"arrived": 1000, "served": 990, "dropped": 10, "timed_out": 0},
            "latency_s": {"p99": 0.5},
            "scale_events": 5
        }));
        let r = evaluate(&slo, &m);
        let got: Vec<(&str, bool)> = r.iter().map(|r| (r.name, r.pass)).collect();
        assert_eq!(
            got,
            [
                ("latency_p99", true),
                ("max_dropped_ratio", false),
                ("max_scale_events", false)
            ]
        );
        assert_eq!(r[0].describe(), "latency_p99 <= 500ms");
        assert_eq!(r[1].measured_text(), "measured 1%");
        assert_eq!(r[1].describe(), "max_dropped_ratio <= 0.1%");
    }

    #[test]
    fn latency_without_served_requests() {
        let slo = SloSpec {
            latency_p99: Some(Seconds(0.5)),
            ..Default::default()
        };
        let none_served = Metrics::from_json(&json!({"requests": {"arrived": 5, "served": 0}}));
        assert!(!evaluate(&slo, &none_served)[0].pass);
        let none_arrived = Metrics::from_json(&json!({"requests": {"arrived": 0, "served": 0}}));
        assert!(evaluate(&slo, &none_arrived)[0].pass);
    }
}
