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
    /// End of the run when it is not the end of the last row (data kept as [`ChartRows`]
    /// groups).
    end: Option<f64>,
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
            end: None,
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
            end: None,
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
            end: None,
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

    /// The autoscaler metrics recorded (`metric_<name>_seen` columns, after their object's
    /// `<Kind>/<name>/` when several autoscalers had columns), in column order.
    pub(crate) fn metric_names(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter_map(|(n, _)| crate::sim::metric_columns::seen_metric(n))
            .collect()
    }

    /// End of the last row.
    pub(crate) fn end(&self) -> f64 {
        self.end
            .unwrap_or_else(|| self.time.last().map_or(0.0, |t| t + self.step))
    }

    pub(crate) fn rows(&self) -> usize {
        self.time.len()
    }
}

/// Rows the charts of a streamed run keep as they are: a run with no more rows draws exactly as
/// from its whole series; a longer one is kept as groups of rows (see [`ChartRows`]).
pub(crate) const CHART_ROWS: usize = 1 << 15;

/// The columns [`RunData::from_series`] takes from a series, in its order: the always-drawn
/// ones, then those drawn only when not all zero (the last [`OPTIONAL`]).
const FIXED: [&str; 17] = [
    "arrival_rate",
    "capacity_rps",
    "desired_replicas",
    "spec_replicas",
    "ready_pods",
    "starting_pods",
    "terminating_pods",
    "backlog",
    "backlog_age",
    "latency_p50_s",
    "latency_p99_s",
    "dropped",
    "timed_out",
    "unschedulable_pods",
    "nodes_ready",
    "rejected",
    "retries",
];
const OPTIONAL: usize = 4;
/// Per-step counts among [`FIXED`] (the charts draw them per second).
const COUNTS: [&str; 4] = ["dropped", "timed_out", "rejected", "retries"];

/// Row `i` of `s` in the order of [`FIXED`].
fn fixed_values(s: &Series, i: usize) -> [f64; 17] {
    [
        s.arrival_rate[i],
        s.ready_capacity[i],
        s.desired_replicas[i] as f64,
        s.spec_replicas[i] as f64,
        s.ready_pods[i].into(),
        s.starting_pods[i].into(),
        s.terminating_pods[i].into(),
        s.backlog[i] as f64,
        s.backlog_age[i],
        s.latency_p50[i],
        s.latency_p99[i],
        s.dropped[i].into(),
        s.timed_out[i].into(),
        s.unschedulable_pods[i].into(),
        s.nodes_ready[i].into(),
        s.rejected[i].into(),
        s.retries[i].into(),
    ]
}

/// The smallest and largest finite value of a group of rows, and which came first.
#[derive(Debug, Clone, Copy)]
struct Extremes {
    min: f64,
    max: f64,
    min_first: bool,
    any: bool,
}

impl Extremes {
    const NONE: Extremes = Extremes {
        min: f64::NAN,
        max: f64::NAN,
        min_first: true,
        any: false,
    };

    fn add(&mut self, v: f64) {
        if !v.is_finite() {
            return;
        }
        if !self.any {
            *self = Extremes {
                min: v,
                max: v,
                min_first: true,
                any: true,
            };
        } else if v < self.min {
            self.min = v;
            self.min_first = false;
        } else if v > self.max {
            self.max = v;
            self.min_first = true;
        }
    }

    /// The two points of a group: its extremes in the order they came.
    fn points(&self) -> (f64, f64) {
        if self.min_first {
            (self.min, self.max)
        } else {
            (self.max, self.min)
        }
    }

    /// The extremes of a group kept as two points.
    fn of_points(a: f64, b: f64) -> Extremes {
        let mut e = Extremes::NONE;
        e.add(a);
        e.add(b);
        e
    }

    /// The extremes of this group followed by `later`.
    fn then(self, later: Extremes) -> Extremes {
        if !self.any {
            return later;
        }
        if !later.any {
            return self;
        }
        let min_here = self.min <= later.min;
        let max_here = self.max >= later.max;
        Extremes {
            min: if min_here { self.min } else { later.min },
            max: if max_here { self.max } else { later.max },
            min_first: match (min_here, max_here) {
                (true, false) => true,
                (false, true) => false,
                (true, true) => self.min_first,
                (false, false) => later.min_first,
            },
            any: true,
        }
    }
}

/// The value of a recorded series at the end of a row (NaN where there is none).
pub(crate) type ObservedColumn = Box<dyn Fn(usize) -> f64>;

/// At most the two recorded series of a backtest (replicas, p99 latency).
const MAX_OBSERVED: usize = 2;

