//! What a run records as it goes: the per-step time series (streamed into fixed arrays indexed
//! by step, so late-discovered outcomes such as a timeout land in the step they happened), the
//! whole-run request totals, and latency/wait distributions.

use serde::Serialize;

/// Why a request was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DropReason {
    /// No Ready endpoint to send it to (http).
    NoEndpoints,
    /// Sent to a pod that had already received SIGTERM and closed its listener.
    RefusedTerminating,
    /// Still queued or in service when the pod was killed at the end of its grace period.
    KilledOnShutdown,
    /// Answered 503 at once: the pod already held `workload.max_queue` waiting requests.
    Rejected,
    /// In flight (or refused) when a failed liveness probe restarted the pod's container.
    Restarted,
}

/// Whole-run request counts. Conserved over *unique* requests: arrived = served + dropped +
/// timed_out + in_flight_end, where a client's retry is not a new arrival and each request is
/// counted once, by the outcome of its last attempt (a request waiting for its retry at the end
/// is in flight). `retries` and `rejected` count attempts.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RequestTotals {
    pub arrived: u64,
    pub served: u64,
    pub dropped: u64,
    pub timed_out: u64,
    pub in_flight_end: u64,
    pub(crate) dropped_no_endpoints: u64,
    pub(crate) dropped_refused_terminating: u64,
    pub(crate) dropped_killed_on_shutdown: u64,
    /// Requests whose last attempt was answered 503 by a full pod queue (`workload.max_queue`).
    pub dropped_rejected: u64,
    /// Requests lost to (or refused by) a container restarted by its liveness probe.
    pub dropped_restarted: u64,
    /// Queue messages whose worker was killed and that went back to the backlog (counted once).
    pub redelivered: u64,
    /// Retry attempts clients sent (`workload.retries`); attempts = arrived + retries.
    pub retries: u64,
    /// Attempts answered 503 by a full pod queue, whether or not the client retried them.
    pub rejected: u64,
}

/// Per-step series, one row per `step` seconds of simulated time.
///
/// It holds rows `base .. base + held` of the run's `rows` (every row, `base` 0, unless the run
/// streams its rows: then a window of recent rows, see [`Series::windowed`]). Rows are numbered
/// from the start of the run ([`Series::row`]); a row's values are at index [`Series::slot`] of
/// each column.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub step: f64,
    inv_step: f64,
    pub rows: usize,
    /// The first row held.
    pub(crate) base: usize,
    pub arrival_rate: Vec<f64>,
    pub(crate) arrivals: Vec<u32>,
    pub served: Vec<u32>,
    pub dropped: Vec<u32>,
    pub timed_out: Vec<u32>,
    pub desired_replicas: Vec<i32>,
    pub spec_replicas: Vec<i32>,
    pub ready_pods: Vec<u32>,
    pub starting_pods: Vec<u32>,
    pub terminating_pods: Vec<u32>,
    pub(crate) cpu_cores: Vec<f64>,
    pub cpu_utilization: Vec<f64>,
    pub backlog: Vec<u64>,
    /// Ready pods × one pod's nominal throughput (requests/s), at the end of the step.
    pub ready_capacity: Vec<f64>,
    pub(crate) in_flight: Vec<u64>,
    pub latency_p50: Vec<f64>,
    pub latency_p99: Vec<f64>,
    /// Age of the oldest waiting request (not yet in service) at the end of the step, seconds;
    /// 0 when nothing waits.
    pub backlog_age: Vec<f64>,
    /// Pods created but not placed on any node (no node has room), at the end of the step.
    pub unschedulable_pods: Vec<u32>,
    /// Nodes that exist (provisioning, ready or draining: billed) / that are Ready, at the end
    /// of the step (0 without `cluster.nodes`).
    pub(crate) nodes: Vec<u32>,
    pub(crate) nodes_ready: Vec<u32>,
    /// Retry attempts sent by clients in the step.
    pub retries: Vec<u32>,
    /// Attempts answered 503 (pod queue full) in the step.
    pub(crate) rejected: Vec<u32>,
    /// Container restarts (failed liveness probes) in the step.
    pub(crate) restarts: Vec<u32>,
    /// Seconds pods spent stalled by their CFS quota in the step, summed over pods.
    pub throttled_s: Vec<f64>,
    /// Autoscaler metric(s) as the controller saw them at its last sync in the step, by name.
    pub extra: Vec<(String, Vec<f64>)>,
}

/// Apply `$m!(column, initial value)` to every fixed column of a [`Series`].
macro_rules! each_column {
    ($s:expr, $m:ident) => {{
        let s = $s;
        $m!(s.arrival_rate, 0.0);
        $m!(s.arrivals, 0);
        $m!(s.served, 0);
        $m!(s.dropped, 0);
        $m!(s.timed_out, 0);
        $m!(s.desired_replicas, 0);
        $m!(s.spec_replicas, 0);
        $m!(s.ready_pods, 0);
        $m!(s.starting_pods, 0);
        $m!(s.terminating_pods, 0);
        $m!(s.cpu_cores, 0.0);
        $m!(s.cpu_utilization, f64::NAN);
        $m!(s.backlog, 0);
        $m!(s.ready_capacity, 0.0);
        $m!(s.in_flight, 0);
        $m!(s.latency_p50, f64::NAN);
        $m!(s.latency_p99, f64::NAN);
        $m!(s.backlog_age, 0.0);
        $m!(s.unschedulable_pods, 0);
        $m!(s.nodes, 0);
        $m!(s.nodes_ready, 0);
        $m!(s.retries, 0);
        $m!(s.rejected, 0);
        $m!(s.restarts, 0);
        $m!(s.throttled_s, 0.0);
    }};
}

impl Series {
    pub fn new(duration: f64, step: f64) -> Series {
        let rows = ((duration / step).ceil() as usize).max(1);
        Series::windowed(rows, step, rows)
    }

    /// A series of `rows` rows that holds at most `held` of them at once (all when `held` is
    /// at least `rows`): rows handed over are dropped with [`Series::drop_before`].
    pub(crate) fn windowed(rows: usize, step: f64, held: usize) -> Series {
        let rows = rows.max(1);
        let held = held.clamp(1, rows);
        let mut s = Series {
            step,
            inv_step: 1.0 / step,
            rows,
            ..Series::default()
        };
        macro_rules! fill {
            ($column:expr, $initial:expr) => {
                $column = vec![$initial; held]
            };
        }
        each_column!(&mut s, fill);
        s
    }

    /// Rows held at once.
    #[inline]
    pub(crate) fn held(&self) -> usize {
        self.arrivals.len()
    }

    /// Row holding instant `t` (clamped into the run).
    #[inline]
    pub fn row(&self, t: f64) -> usize {
        // Through i64 (one conversion instruction; NaN and negatives give 0 as before).
        let i = (t * self.inv_step) as i64;
        if i <= 0 {
            0
        } else if i as u64 >= self.rows as u64 {
            self.rows - 1
        } else {
            i as usize
        }
    }

    /// Index of row `row` in the columns. A row no longer or not yet held (which the window's
    /// margins rule out) falls on the nearest held one.
    #[inline]
    pub(crate) fn slot(&self, row: usize) -> usize {
        debug_assert!(
            row >= self.base && row - self.base < self.held(),
            "row {row} outside the held rows {}..{}",
            self.base,
            self.base + self.held()
        );
        row.saturating_sub(self.base).min(self.held() - 1)
    }

    /// Index of the row holding instant `t`.
    #[inline]
    pub(crate) fn slot_at(&self, t: f64) -> usize {
        self.slot(self.row(t))
    }

    /// The first non-negative instant of row `row` (0 for row 0): the smallest `t >= 0` with
    /// `self.row(t) >= row`, found from `row × step` a few floats up or down at most (every
    /// instant from it up to the next row's first lies in `row`, as [`Series::row`] never
    /// decreases with the instant). None if it is not found within 64 floats (a step too
    /// small for its products to be exact enough: never for a run's steps).
    pub(crate) fn first_instant_of(&self, row: usize) -> Option<f64> {
        if row == 0 {
            return Some(0.0);
        }
        let reaches = |t: f64| self.row(t) >= row;
        let mut t = row as f64 * self.step;
        if !(t > 0.0 && t.is_finite()) {
            return None;
        }
        for _ in 0..64 {
            if !reaches(t) {
                t = t.next_up();
            } else if t > 0.0 && reaches(t.next_down()) {
                t = t.next_down();
            } else {
                return Some(t);
            }
        }
        None
    }

    pub fn time(&self, row: usize) -> f64 {
        row as f64 * self.step
    }

    /// Drop the rows before `row` (handed over), making room for as many later ones.
    pub(crate) fn drop_before(&mut self, row: usize) {
        let k = row.saturating_sub(self.base).min(self.held());
        if k == 0 {
            return;
        }
        macro_rules! shift {
            ($col:expr, $init:expr) => {{
                let n = $col.len();
                $col.copy_within(k.., 0);
                $col[n - k..].fill($init);
            }};
        }
        each_column!(&mut *self, shift);
        for (_, col) in &mut self.extra {
            shift!(col, f64::NAN);
        }
        self.base += k;
    }

    /// Add the part of `[from, to)` that falls in each row to `throttled_s` (seconds per row).
    pub(crate) fn add_throttled_span(&mut self, from: f64, to: f64) {
        if !(to > from) {
            return;
        }
        let (rows, step) = (self.rows, self.step);
        let mut t = from.max(0.0);
        while t < to {
            let r = ((t / step) as usize).min(rows - 1);
            let row_end = if r == rows - 1 {
                f64::INFINITY
            } else {
                (r + 1) as f64 * step
            };
            let seg_end = to.min(row_end);
            let i = self.slot(r);
            self.throttled_s[i] += seg_end - t;
            if seg_end <= t {
                break;
            }
            t = seg_end;
        }
    }

    /// The named extra column, created on first use.
    pub fn extra_column(&mut self, name: &str) -> &mut Vec<f64> {
        let idx = self.extra_index(name);
        &mut self.extra[idx].1
    }

