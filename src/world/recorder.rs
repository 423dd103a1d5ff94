//! The recorder: what the run measures as it goes — request totals and their outcomes, the
//! per-step time series, latency and wait distributions, the per-step latency quantiles and
//! the Prometheus latency histogram an exporter would expose. The world writes here when a
//! request arrives, finishes, times out or is dropped, and at every sample; `sim` reads it and
//! takes it at the end of the run.

use crate::record::{
    Distribution, DropReason, PromHistogram, RequestTotals, RowCache, RowHistograms, RowSink,
    RowTally, Series, StepLatencies,
};

/// The run's measurements.
pub(crate) struct Recorder {
    pub(super) totals: RequestTotals,
    pub(super) series: Series,
    /// The row of the latest flow-level completion, timeout or drop lookup (see [`RowCache`]).
    at: RowCache,
    /// Request-level arrivals of the row of the latest one, not yet in the `arrivals` column
    /// (see [`RowTally`]).
    arrivals_at: RowTally,
    /// Request-level completions of the row of the latest one, not yet in the `served` column.
    /// While a completion holds in its row, that row is the step latencies' row, and no
    /// histograms per row are kept (see [`Recorder::served`]).
    served_at: RowTally,
    /// Whether a request-level completion records nothing but its counts, its latency in
    /// `latency` and in the step latencies (no Prometheus histogram, step latencies on).
    served_plain: bool,
    pub(super) step_latencies: StepLatencies,
    pub(super) latency: Distribution,
    pub(super) wait: Distribution,
    /// Cumulative latency histogram with Prometheus' default buckets (what an exporter exposes).
    pub(super) latency_buckets: PromHistogram,
    /// Whether a metric backend reads `latency_buckets`; when none does, recording them is
    /// skipped (it costs ~5 % of a request's simulation).
    pub(super) record_latency_buckets: bool,
    /// The latency histogram of each row, kept only for the OpenMetrics export
    /// (see [`Recorder::keep_row_histograms`]).
    row_histograms: Option<RowHistograms>,
    /// Rows before this one have been handed to the row sinks (see [`Recorder::hand_over`]).
    handed: usize,
    /// Streamed rows only (see [`Recorder::stream_rows`]): rows kept behind the last one
    /// sampled, and room kept ahead of it, when rows are handed over.
    window: Option<Window>,
    /// Timeouts that fell in rows already handed over, by row, not yet passed on.
    late: Vec<(usize, u32)>,
}

/// How a streamed series' window moves.
#[derive(Debug, Clone, Copy)]
struct Window {
    behind: usize,
    ahead: usize,
}

/// What the recorder hands over at the end of a run.
pub(crate) struct Records {
    pub(crate) series: Series,
    pub(crate) totals: RequestTotals,
    pub(crate) latency: Distribution,
    pub(crate) wait: Distribution,
    pub(crate) row_histograms: Option<RowHistograms>,
}

impl Recorder {
    pub(super) fn new(duration: f64, step: f64) -> Recorder {
        Recorder {
            totals: RequestTotals::default(),
            series: Series::new(duration, step),
            at: RowCache::default(),
            arrivals_at: RowTally::default(),
            served_at: RowTally::default(),
            served_plain: false,
            step_latencies: StepLatencies::default(),
            latency: Distribution::new(),
            wait: Distribution::new(),
            latency_buckets: PromHistogram::default(),
            record_latency_buckets: true,
            row_histograms: None,
            handed: 0,
            window: None,
            late: Vec::new(),
        }
    }

    /// Hold only a window of recent rows instead of the whole series: rows are handed over
    /// (see [`Recorder::hand_over_due`]) once at least `behind` rows have been sampled after
    /// them — later outcomes (a timeout found late) land in earlier rows, as may flow-level
    /// outcomes up to `ahead` rows past the one sampled. Call before anything is recorded.
    pub(crate) fn stream_rows(&mut self, behind: usize, ahead: usize) {
        let (rows, step) = (self.series.rows, self.series.step);
        // Rows are handed over `behind` rows at a time, so a row is moved once on average.
        let held = 2 * behind + ahead + 2;
        self.take_row_counts();
        self.series = Series::windowed(rows, step, held);
        self.at.reset();
        self.leave_rows();
        self.window = Some(Window { behind, ahead });
    }

