//! What a trace holds, in numbers a user checks before feeding it in (`scalesim trace show`).
//!
//! All figures are time-weighted over the span (a row that lasts twice as long counts twice):
//! min/mean/p99/peak rate, peak/mean and p99/mean (burstiness), the share of time at zero load,
//! the expected number of requests, and the **largest one-minute rise**: the greatest increase
//! of the mean rate from one minute to the next, `mean[t+60 s, t+120 s) − mean[t, t+60 s)` over
//! any t (sliding, not aligned to whole minutes), i.e. how hard the load climbs within a minute.
//! Means, not instantaneous rates: per-second noise around a steady rate is not a rise (a
//! noisy constant trace shows a rise near 0), while a step of +h shows +h wherever it falls. A
//! trace coarser than a minute shows its largest step between rows; one shorter than two
//! minutes has none.
//!
//! `trace show` prints these and a one-line text sparkline; `--plot` draws the trace
//! ([`crate::report::plot_trace`]).

use super::Trace;
use crate::units::format_seconds;
use chrono::{DateTime, FixedOffset, SecondsFormat};
use std::fmt;

/// The window of [`Stats::max_rise`].
pub(crate) const RISE_WINDOW: f64 = 60.0;

/// Summary statistics of a trace (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub(crate) span: f64,
    /// The most common interval between rows.
    pub resolution: f64,
    pub rows: usize,
    pub(crate) start_time: Option<DateTime<FixedOffset>>,
    pub(crate) min: f64,
    pub mean: f64,
    pub(crate) p99: f64,
    pub peak: f64,
    /// Trace time at which the peak is first reached.
    pub(crate) peak_at: f64,
    pub(crate) peak_over_mean: f64,
    pub(crate) p99_over_mean: f64,
    /// Largest rise of the mean rate from one [`RISE_WINDOW`] to the next (see the module
    /// docs), and the instant between the two windows.
    pub(crate) max_rise: f64,
    pub(crate) max_rise_at: f64,
    /// Share of the span with a zero rate.
    pub(crate) idle_fraction: f64,
    /// Expected requests over the span (the integral of the rate).
    pub requests: f64,
    /// Exact arrivals, for request logs.
    pub(crate) arrivals: Option<usize>,
    pub(crate) columns: Vec<String>,
    /// Mean rate in 60 equal slices of the span (for a text sparkline).
    pub(crate) profile: Vec<f64>,
}

/// Compute the statistics of a trace.
pub fn stats(t: &Trace) -> Stats {
    let n = t.times.len();
    let span = t.end;
    let requests = t.integral(0.0, span);
    let mean = if span > 0.0 { requests / span } else { 0.0 };
    let mut min = f64::INFINITY;
    let mut peak = 0.0f64;
    let mut peak_at = 0.0;
    let mut idle = 0.0;
    let mut weighted: Vec<(f64, f64)> = Vec::with_capacity(n);
    for i in 0..n {
        let w = (t.row_end(i).min(span) - t.times[i]).max(0.0);
        let r = t.rates[i];
        min = min.min(r);
        if r > peak {
            peak = r;
            peak_at = t.times[i];
        }
        if r == 0.0 {
            idle += w;
        }
        weighted.push((r, w));
    }
    if n == 0 {
        min = 0.0;
    }
    let p99 = quantile(&mut weighted, 0.99);
    let (max_rise, max_rise_at) = max_rise(t, RISE_WINDOW);
    let ratio = |x: f64| if mean > 0.0 { x / mean } else { 0.0 };
    let profile = (0..60)
        .map(|k| {
            let (a, b) = (span * k as f64 / 60.0, span * (k + 1) as f64 / 60.0);
            if b > a {
                t.integral(a, b) / (b - a)
            } else {
                0.0
            }
        })
        .collect();
    Stats {
        span,
        resolution: t.resolution(),
        rows: n,
        start_time: t.start_time,
        min,
        mean,
        p99,
        peak,
        peak_at,
        peak_over_mean: ratio(peak),
        p99_over_mean: ratio(p99),
        max_rise,
        max_rise_at,
        idle_fraction: if span > 0.0 { idle / span } else { 0.0 },
        requests,
        arrivals: t.arrivals.as_ref().map(Vec::len),
        columns: t.columns.iter().map(|c| c.name.clone()).collect(),
        profile,
    }
}