    /// The index in `extra` of the named column, created on first use (columns are never
    /// removed, so an index stays valid for the run).
    pub(crate) fn extra_index(&mut self, name: &str) -> usize {
        match self.extra.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                let held = self.held();
                self.extra.push((name.to_string(), vec![f64::NAN; held]));
                self.extra.len() - 1
            }
        }
    }

    /// Set row `row` of the named extra column (created on first use).
    pub(crate) fn set_extra(&mut self, name: &str, row: usize, v: f64) {
        let idx = self.extra_index(name);
        self.set_extra_at(idx, row, v);
    }

    /// Set row `row` of extra column `idx` (an index from [`Series::extra_index`]).
    pub(crate) fn set_extra_at(&mut self, idx: usize, row: usize, v: f64) {
        let i = self.slot(row);
        self.extra[idx].1[i] = v;
    }
}

/// Who receives each row of a run's series once it can no longer change: the summary's
/// accumulator, and for `scalesim run` the `timeseries.csv` writer and the charts' copy.
pub(crate) trait RowSink {
    /// Row `row` of `s` (held at [`Series::slot`]) is final, but for late timeouts.
    fn row(&mut self, s: &Series, row: usize);
    /// `n` requests timed out in row `row`, already handed over: a client that gave up is
    /// found only when its request is next touched, which can be long after its deadline.
    fn late_timeouts(&mut self, row: usize, n: u32);
    /// The latency histogram of the requests served in row `row`, with their latency sum,
    /// just before the row itself (only when the run keeps them, for the OpenMetrics export).
    fn row_histogram(&mut self, _row: usize, _histogram: &PromHistogram, _sum: f64) {}
}

/// The row and slot of the last instant looked up through it, and the products `t / step` that
/// fall in the same row: most lookups (every flow-level interval's completions) land in the
/// row of the one before, and two comparisons then replace [`Series::row`]'s conversion and
/// clamps (request-level arrivals and completions count in a [`RowTally`] instead). Reset
/// it whenever the series' held rows move ([`Series::drop_before`]) or the series is replaced.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowCache {
    /// `t × inv_step` in `[lo, hi)` is row `row`, at index `slot` (NaN bounds: nothing cached).
    lo: f64,
    hi: f64,
    row: usize,
    slot: usize,
}

impl Default for RowCache {
    fn default() -> Self {
        RowCache {
            lo: f64::NAN,
            hi: f64::NAN,
            row: 0,
            slot: 0,
        }
    }
}

impl RowCache {
    /// [`Series::row`] and [`Series::slot`] of instant `t`, the same to the bit.
    #[inline(always)]
    pub(crate) fn locate(&mut self, s: &Series, t: f64) -> (usize, usize) {
        let x = t * s.inv_step;
        if x >= self.lo && x < self.hi {
            return (self.row, self.slot);
        }
        self.fill(s, t)
    }

    #[inline(never)]
    fn fill(&mut self, s: &Series, t: f64) -> (usize, usize) {
        let row = s.row(t);
        let slot = s.slot(row);
        // The products that `Series::row` truncates and clamps to `row`.
        self.lo = if row == 0 {
            f64::NEG_INFINITY
        } else {
            row as f64
        };
        self.hi = if row + 1 >= s.rows {
            f64::INFINITY
        } else {
            (row + 1) as f64
        };
        self.row = row;
        self.slot = slot;
        (row, slot)
    }

    /// Forget the cached row (the held rows moved).
    #[inline]
    pub(crate) fn reset(&mut self) {
        *self = RowCache::default();
    }
}

/// The requests of one kind (arrivals, or completions) counted in one row and not yet added
/// to that row's column of the series, with the instants of that row as a range of bit
/// patterns: a request at `t` lands in the row when `t.to_bits() − lo < span` (wrapping), a
/// subtraction and a comparison, and then costs one add to `count` instead of a row lookup
/// and an add to the column. The recorder adds `count` to the column ([`Self::take`]) before
/// the series is read or its rows move, and when a request lands in another row.
///
/// For non-negative instants (and +∞) the bits are ordered as the instants are, and
/// [`Series::row`] never decreases with the instant, so a row's instants are a range of bit
/// patterns: from the first instant of the row ([`Series::first_instant_of`]) to the first of
/// the next (the last row takes every instant up to +∞). A negative instant or NaN is never
/// in the range (its bits are above it): the recorder looks it up the long way.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RowTally {
    /// The bits of the row's first instant.
    lo: u64,
    /// The bit patterns in the row (0: no row entered, nothing is in it).
    span: u64,
    row: usize,
    slot: usize,
    /// Requests counted in the row, not yet in the column.
    count: u32,
}

impl RowTally {
    /// Whether instant `t` lies in the row entered (never for a negative `t` or NaN).
    #[inline(always)]
    pub(crate) fn holds(&self, t: f64) -> bool {
        t.to_bits().wrapping_sub(self.lo) < self.span
    }

    /// Count one request in the row entered (after [`Self::holds`]).
    #[inline(always)]
    pub(crate) fn count_one(&mut self) {
        self.count += 1;
    }

    /// Enter the row of instant `t` ([`Series::row`], at [`Series::slot`]), with nothing
    /// counted in it (take what was counted before): its row and slot. When the row's bounds
    /// cannot be found nothing holds in it, and every request is looked up.
    pub(crate) fn enter(&mut self, s: &Series, t: f64) -> (usize, usize) {
        debug_assert_eq!(self.count, 0, "counts taken before entering a row");
        let row = s.row(t);
        let slot = s.slot(row);
        let next = if row + 1 >= s.rows {
            Some(f64::INFINITY.to_bits() + 1)
        } else {
            s.first_instant_of(row + 1).map(f64::to_bits)
        };
        (self.lo, self.span) = match (s.first_instant_of(row), next) {
            (Some(lo), Some(hi)) => (lo.to_bits(), hi - lo.to_bits()),
            _ => (0, 0),
        };
        self.row = row;
        self.slot = slot;
        (row, slot)
    }

    /// The slot of the row entered and the requests counted in it since the last take, for
    /// the caller to add to the column; the count is then 0.
    #[inline]
    pub(crate) fn take(&mut self) -> (usize, u32) {
        (self.slot, std::mem::take(&mut self.count))
    }

    /// Add what [`Self::take`] gives to its slot of `column` (one of the series' columns).
    #[inline]
    pub(crate) fn add_to(&mut self, column: &mut [u32]) {
        let (i, n) = self.take();
        if n > 0 {
            column[i] = column[i].wrapping_add(n);
        }
    }

    /// Leave the row (after [`Self::take`]): nothing holds until the next [`Self::enter`],
    /// and the slot is 0 (one that every series holds, whatever its rows).
    #[inline]
    pub(crate) fn leave(&mut self) {
        debug_assert_eq!(self.count, 0, "counts taken before leaving a row");
        *self = RowTally::default();
    }

    /// The row entered (meaningful while something holds in it).
    #[inline]
    pub(crate) fn row(&self) -> usize {
        self.row
    }
}

/// Latencies of the step being filled, for exact per-step quantiles.
#[derive(Debug, Default)]
pub(crate) struct StepLatencies {
    /// Off for summary-only runs: pushes are ignored and the series' p50/p99 stay empty.
    pub(crate) off: bool,
    row: usize,
    /// The row's latencies as f32 bits, made [`order_key`]s at close (one pass the compiler
    /// vectorises, cheaper than a conversion per push) so selection compares plain integers.
    values: Vec<u32>,
    /// Flow level: each (latency, how many requests had it) as one [`pack`]ed key, whose
    /// integer order is the latencies' order and whose low half is the count.
    packed: Vec<u64>,
    /// Flow level, the rare entries whose count does not fit the packed key's low half: a row
    /// with any is closed by [`weighted_p50_p99`] instead.
    wide: Vec<(f32, u64)>,
    /// Scratch for closing a row with `wide` entries: each entry as its latency's
    /// [`order_key`] (high half) and its index (low half).
    keys: Vec<u64>,
    /// Scratch for closing a row of single latencies.
    bins: Bins,
}

/// The packed key of `count` (1 to `u32::MAX`) requests of latency `x`: its [`order_key`]
/// in the high half, the count in the low half.
#[inline]
fn pack(x: f32, count: u64) -> u64 {
    (u64::from(order_key(x)) << 32) | count
}

/// The count (weight) of a packed key.
#[inline]
fn packed_weight(k: u64) -> u64 {
    k & 0xffff_ffff
}

/// The latency of a packed key (or of any key with the [`order_key`] in its high half).
#[inline]
fn packed_value(k: u64) -> f32 {
    from_order_key((k >> 32) as u32)
}

impl StepLatencies {
    /// Add a latency completed in `row`; closes earlier rows into `series` first.
    #[cfg(test)]
    pub(crate) fn push(&mut self, row: usize, latency: f64, series: &mut Series) {
        if self.off {
            return;
        }
        if row != self.row {
            self.close(series);
            self.row = row;
        }
        self.push_in_row(latency);
    }

    /// [`Self::push`] into the row being filled, when on: the recorder checks both once per
    /// row (see `Recorder::served`).
    #[inline(always)]
    pub(crate) fn push_in_row(&mut self, latency: f64) {
        self.values.push((latency as f32).to_bits());
    }

    /// Add `n` requests with the same latency (flow level); the recorder enters the row once
    /// for a batch of batches ([`Self::enter_row`], [`Self::push_n_in_row`]).
    #[cfg(test)]
    pub(crate) fn push_n(&mut self, row: usize, latency: f64, n: u64, series: &mut Series) {
        if self.enter_row(row, series) {
            self.push_n_in_row(latency, n);
        }
    }

    /// Make `row` the row being filled, closing the earlier one into `series` first, for
    /// [`Self::push_n_in_row`]: what [`Self::push_n`] does before it adds. False when off
    /// (nothing is kept).
    #[inline]
    pub(crate) fn enter_row(&mut self, row: usize, series: &mut Series) -> bool {
        if self.off {
            return false;
        }
        if row != self.row {
            self.close(series);
            self.row = row;
        }
        true
    }