    /// After row `sampled` is complete: the rows to hand over now, up to (not including) the
    /// returned row, when the window needs room for the rows ahead (streamed rows only).
    pub(crate) fn hand_over_due(&self, sampled: usize) -> Option<usize> {
        let w = self.window?;
        let end = self.series.base + self.series.held();
        (sampled + w.ahead + 1 >= end && self.series.held() < self.series.rows)
            .then(|| (sampled + 1).saturating_sub(w.behind))
            .filter(|&upto| upto > self.handed)
    }

    /// Hand rows `handed..upto` to `sinks` in order (each row's latency histogram first, when
    /// kept), then the late timeouts found so far, and drop those rows from a streamed series.
    pub(crate) fn hand_over(&mut self, upto: usize, sinks: &mut [&mut dyn RowSink]) {
        let upto = upto.min(self.series.rows);
        self.take_row_counts();
        for row in self.handed..upto {
            if let Some(h) = &self.row_histograms {
                let (histogram, sum) = h.get(row);
                for sink in sinks.iter_mut() {
                    sink.row_histogram(row, &histogram, sum);
                }
            }
            for sink in sinks.iter_mut() {
                sink.row(&self.series, row);
            }
        }
        self.handed = self.handed.max(upto);
        for (row, n) in self.late.drain(..) {
            for sink in sinks.iter_mut() {
                sink.late_timeouts(row, n);
            }
        }
        if self.window.is_some() {
            self.series.drop_before(self.handed);
            self.at.reset();
            self.leave_rows();
            if let Some(h) = &mut self.row_histograms {
                h.drop_before(self.handed);
            }
        }
    }

    /// Request totals so far.
    pub(crate) fn totals(&self) -> &RequestTotals {
        &self.totals
    }

    /// The per-step time series. The request-level `arrivals` and `served` of the row being
    /// filled may lag until it is sampled ([`Self::close_step_latencies`]): every row sampled
    /// is complete.
    pub(crate) fn series(&self) -> &Series {
        &self.series
    }

    /// The series, for columns the simulation fills itself (desired replicas, metric columns).
    pub(crate) fn series_mut(&mut self) -> &mut Series {
        self.take_row_counts();
        &mut self.series
    }

    /// Add the request-level arrivals and completions counted in their rows (see
    /// [`RowTally`]) to the series' columns.
    fn take_row_counts(&mut self) {
        self.arrivals_at.add_to(&mut self.series.arrivals);
        self.served_at.add_to(&mut self.series.served);
    }

    /// Leave the rows of the request-level counts (their counts taken): the series' rows
    /// moved, or it was replaced.
    fn leave_rows(&mut self) {
        self.arrivals_at.leave();
        self.served_at.leave();
    }

    /// Whether a completion records nothing but its counts, latency and step latency.
    fn set_served_plain(&mut self) {
        self.served_plain = !self.record_latency_buckets
            && self.row_histograms.is_none()
            && !self.step_latencies.off;
    }

    /// Latencies of served requests.
    pub(crate) fn latency(&self) -> &Distribution {
        &self.latency
    }

    /// Waits (queueing before service) of served requests.
    pub(crate) fn wait(&self) -> &Distribution {
        &self.wait
    }

    /// The cumulative latency histogram (Prometheus' default buckets).
    pub(crate) fn latency_buckets(&self) -> PromHistogram {
        self.latency_buckets
    }

    /// Record the latency histogram only when something reads it.
    pub(crate) fn record_latency_buckets(&mut self, on: bool) {
        self.record_latency_buckets = on;
        self.set_served_plain();
    }

    /// Keep the latency histogram of every row (for `run --export openmetrics`).
    pub(crate) fn keep_row_histograms(&mut self) {
        self.row_histograms = Some(RowHistograms::default());
        self.set_served_plain();
    }

    /// Skip the per-step latency quantiles (the series' p50/p99 columns) for a run whose
    /// summary is all that is wanted.
    pub(crate) fn skip_step_latencies(&mut self) {
        self.step_latencies.off = true;
        self.set_served_plain();
    }

