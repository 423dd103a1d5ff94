//! Validation and lenient repair of imported rows, shared by the CSV and Prometheus importers.
//!
//! Strict (the default), the first problem in file order is an error naming its line:
//! - a missing, NaN or infinite rate, or a negative one;
//! - a rate above [`crate::limits::MAX_TRACE_VALUE`] (an error even when lenient);
//! - a time equal to the previous row's (duplicate) or earlier (unsorted);
//! - a negative time in a file of relative times;
//! - a **gap**: in a *regular* trace (at least [`MIN_REGULAR_INTERVALS`] (8) intervals, more
//!   than half of them equal to the most common one, the resolution), two rows more than
//!   [`GAP_FACTOR`] (3) × the resolution apart, i.e. at least three rows missing. Short or
//!   irregular traces (hand-written change points such as `0,10 / 600,50 / 610,10`) have no
//!   gaps: each rate simply holds until the next row. Leading time before the first row of a
//!   relative trace is not a gap: it carries no load.
//!
//! With `lenient: true` each of these becomes one aggregated [`Warning`] and a repair, applied in
//! this order:
//! 1. rows are sorted by time (stable);
//! 2. duplicate times keep the **last** row in file order (a later row is taken as a correction;
//!    rates are not summed);
//! 3. rows at negative relative times are dropped;
//! 4. a missing/NaN/±Inf rate takes the previous row's rate (0 for the first row);
//! 5. negative rates are clamped to 0;
//! 6. gaps **hold the previous rate** (`gap_fill: hold`, the default: a scrape that failed is
//!    not a quiet minute), or, with `gap_fill: zero`, carry no load from one resolution step
//!    after the last row before the gap (for logs that skip empty buckets). Extra columns always
//!    hold their last value across a gap.
//!
//! Blank cells in extra columns are not errors: they hold the previous value (0 before the first).

use super::{Column, Trace, Warning};
use crate::error::{InputError, Location};
use crate::units::format_seconds;
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Rows more than this many resolutions apart are a gap (in a regular trace).
pub(crate) const GAP_FACTOR: f64 = 3.0;
/// A trace needs at least this many intervals between rows to be called regular.
pub(crate) const MIN_REGULAR_INTERVALS: usize = 8;

/// How a lenient import fills a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GapFill {
    /// The rate before the gap holds across it.
    #[default]
    Hold,
    /// No load in the gap (from one resolution step after the last row before it).
    Zero,
}

impl FromStr for GapFill {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "hold" => Ok(GapFill::Hold),
            "zero" => Ok(GapFill::Zero),
            o => Err(format!("unknown gap fill {o:?} (expected hold or zero)")),
        }
    }
}

/// Where a row came from: 1-based line, and column when known (0 = unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub(crate) line: u32,
    pub(crate) column: u32,
}

impl Pos {
    pub(crate) fn line(line: usize) -> Pos {
        Pos {
            line: line.min(u32::MAX as usize) as u32,
            column: 0,
        }
    }
    pub(crate) fn location(self, path: &Path) -> Location {
        Location::file(path).with_line(
            self.line as usize,
            (self.column > 0).then_some(self.column as usize),
        )
    }
}

/// Rows as read, before validation: times in the file's frame (seconds from the start, or from
/// the first absolute time), rates possibly NaN (missing), negative or infinite.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawRows {
    pub(crate) times: Vec<f64>,
    pub(crate) rates: Vec<f64>,
    pub(crate) pos: Vec<Pos>,
    /// Extra columns aligned with the rows; NaN marks a blank cell.
    pub(crate) columns: Vec<Column>,
}

/// Options for [`finish`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Repair {
    pub lenient: bool,
    pub gap_fill: GapFill,
}

/// What [`finish`] needs to know about the file.
#[derive(Debug, Clone)]
pub(crate) struct Source<'a> {
    pub(crate) path: &'a Path,
    /// Name of the rate column (or series), for messages.
    pub(crate) rate_name: &'a str,
    /// For absolute times: the instant the raw times count from.
    pub(crate) origin: Option<DateTime<FixedOffset>>,
}

