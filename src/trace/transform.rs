//! Transforms of a `trace:` block, applied after reading or generating, always in this order:
//!
//! 1. `window: {start, end}` — keep `[start, end)` of the source (offsets such as `2h`, or RFC
//!    3339 instants when the trace has a `start_time`); `start_time` moves to `start`.
//! 2. `repeat: n` — the (windowed) trace n times end to end.
//! 3. `time_scale: f` — multiply every time by f (`0.5` plays twice as fast; `1d -> 1h` compresses
//!    a day into an hour). Rates are kept, so the peak is the same and the total shrinks by f.
//! 4. `shift: d` — move the trace later by d (no load before it; `start_time` moves back by d so
//!    wall-clock alignment is kept), or earlier for a negative d (drops the first |d|).
//! 5. `resample: step` — rows every `step`, each the mean rate over its bucket (columns too).
//! 6. `scale: k` — multiply every rate (not the extra columns).
//! 7. `clip: {min, max}` — bound every rate.
//!
//! Exact arrivals (request logs) follow the time transforms instant by instant. Where a
//! transform cannot be applied to instants exactly, arrivals are thinned (kept each with
//! probability p, seeded) when that is exact — `scale` < 1, `time_scale` < 1 — and otherwise
//! dropped with a warning, leaving the transformed binned rate to be replayed as a Poisson
//! process (`scale` > 1, `time_scale` > 1, a `clip` that changed a rate).

use super::generate::MAX_ROWS;
use super::generate::random::{stream_rng, thin};
use super::{Column, Trace};
use crate::units::format_seconds;

/// A transform problem or note: the transform's field name (`scale`, `window.end`) and text.
pub(crate) type Note = (&'static str, String);

/// The transforms of a `trace:` block, resolved to numbers (times in seconds).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Transforms {
    pub(crate) window: Option<(Option<f64>, Option<f64>)>,
    pub(crate) repeat: Option<u32>,
    pub(crate) time_scale: Option<f64>,
    pub(crate) shift: Option<f64>,
    pub(crate) resample: Option<f64>,
    pub(crate) scale: Option<f64>,
    pub(crate) clip: Option<(Option<f64>, Option<f64>)>,
}

impl Transforms {
    /// Apply in the documented order. `seed` drives the thinning of exact arrivals. Warnings
    /// come back as notes; a transform that cannot apply is an error note.
    pub(crate) fn apply(&self, mut t: Trace, seed: u64) -> Result<(Trace, Vec<Note>), Note> {
        let mut notes = Vec::new();
        if let Some((start, end)) = self.window {
            t = window(
                &t,
                start.unwrap_or(0.0),
                end.unwrap_or(f64::INFINITY),
                &mut notes,
            )?;
        }
        if let Some(n) = self.repeat {
            t = repeat(&t, n)?;
        }
        if let Some(f) = self.time_scale {
            t = time_scale(t, f, seed, &mut notes)?;
        }
        if let Some(d) = self.shift {
            t = shift(t, d, &mut notes)?;
        }
        if let Some(step) = self.resample {
            t = resample(&t, step)?;
        }
        if let Some(k) = self.scale {
            t = scale(t, k, seed, &mut notes)?;
        }
        if let Some((min, max)) = self.clip {
            t = clip(t, min, max, &mut notes)?;
        }
        Ok((t, notes))
    }
}

/// Keep `[start, end)` (end clamped to the trace's end, with a note).
pub(crate) fn window(
    t: &Trace,
    start: f64,
    end: f64,
    notes: &mut Vec<Note>,
) -> Result<Trace, Note> {
    if !(start.is_finite() && start >= 0.0) {
        return Err((
            "window.start",
            format!("{start} is before the trace starts"),
        ));
    }
    if start >= t.end {
        return Err((
            "window.start",
            format!(
                "{} is at or after the trace's end ({})",
                format_seconds(start),
                format_seconds(t.end)
            ),
        ));
    }
    let mut end = end;
    if end <= start {
        return Err((
            "window.end",
            format!(
                "{} is not after the start ({})",
                format_seconds(end),
                format_seconds(start)
            ),
        ));
    }
    if end > t.end {
        if end.is_finite() {
            notes.push((
                "window.end",
                format!(
                    "{} is past the trace's end: the window stops at {}",
                    format_seconds(end),
                    format_seconds(t.end)
                ),
            ));
        }
        end = t.end;
    }
    let i0 = t.row_at(start);
    let mut idx = Vec::new();
    let mut i = i0;
    while i < t.times.len() && (i == i0 || t.times[i] < end) {
        idx.push(i);
        i += 1;
    }
    let times = idx.iter().map(|&i| (t.times[i] - start).max(0.0)).collect();
    let rates = idx.iter().map(|&i| t.rates[i]).collect();
    let columns = t
        .columns
        .iter()
        .map(|c| Column {
            name: c.name.clone(),
            values: idx.iter().map(|&i| c.values[i]).collect(),
        })
        .collect();
    let arrivals = t.arrivals.as_ref().map(|a| {
        a.iter()
            .filter(|&&x| x >= start && x < end)
            .map(|x| x - start)
            .collect()
    });
    Ok(Trace {
        times,
        rates,
        end: end - start,
        start_time: shifted_start(t, start),
        columns,
        arrivals,
        hint: Default::default(),
    })
}

