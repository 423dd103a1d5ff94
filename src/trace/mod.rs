//! Load traces: arrival rate over time (plus optional extra metric columns and exact arrival
//! timestamps), and the queries the simulation needs from them.
//!
//! A row's rate holds over `[tᵢ, tᵢ₊₁)`; the last row holds until `end`. An imported file's span
//! is `t_last + Δ` with Δ its resolution (the most common interval between rows): bucketed data
//! such as per-minute request counts means exactly this. Times are seconds from the trace's
//! t = 0; `start_time`, when the source carried absolute timestamps (or the scenario gave one to
//! a generator), is the wall-clock instant of t = 0.
//!
//! Module map:
//! - [`read`]: format detection and the options every importer shares ([`read::ReadOptions`]).
//! - [`csv`]: CSV import (and export, used by `scalesim trace gen`).
//! - [`prometheus`]: Prometheus HTTP API `query_range` JSON.
//! - [`request_log`]: one timestamp per line: exact arrivals plus a binned rate.
//! - [`timefmt`]: time cells (seconds, milliseconds, Unix epoch, RFC 3339), auto-detected.
//! - [`rate_unit`]: what the rate values count (per second, per minute, per hour, per bucket).
//! - [`rows`]: validation and lenient repair shared by the importers (gaps, order, NaN, …).
//! - [`generate`]: synthetic load shapes (constant … Markov bursts, noise, sum/product/concat).
//! - [`transform`]: `scale`, `shift`, `time_scale`, `clip`, `resample`, `window`, `repeat`.
//! - [`stats`]: what `scalesim trace show` prints.
//! - [`spec`]: the scenario's `trace:` block, resolved into a [`Loaded`] trace.
//! - [`spelling`]: the names and aliases of its string enums, for parsing and the schema.
//!
//! Nothing here prints: problems a lenient import repaired come back as [`Warning`]s.

pub(crate) mod csv;
pub(crate) mod generate;
pub(crate) mod memo;
pub(crate) mod prometheus;
pub(crate) mod rate_unit;
pub mod read;
pub(crate) mod request_log;
pub(crate) mod rows;
pub(crate) mod spec;
pub(crate) mod spelling;
pub mod stats;
pub(crate) mod timefmt;
pub(crate) mod transform;

pub use prometheus::Combine;
pub(crate) use rate_unit::RateUnit;
pub use read::{Format, ReadOptions};
pub use rows::{GapFill, Repair};

use crate::error::Location;
use chrono::{DateTime, FixedOffset};
use std::fmt;

/// Something an import or transform repaired or wants the user to know; never fatal.
///
/// Rendered like an [`InputError`](crate::InputError): `file:line: message`.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub location: Location,
    pub message: String,
}

impl Warning {
    pub(crate) fn new(location: Location, message: impl Into<String>) -> Self {
        Warning {
            location,
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loc = self.location.to_string();
        if loc.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{loc}: {}", self.message)
        }
    }
}

/// A resolved trace and the warnings met on the way (lenient repairs, dropped exact arrivals…).
/// The library never prints them: the caller decides (the CLI prints `warning: …` to stderr).
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub trace: Trace,
    pub warnings: Vec<Warning>,
}

impl Loaded {
    pub(crate) fn into_parts(self) -> (Trace, Vec<Warning>) {
        (self.trace, self.warnings)
    }
}

/// An extra numeric column of a trace (e.g. `queue_length`, `kafka_lag`), aligned with `times`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) values: Vec<f64>,
}