/// Validate (or leniently repair) raw rows into a trace. See the module docs for the rules.
pub(crate) fn finish(
    src: &Source<'_>,
    raw: RawRows,
    repair: Repair,
) -> Result<(Trace, Vec<Warning>), InputError> {
    let path = src.path;
    let mut w = Warnings::new(path);
    let mut raw = raw;
    if raw.times.is_empty() {
        return Err(InputError::in_file(path, "empty trace: no data rows"));
    }
    let found = check_rows(src, &raw, repair, &mut w)?;
    if repair.lenient {
        repair_rows(src, &mut raw, found, &mut w)?;
    }
    emit_row_warnings(&mut w);
    let step = fill_gaps(src.path, &mut raw, repair, &mut w)?;
    let res = step.unwrap_or(1.0);
    let start_time = rebase(src, &mut raw)?;
    let RawRows {
        times,
        rates,
        mut columns,
        ..
    } = raw;
    let end = times[times.len() - 1] + res;
    hold_blank_cells(&mut columns);
    let trace = Trace {
        times,
        rates,
        end,
        start_time,
        columns,
        arrivals: None,
        hint: Default::default(),
    };
    Ok((trace, w.into_vec()))
}

/// The row-level problems a lenient pass 1 noted (a strict one stops at the first).
#[derive(Debug, Clone, Copy, Default)]
struct Found {
    unsorted: bool,
    duplicates: bool,
    negative_times: bool,
    missing: bool,
}

/// Pass 1, file order: report (strict) or note (lenient) every row-level problem.
fn check_rows(
    src: &Source<'_>,
    raw: &RawRows,
    repair: Repair,
    w: &mut Warnings,
) -> Result<Found, InputError> {
    let absolute = src.origin.is_some();
    let mut found = Found::default();
    for i in 0..raw.times.len() {
        let (t, r, p) = (raw.times[i], raw.rates[i], raw.pos[i]);
        if i > 0 && t <= raw.times[i - 1] {
            check_order(src.path, (raw.times[i - 1], t), p, repair, w, &mut found)?;
        }
        if !absolute && t < 0.0 {
            if !repair.lenient {
                return Err(err(
                    src.path,
                    p,
                    format!(
                        "time {} is negative: relative times count seconds from the start",
                        fmt_t(t)
                    ),
                ));
            }
            found.negative_times = true;
            w.note("negtime", p);
        }
        check_rate(src, r, p, repair, w, &mut found)?;
    }
    Ok(found)
}

/// A row whose time is not after the row before's (`prev`, `t`): a duplicate or out of order.
fn check_order(
    path: &Path,
    (prev, t): (f64, f64),
    p: Pos,
    repair: Repair,
    w: &mut Warnings,
    found: &mut Found,
) -> Result<(), InputError> {
    let dup = t == prev;
    if !repair.lenient {
        let what = if dup {
            format!(
                "duplicate time {}: the row before has the same time",
                fmt_t(t)
            )
        } else {
            format!(
                "time {} is earlier than the row before ({}): rows must be sorted by time",
                fmt_t(t),
                fmt_t(prev)
            )
        };
        return Err(err(
            path,
            p,
            format!(
                "{what} (`lenient: true`, or `--lenient`, sorts rows and keeps the last of duplicates)"
            ),
        ));
    }
    if dup {
        found.duplicates = true; // counted when the duplicates are merged below
    } else {
        found.unsorted = true;
        w.note("unsorted", p);
    }
    Ok(())
}

/// A row's rate: missing or infinite, above the limit (always an error), or negative.
fn check_rate(
    src: &Source<'_>,
    r: f64,
    p: Pos,
    repair: Repair,
    w: &mut Warnings,
    found: &mut Found,
) -> Result<(), InputError> {
    let path = src.path;
    if !r.is_finite() {
        if !repair.lenient {
            let what = if r.is_nan() {
                "has no value (blank or NaN)".to_string()
            } else {
                format!("is {r}")
            };
            return Err(err(
                path,
                p,
                format!(
                    "`{}` {what}: a rate must be a finite number (`lenient: true`, or `--lenient`, takes the previous row's rate instead)",
                    src.rate_name
                ),
            ));
        }
        found.missing = true;
        w.note("missing", p);
    } else if r > crate::limits::MAX_TRACE_VALUE {
        return Err(err(
            path,
            p,
            format!(
                "`{}` is {r:e}, more than scalesim can count ({:e}; see docs/limits.md)",
                src.rate_name,
                crate::limits::MAX_TRACE_VALUE
            ),
        ));
    } else if r < 0.0 {
        if !repair.lenient {
            return Err(err(
                path,
                p,
                format!(
                    "`{}` is {r}, negative: a rate must be zero or more (`lenient: true`, or `--lenient`, clamps it to 0)",
                    src.rate_name
                ),
            ));
        }
        w.note("negative", p);
    }
    Ok(())
}