fn shifted_start(t: &Trace, by: f64) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    if by == 0.0 {
        t.start_time
    } else {
        t.wall_clock(by)
    }
}

/// The trace `n` times end to end.
pub(crate) fn repeat(t: &Trace, n: u32) -> Result<Trace, Note> {
    if n == 0 {
        return Err(("repeat", "repeat must be at least 1".into()));
    }
    let n = n as usize;
    if t.times.len().saturating_mul(n) > MAX_ROWS {
        return Err((
            "repeat",
            format!(
                "{n} repeats of {} rows is more than {MAX_ROWS} rows",
                t.times.len()
            ),
        ));
    }
    let mut out = Trace {
        times: Vec::new(),
        rates: Vec::new(),
        end: t.end * n as f64,
        start_time: t.start_time,
        columns: Vec::new(),
        arrivals: None,
        hint: Default::default(),
    };
    for k in 0..n {
        let off = k as f64 * t.end;
        out.times.extend(t.times.iter().map(|x| x + off));
        out.rates.extend_from_slice(&t.rates);
    }
    out.columns = t
        .columns
        .iter()
        .map(|c| Column {
            name: c.name.clone(),
            values: c.values.repeat(n),
        })
        .collect();
    out.arrivals = t.arrivals.as_ref().map(|a| {
        (0..n)
            .flat_map(|k| a.iter().map(move |x| x + k as f64 * t.end))
            .collect()
    });
    Ok(out)
}

/// Multiply every time by `f`, keeping the rates.
pub(crate) fn time_scale(
    mut t: Trace,
    f: f64,
    seed: u64,
    notes: &mut Vec<Note>,
) -> Result<Trace, Note> {
    if !(f.is_finite() && f > 0.0) {
        return Err((
            "time_scale",
            format!("{f} is not a usable time factor (expected a number > 0, or `1d -> 1h`)"),
        ));
    }
    for x in &mut t.times {
        *x *= f;
    }
    t.end *= f;
    if let Some(a) = t.arrivals.take() {
        let a: Vec<f64> = a.iter().map(|x| x * f).collect();
        if f <= 1.0 {
            t.arrivals = Some(thin(&mut stream_rng(seed, "trace.time_scale"), &a, f));
        } else {
            notes.push(("time_scale", format!("stretching exact arrivals by {f} cannot keep their rate: replaying the binned rate as a Poisson process instead")));
        }
    }
    Ok(t)
}

/// Move the trace later by `d` seconds (or earlier for a negative `d`).
pub(crate) fn shift(t: Trace, d: f64, notes: &mut Vec<Note>) -> Result<Trace, Note> {
    if !d.is_finite() {
        return Err(("shift", format!("{d} is not a duration")));
    }
    if d < 0.0 {
        if -d >= t.end {
            return Err((
                "shift",
                format!(
                    "shifting by {} leaves nothing of a {} trace",
                    format_seconds(d),
                    format_seconds(t.end)
                ),
            ));
        }
        return window(&t, -d, t.end, notes);
    }
    if d == 0.0 {
        return Ok(t);
    }
    let mut out = t;
    let start_time = out.wall_clock(-d);
    out.times = std::iter::once(0.0)
        .chain(out.times.iter().map(|x| x + d))
        .collect();
    out.rates.insert(0, 0.0);
    for c in &mut out.columns {
        c.values.insert(0, 0.0);
    }
    out.end += d;
    out.start_time = start_time;
    if let Some(a) = &mut out.arrivals {
        for x in a.iter_mut() {
            *x += d;
        }
    }
    Ok(out)
}

