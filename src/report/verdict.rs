//! The verdict in words: one line that says whether the run kept up, for how long and when it
//! fell behind, and what held the autoscaler back — the first line of `scalesim run`, the head
//! of `report.html` and of `compare`, and the words of `check`. The verdict itself is computed
//! by [`crate::sim::verdict`]; the rule is in `docs/verdict.md`.

use crate::sim::verdict::{Limit, LimitKind, Verdict};
use crate::units::format_seconds;
use chrono::DateTime;

/// `verdict: kept up — …` / `verdict: fell behind for 1m1s (10:02–10:06) — …`.
pub(crate) fn line(v: &Verdict, start_time: Option<&str>) -> String {
    format!("verdict: {}", words(v, start_time))
}

/// The verdict line without its `verdict: ` prefix.
pub(crate) fn words(v: &Verdict, start_time: Option<&str>) -> String {
    let clock = Clock::new(start_time);
    let mut out = headline(v, &clock);
    if !v.failed.is_empty() {
        out += &format!(" — {}", v.failed.join(", "));
    }
    out += &format!(" — {}", numbers(v));
    if !v.kept_up && v.overloaded_s > 0.0 {
        out += &format!("; {}", limited_by(v, &clock));
    }
    for n in &v.never_read {
        out += &format!(
            "; {} never read metric {} (nothing feeds it)",
            n.autoscaler, n.metric
        );
    }
    out
}

/// `kept up`, `fell behind for 4m10s (10:02–10:06)` or `missed its objectives`.
pub(crate) fn headline(v: &Verdict, clock: &Clock) -> String {
    if v.kept_up {
        return "kept up".into();
    }
    match (v.behind_from_s, v.behind_to_s) {
        (Some(a), Some(b)) if v.overloaded_s > 0.0 => format!(
            "fell behind for {} ({})",
            duration(v.overloaded_s),
            clock.span(a, b)
        ),
        _ => "missed its objectives".into(),
    }
}

/// `p99 234ms, 2 dropped, 3–24 replicas, 63.04 pod-hours`.
fn numbers(v: &Verdict) -> String {
    let mut parts = vec![match v.latency_p99_s {
        Some(p) => format!("p99 {}", latency(p)),
        None => "nothing served".into(),
    }];
    parts.push(format!("{} dropped", v.dropped));
    if v.timed_out > 0 {
        parts.push(format!("{} timed out", v.timed_out));
    }
    parts.push(if v.replicas_min == v.replicas_max {
        format!(
            "{} replica{}",
            v.replicas_min,
            if v.replicas_min == 1 { "" } else { "s" }
        )
    } else {
        format!("{}–{} replicas", v.replicas_min, v.replicas_max)
    });
    parts.push(format!("{:.2} pod-hours", v.pod_hours));
    parts.join(", ")
}

/// What held the autoscaler back while the run was behind, the longest first, and how long.
fn limited_by(v: &Verdict, clock: &Clock) -> String {
    let free = "nothing held the autoscaler back (it scaled as far as its metric asked)";
    if !v.autoscaled {
        return "no autoscaler: the replica count is fixed".into();
    }
    let during: Vec<&Limit> = v
        .limited_by
        .iter()
        .filter(|l| l.overloaded_s > 0.0)
        .take(2)
        .collect();
    if during.is_empty() {
        return free.into();
    }
    let each: Vec<String> = during
        .iter()
        .map(|l| {
            let from = l.first_overloaded_s.unwrap_or(l.from_s);
            format!(
                "{} ({} of it, from {})",
                limit_words(l),
                duration(l.overloaded_s),
                clock.at(from)
            )
        })
        .collect();
    let mut out = format!("limited by {}", each.join(", then "));
    let covered: f64 = during.iter().map(|l| l.overloaded_s).sum();
    if covered < 0.5 * v.overloaded_s {
        out += &format!("; the rest of the time {free}");
    }
    out
}

/// `maxReplicas 20`, `a scale-up policy (policy Pods 4 per 15s)`, `pod start-up`.
pub(crate) fn limit_words(l: &Limit) -> String {
    match l.by {
        LimitKind::MaxReplicas => l.detail.clone(),
        LimitKind::PodStartup | LimitKind::NodeProvisioning => l.by.words().into(),
        LimitKind::MetricUnavailable => format!("metric {} that could not be read", l.detail),
        LimitKind::ScaleUpPolicy => match l.detail.strip_prefix("policy ") {
            Some(p) => format!("scale-up policy {p}"),
            None => l.detail.clone(),
        },
        LimitKind::Stabilization => l.detail.clone(),
    }
}

/// A duration for people, to the second above one second: `4m10s`, `850ms`.
pub(crate) fn duration(s: f64) -> String {
    if s >= 1.0 {
        format_seconds(s.round())
    } else {
        latency(s)
    }
}

/// A latency: whole milliseconds below a second, else seconds to the hundredth.
pub(crate) fn latency(s: f64) -> String {
    if s < 1.0 {
        format!("{}ms", (s * 1000.0).round() as i64)
    } else {
        format!("{}s", crate::text::decimals(s, 2))
    }
}

/// Moments of the run as clock time (when the run has a start time) or elapsed time.
pub(crate) struct Clock {
    start: Option<DateTime<chrono::FixedOffset>>,
}

impl Clock {
    pub(crate) fn new(start_time: Option<&str>) -> Clock {
        Clock {
            start: start_time.and_then(|s| DateTime::parse_from_rfc3339(s).ok()),
        }
    }

    /// `10:02` (clock) or `+0:12:30` (elapsed).
    pub(crate) fn at(&self, t: f64) -> String {
        self.fmt(t, "%H:%M")
    }

    /// `10:02–10:06`; to the second when both ends fall in the same minute.
    pub(crate) fn span(&self, a: f64, b: f64) -> String {
        let (x, y) = (self.at(a), self.at(b));
        if x == y {
            format!("{}–{}", self.fmt(a, "%H:%M:%S"), self.fmt(b, "%H:%M:%S"))
        } else {
            format!("{x}–{y}")
        }
    }

    fn fmt(&self, t: f64, pattern: &str) -> String {
        match self.start {
            Some(s) => {
                let at = s + chrono::Duration::milliseconds((t * 1000.0).round() as i64);
                at.format(pattern).to_string()
            }
            None => {
                let secs = t.max(0.0).round() as i64;
                let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
                if pattern.ends_with("%S") || s != 0 {
                    format!("+{h}:{m:02}:{s:02}")
                } else {
                    format!("+{h}:{m:02}")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_and_elapsed_times() {
        let c = Clock::new(Some("2026-03-02T10:00:00+01:00"));
        assert_eq!(c.at(125.0), "10:02");
        assert_eq!(c.span(120.0, 370.0), "10:02–10:06");
        assert_eq!(c.span(120.0, 150.0), "10:02:00–10:02:30");
        let e = Clock::new(None);
        assert_eq!(e.at(750.0), "+0:12:30");
        assert_eq!(e.at(720.0), "+0:12");
    }

    #[test]
    fn durations_and_latencies_for_people() {
        assert_eq!(duration(250.2), "4m10s");
        assert_eq!(duration(0.5), "500ms");
        assert_eq!(latency(0.234495), "234ms");
        assert_eq!(latency(7.373), "7.37s");
    }
}
