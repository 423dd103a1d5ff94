//! `run --export openmetrics`: the run as an OpenMetrics text file (`openmetrics.txt`) under the
//! names kube-state-metrics, KEDA and instrumented services use — so a simulated day can be
//! backfilled into Prometheus (`promtool tsdb create-blocks-from openmetrics`) and looked at
//! in the team's own dashboards. See `docs/outputs.md`.
//!
//! One sample per row of `timeseries.csv`, stamped as that row: the scenario's `start_time` (an
//! input, never the wall clock) plus the row's time, or seconds from the Unix epoch when the
//! scenario has none. Every series carries `scalesim_run="<scenario name>"`. Same run, same
//! bytes.

use crate::error::{InputError, Location};
use crate::record::{PROM_BUCKETS, RowHistograms, Series};
use crate::scenario::Scenario;
use crate::sim::RunResult;
use crate::units::format_seconds;
use std::fmt::Write as _;

/// The file `--export openmetrics` writes into the run's folder.
pub(crate) const FILE: &str = "openmetrics.txt";

/// The namespace label of every series: scenarios are not namespaced.
const NAMESPACE: &str = "default";

/// One family's samples over the run, as `(labels, value per row)`.
struct Family<'a> {
    name: &'a str,
    kind: &'a str,
    help: &'a str,
    series: Vec<(String, Vec<f64>)>,
}

/// Refuse, before simulating, a scenario whose samples a Prometheus backfill would silently
/// drop: Prometheus keeps millisecond timestamps, so rows closer together than 1 ms would share
/// one (promtool keeps one sample of each instant), and it drops every sample before the Unix
/// epoch.
pub(crate) fn check_backfillable(scenario: &Scenario) -> Result<(), InputError> {
    let at = |field: &str| Location::file(&scenario.file).with_field(field);
    if scenario.step < 0.001 {
        return Err(InputError::new(
            at("step"),
            format!(
                "step {} is finer than the millisecond timestamps Prometheus keeps: rows would \
                 share a timestamp in openmetrics.txt and a backfill would keep one of each; \
                 use a step of at least 1ms with --export openmetrics",
                format_seconds(scenario.step)
            ),
        ));
    }
    match scenario.clock_start() {
        Some(t) if t.timestamp_millis() < 0 => Err(InputError::new(
            at("start_time"),
            format!(
                "the run starts at {}, before 1970-01-01: a Prometheus backfill drops every \
                 sample before the Unix epoch; give a later start_time with --export openmetrics",
                t.to_rfc3339()
            ),
        )),
        _ => Ok(()),
    }
}

/// Render the OpenMetrics text of `result` (ends with `# EOF`).
pub(crate) fn render(result: &RunResult) -> String {
    let s = &result.series;
    let summary = &result.summary;
    let origin = summary
        .chart
        .start_time
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(0.0, |t| t.timestamp_millis() as f64 / 1000.0);
    let run = format!("scalesim_run=\"{}\"", escape(&summary.scenario));
    let deployment = format!(
        "deployment=\"{}\",namespace=\"{NAMESPACE}\",{run}",
        escape(&summary.scenario)
    );
    let mut out = String::new();
    for family in workload_families(s, &deployment) {
        write_family(&mut out, &family, s, origin);
    }
    if let Some(hpa) = summary.hpa.first() {
        let labels = format!(
            "horizontalpodautoscaler=\"{}\",namespace=\"{NAMESPACE}\",{run}",
            escape(&hpa.name)
        );
        let family = Family {
            name: "kube_horizontalpodautoscaler_status_desired_replicas",
            kind: "gauge",
            help: "Desired number of replicas of pods managed by this autoscaler.",
            series: vec![(labels, column(&s.desired_replicas))],
        };
        write_family(&mut out, &family, s, origin);
    }
    for family in keda_families(result, &run) {
        write_family(&mut out, &family, s, origin);
    }
    write_requests(&mut out, s, &run, origin);
    if let Some(h) = &result.latency_histograms {
        write_latency_histogram(&mut out, s, h, &run, origin);
    }
    write_step_latency(&mut out, s, &run, origin);
    out.push_str("# EOF\n");
    out
}

/// A column of counts as values.
fn column<T: Copy + Into<f64>>(v: &[T]) -> Vec<f64> {
    v.iter().map(|&x| x.into()).collect()
}

/// kube-state-metrics' Deployment gauges.
fn workload_families<'a>(s: &Series, labels: &str) -> Vec<Family<'a>> {
    vec![
        Family {
            name: "kube_deployment_spec_replicas",
            kind: "gauge",
            help: "Number of desired pods for a deployment.",
            series: vec![(labels.to_string(), column(&s.spec_replicas))],
        },
        Family {
            name: "kube_deployment_status_replicas_ready",
            kind: "gauge",
            help: "The number of ready replicas per deployment.",
            series: vec![(labels.to_string(), column(&s.ready_pods))],
        },
    ]
}