/// Rows every `step`, each the mean over its bucket (the last bucket may be shorter).
pub(crate) fn resample(t: &Trace, step: f64) -> Result<Trace, Note> {
    if !(step.is_finite() && step > 0.0) {
        return Err(("resample", "the step must be more than 0".into()));
    }
    let n = (t.end / step - 1e-9).ceil().max(1.0);
    if n > MAX_ROWS as f64 {
        return Err((
            "resample",
            format!(
                "{} at {} is more than {MAX_ROWS} rows",
                format_seconds(t.end),
                format_seconds(step)
            ),
        ));
    }
    let n = n as usize;
    let times: Vec<f64> = (0..n).map(|k| k as f64 * step).collect();
    let rates = bucket_means(t, &t.rates, step, n);
    let columns = t
        .columns
        .iter()
        .map(|c| Column {
            name: c.name.clone(),
            values: bucket_means(t, &c.values, step, n),
        })
        .collect();
    Ok(Trace {
        times,
        rates,
        end: t.end,
        start_time: t.start_time,
        columns,
        arrivals: t.arrivals.clone(),
        hint: Default::default(),
    })
}

fn bucket_means(t: &Trace, values: &[f64], step: f64, n: usize) -> Vec<f64> {
    let mut acc = vec![0.0; n];
    for (i, &v) in values.iter().enumerate().take(t.times.len()) {
        let (mut a, b) = (t.times[i], t.row_end(i).min(t.end));
        let mut k = ((a / step).floor() as usize).min(n - 1);
        while a < b && k < n {
            let until = ((k + 1) as f64 * step).min(b);
            acc[k] += v * (until - a);
            a = until;
            k += 1;
        }
    }
    for (k, v) in acc.iter_mut().enumerate() {
        let width = ((k + 1) as f64 * step).min(t.end) - k as f64 * step;
        *v = if width > 0.0 { *v / width } else { 0.0 };
    }
    acc
}

/// Multiply every rate by `k`.
pub(crate) fn scale(mut t: Trace, k: f64, seed: u64, notes: &mut Vec<Note>) -> Result<Trace, Note> {
    if !(k.is_finite() && k >= 0.0) {
        return Err((
            "scale",
            format!("{k} is not a usable multiplier (expected a number ≥ 0)"),
        ));
    }
    if k == 1.0 {
        return Ok(t);
    }
    t.scale_rates(k);
    if let Some(a) = t.arrivals.take() {
        if k < 1.0 {
            t.arrivals = Some(thin(&mut stream_rng(seed, "trace.scale"), &a, k));
        } else {
            notes.push(("scale", format!("scaling exact arrivals by {k} > 1 cannot keep them exact: replaying the scaled rate as a Poisson process instead")));
        }
    }
    Ok(t)
}