/// Lenient repairs, in the documented order: sort, keep the last of duplicates, drop negative
/// relative times, take the previous rate for missing ones, clamp negative rates to 0.
fn repair_rows(
    src: &Source<'_>,
    raw: &mut RawRows,
    found: Found,
    w: &mut Warnings,
) -> Result<(), InputError> {
    if found.unsorted || found.duplicates || found.negative_times {
        let keep = rows_to_keep(src, raw, found.unsorted, w);
        raw.times = keep.iter().map(|&i| raw.times[i]).collect();
        raw.rates = keep.iter().map(|&i| raw.rates[i]).collect();
        raw.pos = keep.iter().map(|&i| raw.pos[i]).collect();
        for c in &mut raw.columns {
            c.values = keep.iter().map(|&i| c.values[i]).collect();
        }
        if raw.times.is_empty() {
            return Err(InputError::in_file(
                src.path,
                "no rows left after dropping negative times",
            ));
        }
    }
    if found.missing {
        let mut last = 0.0;
        for r in &mut raw.rates {
            if r.is_finite() {
                last = *r;
            } else {
                *r = last;
            }
        }
    }
    for r in &mut raw.rates {
        if *r < 0.0 {
            *r = 0.0;
        }
    }
    Ok(())
}

/// The indices of the rows a lenient import keeps, in time order: the last row of each time,
/// none at a negative relative time.
fn rows_to_keep(src: &Source<'_>, raw: &RawRows, sort: bool, w: &mut Warnings) -> Vec<usize> {
    let (times, absolute) = (&raw.times, src.origin.is_some());
    let mut order: Vec<usize> = (0..times.len()).collect();
    if sort {
        order.sort_by(|&a, &b| times[a].total_cmp(&times[b]));
    }
    let mut keep: Vec<usize> = Vec::with_capacity(order.len());
    for &i in &order {
        if !absolute && times[i] < 0.0 {
            continue;
        }
        if let Some(last) = keep.last_mut()
            && times[*last] == times[i]
        {
            w.note("dup", raw.pos[i]);
            *last = i;
        } else {
            keep.push(i);
        }
    }
    keep
}

/// One aggregated warning per kind of row-level repair, in the documented order.
fn emit_row_warnings(w: &mut Warnings) {
    w.emit("unsorted", |n| {
        format!("{} out of time order: sorted by time", rows(n))
    });
    w.emit("dup", |n| {
        format!(
            "{} the time of an earlier row: kept the last row of each time",
            if n == 1 {
                "1 row repeats".to_string()
            } else {
                format!("{n} rows repeat")
            }
        )
    });
    w.emit("negtime", |n| {
        format!("{} at negative times: dropped", rows(n))
    });
    w.emit("missing", |n| {
        format!(
            "{} without a usable rate (blank, NaN or infinite): took the previous row's rate",
            rows(n)
        )
    });
    w.emit("negative", |n| {
        format!("{} with a negative rate: clamped to 0", rows(n))
    });
}

