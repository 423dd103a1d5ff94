//! The key numbers of a run, read from its `summary.json` (typed, part by part, by
//! [`super::stored`], so `compare` can read run folders written by other versions), as labelled
//! rows for the HTML report, `compare.html` and the table `compare` prints.

use super::stored::{HpaPart, StoredSummary};
use crate::sim::figures::SummaryFigures;
use crate::text::label_number as fmt_num;
use crate::units::format_seconds;
use serde_json::Value;

/// One row: a label, the value as shown, and the number behind it (for differences).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) label: String,
    pub(crate) text: String,
    pub(crate) value: Option<f64>,
    /// The value is a duration in seconds (differences read as durations too).
    pub(crate) seconds: bool,
}

fn pct(part: Option<f64>, whole: Option<f64>) -> String {
    match (part, whole) {
        (Some(p), Some(w)) if w > 0.0 => format!(" ({:.2}%)", 100.0 * p / w),
        _ => String::new(),
    }
}

fn count_row(rows: &mut Vec<Row>, label: &str, value: Option<f64>, of: Option<f64>) {
    rows.push(Row {
        label: label.into(),
        text: value.map_or("–".into(), |v| format!("{}{}", v, pct(Some(v), of))),
        value,
        seconds: false,
    });
}

fn secs_row(rows: &mut Vec<Row>, label: &str, value: Option<f64>) {
    rows.push(Row {
        label: label.into(),
        text: value.map_or("–".into(), format_seconds),
        value,
        seconds: true,
    });
}

fn plain_row(rows: &mut Vec<Row>, label: &str, value: Option<f64>) {
    rows.push(Row {
        label: label.into(),
        text: value.map_or("–".into(), fmt_num),
        value,
        seconds: false,
    });
}

/// The rows of a summary in its JSON form (see [`rows`]).
pub(crate) fn summary_rows(s: &Value) -> Vec<Row> {
    rows(&StoredSummary::from_json(s))
}

/// The rows of a summary, in a fixed order (then one row per HPA limit, window and inactive
/// reason the run met).
pub(crate) fn rows(s: &StoredSummary) -> Vec<Row> {
    let mut rows = Vec::new();
    if let Some(model) = &s.fidelity.model {
        rows.push(Row {
            label: "traffic model".into(),
            text: model.clone(),
            value: None,
            seconds: false,
        });
    }
    let f = &s.figures;
    request_rows(&mut rows, f);
    let (l, w) = (&f.latency_s, &f.wait_s);
    let latency = [
        (l.mean, "latency mean"),
        (l.p50, "latency p50"),
        (l.p95, "latency p95"),
        (l.p99, "latency p99"),
        (l.max, "latency max"),
        (w.mean, "wait mean"),
        (w.p99, "wait p99"),
    ];
    for (value, label) in latency {
        secs_row(&mut rows, label, value);
    }
    let r = &f.replicas;
    let replicas = [
        (r.min, "replicas min"),
        (r.mean, "replicas mean"),
        (r.max, "replicas max"),
        (r.ready_mean, "Ready pods mean"),
    ];
    for (value, label) in replicas {
        plain_row(&mut rows, label, value);
    }
    rows.push(two_decimals("pod-hours", r.pod_hours));
    backlog_rows(&mut rows, f);
    node_rows(&mut rows, f);
    mechanism_rows(&mut rows, f);
    for h in &s.hpa {
        let name = (s.hpa.len() > 1).then(|| h.name.as_deref().unwrap_or("?"));
        one_hpa_rows(&mut rows, h, name);
    }
    rows
}

/// The HPA's per-reason seconds: label prefix.
const HPA_REASONS: [&str; 3] = ["limited by", "held by", "ScalingActive=False"];

/// A row with two decimals (pod-hours, node-hours, cost).
fn two_decimals(label: &str, v: Option<f64>) -> Row {
    Row {
        label: label.into(),
        text: v.map_or("–".into(), |v| format!("{v:.2}")),
        value: v,
        seconds: false,
    }
}

/// Arrived, served, dropped, timed out (with their share of arrivals), in flight at the end.
fn request_rows(rows: &mut Vec<Row>, f: &SummaryFigures) {
    let r = &f.requests;
    count_row(rows, "requests arrived", r.arrived, None);
    count_row(rows, "served", r.served, r.arrived);
    count_row(rows, "dropped", r.dropped, r.arrived);
    count_row(rows, "timed out", r.timed_out, r.arrived);
    count_row(rows, "in flight at end", r.in_flight_end, None);
}