/// A piecewise-constant arrival-rate trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// Start of each row, seconds from t = 0, strictly increasing, `times[0] == 0`.
    pub times: Vec<f64>,
    /// Requests per second over `[times[i], times[i+1])` (the last row over `[times[n-1], end)`).
    pub rates: Vec<f64>,
    /// End of the span: `times[n-1] + Δ`.
    pub end: f64,
    /// Wall-clock instant of t = 0 when the source had absolute times.
    pub start_time: Option<DateTime<FixedOffset>>,
    /// Extra numeric columns that scalers or metrics may read by name.
    pub(crate) columns: Vec<Column>,
    /// Exact arrival instants (seconds from t = 0, sorted) when the trace is a request log.
    pub arrivals: Option<Vec<f64>>,
    /// Where [`Trace::row_at`] found its last row (a run asks for times in order).
    pub(crate) hint: RowHint,
}

/// The row [`Trace::row_at`] found last, where the next lookup looks first. Only a hint: a row
/// is taken from it only when the times prove it is the row a binary search finds, so no answer
/// depends on it (nor on which thread set it). Compares equal to every other hint.
#[derive(Default)]
pub(crate) struct RowHint(std::sync::atomic::AtomicUsize);

impl RowHint {
    #[inline]
    fn get(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    #[inline]
    fn set(&self, row: usize) {
        self.0.store(row, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Clone for RowHint {
    fn clone(&self) -> Self {
        RowHint(std::sync::atomic::AtomicUsize::new(self.get()))
    }
}

impl PartialEq for RowHint {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl fmt::Debug for RowHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RowHint")
    }
}

impl Trace {
    /// Build from rows; `end` is the span end (must exceed the last time).
    pub(crate) fn from_rows(times: Vec<f64>, rates: Vec<f64>, end: f64) -> Trace {
        debug_assert_eq!(times.len(), rates.len());
        Trace {
            times,
            rates,
            end,
            start_time: None,
            columns: Vec::new(),
            arrivals: None,
            hint: RowHint::default(),
        }
    }

    /// Rows `k·step` for `k = 0..rates.len()`, ending at `rates.len()·step`.
    pub(crate) fn uniform(step: f64, rates: Vec<f64>) -> Trace {
        let times = (0..rates.len()).map(|k| k as f64 * step).collect();
        let end = rates.len() as f64 * step;
        Trace::from_rows(times, rates, end)
    }

    /// End of row `i` (the next row's start, or `end` for the last row).
    pub(crate) fn row_end(&self, i: usize) -> f64 {
        if i + 1 < self.times.len() {
            self.times[i + 1]
        } else {
            self.end
        }
    }

    /// The resolution: the most common interval between rows (ties: the shorter), or the span
    /// for a one-row trace.
    pub(crate) fn resolution(&self) -> f64 {
        rows::most_common_step(&self.times).unwrap_or(self.end)
    }

    /// Wall-clock instant of trace time `t`, when the trace has a `start_time`.
    pub(crate) fn wall_clock(&self, t: f64) -> Option<DateTime<FixedOffset>> {
        let s = self.start_time?;
        let d = chrono::TimeDelta::nanoseconds((t * 1e9).round() as i64);
        s.checked_add_signed(d)
    }

    /// Trace time of a wall-clock instant (may be negative or beyond the end), when the trace
    /// has a `start_time`.
    pub(crate) fn time_of(&self, instant: DateTime<FixedOffset>) -> Option<f64> {
        let s = self.start_time?;
        Some((instant - s).num_nanoseconds()? as f64 / 1e9)
    }

    pub(crate) fn span(&self) -> f64 {
        self.end
    }

    pub(crate) fn len(&self) -> usize {
        self.times.len()
    }

    /// Index of the row in force at `t` (the last row holds beyond the end): the row of the
    /// last lookup or the one after it when `t` falls strictly inside it, else found by a
    /// binary search.
    #[inline]
    pub(crate) fn row_at(&self, t: f64) -> usize {
        let h = self.hint.get();
        if self.strictly_inside(h, t) {
            return h;
        }
        if self.strictly_inside(h + 1, t) {
            self.hint.set(h + 1);
            return h + 1;
        }
        let i = self.row_searched(t);
        self.hint.set(i);
        i
    }

    /// Whether `t` lies strictly after row `i`'s time and strictly before the next row's (if
    /// any), in `total_cmp`'s order: then, the times being strictly increasing, no row's time is
    /// `t` and row `i` is the one [`Trace::row_searched`] finds.
    #[inline]
    fn strictly_inside(&self, i: usize, t: f64) -> bool {
        self.times.get(i).is_some_and(|x| x.total_cmp(&t).is_lt())
            && self
                .times
                .get(i + 1)
                .is_none_or(|x| x.total_cmp(&t).is_gt())
    }

    /// [`Trace::row_at`] by a binary search of the times.
    fn row_searched(&self, t: f64) -> usize {
        match self.times.binary_search_by(|x| x.total_cmp(&t)) {
            Ok(i) => i,
            Err(0) => 0,
            Err(i) => i - 1,
        }
    }

    /// Arrival rate at `t` (the last rate holds after the span).
    pub fn rate_at(&self, t: f64) -> f64 {
        if self.rates.is_empty() {
            return 0.0;
        }
        self.rates[self.row_at(t)]
    }

    /// Value of an extra column at `t`, if the trace has it.
    pub(crate) fn column_at(&self, name: &str, t: f64) -> Option<f64> {
        let col = self.columns.iter().find(|c| c.name == name)?;
        Some(col.values[self.row_at(t)])
    }

    /// Expected number of arrivals in `[a, b)`: the integral of the rate.
    pub(crate) fn integral(&self, a: f64, b: f64) -> f64 {
        if b <= a || self.rates.is_empty() {
            return 0.0;
        }
        let mut total = 0.0;
        let mut i = self.row_at(a);
        let mut t = a.max(0.0);
        while t < b {
            let seg_end = if i + 1 < self.times.len() {
                self.times[i + 1]
            } else {
                f64::INFINITY
            };
            let until = seg_end.min(b);
            total += self.rates[i] * (until - t);
            t = until;
            i += 1;
            if i >= self.times.len() {
                if t < b {
                    total += self.rates[self.rates.len() - 1] * (b - t);
                }
                break;
            }
        }
        total
    }

    /// Multiply every rate (and leave exact arrivals alone: they are thinned by the caller).
    pub(crate) fn scale_rates(&mut self, factor: f64) {
        for r in &mut self.rates {
            *r *= factor;
        }
    }

    /// Mean rate over the span.
    pub fn mean_rate(&self) -> f64 {
        if self.end <= 0.0 {
            0.0
        } else {
            self.integral(0.0, self.end) / self.end
        }
    }

    pub(crate) fn peak_rate(&self) -> f64 {
        self.rates.iter().copied().fold(0.0, f64::max)
    }
}

/// Walks a trace's cumulative intensity Λ(t) forward to turn unit-rate exponential gaps into
/// non-homogeneous Poisson arrival instants (time rescaling: exact for piecewise-constant rates).
///
/// The current row's rate and end are kept beside the row, so a gap that lands in the same row
/// (nearly every one) costs a division, an addition and a comparison; crossing a row takes the
/// general walk, which computes the same values the same way.
#[derive(Debug, Clone)]
pub(crate) struct ArrivalClock {
    row: usize,
    /// Current time.
    t: f64,
    /// `row`'s rate once the walk has reached it (0 before the first gap: the walk then runs).
    rate: f64,
    /// When `row` ends (+∞ for the last row).
    seg_end: f64,
}

impl ArrivalClock {
    pub(crate) fn new() -> Self {
        ArrivalClock {
            row: 0,
            t: 0.0,
            rate: 0.0,
            seg_end: 0.0,
        }
    }

    /// Advance by `gap` units of cumulative intensity (an Exp(1) draw) and return the arrival
    /// instant, or `None` if the rate stays zero forever after the current time. `trace` is the
    /// same trace at every call.
    #[inline(always)]
    pub(crate) fn advance(&mut self, trace: &Trace, gap: f64) -> Option<f64> {
        if self.rate > 0.0 {
            let need = gap / self.rate;
            if self.t + need < self.seg_end {
                self.t += need;
                return Some(self.t);
            }
        }
        self.walk(trace, gap)
    }

    /// [`Self::advance`] through as many rows as the gap crosses.
    #[inline(never)]
    fn walk(&mut self, trace: &Trace, mut gap: f64) -> Option<f64> {
        let n = trace.times.len().min(trace.rates.len());
        if n == 0 || self.row >= n {
            return None;
        }
        loop {
            let rate = trace.rates[self.row];
            let seg_end = if self.row + 1 < n {
                trace.times[self.row + 1]
            } else {
                f64::INFINITY
            };
            if rate > 0.0 {
                let need = gap / rate;
                if self.t + need < seg_end {
                    self.t += need;
                    (self.rate, self.seg_end) = (rate, seg_end);
                    return Some(self.t);
                }
                gap -= (seg_end - self.t) * rate;
            }
            if self.row + 1 >= n {
                self.rate = 0.0;
                return None;
            }
            self.t = seg_end;
            self.row += 1;
        }
    }
}

impl Default for ArrivalClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A lookup from the last one's row finds the row a binary search finds, whatever the
        /// order of the lookups (row times, between them, before and after the span, -0).
        #[test]
        fn a_hinted_row_is_the_searched_row(
            gaps in proptest::collection::vec(0.001f64..50.0, 1..30),
            probes in proptest::collection::vec((0usize..40, -1.0f64..1.0), 1..200),
        ) {
            let mut t = 0.0;
            let times: Vec<f64> = std::iter::once(0.0)
                .chain(gaps.iter().map(|g| { t += g; t }))
                .collect();
            let n = times.len();
            let trace = Trace::from_rows(times.clone(), vec![1.0; n], t + 1.0);
            for (k, frac) in probes {
                let at = match k {
                    0 => -0.0,
                    k if k <= n => {
                        let next = times.get(k).copied().unwrap_or(t + 5.0);
                        times[k - 1] + frac.max(0.0) * (next - times[k - 1])
                    }
                    k if k <= n + 5 => times[(k - n - 1) % n] - 1e-9 * frac,
                    _ => frac * 2.0 * t,
                };
                prop_assert_eq!(trace.row_at(at), trace.row_searched(at), "at {}", at);
            }
        }
    }

    fn trace() -> Trace {
        Trace::from_rows(vec![0.0, 10.0, 20.0], vec![1.0, 0.0, 5.0], 30.0)
    }

    #[test]
    fn rate_and_integral() {
        let t = trace();
        assert_eq!(t.rate_at(0.0), 1.0);
        assert_eq!(t.rate_at(9.99), 1.0);
        assert_eq!(t.rate_at(10.0), 0.0);
        assert_eq!(t.rate_at(100.0), 5.0);
        assert_eq!(t.integral(0.0, 30.0), 10.0 + 50.0);
        assert_eq!(t.integral(5.0, 25.0), 5.0 + 25.0);
        assert_eq!(t.integral(25.0, 40.0), 75.0);
    }

    #[test]
    fn arrival_clock_skips_zero_segments() {
        let t = trace();
        let mut c = ArrivalClock::new();
        assert_eq!(c.advance(&t, 5.0), Some(5.0));
        // 5 units left in row 0 then zero rate until 20, then rate 5: 1 more unit = 0.2 s
        assert!((c.advance(&t, 6.0).unwrap() - 20.2).abs() < 1e-12);
        let z = Trace::from_rows(vec![0.0], vec![0.0], 10.0);
        assert_eq!(ArrivalClock::new().advance(&z, 1.0), None);
    }

    /// The clock's walk as it was before it kept its row's rate and end: the reference the
    /// kept row must reproduce to the bit.
    fn walk_reference(row: &mut usize, t: &mut f64, trace: &Trace, mut gap: f64) -> Option<f64> {
        let n = trace.times.len().min(trace.rates.len());
        if n == 0 || *row >= n {
            return None;
        }
        loop {
            let rate = trace.rates[*row];
            let seg_end = if *row + 1 < n {
                trace.times[*row + 1]
            } else {
                f64::INFINITY
            };
            if rate > 0.0 {
                let need = gap / rate;
                if *t + need < seg_end {
                    *t += need;
                    return Some(*t);
                }
                gap -= (seg_end - *t) * rate;
            }
            if *row + 1 >= n {
                return None;
            }
            *t = seg_end;
            *row += 1;
        }
    }

    /// Over uneven rows (zero-rate ones, a zero last row, rows shorter than a gap), the clock
    /// gives the very same instants as the plain walk, then the same end.
    #[test]
    fn arrival_clock_matches_the_plain_walk_to_the_bit() {
        let mut rng = crate::rng::Stream::new(3, "clock-test");
        for round in 0..50 {
            let rows = 1 + rng.below(30);
            let times: Vec<f64> = (0..rows).map(|i| i as f64 * (0.5 + round as f64)).collect();
            let rates: Vec<f64> = (0..rows)
                .map(|_| match rng.below(3) {
                    0 => 0.0,
                    1 => rng.uniform() * 0.3,
                    _ => rng.uniform() * 50.0,
                })
                .collect();
            let t = Trace::from_rows(times, rates, rows as f64 * (0.5 + round as f64));
            let mut clock = ArrivalClock::new();
            let (mut row, mut at) = (0, 0.0);
            for _ in 0..2_000 {
                let gap = rng.exp1();
                let want = walk_reference(&mut row, &mut at, &t, gap);
                let got = clock.advance(&t, gap);
                assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits));
                if want.is_none() {
                    break;
                }
            }
        }
    }

    /// Arrivals drawn with the clock and seeded Exp(1) gaps over a long, uneven trace match the
    /// trace's integral within sampling error: the whole count and every hour's count within
    /// 4 standard deviations of a Poisson count.
    #[test]
    fn nhpp_arrivals_match_the_integral() {
        use rand_distr::{Distribution, Exp1};
        let spec: generate::GeneratorSpec = crate::yaml::parse(&crate::yaml::Source::from_string(
            "g.yaml",
            "{kind: sum, of: [{kind: diurnal, min: 2, max: 40}, {kind: spike, base: 0, peak: 200, at: 9h, rise: 1m, hold: 10m, decay: 30m}, {kind: step, from: 0, to: 0, at: 0}]}",
        ))
        .unwrap();
        let mut t = spec
            .build()
            .unwrap()
            .generate(&generate::GenContext {
                seed: 5,
                start_time: None,
                duration: Some(86_400.0),
            })
            .unwrap();
        // Quiet hours with no load at all exercise the zero-rate skipping.
        for r in &mut t.rates[3 * 3600..4 * 3600] {
            *r = 0.0;
        }
        let mut rng = generate::random::stream_rng(11, "test.arrivals");
        let mut clock = ArrivalClock::new();
        let mut per_hour = [0u64; 24];
        while let Some(x) = clock.advance(&t, Exp1.sample(&mut rng)) {
            if x >= t.end {
                break;
            }
            per_hour[(x / 3600.0) as usize] += 1;
        }
        let total: u64 = per_hour.iter().sum();
        let expect = t.integral(0.0, t.end);
        assert!(
            (total as f64 - expect).abs() < 4.0 * expect.sqrt(),
            "{total} vs {expect}"
        );
        assert_eq!(per_hour[3], 0);
        for (h, &n) in per_hour.iter().enumerate() {
            let e = t.integral(h as f64 * 3600.0, (h + 1) as f64 * 3600.0);
            assert!(
                (n as f64 - e).abs() <= 4.0 * e.sqrt(),
                "hour {h}: {n} vs {e}"
            );
        }
    }
}
