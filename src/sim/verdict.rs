//! The verdict of a run: did the configuration keep up, for how long did it fall behind, the
//! worst moments, and what held the autoscaler back and when. Computed here from the run;
//! `report` renders it (the first line of `scalesim run`, the top of `report.html`, `compare`)
//! and `check` reuses its words. The rule is documented in `docs/verdict.md`.

use super::figures::Metrics;
use super::series_stats::SeriesStats;
use super::slo;
use super::summary::{Summary, overloaded_rows};
use crate::settings::Scenario;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The largest share of the arrived requests that may be dropped, and separately the largest
/// share that may time out, for a run to count as keeping up (without its own `slo:` bound).
pub(crate) const MAX_LOST_RATIO: f64 = 0.001;
/// The largest share of the run that may be overloaded (see `Summary::overload_s`) for a run to
/// count as keeping up (without its own `max_overload_seconds`).
pub(crate) const MAX_OVERLOADED_SHARE: f64 = 0.01;

/// What held an autoscaler back from adding capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LimitKind {
    /// The HPA wanted more replicas than `maxReplicas` (`TooManyReplicas`).
    MaxReplicas,
    /// A scale-up policy or the legacy scale-up cap (`ScaleUpLimit`).
    ScaleUpPolicy,
    /// The scale-up stabilization window (`ScaleUpStabilized`).
    Stabilization,
    /// Pods asked for were still starting while the run was overloaded.
    PodStartup,
    /// Pods had no node to run on while the run was overloaded.
    NodeProvisioning,
    /// A metric the autoscaler could not read.
    MetricUnavailable,
}

impl LimitKind {
    /// Plain words for the verdict line (the detail follows, e.g. `maxReplicas 20`).
    pub(crate) fn words(self) -> &'static str {
        match self {
            LimitKind::MaxReplicas => "maxReplicas",
            LimitKind::ScaleUpPolicy => "a scale-up policy",
            LimitKind::Stabilization => "scale-up stabilization",
            LimitKind::PodStartup => "pod start-up",
            LimitKind::NodeProvisioning => "node provisioning",
            LimitKind::MetricUnavailable => "a metric that could not be read",
        }
    }
}

/// When each limit held, by (kind, detail): merged `[from, to)` spans in seconds of the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LimitTimeline {
    spans: BTreeMap<(LimitKind, String), Vec<(f64, f64)>>,
}

impl LimitTimeline {
    /// Note that `kind` (with `detail`) held over `[from, to)`; touching spans merge.
    pub(crate) fn record(&mut self, kind: LimitKind, detail: String, from: f64, to: f64) {
        let spans = self.spans.entry((kind, detail)).or_default();
        match spans.last_mut() {
            Some(last) if from <= last.1 + 1e-6 => last.1 = last.1.max(to),
            _ => spans.push((from, to)),
        }
    }
}

/// One thing that limited an autoscaler, and when.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct Limit {
    pub(crate) by: LimitKind,
    /// What exactly, e.g. `maxReplicas 20`, `policy Pods 4 per 15s`, `s0-prometheus`.
    pub(crate) detail: String,
    /// The HPA it held back (`pods` / `nodes` for start-up and provisioning).
    pub(crate) autoscaler: String,
    /// First and last moment it held (seconds of the run).
    pub(crate) from_s: f64,
    pub(crate) to_s: f64,
    /// How long it held in all.
    pub(crate) seconds: f64,
    /// How long it held while the run was overloaded.
    pub(crate) overloaded_s: f64,
    /// When it first held while the run was overloaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) first_overloaded_s: Option<f64>,
}

/// A value at the time (start of the time-series step) it happened.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Worst<T> {
    pub(crate) value: T,
    pub(crate) t_s: f64,
}

/// The worst moments of the run, by time-series step.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WorstMoments {
    /// The highest per-step p99 latency (absent when no step measured one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_p99_s: Option<Worst<f64>>,
    /// The most requests waiting at the end of a step.
    pub(crate) backlog: Worst<u64>,
    /// The most requests dropped or timed out in one step.
    pub(crate) lost: Worst<u64>,
}

/// One `slo:` bound, met or failed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct SloBound {
    pub(crate) name: String,
    pub(crate) bound: f64,
    pub(crate) measured: Option<f64>,
    pub(crate) met: bool,
    /// `latency_p99 <= 500ms: measured 320ms`.
    pub(crate) text: String,
}

impl SloBound {
    /// How a missed bound reads among the verdict's failed criteria.
    fn failure(&self) -> String {
        format!("slo {}", self.text)
    }
}

/// A metric an autoscaler asked for and never read (`--allow-missing-metrics`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct NeverRead {
    pub(crate) autoscaler: String,
    pub(crate) metric: String,
}