    /// [`Self::push_n`] into the row [`Self::enter_row`] entered (a batch of batches checks
    /// the row once).
    #[inline]
    pub(crate) fn push_n_in_row(&mut self, latency: f64, n: u64) {
        if n > u64::from(u32::MAX) {
            self.wide.push((latency as f32, n));
        } else if n > 0 {
            self.packed.push(pack(latency as f32, n));
        }
    }

    /// [`Self::push_n_in_row`] of each of `batches` in turn. When every count fits a packed
    /// key (and none is 0) the keys are appended in one extend of known length, without a
    /// capacity check per batch.
    #[inline]
    pub(crate) fn push_batches_in_row(&mut self, batches: &[(f64, u64)]) {
        if batches
            .iter()
            .all(|&(_, n)| n.wrapping_sub(1) < u64::from(u32::MAX))
        {
            self.packed
                .extend(batches.iter().map(|&(latency, n)| pack(latency as f32, n)));
        } else {
            for &(latency, n) in batches {
                self.push_n_in_row(latency, n);
            }
        }
    }

    /// Write the quantiles of the current row into the series and start afresh.
    pub(crate) fn close(&mut self, series: &mut Series) {
        to_order_keys(&mut self.values);
        let (p50, p99) = if !self.wide.is_empty() {
            let mut weighted = std::mem::take(&mut self.wide);
            weighted.extend(
                self.packed
                    .drain(..)
                    .map(|k| (packed_value(k), packed_weight(k))),
            );
            weighted.extend(self.values.drain(..).map(|k| (from_order_key(k), 1)));
            let quantiles = weighted_p50_p99(&weighted, &mut self.keys);
            weighted.clear();
            self.wide = weighted;
            quantiles
        } else if !self.packed.is_empty() {
            self.packed
                .extend(self.values.drain(..).map(|k| pack(from_order_key(k), 1)));
            let quantiles = packed_p50_p99(&mut self.packed);
            self.packed.clear();
            quantiles
        } else if !self.values.is_empty() {
            let quantiles = counted_p50_p99(&mut self.values, &mut self.bins);
            self.values.clear();
            quantiles
        } else {
            return;
        };
        let i = series.slot(self.row);
        series.latency_p50[i] = p50;
        series.latency_p99[i] = p99;
    }
}

/// The nearest rank of quantile `q` among weights totalling `total` (at least 1).
fn weighted_rank(q: f64, total: u64) -> u64 {
    ((q * total as f64).ceil() as u64).clamp(1, total.max(1))
}

/// Nearest-rank p50 and p99 of weighted values: for each, the value at which the weights,
/// taken in value order, reach the rank — what a scan of the values sorted by `total_cmp`
/// gives, found by selection on integer keys (see [`weighted_select`]).
fn weighted_p50_p99(v: &[(f32, u64)], keys: &mut Vec<u64>) -> (f64, f64) {
    keys.clear();
    keys.extend(
        v.iter()
            .enumerate()
            .map(|(i, &(x, _))| (u64::from(order_key(x)) << 32) | i as u64),
    );
    let total: u64 = v.iter().map(|x| x.1).sum();
    let weight = |k: u64| v[(k & 0xffff_ffff) as usize].1;
    let p50 = weighted_select(keys, weighted_rank(0.50, total), &weight);
    let p99 = weighted_select(keys, weighted_rank(0.99, total), &weight);
    (p50 as f64, p99 as f64)
}

/// [`weighted_p50_p99`] of [`pack`]ed keys (non-empty), reordering them: the same answers,
/// with the weights read from the keys themselves. A flow-level row holds a few ascending
/// runs (each pod group's batches come in latency order): then both ranks are read off a
/// merge of the runs ([`merged_p50_p99`]); otherwise both are found in one descent
/// ([`packed_select_two`]).
fn packed_p50_p99(keys: &mut [u64]) -> (f64, f64) {
    let (runs, total) = ascending_runs_and_total(keys);
    let (r1, r2) = (weighted_rank(0.50, total), weighted_rank(0.99, total));
    let (p50, p99) = match runs {
        Some(runs) => merged_p50_p99(keys, &runs, total, r1, r2),
        None => packed_select_two(keys, r1, r2),
    };
    (p50 as f64, p99 as f64)
}

/// The most ascending runs [`merged_p50_p99`] merges.
const MERGED_RUNS: usize = 4;

/// [`ascending_runs`] of packed `keys` (non-empty) and their total weight, in one pass: the
/// runs are counted to the end rather than given up on at one too many.
fn ascending_runs_and_total(keys: &[u64]) -> (Option<([usize; MERGED_RUNS + 1], usize)>, u64) {
    let mut starts = [0; MERGED_RUNS + 1];
    let mut runs = 1;
    let mut total = packed_weight(keys[0]);
    for i in 1..keys.len() {
        total += packed_weight(keys[i]);
        if keys[i] < keys[i - 1] {
            if runs < MERGED_RUNS {
                starts[runs] = i;
            }
            runs += 1;
        }
    }
    if runs > MERGED_RUNS {
        return (None, total);
    }
    starts[runs] = keys.len();
    (Some((starts, runs)), total)
}

/// Where `keys` break into ascending runs: the start of each, then the end of the last (the
/// runs counted in `.1`), or None when there are more than [`MERGED_RUNS`].
#[cfg(test)]
fn ascending_runs(keys: &[u64]) -> Option<([usize; MERGED_RUNS + 1], usize)> {
    let mut starts = [0; MERGED_RUNS + 1];
    let mut runs = 1;
    for i in 1..keys.len() {
        if keys[i] < keys[i - 1] {
            if runs == MERGED_RUNS {
                return None;
            }
            starts[runs] = i;
            runs += 1;
        }
    }
    starts[runs] = keys.len();
    Some((starts, runs))
}

/// The values at which the weights of packed `keys` (totalling `total`), taken in key order,
/// reach `r1` and `r2` (`r1 <= r2`, both from 1 to `total`), walking the ascending `runs` of
/// [`ascending_runs`] merged: what [`scan_sorted`] gives each. The median is walked up to from
/// the smallest key ([`merged_rank_up`]), the tail rank down to from the largest
/// ([`merged_rank_down`]): a flow-level row's p99 lies in the top strata of its batches, a few
/// keys from the top.
fn merged_p50_p99(
    keys: &[u64],
    runs: &([usize; MERGED_RUNS + 1], usize),
    total: u64,
    r1: u64,
    r2: u64,
) -> (f32, f32) {
    let (starts, n) = (&runs.0, runs.1);
    let p50 = merged_rank_up(keys, starts, n, r1);
    // The key where the weights from the smallest reach r2 is the one where the weights from
    // the largest, itself included, first exceed total − r2.
    let p99 = merged_rank_down(keys, starts, n, total - r2);
    (packed_value(p50), packed_value(p99))
}

/// The key at which the weights of `keys` (ascending runs from `starts`, `n` of them), taken
/// from the smallest key up, reach `rank` (at most their total). Each run's next key is kept
/// in a fixed array (`u64::MAX` once the run is used up), so a step of the merge is the first
/// smallest of a few numbers.
fn merged_rank_up(keys: &[u64], starts: &[usize; MERGED_RUNS + 1], n: usize, rank: u64) -> u64 {
    let mut head = [0; MERGED_RUNS];
    let mut next = [u64::MAX; MERGED_RUNS];
    for r in 0..n {
        head[r] = starts[r];
        next[r] = run_key(keys, head[r], starts[r + 1]);
    }
    let (mut cum, mut last) = (0, u64::MAX);
    // Every step takes a key of a run not used up, so no more steps than keys.
    for _ in 0..keys.len() {
        let mut r = first_smallest(&next, n);
        if head[r] == starts[r + 1] {
            // A used-up run's u64::MAX tied with a key of u64::MAX: take that key instead.
            r = (0..n)
                .find(|&s| head[s] < starts[s + 1])
                .expect("a run not used up");
        }
        let k = next[r];
        head[r] += 1;
        next[r] = run_key(keys, head[r], starts[r + 1]);
        cum += packed_weight(k);
        last = k;
        if cum >= rank {
            break;
        }
    }
    // The weights reach the rank (it is at most their total) by the largest key at the latest.
    last
}

/// The key at which the weights of `keys` (ascending runs from `starts`, `n` of them), taken
/// from the largest key down, that key included, first exceed `above` (less than their
/// total). Each run's next key from its end is kept in a fixed array, 0 once the run is used
/// up: no packed key is 0 (its weight is at least 1), so a used-up run is never the largest.
fn merged_rank_down(keys: &[u64], starts: &[usize; MERGED_RUNS + 1], n: usize, above: u64) -> u64 {
    let mut tail = [0; MERGED_RUNS];
    let mut next = [0u64; MERGED_RUNS];
    for r in 0..n {
        tail[r] = starts[r + 1];
        next[r] = run_key_below(keys, tail[r], starts[r]);
    }
    let (mut cum, mut last) = (0, 0);
    for _ in 0..keys.len() {
        let r = first_largest(&next, n);
        let k = next[r];
        debug_assert_ne!(k, 0, "a packed key has a weight");
        tail[r] -= 1;
        next[r] = run_key_below(keys, tail[r], starts[r]);
        cum += packed_weight(k);
        last = k;
        if cum > above {
            break;
        }
    }
    last
}

/// A run's key at `at`, or `u64::MAX` when the run (ending at `end`) is used up.
#[inline(always)]
fn run_key(keys: &[u64], at: usize, end: usize) -> u64 {
    if at < end { keys[at] } else { u64::MAX }
}

/// A run's key just below `end`, or 0 when the run (starting at `start`) is used up from its
/// end down to `end`.
#[inline(always)]
fn run_key_below(keys: &[u64], end: usize, start: usize) -> u64 {
    if end > start { keys[end - 1] } else { 0 }
}