/// Bound every rate to `[min, max]`.
pub(crate) fn clip(
    mut t: Trace,
    min: Option<f64>,
    max: Option<f64>,
    notes: &mut Vec<Note>,
) -> Result<Trace, Note> {
    let lo = min.unwrap_or(0.0);
    let hi = max.unwrap_or(f64::INFINITY);
    if !(lo.is_finite() && lo >= 0.0) {
        return Err((
            "clip.min",
            format!("{lo} is not a rate (expected a number ≥ 0)"),
        ));
    }
    if hi.is_nan() || hi < lo {
        return Err(("clip.max", format!("{hi} is below min {lo}")));
    }
    let mut changed = false;
    for r in &mut t.rates {
        let c = r.clamp(lo, hi);
        changed |= c != *r;
        *r = c;
    }
    if changed && t.arrivals.take().is_some() {
        notes.push(("clip", "clipping changed the rate of a request log: replaying the clipped rate as a Poisson process instead of the exact arrivals".into()));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> Trace {
        Trace::from_rows(vec![0.0, 10.0, 20.0], vec![1.0, 3.0, 2.0], 30.0)
    }

    #[test]
    fn window_and_shift() {
        let mut notes = Vec::new();
        let w = window(&t(), 5.0, 25.0, &mut notes).unwrap();
        assert_eq!(w.times, vec![0.0, 5.0, 15.0]);
        assert_eq!(w.end, 20.0);
        assert_eq!(w.integral(0.0, 20.0), 5.0 + 30.0 + 10.0);
        let s = shift(t(), 5.0, &mut notes).unwrap();
        assert_eq!(s.times, vec![0.0, 5.0, 15.0, 25.0]);
        assert_eq!(s.rate_at(1.0), 0.0);
        let s = shift(t(), -15.0, &mut notes).unwrap();
        assert_eq!(s.rates, vec![3.0, 2.0]);
        assert_eq!(s.end, 15.0);
        assert!(notes.is_empty());
        window(&t(), 5.0, 99.0, &mut notes).unwrap();
        assert_eq!(notes.len(), 1);
    }

    #[test]
    fn resample_means() {
        let r = resample(&t(), 15.0).unwrap();
        assert_eq!(r.rates, vec![(10.0 + 15.0) / 15.0, (15.0 + 20.0) / 15.0]);
        let r = resample(&t(), 20.0).unwrap();
        assert_eq!(r.rates, vec![2.0, 2.0]);
        assert_eq!(r.end, 30.0);
    }

    #[test]
    fn arrivals_follow_or_fall_back() {
        let mut a = Trace::uniform(1.0, vec![2.0, 2.0]);
        a.arrivals = Some(vec![0.1, 0.6, 1.2, 1.9]);
        let mut notes = Vec::new();
        let r = repeat(&a, 2).unwrap();
        assert_eq!(r.arrivals.as_ref().unwrap().len(), 8);
        let s = scale(a.clone(), 0.5, 1, &mut notes).unwrap();
        assert!(s.arrivals.unwrap().len() <= 4);
        let s = scale(a.clone(), 2.0, 1, &mut notes).unwrap();
        assert!(s.arrivals.is_none());
        assert_eq!(notes.len(), 1);
        let c = clip(a, None, Some(1.0), &mut notes).unwrap();
        assert!(c.arrivals.is_none());
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        fn trace() -> impl Strategy<Value = Trace> {
            proptest::collection::vec((0.5f64..100.0, 0.0f64..1000.0), 1..40).prop_map(|rows| {
                let mut t = 0.0;
                let mut times = Vec::new();
                let mut rates = Vec::new();
                for (d, r) in &rows {
                    times.push(t);
                    rates.push(*r);
                    t += d;
                }
                Trace::from_rows(times, rates, t)
            })
        }

        fn total(t: &Trace) -> f64 {
            t.integral(0.0, t.end)
        }

        fn close(a: f64, b: f64) -> bool {
            (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
        }

        proptest! {
            #[test]
            fn scale_multiplies_the_integral(t in trace(), k in 0.0f64..10.0) {
                let s = scale(t.clone(), k, 0, &mut Vec::new()).unwrap();
                prop_assert!(close(total(&s), k * total(&t)));
            }

            #[test]
            fn time_scale_keeps_the_peak_and_scales_the_total(t in trace(), f in 0.01f64..100.0) {
                let s = time_scale(t.clone(), f, 0, &mut Vec::new()).unwrap();
                prop_assert_eq!(s.peak_rate(), t.peak_rate());
                prop_assert!(close(total(&s), f * total(&t)));
            }

            #[test]
            fn window_is_a_part_of_the_whole(t in trace(), a in 0.0f64..1.0, b in 0.0f64..1.0) {
                let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                let (start, end) = (lo * t.end, (hi * t.end).max(lo * t.end + 1e-3));
                prop_assume!(start < t.end);
                let w = window(&t, start, end, &mut Vec::new()).unwrap();
                prop_assert!(total(&w) <= total(&t) * (1.0 + 1e-12) + 1e-9);
                prop_assert!(close(total(&w), t.integral(start, end.min(t.end))));
            }

            #[test]
            fn repeat_and_shift_keep_the_load(t in trace(), n in 1u32..5, d in 0.0f64..500.0) {
                let r = repeat(&t, n).unwrap();
                prop_assert!(close(total(&r), n as f64 * total(&t)));
                let s = shift(t.clone(), d, &mut Vec::new()).unwrap();
                prop_assert!(close(total(&s), total(&t)));
                prop_assert!(close(s.end, t.end + d));
            }

            #[test]
            fn resample_keeps_the_integral_and_never_raises_the_peak(t in trace(), step in 0.5f64..300.0) {
                let r = resample(&t, step).unwrap();
                prop_assert!((total(&r) - total(&t)).abs() <= 1e-7 * (1.0 + total(&t)));
                prop_assert!(r.peak_rate() <= t.peak_rate() * (1.0 + 1e-12));
            }

            #[test]
            fn clip_bounds_every_rate(t in trace(), lo in 0.0f64..100.0, span in 0.0f64..500.0) {
                let c = clip(t, Some(lo), Some(lo + span), &mut Vec::new()).unwrap();
                prop_assert!(c.rates.iter().all(|&r| r >= lo && r <= lo + span));
            }
        }
    }
}