/// Time-weighted quantile of `(value, weight)` pairs.
fn quantile(v: &mut [(f64, f64)], q: f64) -> f64 {
    let total: f64 = v.iter().map(|x| x.1).sum();
    if v.is_empty() || total <= 0.0 {
        return 0.0;
    }
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let target = q * total;
    let mut acc = 0.0;
    for &(x, w) in v.iter() {
        acc += w;
        if acc >= target {
            return x;
        }
    }
    v[v.len() - 1].0
}

/// Largest `mean[t + w, t + 2w) − mean[t, t + w)` of the rate over `t ∈ [0, end − 2w]`, and the
/// instant `t + w` between the two windows where it is reached first; `(0, 0)` when the span
/// is shorter than `2w` or the mean never rises.
///
/// With `A` the integral of the rate, the rise is `(A(t+2w) − 2A(t+w) + A(t)) / w`: piecewise
/// linear in `t`, with corners only where `t`, `t + w` or `t + 2w` meets a row boundary. So the
/// maximum is at one of those candidates, visited in order while three cursors walk the rows:
/// linear time.
pub fn max_rise(t: &Trace, w: f64) -> (f64, f64) {
    let n = t.times.len().min(t.rates.len());
    let last = t.end - 2.0 * w;
    let mut best = (0.0, 0.0);
    if n == 0 || !w.is_finite() || w <= 0.0 || !last.is_finite() || last < 0.0 {
        return best;
    }
    // prefix[i]: the integral from times[0] to times[i].
    let mut prefix = Vec::with_capacity(n);
    let mut acc = 0.0;
    for i in 0..n {
        prefix.push(acc);
        acc += t.rates[i] * (t.row_end(i) - t.times[i]);
    }
    let integral = |cursor: &mut usize, x: f64| {
        while *cursor + 1 < n && t.times[*cursor + 1] <= x {
            *cursor += 1;
        }
        prefix[*cursor] + t.rates[*cursor] * (x - t.times[*cursor])
    };
    let mut cursors = [0usize; 3];
    // Next row boundary of each stream `times[j] − k·w` (k = 0, 1, 2) not yet visited.
    let mut next = [0usize; 3];
    let mut x = 0.0f64;
    loop {
        let a0 = integral(&mut cursors[0], x);
        let a1 = integral(&mut cursors[1], x + w);
        let a2 = integral(&mut cursors[2], x + 2.0 * w);
        let rise = (a2 - 2.0 * a1 + a0) / w;
        if rise > best.0 * (1.0 + 1e-12) + 1e-12 {
            best = (rise, x + w);
        }
        if x >= last {
            break;
        }
        let mut candidate = last;
        for (k, j) in next.iter_mut().enumerate() {
            let off = k as f64 * w;
            while *j < n && t.times[*j] - off <= x {
                *j += 1;
            }
            if *j < n {
                candidate = candidate.min(t.times[*j] - off);
            }
        }
        x = candidate;
    }
    best
}