/// Resolution and gaps (before any synthetic leading row): a gap in a regular trace is an
/// error (strict) or a warning, filled with no load under `gap_fill: zero`. Returns the
/// resolution (the most common step), if any.
fn fill_gaps(
    path: &Path,
    raw: &mut RawRows,
    repair: Repair,
    w: &mut Warnings,
) -> Result<Option<f64>, InputError> {
    let step = most_common_step(&raw.times);
    let regular = step.is_some_and(|s| is_regular(&raw.times, s));
    let (Some(res), true) = (step, regular) else {
        return Ok(step);
    };
    let inserts = find_gaps(path, raw, res, repair, w)?;
    match repair.gap_fill {
        GapFill::Hold => w.emit("gap", |n| {
            format!(
                "{} in the data: the rate before each holds across it",
                gaps(n)
            )
        }),
        GapFill::Zero => {
            w.emit("gap", |n| {
                format!(
                    "{} in the data: no load from one step after the row before each",
                    gaps(n)
                )
            });
            // Insert back to front so indices stay valid.
            for &i in inserts.iter().rev() {
                let t = raw.times[i - 1] + res;
                raw.times.insert(i, t);
                raw.rates.insert(i, 0.0);
                raw.pos.insert(i, raw.pos[i]);
                for c in &mut raw.columns {
                    let v = c.values[i - 1];
                    c.values.insert(i, v);
                }
            }
        }
    }
    Ok(step)
}

/// The rows that follow a gap (more than [`GAP_FACTOR`] × the resolution `res` after the row
/// before): the first is an error when strict, each a noted warning when lenient.
fn find_gaps(
    path: &Path,
    raw: &RawRows,
    res: f64,
    repair: Repair,
    w: &mut Warnings,
) -> Result<Vec<usize>, InputError> {
    let limit = GAP_FACTOR * res;
    let mut inserts: Vec<usize> = Vec::new();
    for i in 1..raw.times.len() {
        let d = raw.times[i] - raw.times[i - 1];
        if d > limit * (1.0 + 1e-9) {
            if !repair.lenient {
                return Err(err(
                    path,
                    raw.pos[i],
                    format!(
                        "gap: no row for {} before this one (the rows are {} apart elsewhere; more than {GAP_FACTOR}× that is a hole in the data). Fill it, or set `lenient: true` (`--lenient`) to hold the previous rate across it (with `gap_fill: zero`, `--gap-fill zero`, for no load)",
                        format_seconds(d),
                        format_seconds(res)
                    ),
                ));
            }
            w.note("gap", raw.pos[i]);
            inserts.push(i);
        }
    }
    Ok(inserts)
}

/// Rebase: absolute times start at the first row (returned as the start time); relative ones
/// have no load before it.
fn rebase(
    src: &Source<'_>,
    raw: &mut RawRows,
) -> Result<Option<DateTime<FixedOffset>>, InputError> {
    let Some(origin) = src.origin else {
        if raw.times[0] > 0.0 {
            raw.times.insert(0, 0.0);
            raw.rates.insert(0, 0.0);
            for c in &mut raw.columns {
                c.values.insert(0, f64::NAN);
            }
        }
        return Ok(None);
    };
    let t0 = raw.times[0];
    if t0 != 0.0 {
        for t in &mut raw.times {
            *t -= t0;
        }
    }
    let shift = chrono::TimeDelta::nanoseconds((t0 * 1e9).round() as i64);
    let start = origin
        .checked_add_signed(shift)
        .ok_or_else(|| InputError::in_file(src.path, "time out of range"))?;
    Ok(Some(start))
}

/// Extra columns: blank cells hold the previous value (0 before the first); all-blank columns
/// are dropped.
fn hold_blank_cells(columns: &mut Vec<Column>) {
    columns.retain(|c| c.values.iter().any(|v| !v.is_nan()));
    for c in columns {
        let mut last = 0.0;
        for v in &mut c.values {
            if v.is_nan() {
                *v = last;
            } else {
                last = *v;
            }
        }
    }
}

/// The most common interval between consecutive times (rounded to the microsecond for
/// counting; ties go to the shorter), or `None` for fewer than two rows.
pub(crate) fn most_common_step(times: &[f64]) -> Option<f64> {
    if times.len() < 2 {
        return None;
    }
    let key = |d: f64| (d * 1e6).round() as i64;
    let mut counts: HashMap<i64, (usize, f64)> = HashMap::new();
    let mut run_key = key(times[1] - times[0]);
    let mut run_len = 0usize;
    let mut run_d = times[1] - times[0];
    for w in times.windows(2) {
        let d = w[1] - w[0];
        let k = key(d);
        if k == run_key {
            run_len += 1;
        } else {
            counts.entry(run_key).or_insert((0, run_d)).0 += run_len;
            run_key = k;
            run_len = 1;
            run_d = d;
        }
    }
    counts.entry(run_key).or_insert((0, run_d)).0 += run_len;
    counts
        .into_iter()
        .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.0.cmp(&a.0)))
        .map(|(_, (_, d))| d)
        .filter(|d| *d > 0.0)
}