/// KEDA's `keda_scaler_metrics_value` (each autoscaler metric as the HPA saw it) and
/// `keda_scaler_active` (from the polls in the event log, which records every change of it).
fn keda_families<'a>(result: &RunResult, run: &str) -> Vec<Family<'a>> {
    let (s, summary) = (&result.series, &result.summary);
    let Some(first) = summary.keda.first() else {
        return Vec::new();
    };
    let object = |name: &str| {
        format!(
            "namespace=\"{NAMESPACE}\",scaledObject=\"{}\",type=\"scaledobject\",{run}",
            escape(name)
        )
    };
    // The metrics' values only (`metric_<name>_seen`): their targets, true values and the
    // failed and fallback flags are columns of timeseries.csv, not values a scaler reports.
    let values = s
        .extra
        .iter()
        .filter_map(|(column, col)| {
            let metric = column.strip_prefix("metric_")?.strip_suffix("_seen")?;
            let labels = format!("metric=\"{}\",{}", escape(metric), object(&first.name));
            Some((labels, col.clone()))
        })
        .collect();
    let active = summary
        .keda
        .iter()
        .map(|k| (object(&k.name), active_column(result, &k.name)))
        .collect();
    vec![
        Family {
            name: "keda_scaler_metrics_value",
            kind: "gauge",
            help: "The current value for each scaler's metric that would be used by the HPA in computing the target average.",
            series: values,
        },
        Family {
            name: "keda_scaler_active",
            kind: "gauge",
            help: "Indicates whether a scaler is active (1), or not (0).",
            series: active,
        },
    ]
}

/// 1 where the KEDA object `name` was active at its latest poll by the end of each row, else 0.
fn active_column(result: &RunResult, name: &str) -> Vec<f64> {
    let s = &result.series;
    let mut col = vec![0.0; s.rows];
    let polls = result
        .keda_activity
        .iter()
        .filter(|(n, _, _)| n == name)
        .map(|&(_, t, active)| (t, active));
    for (t, active) in polls {
        let from = s.row(t);
        col[from..].fill(if active { 1.0 } else { 0.0 });
    }
    col
}

/// `http_requests_total`: requests (or messages) arrived since the start, a counter.
fn write_requests(out: &mut String, s: &Series, run: &str, origin: f64) {
    header(
        out,
        "http_requests",
        "counter",
        "Requests (or messages) that arrived.",
    );
    let mut total = 0u64;
    for r in 0..s.rows {
        total += u64::from(s.arrivals[r]);
        let _ = writeln!(
            out,
            "http_requests_total{{{run}}} {total} {}",
            stamp(s, r, origin)
        );
    }
}

/// `http_request_duration_seconds`: the latency of every request served since t = 0, a
/// histogram with the buckets the simulated service exposes to a Prometheus backend
/// ([`PROM_BUCKETS`]) — cumulative `_bucket` series up to `le="+Inf"`, `_count` and `_sum` at
/// each row's end.
fn write_latency_histogram(
    out: &mut String,
    s: &Series,
    rows: &RowHistograms,
    run: &str,
    origin: f64,
) {
    let name = "http_request_duration_seconds";
    let help = "Latency of the requests served (arrival to response).";
    header(out, name, "histogram", help);
    let bounds: Vec<String> = PROM_BUCKETS.iter().map(|b| format!("{b:?}")).collect();
    for (r, (h, sum)) in rows.running_totals(s.rows).iter().enumerate() {
        let t = stamp(s, r, origin);
        let mut below = 0u64;
        for (i, c) in h.counts.iter().enumerate() {
            below += c;
            let le = bounds.get(i).map_or("+Inf", String::as_str);
            let _ = writeln!(out, "{name}_bucket{{{run},le=\"{le}\"}} {below} {t}");
        }
        let _ = writeln!(out, "{name}_count{{{run}}} {below} {t}");
        let _ = writeln!(out, "{name}_sum{{{run}}} {} {t}", num(*sum));
    }
}

/// `scalesim_step_latency_seconds`: the median and p99 latency of the requests served in each
/// row (the `latency_p50` / `latency_p99` columns), a summary (rows where nothing was served
/// have no point).
fn write_step_latency(out: &mut String, s: &Series, run: &str, origin: f64) {
    let name = "scalesim_step_latency_seconds";
    let help = "Latency quantiles of the requests served in the step (arrival to response).";
    header(out, name, "summary", help);
    for r in (0..s.rows).filter(|&r| s.latency_p50[r].is_finite()) {
        for (q, v) in [("0.5", s.latency_p50[r]), ("0.99", s.latency_p99[r])] {
            let _ = writeln!(
                out,
                "{name}{{quantile=\"{q}\",{run}}} {} {}",
                num(v),
                stamp(s, r, origin)
            );
        }
    }
}

/// A family: its metadata, then each series' samples in time order (finite values only).
fn write_family(out: &mut String, f: &Family, s: &Series, origin: f64) {
    header(out, f.name, f.kind, f.help);
    for (labels, values) in &f.series {
        for (r, v) in values.iter().enumerate().filter(|(_, v)| v.is_finite()) {
            let _ = writeln!(
                out,
                "{}{{{labels}}} {} {}",
                f.name,
                num(*v),
                stamp(s, r, origin)
            );
        }
    }
}

/// A family's metadata lines (no `# UNIT`: the names already end in theirs where they have one).
fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# TYPE {name} {kind}");
    let _ = writeln!(out, "# HELP {name} {help}");
}

/// The timestamp of row `r`, seconds with millisecond precision.
fn stamp(s: &Series, r: usize, origin: f64) -> String {
    format!("{:.3}", origin + s.time(r))
}

/// A sample value: whole numbers without a fraction, others in Rust's shortest exact form.
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_labels_are_written_exactly() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(0.25), "0.25");
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