/// The index of the first smallest of the first `n` (at least 1) of `next`.
#[inline(always)]
fn first_smallest(next: &[u64; MERGED_RUNS], n: usize) -> usize {
    let mut r = 0;
    for s in 1..n.min(MERGED_RUNS) {
        // Which run holds the next key follows the data: a select, not a branch to mispredict.
        r = std::hint::select_unpredictable(next[s] < next[r], s, r);
    }
    r
}

/// The index of the first largest of the first `n` (at least 1) of `next`.
#[inline(always)]
fn first_largest(next: &[u64; MERGED_RUNS], n: usize) -> usize {
    let mut r = 0;
    for s in 1..n.min(MERGED_RUNS) {
        r = std::hint::select_unpredictable(next[s] > next[r], s, r);
    }
    r
}

/// Slices at most this long are sorted and scanned rather than partitioned.
const SCAN_BELOW: usize = 16;

/// The values at which the weights of packed `keys`, taken in key order, reach `r1` and `r2`
/// (`r1 <= r2`, both at most the total weight): one partition sequence while both ranks fall
/// on the same side of its pivots, then one each (see [`packed_select`]).
fn packed_select_two(mut keys: &mut [u64], mut r1: u64, mut r2: u64) -> (f32, f32) {
    let mut levels = partition_budget(keys.len());
    loop {
        if keys.len() <= SCAN_BELOW || levels == 0 {
            return (scan_sorted(keys, r1), scan_sorted(keys, r2));
        }
        levels -= 1;
        let (at, below, pivot) = partition_weighted(keys);
        let through = below + packed_weight(pivot);
        let side = |r: u64| u8::from(r > below) + u8::from(r > through);
        match (side(r1), side(r2)) {
            (0, 0) => keys = &mut keys[..at],
            (1, 1) => return (packed_value(pivot), packed_value(pivot)),
            (2, 2) => {
                (r1, r2) = (r1 - through, r2 - through);
                keys = &mut keys[at + 1..];
            }
            (a, b) => {
                let (left, right) = keys.split_at_mut(at);
                let right = &mut right[1..];
                let mut answer = |side: u8, r: u64| match side {
                    0 => packed_select(left, r),
                    1 => packed_value(pivot),
                    _ => packed_select(right, r - through),
                };
                let p1 = answer(a, r1);
                return (p1, answer(b, r2));
            }
        }
    }
}

/// The value at which the weights of packed `keys`, taken in key order, reach `rank` (at most
/// their total): quickselect whose partitions sum the weights below the pivot as they go.
fn packed_select(mut keys: &mut [u64], mut rank: u64) -> f32 {
    let mut levels = partition_budget(keys.len());
    loop {
        if keys.len() <= SCAN_BELOW || levels == 0 {
            return scan_sorted(keys, rank);
        }
        levels -= 1;
        let (at, below, pivot) = partition_weighted(keys);
        let through = below + packed_weight(pivot);
        if rank <= below {
            keys = &mut keys[..at];
        } else if rank <= through {
            return packed_value(pivot);
        } else {
            rank -= through;
            keys = &mut keys[at + 1..];
        }
    }
}

/// Partitions a selection may take on `n` keys before it sorts what is left: enough for any
/// reasonable sequence of pivots, and a bound of O(n log n) on an unlucky one (many equal
/// keys, ordered input).
fn partition_budget(n: usize) -> u32 {
    2 * (usize::BITS - n.leading_zeros()) + 4
}

/// Sort packed `keys` and return the value at which their weights reach `rank` (the largest
/// value when they never do; NaN when there are none).
fn scan_sorted(keys: &mut [u64], rank: u64) -> f32 {
    keys.sort_unstable();
    let mut cum = 0;
    for &k in keys.iter() {
        cum += packed_weight(k);
        if cum >= rank {
            return packed_value(k);
        }
    }
    keys.last().map_or(f32::NAN, |&k| packed_value(k))
}

/// Partition packed `keys` (at least 3) around the median of their first, middle and last:
/// the keys below it first, then it, then the rest. Returns its index, the total weight of
/// the keys below it, and the pivot. Branch-free Lomuto: the comparison decides only where
/// the boundary moves and whether a weight counts.
fn partition_weighted(keys: &mut [u64]) -> (usize, u64, u64) {
    let last = keys.len() - 1;
    let mid = keys.len() / 2;
    let (a, b, c) = (keys[0], keys[mid], keys[last]);
    let m = if (a <= b) == (b <= c) {
        mid
    } else if (b <= a) == (a <= c) {
        0
    } else {
        last
    };
    keys.swap(m, last);
    let (rest, tail) = keys.split_at_mut(last);
    let pivot = tail[0];
    let (mut at, mut below) = (0usize, 0u64);
    for j in 0..rest.len() {
        let x = rest[j];
        let less = x < pivot;
        rest[j] = rest[at];
        rest[at] = x;
        at += usize::from(less);
        below += packed_weight(x) & u64::from(less).wrapping_neg();
    }
    keys.swap(at, last);
    (at, below, pivot)
}

/// The smallest value among `keys` (see [`weighted_p50_p99`]) whose weight, with the weights
/// of the values below it, reaches `rank` (the largest value when the weights never do);
/// reorders `keys`. Keys of one value are consecutive in key order, so the answer is the same
/// whichever of them a selection lands on.
fn weighted_select(mut keys: &mut [u64], mut rank: u64, weight: &impl Fn(u64) -> u64) -> f32 {
    loop {
        if keys.len() <= 16 {
            keys.sort_unstable();
            let mut cum = 0;
            for &k in keys.iter() {
                cum += weight(k);
                if cum >= rank {
                    return from_order_key((k >> 32) as u32);
                }
            }
            return keys
                .last()
                .map_or(f32::NAN, |&k| from_order_key((k >> 32) as u32));
        }
        let mid = keys.len() / 2;
        let (below, &mut pivot, above) = keys.select_nth_unstable(mid);
        let below_weight: u64 = below.iter().map(|&k| weight(k)).sum();
        let through_pivot = below_weight + weight(pivot);
        if below_weight >= rank {
            keys = below;
        } else if through_pivot >= rank || above.is_empty() {
            return from_order_key((pivot >> 32) as u32);
        } else {
            rank -= through_pivot;
            keys = above;
        }
    }
}

/// Nearest-rank index (0-based) of quantile `q` among `n` values (n > 0).
fn rank(q: f64, n: usize) -> usize {
    ((q * n as f64).ceil() as usize).clamp(1, n) - 1
}

/// An f32 as a u32 whose integer order is `f32::total_cmp`'s order.
#[inline]
fn order_key(x: f32) -> u32 {
    let b = x.to_bits();
    if b & 0x8000_0000 != 0 {
        !b
    } else {
        b | 0x8000_0000
    }
}

/// Each f32 (as bits) made its [`order_key`], in place: a negative one's bits all flipped, a
/// positive one's sign bit set, written without a branch (an arithmetic shift spreads the sign
/// over the mask) so that the compiler vectorises the pass.
#[inline]
fn to_order_keys(v: &mut [u32]) {
    for k in v {
        *k ^= ((*k as i32 >> 31) as u32) | 0x8000_0000;
    }
}

/// The f32 whose [`order_key`] is `k`.
#[inline]
fn from_order_key(k: u32) -> f32 {
    f32::from_bits(if k & 0x8000_0000 != 0 {
        k & 0x7fff_ffff
    } else {
        !k
    })
}

/// Exact sample quantile (nearest rank) of a small buffer, reordering it.
#[cfg(test)]
fn quantile(v: &mut [f32], q: f64) -> f64 {
    let (_, x, _) = v.select_nth_unstable_by(rank(q, v.len()), |a, b| a.total_cmp(b));
    *x as f64
}

/// Rows with fewer values than this are closed by [`median_and_p99`] alone (counting costs a
/// scan of every bin, worth it only over enough values).
const COUNT_FROM: usize = 4096;
/// [`counted_p50_p99`]'s bins: the top 11 bits of an [`order_key`] (sign, exponent and two
/// fraction bits of the f32: four bins per doubling of the latency).
const BIN_SHIFT: u32 = 21;
const BINS: usize = 1 << (32 - BIN_SHIFT);

/// Scratch for [`counted_p50_p99`], kept between rows.
#[derive(Debug, Default)]
struct Bins {
    /// Keys per bin ([`BINS`] of them once used).
    counts: Vec<u32>,
}

/// Exact p50 and p99 (nearest rank) of a non-empty buffer of [`order_key`]s, as
/// [`median_and_p99`] gives them, by counting for all but small buffers: one pass counts the
/// keys by their top bits, a scan of the counts finds the bins where the two ranks fall, one
/// more pass gathers the (few) keys of those bins at the front of the buffer, and a selection
/// among them finds each. Two light passes cost less than the selections' partitions over the
/// whole row.
fn counted_p50_p99(v: &mut [u32], bins: &mut Bins) -> (f64, f64) {
    let n = v.len();
    if n < COUNT_FROM {
        return median_and_p99(v);
    }
    let (r50, r99) = (rank(0.50, n), rank(0.99, n));
    bins.counts.clear();
    bins.counts.resize(BINS, 0);
    let Ok(counts) = <&mut [u32; BINS]>::try_from(bins.counts.as_mut_slice()) else {
        return median_and_p99(v);
    };
    for &k in v.iter() {
        counts[(k >> BIN_SHIFT) as usize] += 1;
    }
    // The bins of the two ranks, and each rank among its bin's keys.
    let (b50, below50) = bin_of_rank(counts, 0, 0, r50);
    let (b99, below99) = bin_of_rank(counts, b50, below50, r99);
    let (in50, in99) = (r50 - below50, r99 - below99);
    // The keys of a bin are below those of every later bin: among the keys of the two bins,
    // the p50 is the one of rank `in50`, the p99 the one of rank `in99` past those of the
    // p50's bin (when the bins differ).
    let gathered = gather_bins(v, b50 as u32, b99 as u32);
    let at = &mut v[..gathered];
    let r99 = if b99 == b50 {
        in99
    } else {
        counts[b50] as usize + in99
    };
    let (p50, p99) = select_two(at, in50, r99);
    (from_order_key(p50) as f64, from_order_key(p99) as f64)
}