    /// Close the step latencies of every row before the current one into the series, and
    /// bring the request counts of the row being filled into it: the row is being sampled.
    pub(super) fn close_step_latencies(&mut self) {
        self.take_row_counts();
        self.step_latencies.close(&mut self.series);
    }

    /// A request served at `now` after `latency` seconds (request level). Always inlined: it
    /// runs at every completion. When it lands in the row of the one before (the common
    /// case), one comparison finds that it counts in `served_at` and that its latency goes to
    /// the step latencies' row as it is ([`Self::enter_served_row`]).
    #[inline(always)]
    pub(super) fn served(&mut self, now: f64, latency: f64) {
        self.totals.served += 1;
        if !self.served_at.holds(now) {
            self.enter_served_row(now);
        }
        self.served_at.count_one();
        self.latency.record(latency);
        if self.served_plain {
            self.step_latencies.push_in_row(latency);
        } else {
            self.served_extras(latency);
        }
    }

    /// Make the row of a completion at `now` the one `served_at` counts in (the count of the
    /// one before added to the column) and the step latencies' row (the one before closed).
    #[inline(never)]
    fn enter_served_row(&mut self, now: f64) {
        self.served_at.add_to(&mut self.series.served);
        let (row, _) = self.served_at.enter(&self.series, now);
        self.step_latencies.enter_row(row, &mut self.series);
    }

    /// What a completion records besides its counts and latency when that is not only its
    /// step latency: its Prometheus bucket, its row's histogram, its step latency when on.
    #[inline(never)]
    fn served_extras(&mut self, latency: f64) {
        if self.record_latency_buckets {
            self.latency_buckets.record(latency);
        }
        if let Some(h) = &mut self.row_histograms {
            h.record_n(self.served_at.row(), latency, 1);
        }
        if !self.step_latencies.off {
            self.step_latencies.push_in_row(latency);
        }
    }

    /// A request arrived at `now` (request level). When it lands in the row of the one before
    /// (the common case), it is counted in `arrivals_at`.
    #[inline(always)]
    pub(super) fn arrived(&mut self, now: f64) {
        self.totals.arrived += 1;
        if !self.arrivals_at.holds(now) {
            self.enter_arrivals_row(now);
        }
        self.arrivals_at.count_one();
    }

    /// Make the row of an arrival at `now` the one `arrivals_at` counts in (the count of the
    /// one before added to the column).
    #[inline(never)]
    fn enter_arrivals_row(&mut self, now: f64) {
        self.arrivals_at.add_to(&mut self.series.arrivals);
        self.arrivals_at.enter(&self.series, now);
    }

    /// A request waited `wait` seconds before its service began (request level).
    #[inline]
    pub(super) fn waited(&mut self, wait: f64) {
        self.wait.record(wait);
    }

    /// A request waited no time at all before its service began (request level):
    /// [`Self::waited`] of a zero.
    #[inline]
    pub(super) fn waited_zero(&mut self) {
        self.wait.record_zero();
    }

    /// `n` requests served at `t` (flow level), each with this latency and wait.
    pub(super) fn served_n(&mut self, t: f64, latency: f64, wait: f64, n: u64) {
        self.wait.record_n(wait, n);
        self.served_latency_n(t, latency, n);
    }

    /// `n` requests that waited `wait` seconds (flow level): their latencies are recorded by
    /// [`Self::served_latency_n`].
    pub(super) fn waited_n(&mut self, wait: f64, n: u64) {
        self.wait.record_n(wait, n);
    }

    /// `n` requests served at `t` (flow level) with this latency, their wait recorded apart
    /// ([`Self::waited_n`]): one batch of [`Self::served_latencies_n`].
    #[inline]
    pub(super) fn served_latency_n(&mut self, t: f64, latency: f64, n: u64) {
        self.served_latencies_n(t, &[(latency, n)]);
    }