/// Whether `step` separates at least half of the consecutive rows.
pub(crate) fn is_regular(times: &[f64], step: f64) -> bool {
    let n = times.len().saturating_sub(1);
    if n < MIN_REGULAR_INTERVALS {
        return false;
    }
    let tol = step * 1e-6;
    let hits = times
        .windows(2)
        .filter(|w| ((w[1] - w[0]) - step).abs() <= tol)
        .count();
    hits * 2 > n
}

fn rows(n: usize) -> String {
    if n == 1 {
        "1 row".into()
    } else {
        format!("{n} rows")
    }
}

fn gaps(n: usize) -> String {
    if n == 1 {
        "1 gap".into()
    } else {
        format!("{n} gaps")
    }
}

fn fmt_t(t: f64) -> String {
    format!("{t}")
}

fn err(path: &Path, p: Pos, msg: String) -> InputError {
    InputError::new(p.location(path), msg)
}

/// Aggregates repeated warnings of one kind into a single line naming the first occurrence.
struct Warnings {
    path: PathBuf,
    counts: Vec<(&'static str, usize, Pos)>,
    out: Vec<Warning>,
}

impl Warnings {
    fn new(path: &Path) -> Self {
        Warnings {
            path: path.to_path_buf(),
            counts: Vec::new(),
            out: Vec::new(),
        }
    }
    fn note(&mut self, kind: &'static str, p: Pos) {
        match self.counts.iter_mut().find(|c| c.0 == kind) {
            Some(c) => c.1 += 1,
            None => self.counts.push((kind, 1, p)),
        }
    }
    fn emit(&mut self, kind: &'static str, msg: impl Fn(usize) -> String) {
        if let Some(&(_, n, p)) = self.counts.iter().find(|c| c.0 == kind) {
            let first = if n > 1 { " (this is the first)" } else { "" };
            self.out.push(Warning::new(
                p.location(&self.path),
                format!("{}{first}", msg(n)),
            ));
        }
    }
    fn into_vec(self) -> Vec<Warning> {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(rows: &[(f64, f64)]) -> RawRows {
        RawRows {
            times: rows.iter().map(|r| r.0).collect(),
            rates: rows.iter().map(|r| r.1).collect(),
            pos: (0..rows.len()).map(|i| Pos::line(i + 2)).collect(),
            columns: Vec::new(),
        }
    }
    fn src() -> Source<'static> {
        Source {
            path: Path::new("t.csv"),
            rate_name: "rps",
            origin: None,
        }
    }
    const STRICT: Repair = Repair {
        lenient: false,
        gap_fill: GapFill::Hold,
    };
    const LENIENT: Repair = Repair {
        lenient: true,
        gap_fill: GapFill::Hold,
    };

    #[test]
    fn strict_errors_name_the_line() {
        let e = finish(&src(), raw(&[(0.0, 1.0), (1.0, 1.0), (1.0, 2.0)]), STRICT).unwrap_err();
        assert_eq!(e.location.line, Some(4));
        assert!(e.message.contains("duplicate"), "{e}");
        let e = finish(&src(), raw(&[(0.0, 1.0), (2.0, 1.0), (1.0, 2.0)]), STRICT).unwrap_err();
        assert!(e.message.contains("earlier"), "{e}");
        let e = finish(&src(), raw(&[(0.0, 1.0), (1.0, f64::NAN)]), STRICT).unwrap_err();
        assert_eq!(e.location.line, Some(3));
        let e = finish(&src(), raw(&[(0.0, 1.0), (1.0, f64::INFINITY)]), STRICT).unwrap_err();
        assert!(e.message.contains("inf"), "{e}");
        let e = finish(&src(), raw(&[(0.0, -1.0)]), STRICT).unwrap_err();
        assert!(e.message.contains("negative"), "{e}");
    }