/// Move the keys of `v` in bins `b1` and `b2` to its front (in their order), returning how
/// many: the others are written over.
fn gather_bins(v: &mut [u32], b1: u32, b2: u32) -> usize {
    let mut kept = 0;
    for i in 0..v.len() {
        let k = v[i];
        let b = k >> BIN_SHIFT;
        if b == b1 || b == b2 {
            v[kept] = k;
            kept += 1;
        }
    }
    kept
}

/// Bins [`bin_of_rank`] sums at once while the rank lies beyond them.
const BIN_CHUNK: usize = 32;

/// The bin holding the key of 0-based `rank` (less than the total of `counts`), and how many
/// keys the bins before it hold, searching from bin `from` (before which `below` keys lie, at
/// most `rank`): whole chunks of [`BIN_CHUNK`] bins are summed (a few vector adds) and
/// skipped while the rank lies beyond them, then bins one at a time — what a scan of every
/// bin from `from` gives, without a comparison per bin (most of the bins are empty: half of
/// them hold negative latencies).
fn bin_of_rank(
    counts: &[u32; BINS],
    mut from: usize,
    mut below: usize,
    rank: usize,
) -> (usize, usize) {
    while let Some(chunk) = counts.get(from..from + BIN_CHUNK) {
        let c = chunk.iter().sum::<u32>() as usize;
        if below + c > rank {
            break;
        }
        below += c;
        from += BIN_CHUNK;
    }
    while from < BINS - 1 && below + counts[from] as usize <= rank {
        below += counts[from] as usize;
        from += 1;
    }
    (from, below)
}

/// Exact p50 and p99 (nearest rank) of a non-empty buffer of [`order_key`]s, reordering it.
fn median_and_p99(v: &mut [u32]) -> (f64, f64) {
    let n = v.len();
    let (median, p99) = select_two(v, rank(0.50, n), rank(0.99, n));
    (from_order_key(median) as f64, from_order_key(p99) as f64)
}

/// The keys of 0-based ranks `low` ≤ `high` in `v`, reordering it: the second is selected
/// among the keys above the first only, which the first selection has already set apart.
fn select_two(v: &mut [u32], low: usize, high: usize) -> (u32, u32) {
    let (_, first, above) = v.select_nth_unstable(low);
    let first = *first;
    let second = if high > low {
        *above.select_nth_unstable(high - low - 1).1
    } else {
        first
    };
    (first, second)
}

/// `n as f64`, by the signed conversion (one instruction) below 2^63: both round the same
/// integer to the nearest double, so they give the same bits; the unsigned conversion takes
/// several on x86-64.
#[inline(always)]
fn count_as_f64(n: u64) -> f64 {
    if n <= i64::MAX as u64 {
        n as i64 as f64
    } else {
        n as f64
    }
}

/// A latency distribution over a whole run: O(1) memory, two significant digits (quantiles within 1 %).
#[derive(Debug, Clone)]
pub struct Distribution {
    /// Its total is the distribution's count.
    hist: LogHistogram,
    sum: f64,
    max: f64,
}

/// Values are stored in microseconds.
const UNIT: f64 = 1e6;

impl Default for Distribution {
    fn default() -> Self {
        Self::new()
    }
}

impl Distribution {
    pub(crate) fn new() -> Self {
        Distribution {
            hist: LogHistogram::default(),
            sum: 0.0,
            max: 0.0,
        }
    }

    /// Microseconds, saturating absurd values rather than failing (NaN and negatives give 0).
    #[inline]
    fn micros(seconds: f64) -> u64 {
        let v = (seconds * UNIT).max(0.0);
        // In [0, 2^62]: the signed conversion (one instruction) gives the same integer.
        v.min(u64::MAX as f64 / 4.0) as i64 as u64
    }

    /// The histogram slot of `seconds`: `LogHistogram::index(Self::micros(seconds))`, read off
    /// the bits of the microseconds as a float when they are at least 256 (every latency above
    /// a quarter of a millisecond) instead of through the integer.
    ///
    /// There, `v = seconds × 10⁶` lies in `[2^e, 2^(e+1))` with `e ≥ 8`, and so does its
    /// integer part: its bucket is `e − 7` and its top 8 bits are the float's leading 1 and
    /// first 7 fraction bits. The slot, `(e − 6)·128` plus those 7 bits, is then the float's
    /// bits shifted right by 45 (the biased exponent above the 7 fraction bits) less
    /// `(1023 + 6)·128`. Above 2^62 microseconds `micros` saturates, so the slot does.
    #[inline]
    fn slot(seconds: f64) -> usize {
        let v = seconds * UNIT;
        if v >= 256.0 {
            ((v.to_bits() >> 45) as usize - SLOT_BIAS).min(MAX_SLOT)
        } else {
            // Below 256 (or NaN): bucket 0, where the slot is the value (so at most
            // `MAX_SLOT`, which the `min` tells the compiler: no bounds check when counting).
            LogHistogram::index(Self::micros(seconds)).min(MAX_SLOT)
        }
    }

    #[inline]
    pub(crate) fn record(&mut self, seconds: f64) {
        self.record_n(seconds, 1);
    }

    /// [`Self::record`] of a zero (of either sign), to the bit: it counts in slot 0, and it
    /// changes neither the sum (never −0: it starts at +0, and +0 plus anything is not −0
    /// unless both are) nor the maximum (never below 0).
    #[inline]
    pub(crate) fn record_zero(&mut self) {
        debug_assert_eq!(Self::slot(0.0), 0);
        self.hist.record_at(0, 1);
    }

    /// Record `n` observations of the same value (flow level).
    #[inline]
    pub(crate) fn record_n(&mut self, seconds: f64, n: u64) {
        if n == 0 {
            return;
        }
        self.hist.record_at(Self::slot(seconds), n);
        self.sum += seconds * count_as_f64(n);
        if seconds > self.max {
            self.max = seconds;
        }
    }

    #[cfg(test)]
    pub(crate) fn count(&self) -> u64 {
        self.hist.total()
    }

    pub fn mean(&self) -> f64 {
        let total = self.hist.total();
        if total == 0 {
            f64::NAN
        } else {
            self.sum / total as f64
        }
    }

    pub(crate) fn max(&self) -> f64 {
        if self.hist.total() == 0 {
            f64::NAN
        } else {
            self.max
        }
    }

    pub fn quantile(&self, q: f64) -> f64 {
        if self.hist.total() == 0 {
            f64::NAN
        } else {
            self.hist.value_at_quantile(q) as f64 / UNIT
        }
    }
}

/// Bits of a bucket's top half: 2 significant decimal digits need 200 distinct steps per
/// doubling, so each bucket has 2^8 = 256 sub-buckets, of which the upper 128 are new.
const HALF_BITS: u32 = 7;
const HALF: u64 = 1 << HALF_BITS;
/// Values below 2^8 are exact (bucket 0).
const SUB_MASK: u64 = (1 << (HALF_BITS + 1)) - 1;
/// `64 - HALF_BITS - 1`: bucket of a value from its leading zeros.
const LZ_BASE: u32 = 64 - HALF_BITS - 1;
/// `(1023 + 6) << HALF_BITS`: a float's bits shifted right by `52 - HALF_BITS`, less this, are
/// the slot of its integer part when that is at least 256 (see [`Distribution::slot`]).
const SLOT_BIAS: usize = (1023 + 6) << HALF_BITS;
/// The slot of 2^62 microseconds, where [`Distribution::micros`] saturates.
const MAX_SLOT: usize = (62 - HALF_BITS as usize + 1) << HALF_BITS;
/// Slots of a [`LogHistogram`]: every slot up to [`MAX_SLOT`].
const SLOTS: usize = MAX_SLOT + 1;

/// A log-linear histogram of non-negative integers: the layout, rounding and quantile rule of
/// HdrHistogram (`hdrhistogram::Histogram::<u64>::new(2)` with auto-resize: lowest discernible
/// value 1, 2 significant digits), so quantiles are the same to the bit, with a recording path
/// that is a leading-zero count, two shifts and an add. Owns only the bucket counts.
#[derive(Debug, Clone)]
struct LogHistogram {
    /// Counts by index (see [`Self::index`]): every slot of a value up to 2^62 held from the
    /// start, so that recording a slot of [`Distribution::slot`] (at most [`MAX_SLOT`]) needs
    /// no bounds check; trailing zeros mean nothing. Their sum is the count of values
    /// ([`Self::total`]), taken when read rather than kept at every record.
    counts: Box<[u64; SLOTS]>,
}

impl Default for LogHistogram {
    fn default() -> Self {
        let counts = vec![0; SLOTS].into_boxed_slice();
        LogHistogram {
            counts: counts.try_into().expect("SLOTS counts"),
        }
    }
}

impl LogHistogram {
    /// How many values were recorded (plain adds, as the counts themselves: a count cannot
    /// reach 2^64).
    fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// HdrHistogram's bucket (power of two above the exact range) of `value`.
    #[inline]
    fn bucket(value: u64) -> u32 {
        LZ_BASE - (value | SUB_MASK).leading_zeros()
    }

    /// The count slot of `value`.
    #[inline]
    fn index(value: u64) -> usize {
        let bucket = Self::bucket(value);
        let sub = value >> bucket; // in [128, 256), or [0, 256) in bucket 0
        (((bucket as u64 + 1) << HALF_BITS) + sub - HALF) as usize
    }

    /// The lowest value counted in slot `index`.
    fn value_at(index: usize) -> u64 {
        let index = index as u64;
        let bucket = (index >> HALF_BITS) as i64 - 1;
        let sub = (index & (HALF - 1)) + HALF;
        if bucket < 0 {
            sub - HALF
        } else {
            sub << bucket
        }
    }