/// What a streamed run's charts draw, gathered row by row (a [`RowSink`]) in bounded memory:
/// every row while the run has at most [`CHART_ROWS`] (the chart is then the one drawn from the
/// whole series), else each group of rows as two points — its smallest and largest value of
/// each column, in the order they came — with groups doubling in length as the run goes, so
/// no spike is lost and at most [`CHART_ROWS`] points are held.
pub(crate) struct ChartRows {
    step: f64,
    rows: usize,
    /// Rows per group; 1 while every row is kept.
    group: usize,
    time: Vec<f64>,
    /// [`FIXED`] columns, the observed ones, then the extra ones (NaN before they appeared).
    values: Vec<Vec<f64>>,
    /// A backtest's recorded series, by column name: the value at the end of a row.
    observed: Vec<(&'static str, ObservedColumn)>,
    extra: Vec<String>,
    /// The group being filled: its first row and each column's extremes.
    open: Option<(usize, Vec<Extremes>)>,
}

impl ChartRows {
    pub(crate) fn new() -> ChartRows {
        ChartRows {
            step: 1.0,
            rows: 0,
            group: 1,
            time: Vec::new(),
            values: vec![Vec::new(); FIXED.len()],
            observed: Vec::new(),
            extra: Vec::new(),
            open: None,
        }
    }

    /// Also draw a backtest's recorded series `name` ([`OBSERVED_REPLICAS`] or
    /// [`OBSERVED_LATENCY_P99`]), whose value at the end of each row `at` gives (NaN where
    /// there is none), after every other column as [`RunData::with_observed`] adds it. Before
    /// any row is handed over.
    pub(crate) fn with_observed(mut self, name: &'static str, at: ObservedColumn) -> ChartRows {
        debug_assert!(self.time.is_empty() && self.observed.len() < MAX_OBSERVED);
        self.observed.push((name, at));
        self.values.push(Vec::new());
        self
    }

    /// The chart data of the rows handed over, labelled `label`.
    pub(crate) fn into_data(mut self, label: impl Into<String>) -> RunData {
        self.close_group();
        let (step, end) = match self.group {
            1 => (self.step, None),
            g => (
                self.step * g as f64 / 2.0,
                Some(self.rows as f64 * self.step),
            ),
        };
        let scale = step / self.step;
        let mut columns = Vec::with_capacity(self.values.len());
        let mut observed = Vec::with_capacity(self.observed.len());
        let first_extra = FIXED.len() + self.observed.len();
        for (k, v) in self.values.into_iter().enumerate() {
            let name = match FIXED.get(k) {
                Some(n) => n.to_string(),
                None if k < first_extra => {
                    observed.push((self.observed[k - FIXED.len()].0.to_string(), v));
                    continue;
                }
                None => self.extra[k - first_extra].clone(),
            };
            let optional = (FIXED.len() - OPTIONAL..FIXED.len()).contains(&k);
            if optional && !v.iter().any(|&x| x > 0.0) {
                continue;
            }
            let v = match COUNTS.contains(&name.as_str()) && scale != 1.0 {
                true => v.into_iter().map(|x| x * scale).collect(),
                false => v,
            };
            columns.push((name, v));
        }
        columns.extend(observed);
        RunData {
            label: label.into(),
            time: self.time,
            step,
            spacing: step,
            columns,
            end,
        }
    }

    /// Columns for extra columns that first appeared in `s`, NaN so far.
    fn widen(&mut self, s: &Series) {
        for (name, _) in s.extra.iter().skip(self.extra.len()) {
            self.extra.push(name.clone());
            self.values.push(vec![f64::NAN; self.time.len()]);
            if let Some((_, e)) = &mut self.open {
                e.push(Extremes::NONE);
            }
        }
    }

    /// Add the open group's two points.
    fn close_group(&mut self) {
        let Some((first, e)) = self.open.take() else {
            return;
        };
        let t = first as f64 * self.step;
        self.time.push(t);
        self.time.push(t + self.group as f64 * self.step / 2.0);
        for (col, e) in self.values.iter_mut().zip(&e) {
            let (a, b) = e.points();
            col.push(a);
            col.push(b);
        }
    }

    /// Twice as many rows per group: every row kept so far becomes groups of four rows, or
    /// each two groups kept become one.
    fn coarsen(&mut self) {
        let (from, take) = if self.group == 1 { (1, 4) } else { (2, 4) };
        let mut time = Vec::with_capacity(self.time.len() / 2 + 2);
        let mut values: Vec<Vec<f64>> =
            vec![Vec::with_capacity(time.capacity()); self.values.len()];
        let group = if self.group == 1 { 4 } else { self.group * 2 };
        for (k, chunk) in self.time.chunks(take).enumerate() {
            let t = chunk[0];
            time.push(t);
            time.push(t + group as f64 * self.step / 2.0);
            for (c, col) in self.values.iter().enumerate() {
                let part = &col[k * take..(k * take + chunk.len())];
                let e = if from == 1 {
                    part.iter().fold(Extremes::NONE, |mut e, &v| {
                        e.add(v);
                        e
                    })
                } else {
                    part.chunks(2)
                        .map(|p| Extremes::of_points(p[0], p.get(1).copied().unwrap_or(p[0])))
                        .fold(Extremes::NONE, Extremes::then)
                };
                let (a, b) = e.points();
                values[c].push(a);
                values[c].push(b);
            }
        }
        self.time = time;
        self.values = values;
        self.group = group;
    }
}

impl Default for ChartRows {
    fn default() -> Self {
        ChartRows::new()
    }
}

impl crate::record::RowSink for ChartRows {
    fn row(&mut self, s: &Series, row: usize) {
        self.step = s.step;
        self.rows = row + 1;
        self.widen(s);
        let i = s.slot(row);
        let fixed = fixed_values(s, i);
        let mut observed = [f64::NAN; MAX_OBSERVED];
        for (v, (_, at)) in observed.iter_mut().zip(&self.observed) {
            *v = at(row);
        }
        let all = fixed
            .iter()
            .copied()
            .chain(observed.into_iter().take(self.observed.len()))
            .chain(s.extra.iter().map(|(_, c)| c[i]));
        if self.group == 1 {
            if self.time.len() < CHART_ROWS {
                self.time.push(s.time(row));
                for (col, v) in self.values.iter_mut().zip(all) {
                    col.push(v);
                }
                return;
            }
            self.coarsen();
        }
        let group = self.group;
        let columns = FIXED.len() + self.observed.len() + s.extra.len();
        let (first, e) = self
            .open
            .get_or_insert_with(|| (row, vec![Extremes::NONE; columns]));
        for (e, v) in e.iter_mut().zip(all) {
            e.add(v);
        }
        if row + 1 - *first == group {
            self.close_group();
            if self.time.len() + 2 > CHART_ROWS {
                self.coarsen();
            }
        }
    }