    #[test]
    fn gaps_only_in_regular_traces() {
        let every = |ts: &[f64]| -> Vec<(f64, f64)> { ts.iter().map(|&t| (t, 1.0)).collect() };
        let mut ts: Vec<f64> = (0..8).map(|k| k as f64 * 60.0).collect();
        ts.extend([900.0, 960.0]);
        let e = finish(&src(), raw(&every(&ts)), STRICT).unwrap_err();
        assert_eq!(e.location.line, Some(10));
        assert!(e.message.contains("gap: no row for 8m"), "{e}");
        // One or two missing rows (2×, 3× the step) are not a gap.
        let mut ts: Vec<f64> = (0..8).map(|k| k as f64 * 60.0).collect();
        ts.extend([600.0, 660.0]);
        assert!(finish(&src(), raw(&every(&ts)), STRICT).is_ok());
        let rows = every(&[0.0, 60.0, 120.0, 180.0, 360.0, 420.0]);
        assert!(finish(&src(), raw(&rows), STRICT).is_ok());
        // Hand-written change points: irregular, no gaps.
        let t = finish(
            &src(),
            raw(&[(0.0, 10.0), (600.0, 50.0), (610.0, 10.0)]),
            STRICT,
        )
        .unwrap()
        .0;
        assert_eq!(t.end, 620.0);
    }

    #[test]
    fn lenient_repairs_in_order() {
        let rows = [
            (0.0, 1.0),
            (2.0, 2.0),
            (1.0, f64::NAN),
            (2.0, 5.0),
            (3.0, -4.0),
            (4.0, 1.0),
        ];
        let (t, w) = finish(&src(), raw(&rows), LENIENT).unwrap();
        assert_eq!(t.times, vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(t.rates, vec![1.0, 1.0, 5.0, 0.0, 1.0]);
        assert_eq!(w.len(), 4, "{w:?}");
        assert!(
            w[0].to_string()
                .starts_with("t.csv:4: 1 row out of time order"),
            "{}",
            w[0]
        );
        let mut ts: Vec<f64> = (0..9).map(|k| k as f64 * 60.0).collect();
        ts.push(1200.0);
        let rows: Vec<(f64, f64)> = ts.iter().map(|&t| (t, 2.0)).collect();
        let (t, w) = finish(&src(), raw(&rows), LENIENT).unwrap();
        assert_eq!(t.integral(0.0, 1260.0), 2.0 * 1260.0);
        assert!(w[0].message.contains("holds"));
        let (t, _) = finish(
            &src(),
            raw(&rows),
            Repair {
                lenient: true,
                gap_fill: GapFill::Zero,
            },
        )
        .unwrap();
        assert_eq!(t.times[8..], [480.0, 540.0, 1200.0]);
        assert_eq!(t.integral(0.0, 1260.0), 2.0 * (540.0 + 60.0));
    }

    /// Warnings count in plain English, and strict errors name both the scenario key and the
    /// command-line flag that repair them.
    #[test]
    fn messages_agree_in_number_and_name_both_switches() {
        let one = finish(&src(), raw(&[(0.0, 1.0), (1.0, 1.0), (1.0, 2.0)]), LENIENT).unwrap();
        assert_eq!(
            one.1[0].message,
            "1 row repeats the time of an earlier row: kept the last row of each time"
        );
        let rows = [(0.0, 1.0), (1.0, 1.0), (1.0, 2.0), (2.0, 1.0), (2.0, 1.0)];
        let two = finish(&src(), raw(&rows), LENIENT).unwrap();
        assert!(
            two.1[0].message.starts_with("2 rows repeat the time"),
            "{}",
            two.1[0]
        );
        let e = finish(&src(), raw(&[(0.0, 1.0), (1.0, -1.0)]), STRICT).unwrap_err();
        assert!(
            e.message
                .contains("`lenient: true`, or `--lenient`, clamps"),
            "{e}"
        );
    }

    #[test]
    fn most_common_step_prefers_shorter_on_ties() {
        assert_eq!(most_common_step(&[0.0, 10.0, 30.0]), Some(10.0));
        assert_eq!(most_common_step(&[0.0, 60.0, 120.0, 125.0]), Some(60.0));
        assert_eq!(most_common_step(&[0.0]), None);
    }
}
