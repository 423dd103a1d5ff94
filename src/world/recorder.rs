//! The recorder: what the run measures as it goes — request totals and their outcomes, the
//! per-step time series, latency and wait distributions, the per-step latency quantiles and
//! the Prometheus latency histogram an exporter would expose. The world writes here when a
//! request arrives, finishes, times out or is dropped, and at every sample; `sim` reads it and
//! takes it at the end of the run.

use crate::record::{
    Distribution, DropReason, PromHistogram, RequestTotals, Series, StepLatencies,
};

/// The run's measurements.
pub(crate) struct Recorder {
    pub(super) totals: RequestTotals,
    pub(super) series: Series,
    pub(super) step_latencies: StepLatencies,
    pub(super) latency: Distribution,
    pub(super) wait: Distribution,
    /// Cumulative latency histogram with Prometheus' default buckets (what an exporter exposes).
    pub(super) latency_buckets: PromHistogram,
    /// Whether a metric backend reads `latency_buckets`; when none does, recording them is
    /// skipped (it costs ~5 % of a request's simulation).
    pub(super) record_latency_buckets: bool,
}

/// What the recorder hands over at the end of a run.
pub(crate) struct Records {
    pub(crate) series: Series,
    pub(crate) totals: RequestTotals,
    pub(crate) latency: Distribution,
    pub(crate) wait: Distribution,
}

impl Recorder {
    pub(super) fn new(duration: f64, step: f64) -> Recorder {
        Recorder {
            totals: RequestTotals::default(),
            series: Series::new(duration, step),
            step_latencies: StepLatencies::default(),
            latency: Distribution::new(),
            wait: Distribution::new(),
            latency_buckets: PromHistogram::default(),
            record_latency_buckets: true,
        }
    }

    /// Request totals so far.
    pub(crate) fn totals(&self) -> &RequestTotals {
        &self.totals
    }

    /// The per-step time series.
    pub(crate) fn series(&self) -> &Series {
        &self.series
    }

    /// The series, for columns the simulation fills itself (desired replicas, metric columns).
    pub(crate) fn series_mut(&mut self) -> &mut Series {
        &mut self.series
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
    }

    /// Skip the per-step latency quantiles (the series' p50/p99 columns) for a run whose
    /// summary is all that is wanted.
    pub(crate) fn skip_step_latencies(&mut self) {
        self.step_latencies.off = true;
    }

    /// Close the step latencies of every row before the current one into the series.
    pub(super) fn close_step_latencies(&mut self) {
        self.step_latencies.close(&mut self.series);
    }

    /// A request served at `now` after `latency` seconds (request level).
    #[inline]
    pub(super) fn served(&mut self, now: f64, latency: f64) {
        self.totals.served += 1;
        let row = self.series.row(now);
        self.series.served[row] += 1;
        self.latency.record(latency);
        if self.record_latency_buckets {
            self.latency_buckets.record(latency);
        }
        self.step_latencies.push(row, latency, &mut self.series);
    }

    /// A request waited `wait` seconds before its service began (request level).
    #[inline]
    pub(super) fn waited(&mut self, wait: f64) {
        self.wait.record(wait);
    }

    /// `n` requests served at `t` (flow level), each with this latency and wait.
    pub(super) fn served_n(&mut self, t: f64, latency: f64, wait: f64, n: u64) {
        self.totals.served += n;
        let row = self.series.row(t);
        self.series.served[row] += n as u32;
        self.latency.record_n(latency, n);
        self.wait.record_n(wait, n);
        if self.record_latency_buckets {
            self.latency_buckets.record_n(latency, n);
        }
        self.step_latencies
            .push_n(row, latency, n, &mut self.series);
    }

    /// `n` requests whose client gave up at `deadline`.
    pub(super) fn time_out_n(&mut self, deadline: f64, n: u64) {
        self.totals.timed_out += n;
        let row = self.series.row(deadline);
        self.series.timed_out[row] += n as u32;
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
        let row = self.series.row(now);
        self.series.dropped[row] += n as u32;
    }

    /// Hand the measurements over at the end of the run.
    pub(crate) fn into_records(self) -> Records {
        Records {
            series: self.series,
            totals: self.totals,
            latency: self.latency,
            wait: self.wait,
        }
    }
}