    /// Batches of requests served at `t` (flow level), each (latency, how many): each recorded
    /// in the run's latency histograms, the row's count and the row's p50/p99, the row found
    /// once (every pod's batches of an interval land in the same row: the cache answers).
    pub(super) fn served_latencies_n(&mut self, t: f64, batches: &[(f64, u64)]) {
        let (row, i) = self.at.locate(&self.series, t);
        // The row's quantiles take every batch (the row entered once, closing the one before
        // as the first push would); the run's histograms, and the exporter's when read, too.
        // Each keeps its own order, so one pass records what a pass per record did.
        let quantiles = !batches.is_empty() && self.step_latencies.enter_row(row, &mut self.series);
        if quantiles && row != self.served_at.row() {
            // The step latencies' row moved from the request-level completions' row.
            self.served_at.add_to(&mut self.series.served);
            self.served_at.leave();
        }
        if quantiles {
            self.step_latencies.push_batches_in_row(batches);
        }
        let buckets = self.record_latency_buckets;
        let mut served = 0u64;
        for &(latency, n) in batches {
            served += n;
            self.latency.record_n(latency, n);
            if buckets {
                self.latency_buckets.record_n(latency, n);
            }
        }
        self.totals.served += served;
        // Each batch's count added as a u32 in turn: the same as their sum's.
        self.series.served[i] = self.series.served[i].wrapping_add(served as u32);
        if let Some(h) = &mut self.row_histograms {
            for &(latency, n) in batches {
                h.record_n(row, latency, n);
            }
        }
    }

    /// `n` requests whose client gave up at `deadline`.
    pub(super) fn time_out_n(&mut self, deadline: f64, n: u64) {
        self.totals.timed_out += n;
        let row = self.series.row(deadline);
        if row < self.handed {
            match self.late.last_mut() {
                Some((r, m)) if *r == row => *m += n as u32,
                _ => self.late.push((row, n as u32)),
            }
        } else {
            let i = self.series.slot(row);
            self.series.timed_out[i] += n as u32;
        }
    }

    /// `n` requests dropped at `now` for `reason`.
    pub(super) fn drop_requests(&mut self, now: f64, reason: DropReason, n: u64) {
        if n == 0 {
            return;
        }
        self.totals.dropped += n;
        match reason {
            DropReason::NoEndpoints => self.totals.dropped_no_endpoints += n,
            DropReason::RefusedTerminating => self.totals.dropped_refused_terminating += n,
            DropReason::KilledOnShutdown => self.totals.dropped_killed_on_shutdown += n,
            DropReason::Rejected => self.totals.dropped_rejected += n,
            DropReason::Restarted => self.totals.dropped_restarted += n,
        }
        let i = self.series.slot_at(now);
        self.series.dropped[i] += n as u32;
    }

