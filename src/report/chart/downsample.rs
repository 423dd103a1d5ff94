//! Downsampling a column to the pixels that show it: each pixel column keeps the first, last,
//! smallest and largest value of the rows it covers (the "M4" reduction), so a line drawn through
//! them has exactly the vertical extent of the full-resolution data in every pixel column — a
//! one-step spike is never dropped — while the drawing stays O(pixels), not O(rows).

/// The pixel columns of a plot: `n` equal slices of the time range `[x0, x1)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Columns {
    pub(crate) x0: f64,
    pub(crate) x1: f64,
    pub(crate) n: usize,
}

impl Columns {
    pub(crate) fn new(x0: f64, x1: f64, n: usize) -> Columns {
        Columns {
            x0,
            x1: if x1 > x0 { x1 } else { x0 + 1.0 },
            n: n.max(1),
        }
    }

    /// Seconds one pixel column covers.
    pub(crate) fn width(&self) -> f64 {
        (self.x1 - self.x0) / self.n as f64
    }

    /// The column holding instant `t`, if `t` is in range.
    pub(crate) fn index(&self, t: f64) -> Option<usize> {
        if !(t >= self.x0 && t < self.x1) {
            return None;
        }
        Some((((t - self.x0) / self.width()) as usize).min(self.n - 1))
    }

    pub(crate) fn start(&self, i: usize) -> f64 {
        self.x0 + i as f64 * self.width()
    }
}

/// The rows of one pixel column, reduced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bucket {
    pub(crate) first: f64,
    pub(crate) last: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    /// The minimum came before the maximum (so a path visits them in that order).
    pub(crate) min_first: bool,
    /// Start times of the first and last row in the column.
    pub(crate) t_first: f64,
    pub(crate) t_last: f64,
    /// The line breaks before this column: see [`downsample`].
    pub(crate) gap_before: bool,
    /// Rows with a finite value.
    pub(crate) count: u32,
}

/// Reduce `values` (row `r` starting at `time[r]`) to one [`Bucket`] per pixel column; `None`
/// where a column holds no finite value. O(rows).
///
/// Missing values (NaN) break the line only where the data really has a hole: at least one
/// whole pixel column without a value *and* more than `spacing` seconds between two finite
/// rows. `spacing` is how far apart values are expected — the step, or the flow-level interval
/// when a run records latency only every few steps — so a column that happens to fall between
/// two regular samples is bridged, and a NaN row inside a column that has values is not a break.
pub(crate) fn downsample(
    time: &[f64],
    values: &[f64],
    cols: &Columns,
    spacing: f64,
) -> Vec<Option<Bucket>> {
    let mut out: Vec<Option<Bucket>> = vec![None; cols.n];
    // Start time and column of the previous finite row.
    let mut previous: Option<(f64, usize)> = None;
    for (&t, &v) in time.iter().zip(values) {
        if !v.is_finite() {
            continue;
        }
        let Some(i) = cols.index(t) else { continue };
        match &mut out[i] {
            Some(b) => {
                if v < b.min {
                    b.min = v;
                    b.min_first = false;
                }
                if v > b.max {
                    b.max = v;
                    b.min_first = true;
                }
                b.last = v;
                b.t_last = t;
                b.count += 1;
            }
            slot @ None => {
                let gap_before =
                    previous.is_some_and(|(tp, ip)| i > ip + 1 && t - tp > spacing * (1.0 + 1e-9));
                *slot = Some(Bucket {
                    first: v,
                    last: v,
                    min: v,
                    max: v,
                    min_first: true,
                    t_first: t,
                    t_last: t,
                    gap_before,
                    count: 1,
                });
            }
        }
        previous = Some((t, i));
    }
    out
}

/// How a column is drawn between its samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Straight lines between samples, each at the middle of its rows.
    Line,
    /// Each value holds over its whole row (replica counts, rates of a piecewise-constant trace).
    Step,
}