/// The verdict (`summary.json` `verdict`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Verdict {
    pub(crate) kept_up: bool,
    /// Why it did not keep up, in plain words (empty when it did).
    pub(crate) failed: Vec<String>,
    /// Seconds the run fell behind (`overload_s`).
    pub(crate) overloaded_s: f64,
    /// From the start of the first overloaded step to the end of the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) behind_from_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) behind_to_s: Option<f64>,
    /// Whole-run p99 latency of served requests.
    pub(crate) latency_p99_s: Option<f64>,
    pub(crate) dropped: u64,
    pub(crate) timed_out: u64,
    pub(crate) arrived: u64,
    pub worst: WorstMoments,
    pub(crate) replicas_min: i32,
    pub(crate) replicas_max: i32,
    pub(crate) pod_hours: f64,
    /// The run has an autoscaler (an HPA, a ScaledObject or a ScaledJob).
    pub(crate) autoscaled: bool,
    /// What limited the autoscaler, the longest-held first.
    pub(crate) limited_by: Vec<Limit>,
    /// Each `slo:` bound (absent without an `slo:` block).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) slo: Option<Vec<SloBound>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) never_read: Vec<NeverRead>,
}

/// The limits each HPA recorded (its name, timeline).
pub(crate) type HpaLimits<'a> = Vec<(&'a str, &'a LimitTimeline)>;

impl Verdict {
    /// The criteria missed other than the scenario's own `slo:` bounds (which `check` reports
    /// line by line): the built-in guards and the drained backlog.
    pub(crate) fn failed_beyond_slo(&self) -> Vec<&str> {
        let slo_failures: Vec<String> = (self.slo.iter().flatten())
            .filter(|b| !b.met)
            .map(SloBound::failure)
            .collect();
        (self.failed.iter())
            .filter(|f| !slo_failures.contains(f))
            .map(String::as_str)
            .collect()
    }