/// Render a number with about three significant digits, without exponent noise.
pub(crate) fn num(x: f64) -> String {
    let a = x.abs();
    if x == 0.0 {
        "0".into()
    } else if a >= 1e6 {
        format!("{:.3}M", x / 1e6).replace(".000M", "M")
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        trim(format!("{x:.1}"))
    } else if a >= 0.01 {
        trim(format!("{x:.3}"))
    } else {
        format!("{x:.2e}")
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Duration for people, days included: `27d13h32m`, `57m`, `1s`.
pub(crate) fn dur(s: f64) -> String {
    if s >= 86_400.0 {
        let days = (s / 86_400.0).floor();
        let rest = s - days * 86_400.0;
        let rest = if rest >= 1.0 {
            format_seconds(rest.round())
        } else {
            String::new()
        };
        format!("{}d{rest}", days as i64)
    } else {
        format_seconds(s)
    }
}

/// Unicode sparkline of values (8 levels).
pub(crate) fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().fold(0.0, f64::max);
    values
        .iter()
        .map(|&v| {
            if max <= 0.0 {
                BARS[0]
            } else {
                BARS[((v / max) * 7.0).round().clamp(0.0, 7.0) as usize]
            }
        })
        .collect()
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |t: f64| match self.start_time {
            Some(s) => match s
                .checked_add_signed(chrono::TimeDelta::milliseconds((t * 1000.0).round() as i64))
            {
                Some(d) => format!(
                    "{} ({})",
                    dur(t),
                    d.to_rfc3339_opts(SecondsFormat::AutoSi, true)
                ),
                None => dur(t),
            },
            None => format!("t={}", dur(t)),
        };
        writeln!(
            f,
            "span        {} ({} rows at {} resolution)",
            dur(self.span),
            self.rows,
            dur(self.resolution)
        )?;
        match self.start_time {
            Some(s) => writeln!(
                f,
                "start       {}",
                s.to_rfc3339_opts(SecondsFormat::AutoSi, true)
            )?,
            None => writeln!(
                f,
                "start       t=0 (relative times; the scenario's start_time sets the wall clock)"
            )?,
        }
        writeln!(
            f,
            "rate        min {}  mean {}  p99 {}  peak {} req/s",
            num(self.min),
            num(self.mean),
            num(self.p99),
            num(self.peak)
        )?;
        writeln!(
            f,
            "burstiness  peak/mean {}  p99/mean {}",
            num(self.peak_over_mean),
            num(self.p99_over_mean)
        )?;
        writeln!(f, "peak at     {}", at(self.peak_at))?;
        if self.span < 2.0 * RISE_WINDOW {
            writeln!(f, "1-min rise  n/a (the trace is shorter than two minutes)")?;
        } else if self.max_rise > 0.0 {
            writeln!(
                f,
                "1-min rise  +{} req/s: the largest rise of the mean rate from one minute to the next (sliding), into {}",
                num(self.max_rise),
                at(self.max_rise_at)
            )?;
        } else {
            writeln!(
                f,
                "1-min rise  none (no minute's mean rate is above the minute's before it)"
            )?;
        }
        writeln!(
            f,
            "idle        {:.1}% of the time at 0 req/s",
            self.idle_fraction * 100.0
        )?;
        match self.arrivals {
            Some(a) => writeln!(f, "requests    {a} exact arrivals (replayed as logged)")?,
            None => writeln!(
                f,
                "requests    {} expected (Poisson arrivals over the rate)",
                num(self.requests)
            )?,
        }
        if !self.columns.is_empty() {
            writeln!(f, "columns     {}", self.columns.join(", "))?;
        }
        write!(f, "shape       {}", sparkline(&self.profile))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures() {
        let t = Trace::uniform(60.0, vec![1.0, 1.0, 5.0, 2.0]);
        let s = stats(&t);
        assert_eq!(s.span, 240.0);
        assert_eq!(s.resolution, 60.0);
        assert_eq!(s.mean, 9.0 / 4.0);
        assert_eq!(s.peak, 5.0);
        assert_eq!(s.peak_at, 120.0);
        // Minute means 1, 5 at the boundary at 120 s.
        assert_eq!(s.max_rise, 4.0);
        assert_eq!(s.max_rise_at, 120.0);
        assert_eq!(s.p99, 5.0);
        let text = s.to_string();
        assert!(text.contains("peak/mean 2.22"), "{text}");
    }

    #[test]
    fn rise_within_a_minute_at_fine_resolution() {
        // 1 s rows: a ramp of +1 req/s per second for 120 s: the minute means are 29.5 and 89.5.
        let t = Trace::uniform(1.0, (0..120).map(|k| k as f64).collect());
        assert_eq!(max_rise(&t, 60.0), (60.0, 60.0));
        // A drop never counts as a rise.
        let t = Trace::uniform(1.0, (0..120).map(|k| 200.0 - k as f64).collect());
        assert_eq!(max_rise(&t, 60.0).0, 0.0);
        // Shorter than two minutes: no pair of minutes.
        let t = Trace::uniform(1.0, vec![1.0; 100]);
        assert_eq!(max_rise(&t, 60.0), (0.0, 0.0));
    }

    /// Brute force: the rise at every 0.5 s offset is never above the reported maximum, and
    /// the reported one is reached, on uneven rows not aligned to the minute.
    #[test]
    fn rise_matches_brute_force() {
        let times = vec![0.0, 7.0, 50.0, 95.0, 130.0, 131.5, 200.0, 260.0, 333.0];
        let rates = vec![3.0, 9.0, 1.0, 40.0, 2.0, 17.0, 5.0, 80.0, 0.0];
        let t = Trace::from_rows(times, rates, 400.0);
        let (best, at) = max_rise(&t, 60.0);
        let rise = |x: f64| (t.integral(x + 60.0, x + 120.0) - t.integral(x, x + 60.0)) / 60.0;
        let brute = (0..=560)
            .map(|k| rise(k as f64 * 0.5))
            .fold(f64::MIN, f64::max);
        assert!(best >= brute - 1e-9, "{best} < {brute}");
        assert!((rise(at - 60.0) - best).abs() < 1e-9);
    }

    #[test]
    fn quantile_is_time_weighted() {
        let t = Trace::from_rows(vec![0.0, 99.0], vec![1.0, 100.0], 100.0);
        assert_eq!(stats(&t).p99, 1.0);
    }
}
