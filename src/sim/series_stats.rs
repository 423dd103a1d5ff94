//! What the summary and the verdict need from a run's time series, gathered row by row as rows
//! become final ([`SeriesStats`] is a [`RowSink`]), so that a run need not keep its rows: sums,
//! extremes and the worst moments, and per row only three flags (lossy or growing backlog,
//! pods waiting for a node, pods starting) and the requests lost in rows that lost any. Each
//! figure is computed in the same order and with the same operations as over the whole series,
//! so it is the same to the bit.

use crate::record::{RowSink, Series};

/// A request was dropped or timed out in the row, or its backlog grew while its oldest request
/// had waited a step (see [`super::summary::overload_seconds`]).
const LOSS_OR_GROWTH: u8 = 1;
/// Pods waited for a node at the end of the row.
const UNSCHEDULABLE: u8 = 2;
/// Pods were starting at the end of the row.
const STARTING: u8 = 4;

/// The series' figures, row by row.
#[derive(Debug, Clone)]
pub(crate) struct SeriesStats {
    pub(crate) step: f64,
    /// Rows of the run.
    pub(crate) rows: usize,
    flags: Vec<u8>,
    /// (row, dropped + timed out) of each row that lost requests, in row order.
    lost: Vec<(u32, u64)>,
    previous_backlog: u64,
    pub(crate) spec_min: Option<i32>,
    pub(crate) spec_max: Option<i32>,
    pub(crate) spec_sum: f64,
    pub(crate) ready_sum: f64,
    pub(crate) backlog_max: u64,
    pub(crate) backlog_sum: f64,
    pub(crate) backlog_age_max: f64,
    pub(crate) nodes_min: Option<u32>,
    pub(crate) nodes_max: Option<u32>,
    pub(crate) nodes_sum: f64,
    /// Highest per-step p99 (first reached), row.
    pub(crate) worst_p99: Option<(f64, usize)>,
    /// Largest backlog (first reached), row; (0, 0) when nothing ever waited.
    pub(crate) worst_backlog: (u64, usize),
    /// (backlog age, backlog) at the end of the last row.
    pub(crate) last: (f64, u64),
}

impl SeriesStats {
    /// Nothing gathered yet, for a series of `rows` rows of `step` seconds.
    pub(crate) fn new(rows: usize, step: f64) -> SeriesStats {
        SeriesStats {
            step,
            rows,
            flags: Vec::new(),
            lost: Vec::new(),
            previous_backlog: 0,
            spec_min: None,
            spec_max: None,
            // The start of `Iterator::sum` for f64.
            spec_sum: -0.0,
            ready_sum: -0.0,
            backlog_max: 0,
            backlog_sum: -0.0,
            backlog_age_max: 0.0,
            nodes_min: None,
            nodes_max: None,
            nodes_sum: -0.0,
            worst_p99: None,
            worst_backlog: (0, 0),
            last: (0.0, 0),
        }
    }

    /// The figures of a whole series (every row held).
    #[cfg(test)]
    pub(crate) fn of(s: &Series) -> SeriesStats {
        let mut stats = SeriesStats::new(s.rows, s.step);
        for row in s.base..s.base + s.held() {
            stats.row(s, row);
        }
        stats
    }

    /// Start of row `row`, seconds.
    pub(crate) fn time(&self, row: usize) -> f64 {
        row as f64 * self.step
    }

    /// Whether requests were lost in row `row` or its backlog grew with old requests.
    pub(crate) fn loss_or_growth(&self, row: usize) -> bool {
        self.flag(row, LOSS_OR_GROWTH)
    }

    pub(crate) fn unschedulable(&self, row: usize) -> bool {
        self.flag(row, UNSCHEDULABLE)
    }

    pub(crate) fn starting(&self, row: usize) -> bool {
        self.flag(row, STARTING)
    }

    fn flag(&self, row: usize, f: u8) -> bool {
        self.flags.get(row).is_some_and(|v| v & f != 0)
    }

    /// The row that lost the most requests (the first of them) and how many; (0, 0) when
    /// none lost any.
    pub(crate) fn worst_lost(&self) -> (u64, usize) {
        let mut worst = (0, 0);
        for &(row, l) in &self.lost {
            if l > worst.0 {
                worst = (l, row as usize);
            }
        }
        worst
    }
}

impl RowSink for SeriesStats {
    fn row(&mut self, s: &Series, row: usize) {
        let i = s.slot(row);
        debug_assert_eq!(row, self.flags.len(), "rows are handed over in order");
        let backlog = s.backlog[i];
        let growing = backlog > self.previous_backlog && s.backlog_age[i] >= s.step;
        self.previous_backlog = backlog;
        let lost = u64::from(s.dropped[i]) + u64::from(s.timed_out[i]);
        let mut f = 0;
        if lost > 0 || growing {
            f |= LOSS_OR_GROWTH;
        }
        if s.unschedulable_pods[i] > 0 {
            f |= UNSCHEDULABLE;
        }
        if s.starting_pods[i] > 0 {
            f |= STARTING;
        }
        self.flags.push(f);
        if lost > 0 {
            self.lost.push((row as u32, lost));
        }
        let spec = s.spec_replicas[i];
        self.spec_min = Some(self.spec_min.map_or(spec, |m| m.min(spec)));
        self.spec_max = Some(self.spec_max.map_or(spec, |m| m.max(spec)));
        self.spec_sum += spec as f64;
        self.ready_sum += s.ready_pods[i] as f64;
        self.backlog_max = self.backlog_max.max(backlog);
        self.backlog_sum += backlog as f64;
        self.backlog_age_max = self.backlog_age_max.max(s.backlog_age[i]);
        let nodes = s.nodes[i];
        self.nodes_min = Some(self.nodes_min.map_or(nodes, |m| m.min(nodes)));
        self.nodes_max = Some(self.nodes_max.map_or(nodes, |m| m.max(nodes)));
        self.nodes_sum += nodes as f64;
        let p99 = s.latency_p99[i];
        if p99.is_finite() && self.worst_p99.is_none_or(|(w, _)| p99 > w) {
            self.worst_p99 = Some((p99, row));
        }
        if backlog > self.worst_backlog.0 {
            self.worst_backlog = (backlog, row);
        }
        self.last = (s.backlog_age[i], backlog);
    }

    fn late_timeouts(&mut self, row: usize, n: u32) {
        if n == 0 {
            return;
        }
        if let Some(f) = self.flags.get_mut(row) {
            *f |= LOSS_OR_GROWTH;
        }
        let key = row as u32;
        match self.lost.binary_search_by_key(&key, |&(r, _)| r) {
            Ok(k) => self.lost[k].1 += u64::from(n),
            Err(k) => self.lost.insert(k, (key, u64::from(n))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Late timeouts give the figures of the series with them in place.
    #[test]
    fn late_timeouts_count_as_if_in_place() {
        let mut s = Series::new(6.0, 1.0);
        s.timed_out[4] = 2;
        s.dropped[1] = 3;
        let whole = SeriesStats::of(&s);
        let mut late = s.clone();
        late.timed_out[4] = 0;
        let mut stats = SeriesStats::of(&late);
        assert!(!stats.loss_or_growth(4));
        stats.late_timeouts(4, 2);
        assert!(stats.loss_or_growth(4));
        assert_eq!(stats.worst_lost(), whole.worst_lost());
        assert_eq!(stats.worst_lost(), (3, 1));
        stats.late_timeouts(1, 0);
        stats.late_timeouts(4, 2);
        assert_eq!(stats.worst_lost(), (4, 4));
    }
}
