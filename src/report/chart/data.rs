//! What the charts read: one run's per-step columns by their `timeseries.csv` names, whether
//! they come from a run just simulated ([`RunData::from_series`]) or from a finished run folder
//! read back by `compare` ([`RunData::from_columns`]).

use crate::record::Series;

/// The column of recorded replicas a backtest compares `spec_replicas` with.
pub(crate) const OBSERVED_REPLICAS: &str = "observed_replicas";
/// The column of recorded p99 latency (seconds) a backtest compares `latency_p99_s` with.
pub(crate) const OBSERVED_LATENCY_P99: &str = "observed_latency_p99_s";

/// One run's per-step data. Row `r` covers `[time[r], time[r] + step)`; missing values are NaN.
#[derive(Debug, Clone)]
pub struct RunData {
    /// Legend label (the scenario name, or the run folder for `compare`).
    pub(crate) label: String,
    /// Start of each row, seconds from t = 0, non-decreasing.
    pub(crate) time: Vec<f64>,
    /// Seconds each row covers.
    pub(crate) step: f64,
    /// Seconds between the values of a column that has them only every few rows (the
    /// flow-level model computes latency once per interval); at least `step`. A hole in a line
    /// no longer than this is bridged, not drawn as a gap.
    pub(crate) spacing: f64,
    columns: Vec<(String, Vec<f64>)>,
}

fn f<T: Copy + Into<f64>>(v: &[T]) -> Vec<f64> {
    v.iter().map(|&x| x.into()).collect()
}

impl RunData {
    /// The columns the charts draw, from a finished simulation's series.
    pub fn from_series(label: impl Into<String>, s: &Series) -> RunData {
        let ints = |v: &[i32]| v.iter().map(|&x| x as f64).collect::<Vec<f64>>();
        let longs = |v: &[u64]| v.iter().map(|&x| x as f64).collect::<Vec<f64>>();
        let mut columns = vec![
            ("arrival_rate".to_string(), s.arrival_rate.clone()),
            ("capacity_rps".to_string(), s.ready_capacity.clone()),
            ("desired_replicas".to_string(), ints(&s.desired_replicas)),
            ("spec_replicas".to_string(), ints(&s.spec_replicas)),
            ("ready_pods".to_string(), f(&s.ready_pods)),
            ("starting_pods".to_string(), f(&s.starting_pods)),
            ("terminating_pods".to_string(), f(&s.terminating_pods)),
            ("backlog".to_string(), longs(&s.backlog)),
            ("backlog_age".to_string(), s.backlog_age.clone()),
            ("latency_p50_s".to_string(), s.latency_p50.clone()),
            ("latency_p99_s".to_string(), s.latency_p99.clone()),
            ("dropped".to_string(), f(&s.dropped)),
            ("timed_out".to_string(), f(&s.timed_out)),
        ];
        // Nodes and overload columns, only when the mechanism did something in this run.
        let optional = [
            ("unschedulable_pods", f(&s.unschedulable_pods)),
            ("nodes_ready", f(&s.nodes_ready)),
            ("rejected", f(&s.rejected)),
            ("retries", f(&s.retries)),
        ];
        columns.extend(
            optional
                .into_iter()
                .filter(|(_, c)| c.iter().any(|&v| v > 0.0))
                .map(|(n, c)| (n.to_string(), c)),
        );
        columns.extend(s.extra.iter().cloned());
        RunData {
            label: label.into(),
            time: (0..s.rows).map(|r| s.time(r)).collect(),
            step: s.step,
            spacing: s.step,
            columns,
        }
    }

    /// The same data, whose sparse columns have a value every `spacing` seconds (the
    /// flow-level interval); ignored when not above the step.
    pub fn with_spacing(mut self, spacing: Option<f64>) -> RunData {
        if let Some(s) = spacing.filter(|s| s.is_finite() && *s > self.step) {
            self.spacing = s;
        }
        self
    }

    /// The same data with the recorded series of a backtest (`observed_replicas`,
    /// `observed_latency_p99_s`), when the run has any; unchanged otherwise.
    pub(crate) fn with_observed(
        mut self,
        steps: Option<&crate::sim::summary::ObservedSteps>,
    ) -> RunData {
        let Some(steps) = steps else { return self };
        for (name, values) in [
            (OBSERVED_REPLICAS, &steps.replicas),
            (OBSERVED_LATENCY_P99, &steps.latency_p99),
        ] {
            if let Some(v) = values.as_ref().filter(|v| v.len() == self.time.len()) {
                self.columns.push((name.to_string(), v.clone()));
            }
        }
        self
    }

    /// Columns read from elsewhere (a `timeseries.csv`); every column as long as `time`.
    pub fn from_columns(
        label: impl Into<String>,
        time: Vec<f64>,
        step: f64,
        columns: Vec<(String, Vec<f64>)>,
    ) -> RunData {
        debug_assert!(columns.iter().all(|(_, c)| c.len() == time.len()));
        RunData {
            label: label.into(),
            time,
            step,
            spacing: step,
            columns,
        }
    }

    /// The names of every column, in order.
    pub(crate) fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|(n, _)| n.clone()).collect()
    }

    /// A trace as chart data: `arrival_rate`, then its extra columns.
    pub(crate) fn from_trace(label: impl Into<String>, trace: &crate::trace::Trace) -> RunData {
        let mut columns = vec![("arrival_rate".to_string(), trace.rates.clone())];
        columns.extend(
            trace
                .columns
                .iter()
                .map(|c| (c.name.clone(), c.values.clone())),
        );
        let step = trace.resolution();
        RunData {
            label: label.into(),
            time: trace.times.clone(),
            step,
            spacing: step,
            columns,
        }
    }

    /// A column by its `timeseries.csv` name.
    pub(crate) fn column(&self, name: &str) -> Option<&[f64]> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.as_slice())
    }

    /// A count column (per step) as a rate per second.
    pub(crate) fn per_second(&self, name: &str) -> Option<Vec<f64>> {
        let step = self.step;
        self.column(name)
            .map(|c| c.iter().map(|v| v / step).collect())
    }

    /// The autoscaler metrics recorded (`metric_<name>_seen` columns), in column order.
    pub(crate) fn metric_names(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter_map(|(n, _)| n.strip_prefix("metric_")?.strip_suffix("_seen"))
            .map(str::to_string)
            .collect()
    }

    /// End of the last row.
    pub(crate) fn end(&self) -> f64 {
        self.time.last().map_or(0.0, |t| t + self.step)
    }

    pub(crate) fn rows(&self) -> usize {
        self.time.len()
    }
}