    /// The highest value equivalent to `value` (counted in the same slot).
    fn highest_equivalent(value: u64) -> u64 {
        if value == u64::MAX {
            return u64::MAX;
        }
        let bucket = Self::bucket(value);
        let lowest = (value >> bucket) << bucket;
        lowest.saturating_add(1u64 << bucket) - 1
    }

    #[cfg(test)]
    fn record_n(&mut self, value: u64, n: u64) {
        self.record_at(Self::index(value), n);
    }

    /// Count `n` values in slot `i` (as [`Self::index`] gives it, at most [`MAX_SLOT`]).
    #[inline]
    fn record_at(&mut self, i: usize, n: u64) {
        // A plain add: a count cannot reach 2^64.
        self.counts[i] += n;
    }

    #[cfg(test)]
    fn add(&mut self, other: &LogHistogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a = a.saturating_add(*b);
        }
    }

    /// HdrHistogram's `value_at_quantile`: the highest value equivalent to the slot where the
    /// running count first reaches `ceil(q × total)` (the lowest, for q = 0); 0 when empty.
    fn value_at_quantile(&self, q: f64) -> u64 {
        let q = if q > 1.0 { 1.0 } else { q };
        let rank = ((q * self.total() as f64).ceil() as u64).max(1);
        let mut running = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            running += c;
            if running >= rank {
                let v = Self::value_at(i);
                return if q == 0.0 {
                    v
                } else {
                    Self::highest_equivalent(v)
                };
            }
        }
        0
    }
}

/// Upper bounds of Prometheus client_golang's default histogram buckets (`DefBuckets`), seconds.
pub(crate) const PROM_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A cumulative latency histogram as an instrumented service exports it
/// (`http_request_duration_seconds_bucket`): counts per `le` bound, the last slot is `+Inf`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PromHistogram {
    pub(crate) counts: [u64; PROM_BUCKETS.len() + 1],
}

impl PromHistogram {
    #[inline]
    pub(crate) fn record_n(&mut self, seconds: f64, n: u64) {
        // The first bucket with `seconds <= le` (NaN: none, the +Inf slot): the bounds are
        // sorted, so a binary search finds it.
        let i = PROM_BUCKETS.partition_point(|&b| !(seconds <= b));
        self.counts[i] += n;
    }

    #[inline]
    pub(crate) fn record(&mut self, seconds: f64) {
        self.record_n(seconds, 1);
    }

    /// `histogram_quantile(q, rate(..[w]))` over the increase `self − earlier`: linear
    /// interpolation inside the bucket holding the rank, as Prometheus does (the +Inf bucket
    /// answers with the highest finite bound). `None` when nothing was observed.
    pub(crate) fn quantile_since(&self, earlier: &PromHistogram, q: f64) -> Option<f64> {
        let inc: Vec<u64> = self
            .counts
            .iter()
            .zip(earlier.counts.iter())
            .map(|(a, b)| a.saturating_sub(*b))
            .collect();
        let total: u64 = inc.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = q * total as f64;
        let mut cum = 0u64;
        for (i, &c) in inc.iter().enumerate() {
            let before = cum;
            cum += c;
            if cum as f64 >= rank && c > 0 {
                if i == PROM_BUCKETS.len() {
                    return Some(PROM_BUCKETS[PROM_BUCKETS.len() - 1]);
                }
                let lower = if i == 0 { 0.0 } else { PROM_BUCKETS[i - 1] };
                let upper = PROM_BUCKETS[i];
                return Some(lower + (upper - lower) * (rank - before as f64) / c as f64);
            }
        }
        Some(PROM_BUCKETS[PROM_BUCKETS.len() - 1])
    }
}

/// The latency histogram of the requests served in each row, with their latency sum — kept only
/// for `run --export openmetrics`, which writes its running total at each row's end as
/// `http_request_duration_seconds` (see `docs/outputs.md`). A request counts in the row of the
/// instant it was served, as in the `served` column.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RowHistograms {
    /// The first row held (rows before it were handed over, see [`RowHistograms::drop_before`]).
    base: usize,
    rows: Vec<(PromHistogram, f64)>,
}

impl RowHistograms {
    /// `n` requests served in `row`, each after `seconds`. Out of line: only an exporting run
    /// keeps these, and the recorder's hot path should not grow with it.
    #[cold]
    #[inline(never)]
    pub(crate) fn record_n(&mut self, row: usize, seconds: f64, n: u64) {
        debug_assert!(row >= self.base, "row {row} already handed over");
        let k = row.saturating_sub(self.base);
        if k >= self.rows.len() {
            self.rows.resize(k + 1, (PromHistogram::default(), 0.0));
        }
        let (h, sum) = &mut self.rows[k];
        h.record_n(seconds, n);
        *sum += seconds * n as f64;
    }

    /// Row `row`'s histogram and latency sum (empty when nothing was served in it).
    pub(crate) fn get(&self, row: usize) -> (PromHistogram, f64) {
        row.checked_sub(self.base)
            .and_then(|k| self.rows.get(k).copied())
            .unwrap_or_default()
    }

    /// Forget the rows before `row` (handed over).
    pub(crate) fn drop_before(&mut self, row: usize) {
        let k = row.saturating_sub(self.base).min(self.rows.len());
        self.rows.drain(..k);
        self.base = self.base.max(row);
    }