/// Backlog, the oldest waiting request, overload and scale events.
fn backlog_rows(rows: &mut Vec<Row>, f: &SummaryFigures) {
    plain_row(rows, "backlog max", f.backlog.max);
    plain_row(rows, "backlog mean", f.backlog.mean);
    if f.backlog.max_age_s.is_some() {
        secs_row(rows, "oldest waiting (max)", f.backlog.max_age_s);
    }
    if f.overload_s.is_some() {
        secs_row(rows, "overloaded for", f.overload_s);
    }
    plain_row(rows, "scale events", f.scale_events);
}

/// Nodes: rows only when the run modelled them.
fn node_rows(rows: &mut Vec<Row>, f: &SummaryFigures) {
    let Some(n) = &f.nodes else {
        return;
    };
    plain_row(rows, "nodes max", n.max);
    plain_row(rows, "nodes mean", n.mean);
    rows.push(two_decimals("node-hours", n.node_hours));
    rows.push(two_decimals("cost", n.cost));
    secs_row(rows, "pods Pending with no node", f.pending_pod_s);
}

/// Retries, 503 answers, restarts and CPU throttling: rows only for what the run recorded.
fn mechanism_rows(rows: &mut Vec<Row>, f: &SummaryFigures) {
    let counts = [
        (f.requests.retries, "client retries"),
        (f.requests.rejected, "503 answers"),
        (f.restarts, "liveness restarts"),
    ];
    for (value, label) in counts {
        if value.is_some_and(|v| v > 0.0) {
            plain_row(rows, label, value);
        }
    }
    if f.throttled_s.is_some_and(|v| v > 0.0) {
        secs_row(rows, "CPU throttled (CFS)", f.throttled_s);
    }
}

/// One HPA's syncs and scale events, then one row per limit, window and inactive reason. With
/// several HPAs (`name` given) each row names its HPA.
fn one_hpa_rows(rows: &mut Vec<Row>, h: &HpaPart, name: Option<&str>) {
    let hpa = name.map_or("HPA".to_string(), |n| format!("HPA {n}"));
    plain_row(rows, &format!("{hpa} syncs"), h.syncs);
    plain_row(rows, &format!("{hpa} scale-ups"), h.scale_ups);
    plain_row(rows, &format!("{hpa} scale-downs"), h.scale_downs);
    let reasons = [
        &h.limited_seconds,
        &h.stabilized_seconds,
        &h.inactive_seconds,
    ];
    for (seconds, what) in reasons.into_iter().zip(HPA_REASONS) {
        for (k, v) in seconds {
            let label = match name {
                Some(n) => format!("{what} ({n}): {k}"),
                None => format!("{what}: {k}"),
            };
            secs_row(rows, &label, Some(*v));
        }
    }
}

/// Rows of several summaries side by side: every label any of them has, in first-seen order,
/// with `–` where a run lacks it.
pub(crate) fn side_by_side(summaries: &[&StoredSummary]) -> Vec<(String, Vec<Row>)> {
    let per_run: Vec<Vec<Row>> = summaries.iter().map(|s| rows(s)).collect();
    let mut labels: Vec<String> = Vec::new();
    for rows in &per_run {
        for r in rows {
            if !labels.contains(&r.label) {
                labels.push(r.label.clone());
            }
        }
    }
    labels
        .into_iter()
        .map(|label| {
            let cells = per_run
                .iter()
                .map(|rows| {
                    rows.iter()
                        .find(|r| r.label == label)
                        .cloned()
                        .unwrap_or_else(|| Row {
                            label: label.clone(),
                            text: "–".into(),
                            value: None,
                            seconds: false,
                        })
                })
                .collect();
            (label, cells)
        })
        .collect()
}

