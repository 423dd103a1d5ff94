//! The key numbers of a run, read from its `summary.json` (as a JSON value, so `compare` can read
//! run folders written by other versions), as labelled rows for the HTML report, `compare.html`
//! and the table `compare` prints.

use crate::text::label_number as fmt_num;
use crate::units::format_seconds;
use serde_json::Value;

/// One row: a label, the value as shown, and the number behind it (for differences).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub label: String,
    pub text: String,
    pub value: Option<f64>,
    /// The value is a duration in seconds (differences read as durations too).
    pub seconds: bool,
}

fn get<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

fn num(v: &Value, path: &str) -> Option<f64> {
    get(v, path)?.as_f64()
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

/// The rows of a summary, in a fixed order (then one row per HPA limit, window and inactive
/// reason the run met).
pub fn summary_rows(s: &Value) -> Vec<Row> {
    let mut rows = Vec::new();
    if let Some(model) = get(s, "fidelity.model").and_then(Value::as_str) {
        rows.push(Row {
            label: "traffic model".into(),
            text: model.to_string(),
            value: None,
            seconds: false,
        });
    }
    request_rows(&mut rows, s);
    for (path, label) in LATENCY_ROWS {
        secs_row(&mut rows, label, num(s, path));
    }
    for (path, label) in REPLICA_ROWS {
        plain_row(&mut rows, label, num(s, path));
    }
    let ph = num(s, "replicas.pod_hours");
    rows.push(two_decimals("pod-hours", ph));
    backlog_rows(&mut rows, s);
    node_rows(&mut rows, s);
    mechanism_rows(&mut rows, s);
    hpa_rows(&mut rows, s);
    rows
}

/// Latency and wait rows: summary path, label.
const LATENCY_ROWS: [(&str, &str); 7] = [
    ("latency_s.mean", "latency mean"),
    ("latency_s.p50", "latency p50"),
    ("latency_s.p95", "latency p95"),
    ("latency_s.p99", "latency p99"),
    ("latency_s.max", "latency max"),
    ("wait_s.mean", "wait mean"),
    ("wait_s.p99", "wait p99"),
];

/// Replica rows: summary path, label.
const REPLICA_ROWS: [(&str, &str); 4] = [
    ("replicas.min", "replicas min"),
    ("replicas.mean", "replicas mean"),
    ("replicas.max", "replicas max"),
    ("replicas.ready_mean", "Ready pods mean"),
];

/// Rows of counts the overload mechanisms recorded, shown only when above zero.
const MECHANISM_ROWS: [(&str, &str); 3] = [
    ("requests.retries", "client retries"),
    ("requests.rejected", "503 answers"),
    ("restarts", "liveness restarts"),
];

/// The HPA's per-reason seconds: summary key, label prefix.
const HPA_REASONS: [(&str, &str); 3] = [
    ("limited_seconds", "limited by"),
    ("stabilized_seconds", "held by"),
    ("inactive_seconds", "ScalingActive=False"),
];

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
fn request_rows(rows: &mut Vec<Row>, s: &Value) {
    let arrived = num(s, "requests.arrived");
    count_row(rows, "requests arrived", arrived, None);
    count_row(rows, "served", num(s, "requests.served"), arrived);
    count_row(rows, "dropped", num(s, "requests.dropped"), arrived);
    count_row(rows, "timed out", num(s, "requests.timed_out"), arrived);
    count_row(
        rows,
        "in flight at end",
        num(s, "requests.in_flight_end"),
        None,
    );
}

/// Backlog, the oldest waiting request, overload and scale events.
fn backlog_rows(rows: &mut Vec<Row>, s: &Value) {
    plain_row(rows, "backlog max", num(s, "backlog.max"));
    plain_row(rows, "backlog mean", num(s, "backlog.mean"));
    if get(s, "backlog.max_age_s").is_some() {
        secs_row(rows, "oldest waiting (max)", num(s, "backlog.max_age_s"));
    }
    if get(s, "overload_s").is_some() {
        secs_row(rows, "overloaded for", num(s, "overload_s"));
    }
    plain_row(rows, "scale events", num(s, "scale_events"));
}

/// Nodes: rows only when the run modelled them.
fn node_rows(rows: &mut Vec<Row>, s: &Value) {
    if !get(s, "nodes").is_some_and(Value::is_object) {
        return;
    }
    plain_row(rows, "nodes max", num(s, "nodes.max"));
    plain_row(rows, "nodes mean", num(s, "nodes.mean"));
    rows.push(two_decimals("node-hours", num(s, "nodes.node_hours")));
    rows.push(two_decimals("cost", num(s, "nodes.cost")));
    secs_row(rows, "pods Pending with no node", num(s, "pending_pod_s"));
}

/// Retries, 503 answers, restarts and CPU throttling: rows only for what the run recorded.
fn mechanism_rows(rows: &mut Vec<Row>, s: &Value) {
    for (key, label) in MECHANISM_ROWS {
        if num(s, key).is_some_and(|v| v > 0.0) {
            plain_row(rows, label, num(s, key));
        }
    }
    if num(s, "throttled_s").is_some_and(|v| v > 0.0) {
        secs_row(rows, "CPU throttled (CFS)", num(s, "throttled_s"));
    }
}

/// The HPA's syncs and scale events, then one row per limit, window and inactive reason.
/// `summary.json` holds one entry per HPA (an array); summaries of older versions held one
/// object. With several HPAs each row names its HPA.
fn hpa_rows(rows: &mut Vec<Row>, s: &Value) {
    match get(s, "hpa") {
        Some(h @ Value::Object(_)) => one_hpa_rows(rows, h, None),
        Some(Value::Array(hpas)) => {
            for h in hpas {
                let name = (hpas.len() > 1).then(|| h["name"].as_str().unwrap_or("?"));
                one_hpa_rows(rows, h, name);
            }
        }
        _ => {}
    }
}

fn one_hpa_rows(rows: &mut Vec<Row>, h: &Value, name: Option<&str>) {
    let hpa = name.map_or("HPA".to_string(), |n| format!("HPA {n}"));
    plain_row(rows, &format!("{hpa} syncs"), num(h, "syncs"));
    plain_row(rows, &format!("{hpa} scale-ups"), num(h, "scale_ups"));
    plain_row(rows, &format!("{hpa} scale-downs"), num(h, "scale_downs"));
    for (key, what) in HPA_REASONS {
        if let Some(Value::Object(m)) = h.get(key) {
            for (k, v) in m {
                let label = match name {
                    Some(n) => format!("{what} ({n}): {k}"),
                    None => format!("{what}: {k}"),
                };
                secs_row(rows, &label, v.as_f64());
            }
        }
    }
}

/// Rows of several summaries side by side: every label any of them has, in first-seen order,
/// with `–` where a run lacks it.
pub fn side_by_side(summaries: &[Value]) -> Vec<(String, Vec<Row>)> {
    let per_run: Vec<Vec<Row>> = summaries.iter().map(summary_rows).collect();
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
pub fn difference(a: &Row, b: &Row) -> String {
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