    fn late_timeouts(&mut self, row: usize, n: u32) {
        // Kept rows take them exactly; in groups, the row's timeouts are not known any more
        // and the group's largest count stands.
        let k = FIXED.iter().position(|c| *c == "timed_out").unwrap_or(12);
        if self.group == 1
            && let Some(v) = self.values[k].get_mut(row)
        {
            *v += f64::from(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::RowSink;

    /// A series of `rows` rows with every column moving, a spike of drops at `spike`, and an
    /// extra column that appears at row `late_column`.
    fn series(rows: usize, spike: usize, late_column: usize) -> (Series, Series) {
        let mut s = Series::new(rows as f64, 1.0);
        for r in 0..rows {
            s.arrival_rate[r] = (r % 97) as f64 * 0.5;
            s.spec_replicas[r] = (r / 50 % 7) as i32;
            s.ready_pods[r] = (r / 60 % 5) as u32;
            s.backlog[r] = (r % 13) as u64;
            s.latency_p99[r] = if r % 3 == 0 {
                f64::NAN
            } else {
                r as f64 * 1e-3
            };
        }
        s.dropped[spike] = 500;
        s.extra_column("metric_x_seen");
        for r in late_column..rows {
            s.extra[0].1[r] = r as f64;
        }
        let mut narrow = s.clone();
        narrow.extra.clear();
        (s, narrow)
    }

    fn feed(s: &Series, narrow: &Series, late_column: usize) -> ChartRows {
        let mut c = ChartRows::new();
        for r in 0..s.rows {
            c.row(if r < late_column { narrow } else { s }, r);
        }
        c
    }

    /// Up to [`CHART_ROWS`] rows, the charts draw exactly what they draw from the whole
    /// series, a column that appeared late included.
    #[test]
    fn kept_rows_give_the_whole_series_data() {
        let (s, narrow) = series(5000, 1234, 300);
        let data = feed(&s, &narrow, 300).into_data("x");
        let whole = RunData::from_series("x", &s);
        assert_eq!(data.time, whole.time);
        assert_eq!(data.column_names(), whole.column_names());
        for name in whole.column_names() {
            let (a, b) = (data.column(&name).unwrap(), whole.column(&name).unwrap());
            assert!(
                a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()),
                "{name}"
            );
        }
        assert_eq!(data.end(), whole.end());
    }

    /// A longer run is held in at most [`CHART_ROWS`] points that keep every column's range
    /// (a one-step spike too), per second for counts, over the run's whole span.
    #[test]
    fn a_long_run_is_held_in_groups_that_keep_each_range() {
        let rows = 5 * CHART_ROWS + 123;
        let (s, narrow) = series(rows, 77_777, 40_000);
        let data = feed(&s, &narrow, 40_000).into_data("x");
        assert!(data.rows() <= CHART_ROWS, "{}", data.rows());
        assert!(data.rows() >= CHART_ROWS / 4, "{}", data.rows());
        assert_eq!(data.end(), rows as f64);
        let range = |v: &[f64]| {
            let f = v.iter().copied().filter(|x| x.is_finite());
            (
                f.clone().fold(f64::INFINITY, f64::min),
                f.fold(f64::NEG_INFINITY, f64::max),
            )
        };
        let whole = RunData::from_series("x", &s);
        for name in [
            "arrival_rate",
            "spec_replicas",
            "backlog",
            "latency_p99_s",
            "metric_x_seen",
        ] {
            assert_eq!(
                range(data.column(name).unwrap()),
                range(whole.column(name).unwrap()),
                "{name}"
            );
        }
        let drops = data.per_second("dropped").unwrap();
        assert_eq!(range(&drops).1, 500.0, "the spike, per second");
        let t = &data.time;
        assert!(t.windows(2).all(|w| w[1] > w[0]));
    }
}