/// `b − a` with its relative change, for a before/after pair: `+3 (+12.5%)`, `-13ms (-6.3%)`.
pub(crate) fn difference(a: &Row, b: &Row) -> String {
    match (a.value, b.value) {
        (Some(x), Some(y)) if x == y => "0".into(),
        (Some(x), Some(y)) => {
            let d = y - x;
            let sign = if d > 0.0 { "+" } else { "" };
            let rel = if x != 0.0 {
                format!(" ({sign}{:.1}%)", 100.0 * d / x.abs())
            } else {
                String::new()
            };
            let d = if a.seconds || b.seconds {
                format_seconds(d)
            } else {
                fmt_num(d)
            };
            format!("{sign}{d}{rel}")
        }
        _ => "–".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_and_overload_rows_appear_only_when_recorded() {
        let with: Value = serde_json::json!({
            "requests": {"arrived": 10, "retries": 4, "rejected": 3},
            "nodes": {"max": 5, "mean": 2.5, "node_hours": 2.5, "cost": 0.48},
            "pending_pod_s": 90.0, "restarts": 0, "throttled_s": 0.0
        });
        let labels: Vec<String> = summary_rows(&with).into_iter().map(|r| r.label).collect();
        for l in [
            "node-hours",
            "cost",
            "pods Pending with no node",
            "client retries",
            "503 answers",
        ] {
            assert!(labels.iter().any(|x| x == l), "{l} missing from {labels:?}");
        }
        assert!(
            !labels
                .iter()
                .any(|x| x == "liveness restarts" || x == "CPU throttled (CFS)")
        );
        let without: Value = serde_json::json!({"requests": {"arrived": 10}});
        let labels: Vec<String> = summary_rows(&without)
            .into_iter()
            .map(|r| r.label)
            .collect();
        assert!(
            !labels
                .iter()
                .any(|x| x == "node-hours" || x == "503 answers")
        );
    }

    /// Regression: `summary.json` holds the HPAs as an array, and the rows only read an object,
    /// so neither `report.html` nor `compare` showed an HPA's syncs, scale events or limits.
    #[test]
    fn hpa_rows_read_the_per_hpa_array() {
        let one: Value = serde_json::json!({"hpa": [{"name": "web", "syncs": 241, "scale_ups": 4,
            "scale_downs": 9, "stabilized_seconds": {"downscale stabilization window 5m": 465.0}}]});
        let rows = summary_rows(&one);
        let text = |rows: &[Row], label: &str| {
            rows.iter()
                .find(|r| r.label == label)
                .map(|r| r.text.clone())
        };
        assert_eq!(text(&rows, "HPA syncs").as_deref(), Some("241"));
        assert_eq!(text(&rows, "HPA scale-ups").as_deref(), Some("4"));
        assert_eq!(
            text(&rows, "held by: downscale stabilization window 5m").as_deref(),
            Some("7m45s")
        );
        let two: Value =
            serde_json::json!({"hpa": [{"name": "a", "syncs": 1}, {"name": "b", "syncs": 2}]});
        let rows = summary_rows(&two);
        assert_eq!(text(&rows, "HPA a syncs").as_deref(), Some("1"));
        assert_eq!(text(&rows, "HPA b syncs").as_deref(), Some("2"));
    }

    #[test]
    fn rows_read_a_summary_and_tolerate_missing_fields() {
        let s: Value = serde_json::json!({
            "requests": {"arrived": 1000, "served": 990, "dropped": 10, "timed_out": 0, "in_flight_end": 0},
            "latency_s": {"p99": 0.25},
            "hpa": {"syncs": 10, "limited_seconds": {"ScaleUpLimit: policy Pods 4 per 15s": 45.0}}
        });
        let rows = summary_rows(&s);
        let dropped = rows.iter().find(|r| r.label == "dropped").unwrap();
        assert_eq!(dropped.text, "10 (1.00%)");
        let p99 = rows.iter().find(|r| r.label == "latency p99").unwrap();
        assert_eq!(p99.text, "250ms");
        assert_eq!(
            rows.iter().find(|r| r.label == "latency p50").unwrap().text,
            "–"
        );
        assert!(
            rows.iter()
                .any(|r| r.label.starts_with("limited by: ScaleUpLimit"))
        );
        let row = |value: Option<f64>, seconds: bool| Row {
            label: String::new(),
            text: String::new(),
            value,
            seconds,
        };
        assert_eq!(
            difference(&row(Some(4.0), false), &row(Some(5.0), false)),
            "+1 (+25.0%)"
        );
        assert_eq!(
            difference(&row(Some(0.2), true), &row(Some(0.15), true)),
            "-50ms (-25.0%)"
        );
        assert_eq!(difference(&row(Some(4.0), false), &row(None, false)), "–");
        assert_eq!(
            difference(&row(Some(4.0), false), &row(Some(4.0), false)),
            "0"
        );
    }
}