    /// The verdict of a finished run whose summary (all but the verdict) is built.
    pub(crate) fn of(
        scenario: &Scenario,
        series: &SeriesStats,
        summary: &Summary,
        hpa_limits: &HpaLimits<'_>,
        never_read: Vec<NeverRead>,
    ) -> Verdict {
        let overloaded = overloaded_rows(series, scenario.duration);
        let slo = slo_bounds(scenario, summary);
        let failed = failed_criteria(scenario, series, summary, slo.as_deref());
        let first = overloaded.iter().position(|&o| o);
        let last = overloaded.iter().rposition(|&o| o);
        let r = &summary.requests;
        Verdict {
            kept_up: failed.is_empty(),
            failed,
            overloaded_s: summary.overload_s,
            behind_from_s: first.map(|i| series.time(i)),
            behind_to_s: last.map(|i| (series.time(i) + series.step).min(scenario.duration)),
            latency_p99_s: summary.latency_s.p99,
            dropped: r.dropped,
            timed_out: r.timed_out,
            arrived: r.arrived,
            worst: worst_moments(series),
            replicas_min: summary.replicas.min,
            replicas_max: summary.replicas.max,
            pod_hours: summary.replicas.pod_hours,
            autoscaled: !summary.hpa.is_empty() || !summary.keda.is_empty(),
            limited_by: limits(series, &overloaded, hpa_limits, scenario.duration),
            slo,
            never_read,
        }
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn percent(v: f64) -> String {
    crate::text::decimals(100.0 * v, 2) + "%"
}

/// The criteria the run failed (see `docs/verdict.md`): each built-in criterion unless the
/// scenario's `slo:` bounds the same quantity, every `slo:` bound, and a drained backlog.
fn failed_criteria(
    scenario: &Scenario,
    series: &SeriesStats,
    summary: &Summary,
    slo: Option<&[SloBound]>,
) -> Vec<String> {
    let own = scenario.slo.clone().unwrap_or_default();
    let r = &summary.requests;
    let mut failed = Vec::new();
    let dropped = ratio(r.dropped, r.arrived);
    if own.max_dropped_ratio.is_none() && dropped > MAX_LOST_RATIO {
        failed.push(format!("{} dropped", percent(dropped)));
    }
    let timed_out = ratio(r.timed_out, r.arrived);
    if own.max_timed_out_ratio.is_none() && timed_out > MAX_LOST_RATIO {
        failed.push(format!("{} timed out", percent(timed_out)));
    }
    let share = if scenario.duration > 0.0 {
        summary.overload_s / scenario.duration
    } else {
        0.0
    };
    if own.max_overload_seconds.is_none() && share > MAX_OVERLOADED_SHARE {
        failed.push(format!("overloaded {} of the run", percent(share)));
    }
    for b in slo.into_iter().flatten().filter(|b| !b.met) {
        failed.push(b.failure());
    }
    let (age, waiting) = series.last;
    if series.rows > 0 && age >= series.step.max(1.0) {
        failed.push(format!(
            "backlog not drained at the end ({waiting} waiting)"
        ));
    }
    failed
}

/// Each of the scenario's `slo:` bounds, met or failed, against the summary as it stands.
fn slo_bounds(scenario: &Scenario, summary: &Summary) -> Option<Vec<SloBound>> {
    let spec = scenario.slo.as_ref()?;
    let bounds = slo::evaluate(spec, &Metrics::from_summary(summary))
        .into_iter()
        .map(|r| SloBound {
            text: format!("{}: {}", r.describe(), r.measured_text()),
            name: r.name.to_string(),
            bound: r.limit,
            measured: r.measured,
            met: r.pass,
        })
        .collect();
    Some(bounds)
}

/// Judge the criteria again once the summary has gained what the run alone could not know
/// (the backtest against observed series): the `slo:` bounds, what failed, and `kept_up`.
pub(crate) fn reassess(summary: &mut Summary, scenario: &Scenario, series: &SeriesStats) {
    let slo = slo_bounds(scenario, summary);
    let failed = failed_criteria(scenario, series, summary, slo.as_deref());
    if let Some(v) = summary.verdict.as_mut() {
        v.kept_up = failed.is_empty();
        v.failed = failed;
        v.slo = slo;
    }
}

fn worst_moments(s: &SeriesStats) -> WorstMoments {
    let (lost, lost_row) = s.worst_lost();
    WorstMoments {
        latency_p99_s: s.worst_p99.map(|(value, row)| Worst {
            value,
            t_s: s.time(row),
        }),
        backlog: Worst {
            value: s.worst_backlog.0,
            t_s: s.time(s.worst_backlog.1),
        },
        lost: Worst {
            value: lost,
            t_s: s.time(lost_row),
        },
    }
}

/// Every limit, the HPAs' and (while overloaded) pod start-up and node provisioning, the one
/// that held longest while overloaded first, then the longest held.
fn limits(
    s: &SeriesStats,
    overloaded: &[bool],
    hpa_limits: &HpaLimits<'_>,
    duration: f64,
) -> Vec<Limit> {
    let mut world = LimitTimeline::default();
    for (r, _) in overloaded.iter().enumerate().filter(|(_, o)| **o) {
        let (from, to) = (s.time(r), (s.time(r) + s.step).min(duration));
        if s.unschedulable(r) {
            world.record(
                LimitKind::NodeProvisioning,
                "pods waiting for a node".into(),
                from,
                to,
            );
        } else if s.starting(r) {
            world.record(LimitKind::PodStartup, "pods starting".into(), from, to);
        }
    }
    let mut out = Vec::new();
    let timelines = hpa_limits
        .iter()
        .map(|(name, t)| (format!("HPA {name}"), *t))
        .chain(std::iter::once(("pods".to_string(), &world)));
    for (autoscaler, timeline) in timelines {
        for ((kind, detail), spans) in &timeline.spans {
            // A sync at the very end holds until the next one, after the run.
            let spans: Vec<(f64, f64)> = spans
                .iter()
                .map(|&(a, b)| (a, b.min(duration)))
                .filter(|(a, b)| b > a)
                .collect();
            if spans.is_empty() {
                continue;
            }
            let (overlap, first) = overlap(s, overloaded, &spans);
            let name = match kind {
                LimitKind::NodeProvisioning => "nodes".to_string(),
                _ => autoscaler.clone(),
            };
            out.push(Limit {
                by: *kind,
                detail: detail.clone(),
                autoscaler: name,
                from_s: spans.first().map_or(0.0, |s| s.0),
                to_s: spans.last().map_or(0.0, |s| s.1),
                seconds: spans.iter().map(|(a, b)| b - a).sum(),
                overloaded_s: overlap,
                first_overloaded_s: first,
            });
        }
    }
    out.sort_by(|a, b| {
        b.overloaded_s
            .total_cmp(&a.overloaded_s)
            .then(b.seconds.total_cmp(&a.seconds))
            .then(a.by.cmp(&b.by))
    });
    out
}

/// Seconds of `spans` that fall in overloaded steps, and the first such moment.
fn overlap(s: &SeriesStats, overloaded: &[bool], spans: &[(f64, f64)]) -> (f64, Option<f64>) {
    let mut total = 0.0;
    let mut first: Option<f64> = None;
    for (r, _) in overloaded.iter().enumerate().filter(|(_, o)| **o) {
        let (a, b) = (s.time(r), s.time(r) + s.step);
        for &(from, to) in spans {
            let (lo, hi) = (from.max(a), to.min(b));
            if hi > lo {
                total += hi - lo;
                first = Some(first.map_or(lo, |f: f64| f.min(lo)));
            }
        }
    }
    (total, first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_spans_merge_and_gaps_do_not() {
        let mut t = LimitTimeline::default();
        let k = (LimitKind::MaxReplicas, "maxReplicas 4".to_string());
        t.record(k.0, k.1.clone(), 0.0, 15.0);
        t.record(k.0, k.1.clone(), 15.0, 30.0);
        t.record(k.0, k.1.clone(), 60.0, 75.0);
        assert_eq!(t.spans[&k], vec![(0.0, 30.0), (60.0, 75.0)]);
    }

    #[test]
    fn overlap_counts_only_overloaded_steps() {
        let s = SeriesStats::of(&crate::record::Series::new(40.0, 10.0));
        let overloaded = [false, true, true, false];
        let (secs, first) = overlap(&s, &overloaded, &[(5.0, 25.0)]);
        assert_eq!((secs, first), (15.0, Some(10.0)));
    }
}