    /// The histogram of every request served from t = 0 to the end of each of the first
    /// `rows` rows, with the latency sum: the cumulative values an exporter exposes then.
    #[cfg(test)]
    pub(crate) fn running_totals(&self, rows: usize) -> Vec<(PromHistogram, f64)> {
        let (mut total, mut sum) = (PromHistogram::default(), 0.0);
        (0..rows)
            .map(|r| {
                let (h, s) = self.get(r);
                for (t, c) in total.counts.iter_mut().zip(h.counts) {
                    *t += c;
                }
                sum += s;
                (total, sum)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::Strategy as _;

    proptest::proptest! {
        /// The row cache answers every lookup as `Series::row` and `Series::slot` do, for
        /// instants in any order: inside, on and between row boundaries, before the start,
        /// past the end (the clamped last row) and NaN.
        #[test]
        fn row_cache_locates_as_the_series_does(
            rows in 1usize..600,
            step in proptest::sample::select(vec![0.1, 0.25, 1.0, 3.0, 7.5]),
            ts in proptest::collection::vec((-2.0f64..1.1, proptest::bool::weighted(0.05)), 1..200),
        ) {
            let s = Series::new(rows as f64 * step, step);
            let mut cache = RowCache::default();
            for (frac, nan) in ts {
                let t = if nan { f64::NAN } else { frac * rows as f64 * step };
                // Exact boundaries too: a multiple of the step.
                for t in [t, (t / step).floor() * step] {
                    let row = s.row(t);
                    proptest::prop_assert_eq!(cache.locate(&s, t), (row, s.slot(row)), "t = {}", t);
                }
            }
        }
    }

    proptest::proptest! {
        /// A tally's row holds exactly the instants `Series::row` puts in that row, but
        /// negative ones and NaN (looked up the long way): entered at any instant, asked about
        /// instants inside, on and next to row boundaries, before the start, past the end and
        /// at +∞.
        #[test]
        fn row_tally_holds_the_instants_of_its_row(
            rows in 1usize..600,
            step in proptest::sample::select(vec![0.1, 0.25, 1.0, 3.0, 7.5, 15.0, 100.0]),
            at in (-0.1f64..1.1, proptest::bool::weighted(0.05)),
            ts in proptest::collection::vec(-0.1f64..1.1, 1..100),
        ) {
            let s = Series::new(rows as f64 * step, step);
            let span = rows as f64 * step;
            let t0 = if at.1 { f64::NAN } else { at.0 * span };
            let mut tally = RowTally::default();
            proptest::prop_assert!(!tally.holds(0.0), "nothing holds before a row is entered");
            let (row, slot) = tally.enter(&s, t0);
            proptest::prop_assert_eq!((row, slot), (s.row(t0), s.slot(s.row(t0))));
            proptest::prop_assert_eq!(tally.row(), row);
            for frac in ts {
                let t = frac * span;
                let edge = (t / step).round() * step;
                for t in [t, edge, edge.next_up(), edge.next_down(), -0.0, 0.0, f64::INFINITY, f64::NAN] {
                    let want = t >= 0.0 && t.is_sign_positive() && s.row(t) == row;
                    proptest::prop_assert_eq!(tally.holds(t), want, "t = {:e}, row {}", t, row);
                }
            }
            tally.count_one();
            tally.count_one();
            proptest::prop_assert_eq!(tally.take(), (slot, 2));
            proptest::prop_assert_eq!(tally.take(), (slot, 0));
            tally.leave();
            proptest::prop_assert!(!tally.holds(t0.max(0.0)));
        }

        /// The first instant of a row is the smallest non-negative instant `Series::row`
        /// puts in it or after it.
        #[test]
        fn first_instant_of_a_row_is_where_the_row_begins(
            rows in 1usize..5000,
            step in proptest::sample::select(vec![0.1, 0.3, 1.0, 7.0, 10.0, 60.0, 1e-3]),
            frac in 0.0f64..1.0,
        ) {
            let s = Series::new(rows as f64 * step, step);
            let row = ((frac * rows as f64) as usize).min(rows - 1);
            let t = s.first_instant_of(row).expect("found");
            proptest::prop_assert!(s.row(t) >= row);
            if row > 0 {
                proptest::prop_assert!(s.row(t.next_down()) < row);
            } else {
                proptest::prop_assert_eq!(t.to_bits(), 0);
            }
        }

        /// The branch-free pass makes every f32 its order key.
        #[test]
        fn to_order_keys_is_order_key(bits in proptest::collection::vec(proptest::num::u32::ANY, 0..40)) {
            let mut v = bits.clone();
            to_order_keys(&mut v);
            let want: Vec<u32> = bits.iter().map(|&b| order_key(f32::from_bits(b))).collect();
            proptest::prop_assert_eq!(v, want);
        }

        /// The bin of a rank found by chunks is the one a scan of every bin finds, from any
        /// bin at or before it.
        #[test]
        fn bin_of_rank_matches_a_scan(
            filled in proptest::collection::vec((0usize..BINS, 1u32..50), 1..60),
            pick in 0.0f64..1.0,
            start in 0.0f64..1.0,
        ) {
            let mut counts = [0u32; BINS];
            for &(b, c) in &filled {
                counts[b] += c;
            }
            let total: usize = counts.iter().map(|&c| c as usize).sum();
            let rank = ((pick * total as f64) as usize).min(total - 1);
            let scan = |from: usize, below: usize| {
                let mut below = below;
                for (b, &c) in counts.iter().enumerate().skip(from) {
                    if below + c as usize > rank {
                        return (b, below);
                    }
                    below += c as usize;
                }
                unreachable!("the rank is below the total")
            };
            let want = scan(0, 0);
            proptest::prop_assert_eq!(bin_of_rank(&counts, 0, 0, rank), want);
            let from = (start * want.0 as f64) as usize;
            let below: usize = counts[..from].iter().map(|&c| c as usize).sum();
            proptest::prop_assert_eq!(bin_of_rank(&counts, from, below, rank), want);
        }
    }

    proptest::proptest! {
        /// The slot read off a latency's bits is the slot of its microseconds as an integer,
        /// for any f64 (NaN, infinities, negatives and subnormals included).
        #[test]
        fn distribution_slot_is_the_slot_of_the_microseconds(bits in proptest::num::u64::ANY) {
            let seconds = f64::from_bits(bits);
            proptest::prop_assert_eq!(
                Distribution::slot(seconds),
                LogHistogram::index(Distribution::micros(seconds)),
                "seconds = {:e}", seconds
            );
        }
    }

    proptest::proptest! {
        /// A zero recorded by `record_zero` leaves a distribution as `record(0.0)` and
        /// `record(-0.0)` do, to the bit, after any waits (zeros among them, or none at all).
        #[test]
        fn record_zero_is_recording_a_zero(
            before in proptest::collection::vec(proptest::sample::select(vec![0.0, -0.0, 1e-7, 3e-4, 0.25, 7.5]), 0..20),
            negative in proptest::bool::ANY,
        ) {
            let mut d = Distribution::new();
            for &w in &before {
                d.record(w);
            }
            let (mut fast, mut slow) = (d.clone(), d);
            fast.record_zero();
            slow.record(if negative { -0.0 } else { 0.0 });
            proptest::prop_assert_eq!(&fast.hist.counts, &slow.hist.counts);
            proptest::prop_assert_eq!(fast.hist.total(), slow.hist.total());
            proptest::prop_assert_eq!(fast.sum.to_bits(), slow.sum.to_bits());
            proptest::prop_assert_eq!(fast.max.to_bits(), slow.max.to_bits());
        }
    }

    /// The same at every power of two and its neighbours, where buckets and the fast path
    /// begin, and over a dense range of ordinary latencies.
    #[test]
    fn distribution_slot_at_bucket_edges() {
        let check = |seconds: f64| {
            assert_eq!(
                Distribution::slot(seconds),
                LogHistogram::index(Distribution::micros(seconds)),
                "seconds = {seconds:e}"
            );
        };
        for e in -30..80 {
            let v = 2f64.powi(e);
            for w in [v, v.next_up(), v.next_down(), v + 0.5, v - 0.5, v * 1.5] {
                check(w / UNIT);
                check(w * 1e-6);
            }
        }
        for s in [
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            2.56e-4,
            1e300,
        ] {
            check(s);
        }
        for i in 0..200_000 {
            check(i as f64 * 1.7e-7);
        }
    }

    #[test]
    fn distribution_quantiles_within_a_tenth_of_a_percent() {
        let mut d = Distribution::new();
        for i in 1..=100_000 {
            d.record(i as f64 * 1e-3);
        }
        let p99 = d.quantile(0.99);
        assert!((p99 - 99.0).abs() / 99.0 < 1e-3, "{p99}");
        assert!((d.mean() - 50.0005).abs() < 1e-6);
        assert_eq!(d.max(), 100.0);
    }

    /// The log histogram answers every quantile exactly as HdrHistogram (2 digits, auto-resize)
    /// does, over values from 0 to 2^62, recorded singly, in batches and merged.
    #[test]
    fn log_histogram_matches_hdrhistogram() {
        use hdrhistogram::Histogram;
        let mut rng = crate::rng::Stream::new(3, "hdr");
        for case in 0..40 {
            let mut ours = LogHistogram::default();
            let mut other = LogHistogram::default();
            let mut hdr = Histogram::<u64>::new(2).unwrap();
            hdr.auto(true);
            let n = 1 + rng.below(2000);
            let bits = 1 + case % 62;
            for k in 0..n {
                let v = rng.next_u64() >> (64 - bits);
                let c = 1 + (k % 3) as u64;
                if k % 2 == 0 {
                    ours.record_n(v, c);
                } else {
                    other.record_n(v, c);
                }
                hdr.record_n(v, c).unwrap();
            }
            ours.add(&other);
            for q in [0.0, 1e-6, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0, 1.5] {
                assert_eq!(
                    ours.value_at_quantile(q),
                    hdr.value_at_quantile(q),
                    "case {case}, q {q}"
                );
            }
        }
        assert_eq!(LogHistogram::default().value_at_quantile(0.5), 0);
        for v in (0..5000).chain([u64::MAX / 4, u64::MAX >> 1, 1 << 40]) {
            let i = LogHistogram::index(v);
            assert!(LogHistogram::value_at(i) <= v);
            assert!(LogHistogram::highest_equivalent(v) >= v);
        }
    }

    #[test]
    fn prometheus_histogram_quantile_interpolates() {
        let mut h = PromHistogram::default();
        for _ in 0..50 {
            h.record(0.03); // (0.025, 0.05]
        }
        for _ in 0..50 {
            h.record(0.2); // (0.1, 0.25]
        }
        let p50 = h.quantile_since(&PromHistogram::default(), 0.5).unwrap();
        assert!((p50 - 0.05).abs() < 1e-12, "{p50}");
        let p95 = h.quantile_since(&PromHistogram::default(), 0.95).unwrap();
        assert!((p95 - (0.1 + 0.15 * 0.9)).abs() < 1e-12, "{p95}");
        assert_eq!(h.quantile_since(&h, 0.5), None);
    }

    proptest::proptest! {
        /// Counting gives the p50 and p99 the selections give, whatever the spread of the
        /// keys: few distinct values, one value, a narrow or the whole range, NaN and
        /// negative latencies.
        #[test]
        fn counted_p50_p99_match_the_selections(
            n in 1usize..9000,
            spread in proptest::sample::select(vec![0u32, 1, 3, 1000, 1 << 20, u32::MAX]),
            base in proptest::num::u32::ANY,
            seed in 0u64..1000,
            specials in proptest::bool::weighted(0.2),
        ) {
            let mut rng = crate::rng::Stream::new(seed, "counted");
            let mut v: Vec<u32> = (0..n)
                .map(|_| base.wrapping_add((rng.next_u64() as u32) % spread.max(1)))
                .collect();
            if specials {
                for k in [f32::NAN, -1.0, f32::INFINITY, 0.0, -0.0] {
                    let i = rng.below(n);
                    v[i] = order_key(k);
                }
            }
            let mut bins = Bins::default();
            let want = median_and_p99(&mut v.clone());
            let got = counted_p50_p99(&mut v, &mut bins);
            proptest::prop_assert_eq!(
                (got.0.to_bits(), got.1.to_bits()),
                (want.0.to_bits(), want.1.to_bits())
            );
        }
    }

    /// The paired selection gives the same p50 and p99 as two independent selections.
    #[test]
    fn median_and_p99_match_single_quantiles() {
        let mut rng = crate::rng::Stream::new(5, "q");
        for n in (1..300).chain([1000, 4321]) {
            let v: Vec<f32> = (0..n).map(|_| (rng.below(50) as f32) * 0.5).collect();
            let mut a: Vec<u32> = v.iter().map(|&x| order_key(x)).collect();
            let (mut b, mut c) = (v.clone(), v);
            assert_eq!(
                median_and_p99(&mut a),
                (quantile(&mut b, 0.50), quantile(&mut c, 0.99)),
                "n {n}"
            );
        }
    }

    /// The weighted selection gives what a scan of the sorted values gives, with ties, zero
    /// and large weights, NaN and negative values.
    #[test]
    fn weighted_p50_p99_match_a_scan_of_the_sorted_values() {
        fn scan(v: &[(f32, u64)], q: f64) -> f64 {
            let mut v = v.to_vec();
            v.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            let total: u64 = v.iter().map(|x| x.1).sum();
            let rank = ((q * total as f64).ceil() as u64).clamp(1, total.max(1));
            let mut cum = 0;
            for &(x, w) in &v {
                cum += w;
                if cum >= rank {
                    return x as f64;
                }
            }
            v.last().map_or(f64::NAN, |x| x.0 as f64)
        }
        let mut rng = crate::rng::Stream::new(7, "wq");
        let mut keys = Vec::new();
        for n in (1..200).chain([777, 3000]) {
            let v: Vec<(f32, u64)> = (0..n)
                .map(|_| {
                    let x = match rng.below(40) {
                        0 => f32::NAN,
                        1 => -1.5,
                        k => k as f32 * 0.25,
                    };
                    let w = match rng.below(10) {
                        0 => 0,
                        1 => 1 + rng.below(1_000_000) as u64,
                        _ => 1 + rng.below(5) as u64,
                    };
                    (x, w)
                })
                .collect();
            let want = (scan(&v, 0.50), scan(&v, 0.99));
            let got = weighted_p50_p99(&v, &mut keys);
            assert_eq!(got.0.to_bits(), want.0.to_bits(), "n {n} p50");
            assert_eq!(got.1.to_bits(), want.1.to_bits(), "n {n} p99");
            // The packed keys (what a row holds: counts from 1 to u32::MAX), in the order
            // given, sorted and reversed.
            let counted: Vec<(f32, u64)> = v.into_iter().filter(|x| x.1 > 0).collect();
            if counted.is_empty() {
                continue;
            }
            let want = (scan(&counted, 0.50), scan(&counted, 0.99));
            let mut packed: Vec<u64> = counted.iter().map(|&(x, w)| pack(x, w)).collect();
            for order in 0..3 {
                match order {
                    1 => packed.sort_unstable(),
                    2 => packed.reverse(),
                    _ => {}
                }
                let got = packed_p50_p99(&mut packed.clone());
                assert_eq!(
                    got.0.to_bits(),
                    want.0.to_bits(),
                    "n {n} p50, order {order}"
                );
                assert_eq!(
                    got.1.to_bits(),
                    want.1.to_bits(),
                    "n {n} p99, order {order}"
                );
            }
        }
    }

    /// Runs merged to their ends, through keys of `u64::MAX` (the used-up runs' mark): the
    /// ranks are what one descent for both gives.
    #[test]
    fn merged_runs_of_the_largest_key_match_one_descent() {
        let big = u64::MAX;
        for keys in [
            vec![(1 << 32) | 5, big, (3 << 32) | 1, big],
            vec![big, (2 << 32) | 7, big],
            vec![(7 << 32) | 1, big, 1 << 32 | 1, big, 2 << 32 | 1, big],
        ] {
            let total: u64 = keys.iter().map(|&k| packed_weight(k)).sum();
            for (q1, q2) in [(0.5, 0.99), (0.0, 0.0), (1.0, 1.0)] {
                let (r1, r2) = (weighted_rank(q1, total), weighted_rank(q2, total));
                let runs = ascending_runs(&keys).expect("a few runs");
                let got = merged_p50_p99(&keys, &runs, total, r1, r2);
                let want = packed_select_two(&mut keys.clone(), r1, r2);
                assert_eq!(
                    (got.0.to_bits(), got.1.to_bits()),
                    (want.0.to_bits(), want.1.to_bits()),
                    "{keys:?} {r1} {r2}"
                );
            }
        }
    }

    proptest::proptest! {
        /// The packed selection answers both quantiles as the scan of the sorted values does,
        /// whatever the values (many equal or all distinct, NaN, negative) and counts.
        #[test]
        fn packed_p50_p99_match_the_weighted_selection(
            v in proptest::collection::vec(
                (
                    proptest::prop_oneof![
                        (0u32..8).prop_map(|k| k as f32 * 0.5),
                        proptest::num::f32::ANY,
                        -1.0f32..20.0,
                    ],
                    proptest::prop_oneof![1u64..4, 1u64..=u64::from(u32::MAX)],
                ),
                1..400,
            ),
        ) {
            let want = weighted_p50_p99(&v, &mut Vec::new());
            let mut packed: Vec<u64> = v.iter().map(|&(x, w)| pack(x, w)).collect();
            let got = packed_p50_p99(&mut packed);
            proptest::prop_assert_eq!(got.0.to_bits(), want.0.to_bits());
            proptest::prop_assert_eq!(got.1.to_bits(), want.1.to_bits());
        }

        /// A batch of batches is pushed as each batch in turn would be: zero counts left out,
        /// counts too large for a packed key kept wide.
        #[test]
        fn batches_push_as_one_push_each(
            batches in proptest::collection::vec(
                (
                    -1.0f64..20.0,
                    proptest::prop_oneof![
                        1u64..5_000,
                        proptest::sample::select(vec![
                            0u64,
                            1,
                            u64::from(u32::MAX) - 1,
                            u64::from(u32::MAX),
                            u64::from(u32::MAX) + 1,
                            u64::MAX,
                        ]),
                    ],
                ),
                0..12,
            ),
        ) {
            let (mut one_by_one, mut batched) =
                (StepLatencies::default(), StepLatencies::default());
            for &(latency, n) in &batches {
                one_by_one.push_n_in_row(latency, n);
            }
            batched.push_batches_in_row(&batches);
            proptest::prop_assert_eq!(format!("{one_by_one:?}"), format!("{batched:?}"));
        }

        /// The count's conversion is `as f64`'s, to the bit, on both sides of 2^63.
        #[test]
        fn count_as_f64_is_the_unsigned_conversion(
            n in proptest::prop_oneof![
                proptest::num::u64::ANY,
                0u64..1 << 54,
                (1u64 << 63) - 4096..(1 << 63) + 4096,
            ],
        ) {
            proptest::prop_assert_eq!(count_as_f64(n).to_bits(), (n as f64).to_bits());
        }

        /// The one-pass runs and total are the runs of [`ascending_runs`] and the sum of the
        /// weights, for keys in a few runs or many.
        #[test]
        fn ascending_runs_and_total_match_the_runs_and_the_sum(
            keys in proptest::collection::vec(
                proptest::prop_oneof![1u64..40, proptest::num::u64::ANY],
                1..60,
            ),
            runs in 1usize..7,
        ) {
            let mut keys = keys;
            let run = keys.len().div_ceil(runs);
            for chunk in keys.chunks_mut(run) {
                chunk.sort_unstable();
            }
            let want = (ascending_runs(&keys), keys.iter().map(|&k| packed_weight(k)).sum::<u64>());
            proptest::prop_assert_eq!(ascending_runs_and_total(&keys), want);
        }

        /// Rows as the flow level fills them (a few ascending runs of batches): the ranks
        /// read off the merged runs are what one descent for both, and the scan of the sorted
        /// values, give.
        #[test]
        fn packed_p50_p99_of_ascending_runs_match_one_descent(
            v in proptest::collection::vec(
                (
                    proptest::prop_oneof![
                        (0u32..6).prop_map(|k| k as f32 * 0.01),
                        0.0f32..1.0,
                        proptest::num::f32::ANY,
                    ],
                    proptest::prop_oneof![1u64..3, 50u64..5_000, 1u64..=u64::from(u32::MAX)],
                ),
                1..80,
            ),
            runs in 1usize..6,
        ) {
            let mut packed: Vec<u64> = v.iter().map(|&(x, w)| pack(x, w)).collect();
            let run = packed.len().div_ceil(runs);
            for chunk in packed.chunks_mut(run) {
                chunk.sort_unstable();
            }
            let total: u64 = packed.iter().map(|&k| packed_weight(k)).sum();
            let (r1, r2) = (weighted_rank(0.50, total), weighted_rank(0.99, total));
            let old = packed_select_two(&mut packed.clone(), r1, r2);
            let got = packed_p50_p99(&mut packed);
            proptest::prop_assert_eq!(got.0.to_bits(), (old.0 as f64).to_bits());
            proptest::prop_assert_eq!(got.1.to_bits(), (old.1 as f64).to_bits());
            let want = weighted_p50_p99(&v, &mut Vec::new());
            proptest::prop_assert_eq!(got.0.to_bits(), want.0.to_bits());
            proptest::prop_assert_eq!(got.1.to_bits(), want.1.to_bits());
        }
    }

    /// A row with a count too large for a packed key, with packed and request-level entries,
    /// closes as the weighted selection of all of them.
    #[test]
    fn step_latencies_close_rows_with_large_counts() {
        let mut s = Series::new(10.0, 1.0);
        let mut l = StepLatencies::default();
        l.push_n(1, 5.0, 1 << 40, &mut s);
        l.push_n(1, 1.0, 3, &mut s);
        l.push(1, 0.5, &mut s);
        l.push_n(2, 2.0, 10, &mut s);
        l.push_n(2, 7.0, 1, &mut s);
        l.push(2, 9.0, &mut s);
        l.close(&mut s);
        assert_eq!((s.latency_p50[1], s.latency_p99[1]), (5.0, 5.0));
        assert_eq!((s.latency_p50[2], s.latency_p99[2]), (2.0, 9.0));
    }

    /// Order keys sort exactly as `total_cmp` does and convert back bit for bit.
    #[test]
    fn order_keys_follow_total_cmp() {
        let xs = [
            f32::NEG_INFINITY,
            -3.5,
            -1e-30,
            -0.0,
            0.0,
            1e-40,
            0.25,
            7.0,
            f32::MAX,
            f32::INFINITY,
            f32::NAN,
            -f32::NAN,
        ];
        for &a in &xs {
            assert_eq!(from_order_key(order_key(a)).to_bits(), a.to_bits());
            for &b in &xs {
                assert_eq!(order_key(a).cmp(&order_key(b)), a.total_cmp(&b), "{a} {b}");
            }
        }
    }

    #[test]
    fn step_latencies_close_rows() {
        let mut s = Series::new(10.0, 1.0);
        let mut l = StepLatencies::default();
        for v in [1.0, 2.0, 3.0, 4.0] {
            l.push(2, v, &mut s);
        }
        l.push(3, 9.0, &mut s);
        l.close(&mut s);
        assert_eq!(s.latency_p50[2], 2.0);
        assert_eq!(s.latency_p99[2], 4.0);
        assert_eq!(s.latency_p50[3], 9.0);
        assert!(s.latency_p50[0].is_nan());
    }

    #[test]
    fn row_histograms_total_every_request_served_by_each_row_end() {
        let mut rows = RowHistograms::default();
        let mut whole = PromHistogram::default();
        for (row, seconds, n) in [(0, 0.003, 2), (2, 0.3, 1), (2, 20.0, 3), (0, 0.01, 1)] {
            rows.record_n(row, seconds, n);
            whole.record_n(seconds, n);
        }
        let totals = rows.running_totals(4);
        let counts: Vec<u64> = totals.iter().map(|(h, _)| h.counts.iter().sum()).collect();
        assert_eq!(counts, [3, 3, 7, 7]);
        assert_eq!(totals[1], totals[0]);
        assert_eq!(totals[3].0, whole);
        assert_eq!(totals[0].1, 2.0 * 0.003 + 0.01);
        assert!((totals[3].1 - 60.316).abs() < 1e-9);
        assert_eq!(
            totals[3].0.counts[PROM_BUCKETS.len()],
            3,
            "20 s is above every bound"
        );
    }
}