/// Polylines in data coordinates through every column's first value, extremes and last value,
/// split where [`downsample`] found a gap. A column's extremes share its x, and that x lies in
/// the column itself (for [`Shape::Line`], the middle of its rows, kept inside the column), so
/// every column with data is drawn in its own pixel column and none is left blank between two
/// that share one.
pub(crate) fn polylines(
    buckets: &[Option<Bucket>],
    cols: &Columns,
    shape: Shape,
    step: f64,
) -> Vec<Vec<(f64, f64)>> {
    let mut lines: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let w = cols.width();
    for (i, b) in buckets.iter().enumerate() {
        let Some(b) = b else { continue };
        if b.gap_before && !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        let x = match shape {
            Shape::Step => b.t_first,
            Shape::Line => {
                let start = cols.start(i);
                ((b.t_first + b.t_last + step) / 2.0).clamp(start + 0.1 * w, start + 0.9 * w)
            }
        };
        let (e1, e2) = if b.min_first {
            (b.min, b.max)
        } else {
            (b.max, b.min)
        };
        current.extend([(x, b.first), (x, e1), (x, e2), (x, b.last)]);
        if shape == Shape::Step {
            current.push((b.t_last + step, b.last));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// The pixel column (0 to `width − 1`) that shows instant `t` on an axis from `x0` to `x1`
/// `width` pixels wide: the same slicing as [`Columns::index`], so the data of column `i` lands
/// in pixel column `i`.
pub(crate) fn pixel(t: f64, x0: f64, x1: f64, width: i32) -> i32 {
    let f = ((t - x0) / (x1 - x0)).clamp(0.0, 1.0);
    ((f * width as f64).floor() as i32).clamp(0, (width - 1).max(0))
}

/// Bars for a per-step quantity: one per pixel column with a positive maximum, as
/// `(x_from, x_to, height)`, at least one column wide.
pub(crate) fn bars(buckets: &[Option<Bucket>], cols: &Columns, step: f64) -> Vec<(f64, f64, f64)> {
    buckets
        .iter()
        .enumerate()
        .filter_map(|(i, b)| {
            let b = b.as_ref()?;
            (b.max > 0.0).then(|| {
                let lo = b.t_first;
                let hi = (b.t_last + step).max(cols.start(i + 1));
                (lo, hi, b.max)
            })
        })
        .collect()
}

/// Time intervals `[from, to)` over which `holds(row)` is true (row `r` covering
/// `[time[r], time[r] + step)`), with intervals closer than `merge_gap` merged.
pub(crate) fn intervals(
    time: &[f64],
    step: f64,
    holds: impl Fn(usize) -> bool,
    merge_gap: f64,
) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (r, &t) in time.iter().enumerate() {
        if !holds(r) {
            continue;
        }
        match out.last_mut() {
            Some((_, end)) if t - *end <= merge_gap => *end = t + step,
            _ => out.push((t, t + step)),
        }
    }
    out
}

/// Largest finite value, if any.
pub(crate) fn finite_max(values: &[f64]) -> Option<f64> {
    values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .reduce(f64::max)
}

/// Smallest finite value above zero, if any.
pub(crate) fn positive_min(values: &[f64]) -> Option<f64> {
    values
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v > 0.0)
        .reduce(f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(n: usize) -> Vec<f64> {
        (0..n).map(|i| i as f64).collect()
    }

    #[test]
    fn a_one_sample_spike_survives_downsampling() {
        let n = 86_400;
        let time = seconds(n);
        let mut v = vec![10.0; n];
        v[43_210] = 500.0;
        v[70_001] = -3.0;
        let cols = Columns::new(0.0, n as f64, 1_000);
        let b = downsample(&time, &v, &cols, 1.0);
        let spike = cols.index(43_210.0).unwrap();
        assert_eq!(b[spike].unwrap().max, 500.0);
        assert_eq!(b[spike].unwrap().min, 10.0);
        let dip = cols.index(70_001.0).unwrap();
        assert_eq!(b[dip].unwrap().min, -3.0);
        // Every other column is flat.
        let flat = b
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != spike && *i != dip)
            .all(|(_, b)| b.unwrap().min == 10.0 && b.unwrap().max == 10.0);
        assert!(flat);
        // The polyline reaches the spike's height at the spike's column.
        let lines = polylines(&b, &cols, Shape::Line, 1.0);
        assert_eq!(lines.len(), 1);
        let top = lines[0].iter().map(|p| p.1).fold(f64::MIN, f64::max);
        assert_eq!(top, 500.0);
        assert!(lines[0].len() <= 4 * 1_000);
        // So do the bars.
        let bars = bars(&b, &cols, 1.0);
        assert!(
            bars.iter()
                .any(|&(lo, hi, h)| h == 500.0 && lo <= 43_210.0 && hi > 43_210.0)
        );
    }

    #[test]
    fn extremes_keep_their_order() {
        let time = seconds(4);
        let cols = Columns::new(0.0, 4.0, 1);
        let b = downsample(&time, &[5.0, 9.0, 1.0, 4.0], &cols, 1.0)[0].unwrap();
        assert!(!b.min_first);
        let line = &polylines(&[Some(b)], &cols, Shape::Line, 1.0)[0];
        let ys: Vec<f64> = line.iter().map(|p| p.1).collect();
        assert_eq!(ys, vec![5.0, 9.0, 1.0, 4.0]);
    }

    #[test]
    fn gaps_split_lines_and_steps_hold_until_the_next_row() {
        let time = seconds(6);
        let v = [1.0, 2.0, f64::NAN, f64::NAN, 3.0, 3.0];
        let cols = Columns::new(0.0, 6.0, 6);
        let b = downsample(&time, &v, &cols, 1.0);
        assert!(b[2].is_none() && b[3].is_none());
        let lines = polylines(&b, &cols, Shape::Step, 1.0);
        assert_eq!(lines.len(), 2);
        // The first value holds until t = 1, then jumps to 2.
        assert!(lines[0].contains(&(1.0, 1.0)) && lines[0].contains(&(1.0, 2.0)));
        assert_eq!(*lines[1].last().unwrap(), (6.0, 3.0));
    }

    #[test]
    fn values_every_third_row_make_one_line_through_every_pixel_column() {
        // A flow-level day at 1 s steps: latency every 3 s (the fluid interval), NaN between.
        let n = 86_400;
        let time = seconds(n);
        let v: Vec<f64> = (0..n)
            .map(|r| {
                if r % 3 == 2 {
                    0.05 + (r % 7) as f64 * 0.01
                } else {
                    f64::NAN
                }
            })
            .collect();
        let width = 1_034;
        let cols = Columns::new(0.0, n as f64, width);
        let b = downsample(&time, &v, &cols, 3.0);
        assert!(b.iter().all(Option::is_some));
        assert!(b.iter().flatten().all(|b| !b.gap_before));
        let lines = polylines(&b, &cols, Shape::Line, 1.0);
        assert_eq!(lines.len(), 1);
        // Each column's points fall in its own pixel column, so none is skipped.
        let mut pixels: Vec<i32> = lines[0]
            .iter()
            .map(|p| pixel(p.0, 0.0, n as f64, width as i32))
            .collect();
        pixels.dedup();
        assert_eq!(pixels, (0..width as i32).collect::<Vec<_>>());

        // Zoomed in (ten minutes over the same width): the columns between two samples are
        // empty, and bridged.
        let cols = Columns::new(0.0, 600.0, width);
        let b = downsample(&time[..600], &v[..600], &cols, 3.0);
        assert!(b.iter().filter(|b| b.is_none()).count() > 800);
        assert_eq!(polylines(&b, &cols, Shape::Line, 1.0).len(), 1);
        // At request level (values expected every step) the same holes are gaps.
        let b = downsample(&time[..600], &v[..600], &cols, 1.0);
        assert_eq!(polylines(&b, &cols, Shape::Line, 1.0).len(), 200);
    }

    #[test]
    fn a_missing_row_inside_a_column_is_not_a_gap_but_a_missing_column_is() {
        let time = seconds(40);
        let mut v = vec![1.0; 40];
        v[5] = f64::NAN; // inside column 1 (rows 4–7)
        v[16..24].fill(f64::NAN); // columns 4 and 5 empty
        let cols = Columns::new(0.0, 40.0, 10);
        let b = downsample(&time, &v, &cols, 1.0);
        let gaps: Vec<usize> = (0..10)
            .filter(|&i| b[i].is_some_and(|b| b.gap_before))
            .collect();
        assert_eq!(gaps, vec![6]);
        assert_eq!(polylines(&b, &cols, Shape::Line, 1.0).len(), 2);
    }

    #[test]
    fn pixels_floor_like_columns() {
        let cols = Columns::new(0.0, 100.0, 10);
        for t in [0.0, 9.99, 10.0, 55.0, 99.9] {
            assert_eq!(pixel(t, 0.0, 100.0, 10) as usize, cols.index(t).unwrap());
        }
        assert_eq!(pixel(100.0, 0.0, 100.0, 10), 9);
        assert_eq!(pixel(-5.0, 0.0, 100.0, 10), 0);
    }

    #[test]
    fn intervals_merge_close_runs() {
        let time = seconds(10);
        let on = [0, 1, 0, 1, 1, 0, 0, 0, 1, 1];
        let iv = intervals(&time, 1.0, |r| on[r] == 1, 1.0);
        assert_eq!(iv, vec![(1.0, 5.0), (8.0, 10.0)]);
        let iv = intervals(&time, 1.0, |r| on[r] == 1, 0.0);
        assert_eq!(iv, vec![(1.0, 2.0), (3.0, 5.0), (8.0, 10.0)]);
    }
}