    /// Hand the measurements over at the end of the run.
    pub(crate) fn into_records(mut self) -> Records {
        self.take_row_counts();
        Records {
            series: self.series,
            totals: self.totals,
            latency: self.latency,
            wait: self.wait,
            row_histograms: self.row_histograms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{Just, Strategy as _};

    /// One request-level event for [`request_level_records_as_the_lookups_did`].
    #[derive(Debug, Clone, Copy)]
    enum Event {
        Arrived,
        Served(f64),
        Sample,
    }

    proptest::proptest! {
        /// Arrivals and completions counted in their rows' tallies, the completions' latencies
        /// pushed into the step latencies' row as it is, record what a row lookup per request
        /// recorded: the `arrivals` and `served` columns (each row's count once the row is
        /// sampled), the totals, the latency distribution, the per-step p50/p99, the
        /// Prometheus histogram and each row's histogram — for instants that mostly move
        /// forward, sometimes back, sometimes negative or NaN.
        #[test]
        fn request_level_records_as_the_lookups_did(
            events in proptest::collection::vec(
                (
                    proptest::prop_oneof![
                        8 => 0.0f64..3.0,
                        1 => -20.0f64..0.0,
                        1 => proptest::sample::select(vec![f64::NAN, -0.0, 0.0, 5.0, 1e9, f64::INFINITY]),
                    ],
                    proptest::prop_oneof![
                        4 => Just(Event::Arrived),
                        4 => (0.0f64..30.0).prop_map(Event::Served),
                        1 => Just(Event::Sample),
                    ],
                ),
                0..300,
            ),
            buckets in proptest::bool::ANY,
            row_histograms in proptest::bool::ANY,
            off in proptest::bool::weighted(0.2),
        ) {
            let mut r = Recorder::new(200.0, 5.0);
            r.record_latency_buckets(buckets);
            if row_histograms {
                r.keep_row_histograms();
            }
            if off {
                r.skip_step_latencies();
            }
            // The reference: a lookup per request into a series of its own.
            let mut series = Series::new(200.0, 5.0);
            let mut steps = StepLatencies::default();
            steps.off = off;
            let (mut latency, mut prom) = (Distribution::new(), PromHistogram::default());
            let mut rows = RowHistograms::default();
            let mut t = 0.0;
            for &(dt, event) in &events {
                t = if dt.is_nan() || dt <= 0.0 || dt > 100.0 { dt } else { t + dt };
                match event {
                    Event::Arrived => {
                        r.arrived(t);
                        let i = series.slot_at(t);
                        series.arrivals[i] += 1;
                    }
                    Event::Served(l) => {
                        r.served(t, l);
                        let row = series.row(t);
                        let i = series.slot(row);
                        series.served[i] += 1;
                        latency.record(l);
                        if buckets {
                            prom.record(l);
                        }
                        if row_histograms {
                            rows.record_n(row, l, 1);
                        }
                        steps.push(row, l, &mut series);
                    }
                    Event::Sample => {
                        r.close_step_latencies();
                        steps.close(&mut series);
                        proptest::prop_assert_eq!(&r.series.arrivals, &series.arrivals);
                        proptest::prop_assert_eq!(&r.series.served, &series.served);
                    }
                }
            }
            r.close_step_latencies();
            steps.close(&mut series);
            let records = format!(
                "{:?} {:?} {:?} {:?} {:?}",
                r.latency, r.latency_buckets, r.row_histograms, r.series.latency_p50, r.series.latency_p99
            );
            let reference = format!(
                "{:?} {:?} {:?} {:?} {:?}",
                latency,
                prom,
                row_histograms.then_some(rows),
                series.latency_p50,
                series.latency_p99
            );
            proptest::prop_assert_eq!(records, reference);
            let served = events.iter().filter(|e| matches!(e.1, Event::Served(_))).count();
            let arrived = events.iter().filter(|e| matches!(e.1, Event::Arrived)).count();
            proptest::prop_assert_eq!((r.totals.arrived, r.totals.served), (arrived as u64, served as u64));
            let records = r.into_records();
            proptest::prop_assert_eq!(&records.series.arrivals, &series.arrivals);
            proptest::prop_assert_eq!(&records.series.served, &series.served);
        }
    }

    proptest::proptest! {
        /// Recording a step's batches in one call records what one call per batch records:
        /// totals, the row's served count and quantiles, the run's distribution, the
        /// Prometheus histogram and the row's histogram.
        #[test]
        fn batched_latencies_record_as_one_call_each(
            steps in proptest::collection::vec(
                (0.0f64..30.0, proptest::collection::vec((0.0f64..12.0, 0u64..5_000), 0..13)),
                1..8,
            ),
        ) {
            let fresh = || {
                let mut r = Recorder::new(60.0, 5.0);
                r.keep_row_histograms();
                r
            };
            let (mut one_by_one, mut batched) = (fresh(), fresh());
            let mut t = 0.0;
            for (gap, batches) in &steps {
                t += gap;
                let batches: Vec<(f64, u64)> =
                    batches.iter().copied().filter(|&(_, n)| n > 0).collect();
                for &(latency, n) in &batches {
                    one_by_one.served_latency_n(t, latency, n);
                }
                batched.served_latencies_n(t, &batches);
            }
            one_by_one.close_step_latencies();
            batched.close_step_latencies();
            let seen = |r: &Recorder| {
                format!(
                    "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                    r.totals,
                    r.series.served,
                    r.series.latency_p50,
                    r.series.latency_p99,
                    r.latency,
                    r.latency_buckets,
                    r.row_histograms,
                    r.step_latencies,
                )
            };
            proptest::prop_assert_eq!(seen(&one_by_one), seen(&batched));
        }
    }
}
