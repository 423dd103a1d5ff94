//! The shared time axis: where its ticks go and how they read.
//!
//! Charts show **elapsed time** (`h:mm`, or `m:ss` for runs under ten minutes) unless the run has
//! a meaningful wall clock: when the trace carried absolute timestamps or the scenario set
//! `start_time`, ticks are **clock times** in the offset of that start time (`08:15`, with the
//! weekday when the run spans days), aligned to round clock values. The default start time
//! (a placeholder Monday at midnight UTC) is not shown as a clock.

use chrono::{DateTime, Duration, FixedOffset};

/// How tick labels read.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeLabels {
    /// Time since the start of the run.
    Elapsed,
    /// Wall-clock time, t = 0 being this instant.
    Clock(DateTime<FixedOffset>),
}

/// Tick spacings tried, seconds.
const SPACINGS: [f64; 20] = [
    1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
    10800.0, 21600.0, 43200.0, 86400.0, 172800.0, 604800.0,
];

impl TimeLabels {
    /// The spacing between ticks: the smallest round spacing that gives at most `max_ticks`.
    pub(crate) fn spacing(span: f64, max_ticks: usize) -> f64 {
        let max_ticks = max_ticks.max(2) as f64;
        SPACINGS
            .iter()
            .copied()
            .find(|s| span / s <= max_ticks)
            .unwrap_or_else(|| (span / max_ticks / 604800.0).ceil() * 604800.0)
    }

    /// Tick positions (seconds from t = 0) in `[x0, x1]`, on round elapsed or clock values.
    pub(crate) fn ticks(&self, x0: f64, x1: f64, max_ticks: usize) -> Vec<f64> {
        let spacing = Self::spacing(x1 - x0, max_ticks);
        // Offset of t = 0 from a round value: 0 for elapsed time, the local clock otherwise.
        let phase = match self {
            TimeLabels::Elapsed => 0.0,
            TimeLabels::Clock(start) => {
                let local = start.timestamp() as f64
                    + start.timestamp_subsec_nanos() as f64 * 1e-9
                    + start.offset().local_minus_utc() as f64;
                // Weeks start on Monday: the Unix epoch was a Thursday.
                let base = if spacing >= 604800.0 {
                    local - 4.0 * 86400.0
                } else {
                    local
                };
                base.rem_euclid(spacing)
            }
        };
        let first = ((x0 + phase) / spacing).ceil() * spacing - phase;
        let mut out = Vec::new();
        let mut k = 0.0;
        loop {
            let t = first + k * spacing;
            if t > x1 + 1e-9 || out.len() > 1000 {
                break;
            }
            out.push(t);
            k += 1.0;
        }
        out
    }

    /// A tick's label. `span` is the whole axis (it decides whether seconds or days show).
    pub(crate) fn format(&self, t: f64, span: f64, spacing: f64) -> String {
        match self {
            TimeLabels::Elapsed => format_elapsed(t, span, spacing),
            TimeLabels::Clock(start) => {
                let at = *start + Duration::milliseconds((t * 1000.0).round() as i64);
                // A run that crosses midnight names the new day at its midnight tick.
                let new_day =
                    at.date_naive() != start.date_naive() && at.time() == chrono::NaiveTime::MIN;
                let pattern = if span > 86400.0 || new_day {
                    "%a %H:%M"
                } else if spacing < 60.0 {
                    "%H:%M:%S"
                } else {
                    "%H:%M"
                };
                at.format(pattern).to_string()
            }
        }
    }

    /// The axis title.
    pub(crate) fn title(&self, span: f64) -> String {
        match self {
            TimeLabels::Elapsed if span < 600.0 => "time since start (m:ss)".into(),
            TimeLabels::Elapsed => "time since start (h:mm)".into(),
            TimeLabels::Clock(start) => format!(
                "clock time (UTC{}), starting {}",
                start.offset(),
                start.format("%a %Y-%m-%d %H:%M:%S")
            ),
        }
    }
}

/// `h:mm` (hours may pass 24; `Nd hh:mm` past two days), or `m:ss` for short runs or when ticks
/// are under a minute apart.
pub(crate) fn format_elapsed(t: f64, span: f64, spacing: f64) -> String {
    let secs = t.round().max(0.0) as u64;
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if span < 600.0 {
        format!("{}:{s:02}", secs / 60)
    } else if spacing < 60.0 {
        format!("{h}:{m:02}:{s:02}")
    } else if span > 2.0 * 86400.0 {
        format!("{}d {:02}:{m:02}", h / 24, h % 24)
    } else {
        format!("{h}:{m:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_ticks_are_round() {
        let l = TimeLabels::Elapsed;
        let t = l.ticks(0.0, 3600.0, 8);
        assert_eq!(t.first(), Some(&0.0));
        assert_eq!(t[1], 600.0);
        assert_eq!(t.len(), 7);
        assert_eq!(l.format(600.0, 3600.0, 600.0), "0:10");
        assert_eq!(l.format(5400.0, 7200.0, 900.0), "1:30");
        assert_eq!(l.format(90.0, 300.0, 30.0), "1:30");
    }

    #[test]
    fn a_run_across_midnight_names_the_new_day_at_its_midnight_tick() {
        let start = DateTime::parse_from_rfc3339("2024-03-04T18:00:00+01:00").unwrap();
        let l = TimeLabels::Clock(start);
        let span = 12.0 * 3600.0;
        assert_eq!(l.format(3.0 * 3600.0, span, 10800.0), "21:00");
        assert_eq!(l.format(6.0 * 3600.0, span, 10800.0), "Tue 00:00");
        assert_eq!(l.format(9.0 * 3600.0, span, 10800.0), "03:00");
        // Midnight at the start is the start's own day: a plain time.
        let l = TimeLabels::Clock(DateTime::parse_from_rfc3339("2024-03-04T00:00:00Z").unwrap());
        assert_eq!(l.format(0.0, 86400.0, 10800.0), "00:00");
        assert_eq!(l.format(86400.0, 86400.0, 10800.0), "Tue 00:00");
    }

    #[test]
    fn clock_ticks_align_to_the_local_clock() {
        let start = DateTime::parse_from_rfc3339("2026-03-02T08:07:00+09:00").unwrap();
        let l = TimeLabels::Clock(start);
        let t = l.ticks(0.0, 3600.0, 12);
        // 08:10 local is 3 minutes in.
        assert_eq!(t[0], 180.0);
        assert_eq!(l.format(t[0], 3600.0, 600.0), "08:10");
        assert!(l.title(3600.0).contains("+09:00"));
    }
}
