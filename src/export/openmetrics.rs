//! `run --export openmetrics`: the run as an OpenMetrics text file (`openmetrics.txt`) under the
//! names kube-state-metrics, KEDA and instrumented services use — so a simulated day can be
//! backfilled into Prometheus (`promtool tsdb create-blocks-from openmetrics`) and looked at
//! in the team's own dashboards. See `docs/outputs.md`.
//!
//! One sample per row of `timeseries.csv`, stamped as that row: the scenario's `start_time` (an
//! input, never the wall clock) plus the row's time, or seconds from the Unix epoch when the
//! scenario has none. Every series carries `scalesim_run="<scenario name>"`. Same run, same
//! bytes.

//! Written in bounded memory as the run hands its rows over ([`OpenMetricsWriter`], a
//! [`RowSink`]): each series' samples go to a spill file of their own in a folder of the run's
//! staging folder, and at the end the families are copied into `openmetrics.txt` in order and
//! the spill folder removed (`docs/performance.md`, `docs/outputs.md`).

use crate::error::{InputError, Location};
use crate::record::{PROM_BUCKETS, PromHistogram, RowSink, Series};
use crate::settings::Scenario;
use crate::sim::RunResult;
use crate::units::format_seconds;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The file `--export openmetrics` writes into the run's folder.
pub(crate) const FILE: &str = "openmetrics.txt";

/// The folder of spill files, in the run's staging folder while the run goes.
pub(crate) const SPILL_DIR: &str = ".openmetrics-spill";

/// The namespace label of every series: scenarios are not namespaced.
const NAMESPACE: &str = "default";

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

/// One series' samples as the run goes, in a file of the spill folder.
struct Spill {
    path: PathBuf,
    w: BufWriter<File>,
}

impl Spill {
    fn create(dir: &Path, name: &str) -> std::io::Result<Spill> {
        let path = dir.join(name);
        let w = BufWriter::with_capacity(1 << 16, File::create(&path)?);
        Ok(Spill { path, w })
    }

    /// Flush, and read the file back from its start.
    fn reader(mut self) -> std::io::Result<BufReader<File>> {
        self.w.flush()?;
        drop(self.w);
        Ok(BufReader::with_capacity(1 << 16, File::open(&self.path)?))
    }
}

/// The spill files: the series whose labels are known only at the end (the deployment's, the
/// HPA's, KEDA's) hold `value timestamp` lines, the others whole sample lines.
struct Spills {
    spec_replicas: Spill,
    ready_pods: Spill,
    desired_replicas: Spill,
    /// `keda_scaler_metrics_value`, one per extra column of the series (KEDA runs only).
    extra: Vec<Spill>,
    requests: Spill,
    histogram: Option<Spill>,
    step_latency: Spill,
}

/// `openmetrics.txt` written as the run hands its rows over (a [`RowSink`]), then completed by
/// [`OpenMetricsWriter::finish`]: the bytes of each family written over the whole run. The spill
/// folder is removed by `finish`, and when the writer is dropped unfinished (a failed run).
pub(crate) struct OpenMetricsWriter {
    dir: PathBuf,
    spills: Option<Spills>,
    /// Seconds from the Unix epoch of the run's t = 0.
    origin: f64,
    /// The `scalesim_run` label.
    run: String,
    /// Whether the run has KEDA objects (whose metric columns are exported).
    keda: bool,
    /// Requests arrived so far.
    arrivals: u64,
    /// Latency histogram of the requests served so far, and their latency sum.
    latency: PromHistogram,
    latency_sum: f64,
    bounds: Vec<String>,
    line: String,
    error: Option<std::io::Error>,
}

impl OpenMetricsWriter {
    /// A writer spilling into the folder `dir` (created; it must not exist), for a run of
    /// `scenario`; `histograms`: the run hands over each row's latency histogram.
    pub(crate) fn create(
        dir: &Path,
        scenario: &Scenario,
        histograms: bool,
    ) -> std::io::Result<OpenMetricsWriter> {
        std::fs::create_dir(dir)?;
        let mut w = OpenMetricsWriter {
            dir: dir.to_path_buf(),
            spills: None,
            origin: origin(scenario.clock_start().map(|t| t.to_rfc3339()).as_deref()),
            run: run_label(&scenario.name),
            keda: has_keda_objects(scenario),
            arrivals: 0,
            latency: PromHistogram::default(),
            latency_sum: 0.0,
            bounds: PROM_BUCKETS.iter().map(|b| format!("{b:?}")).collect(),
            line: String::with_capacity(256),
            error: None,
        };
        w.spills = Some(Spills {
            spec_replicas: Spill::create(dir, "spec_replicas")?,
            ready_pods: Spill::create(dir, "ready_pods")?,
            desired_replicas: Spill::create(dir, "desired_replicas")?,
            extra: Vec::new(),
            requests: Spill::create(dir, "requests")?,
            histogram: histograms
                .then(|| Spill::create(dir, "histogram"))
                .transpose()?,
            step_latency: Spill::create(dir, "step_latency")?,
        });
        Ok(w)
    }

    /// Write `openmetrics.txt` at `path` from the spill files and the finished run `result`
    /// (whose rows were all handed to this writer), then remove the spill folder.
    pub(crate) fn finish(mut self, path: &Path, result: &RunResult) -> std::io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let spills = self.spills.take().expect("spills exist until finished");
        let mut out = BufWriter::with_capacity(1 << 16, File::create(path)?);
        self.write_families(&mut out, spills, result)?;
        out.write_all(b"# EOF\n")?;
        out.flush()?;
        out.get_ref().sync_all()?;
        std::fs::remove_dir_all(&self.dir)
    }

    /// Every family in order, from the spill files.
    fn write_families(
        &self,
        out: &mut impl Write,
        spills: Spills,
        result: &RunResult,
    ) -> std::io::Result<()> {
        let summary = &result.summary;
        let run = run_label(&summary.scenario);
        let deployment = format!(
            "deployment=\"{}\",namespace=\"{NAMESPACE}\",{run}",
            escape(&summary.scenario)
        );
        let spec = "kube_deployment_spec_replicas";
        header(
            out,
            spec,
            "gauge",
            "Number of desired pods for a deployment.",
        )?;
        copy_prefixed(
            out,
            spills.spec_replicas,
            &format!("{spec}{{{deployment}}} "),
        )?;
        let ready = "kube_deployment_status_replicas_ready";
        header(
            out,
            ready,
            "gauge",
            "The number of ready replicas per deployment.",
        )?;
        copy_prefixed(out, spills.ready_pods, &format!("{ready}{{{deployment}}} "))?;
        if let Some(hpa) = summary.hpa.first() {
            let name = "kube_horizontalpodautoscaler_status_desired_replicas";
            let help = "Desired number of replicas of pods managed by this autoscaler.";
            header(out, name, "gauge", help)?;
            let labels = format!(
                "horizontalpodautoscaler=\"{}\",namespace=\"{NAMESPACE}\",{run}",
                escape(&hpa.name)
            );
            copy_prefixed(
                out,
                spills.desired_replicas,
                &format!("{name}{{{labels}}} "),
            )?;
        }
        write_keda(out, spills.extra, result, &run, self.origin)?;
        header(
            out,
            "http_requests",
            "counter",
            "Requests (or messages) that arrived.",
        )?;
        std::io::copy(&mut spills.requests.reader()?, out)?;
        if let Some(h) = spills.histogram {
            let help = "Latency of the requests served (arrival to response).";
            header(out, "http_request_duration_seconds", "histogram", help)?;
            std::io::copy(&mut h.reader()?, out)?;
        }
        let help = "Latency quantiles of the requests served in the step (arrival to response).";
        header(out, "scalesim_step_latency_seconds", "summary", help)?;
        std::io::copy(&mut spills.step_latency.reader()?, out)?;
        Ok(())
    }

    /// Write one row's samples to the spill files.
    fn write_row(&mut self, s: &Series, row: usize) -> std::io::Result<()> {
        let spills = self.spills.as_mut().expect("spills exist until finished");
        let i = s.slot(row);
        let t = stamp(s, row, self.origin);
        let line = &mut self.line;
        let mut value = |spill: &mut Spill, v: f64| -> std::io::Result<()> {
            line.clear();
            let _ = writeln!(line, "{} {t}", num(v));
            spill.w.write_all(line.as_bytes())
        };
        value(&mut spills.spec_replicas, f64::from(s.spec_replicas[i]))?;
        value(&mut spills.ready_pods, f64::from(s.ready_pods[i]))?;
        value(
            &mut spills.desired_replicas,
            f64::from(s.desired_replicas[i]),
        )?;
        if self.keda {
            for (k, (column, col)) in s.extra.iter().enumerate() {
                if k == spills.extra.len() {
                    spills
                        .extra
                        .push(Spill::create(&self.dir, &format!("extra-{k}"))?);
                }
                if col[i].is_finite() && scaler_metric(column).is_some() {
                    value(&mut spills.extra[k], col[i])?;
                }
            }
        }
        self.arrivals += u64::from(s.arrivals[i]);
        let run = &self.run;
        line.clear();
        let _ = writeln!(line, "http_requests_total{{{run}}} {} {t}", self.arrivals);
        spills.requests.w.write_all(line.as_bytes())?;
        if let Some(h) = &mut spills.histogram {
            line.clear();
            push_histogram(line, &self.latency, self.latency_sum, &self.bounds, run, &t);
            h.w.write_all(line.as_bytes())?;
        }
        if s.latency_p50[i].is_finite() {
            line.clear();
            let name = "scalesim_step_latency_seconds";
            for (q, v) in [("0.5", s.latency_p50[i]), ("0.99", s.latency_p99[i])] {
                let _ = writeln!(line, "{name}{{quantile=\"{q}\",{run}}} {} {t}", num(v));
            }
            spills.step_latency.w.write_all(line.as_bytes())?;
        }
        Ok(())
    }
}

impl RowSink for OpenMetricsWriter {
    fn row(&mut self, s: &Series, row: usize) {
        if self.error.is_none()
            && let Err(e) = self.write_row(s, row)
        {
            self.error = Some(e);
        }
    }

    /// The export has no timeout series.
    fn late_timeouts(&mut self, _row: usize, _n: u32) {}

    fn row_histogram(&mut self, _row: usize, histogram: &PromHistogram, sum: f64) {
        for (t, c) in self.latency.counts.iter_mut().zip(histogram.counts) {
            *t += c;
        }
        self.latency_sum += sum;
    }
}

impl Drop for OpenMetricsWriter {
    /// Nothing of the export outlives the run: the spill files are closed and their folder
    /// removed, finished or not.
    fn drop(&mut self) {
        self.spills = None;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Hand every row of a run that kept its series (and its rows' latency histograms) to `w`, as
/// a streamed run hands them over (`run --keep-rows`).
pub(crate) fn hand_kept_rows(result: &RunResult, w: &mut OpenMetricsWriter) {
    let s = &result.series;
    for row in 0..s.rows {
        if let Some(h) = &result.latency_histograms {
            let (histogram, sum) = h.get(row);
            w.row_histogram(row, &histogram, sum);
        }
        w.row(s, row);
    }
}

/// Does the run have KEDA objects: at t = 0, or created by a change?
fn has_keda_objects(scenario: &Scenario) -> bool {
    use crate::settings::changes::ChangeAction;
    let a = &scenario.autoscalers;
    !a.scaled_objects.is_empty()
        || !a.scaled_jobs.is_empty()
        || (scenario.changes.iter()).any(|c| {
            matches!(
                c.action,
                ChangeAction::ScaledObject(_) | ChangeAction::ScaledJob(_)
            )
        })
}

/// Seconds from the Unix epoch of a run's t = 0 (the summary's `start_time`), 0 without one.
fn origin(start_time: Option<&str>) -> f64 {
    start_time
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(0.0, |t| t.timestamp_millis() as f64 / 1000.0)
}

/// The `scalesim_run` label of a run of scenario `name`.
fn run_label(name: &str) -> String {
    format!("scalesim_run=\"{}\"", escape(name))
}

/// `http_request_duration_seconds` at one row's end: the histogram of every request served
/// since t = 0 with the buckets the simulated service exposes to a Prometheus backend
/// ([`PROM_BUCKETS`]) — cumulative `_bucket` series up to `le="+Inf"`, `_count` and `_sum`.
fn push_histogram(
    out: &mut String,
    h: &PromHistogram,
    sum: f64,
    bounds: &[String],
    run: &str,
    t: &str,
) {
    let name = "http_request_duration_seconds";
    let mut below = 0u64;
    for (i, c) in h.counts.iter().enumerate() {
        below += c;
        let le = bounds.get(i).map_or("+Inf", String::as_str);
        let _ = writeln!(out, "{name}_bucket{{{run},le=\"{le}\"}} {below} {t}");
    }
    let _ = writeln!(out, "{name}_count{{{run}}} {below} {t}");
    let _ = writeln!(out, "{name}_sum{{{run}}} {} {t}", num(sum));
}

/// Copy a spill file of `value timestamp` lines, each line after `prefix`.
fn copy_prefixed(out: &mut impl Write, spill: Spill, prefix: &str) -> std::io::Result<()> {
    let mut r = spill.reader()?;
    let mut line = Vec::with_capacity(64);
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        out.write_all(prefix.as_bytes())?;
        out.write_all(&line)?;
    }
}

/// KEDA's `keda_scaler_metrics_value` (each autoscaler metric as the HPA saw it, from
/// the spill files of the series' extra columns) and `keda_scaler_active` (from the polls in
/// the event log, which records every change of it), when the run has KEDA objects.
fn write_keda(
    out: &mut impl Write,
    extra: Vec<Spill>,
    result: &RunResult,
    run: &str,
    origin: f64,
) -> std::io::Result<()> {
    let (s, summary) = (&result.series, &result.summary);
    let Some(first) = summary.keda.first() else {
        return Ok(());
    };
    let object = |name: &str| {
        format!(
            "namespace=\"{NAMESPACE}\",scaledObject=\"{}\",type=\"scaledobject\",{run}",
            escape(name)
        )
    };
    let name = "keda_scaler_metrics_value";
    let help = "The current value for each scaler's metric that would be used by the HPA in computing the target average.";
    header(out, name, "gauge", help)?;
    for ((column, _), spill) in s.extra.iter().zip(extra) {
        let Some((owner, metric)) = scaler_metric(column) else {
            continue;
        };
        let labels = format!(
            "metric=\"{}\",{}",
            escape(metric),
            object(owner.unwrap_or(&first.name))
        );
        copy_prefixed(out, spill, &format!("{name}{{{labels}}} "))?;
    }
    let name = "keda_scaler_active";
    header(
        out,
        name,
        "gauge",
        "Indicates whether a scaler is active (1), or not (0).",
    )?;
    let mut line = String::new();
    for k in &summary.keda {
        let labels = object(&k.name);
        let changes = active_changes(result, &k.name);
        let mut at = 0;
        let mut value = 0.0;
        for r in 0..s.rows {
            while at < changes.len() && changes[at].0 <= r {
                value = changes[at].1;
                at += 1;
            }
            line.clear();
            let _ = writeln!(
                line,
                "{name}{{{labels}}} {} {}",
                num(value),
                stamp(s, r, origin)
            );
            out.write_all(line.as_bytes())?;
        }
    }
    Ok(())
}

/// The metric a series column holds the value of, as the HPA saw it (`metric_<name>_seen`),
/// and its ScaledObject when the column is named after it (`ScaledObject/<so>/metric_…`, a run
/// with several autoscalers at once; None: the run's first KEDA object). The other extra
/// columns (targets, true values, the failed and fallback flags) are columns of
/// timeseries.csv, not values a scaler reports, and so are a hand-made HPA's named after it.
fn scaler_metric(column: &str) -> Option<(Option<&str>, &str)> {
    let (prefix, rest) = crate::sim::metric_columns::split_prefix(column);
    let metric = rest.strip_prefix("metric_")?.strip_suffix("_seen")?;
    if prefix.is_empty() {
        return Some((None, metric));
    }
    let so = prefix.strip_prefix("ScaledObject/")?.strip_suffix('/')?;
    Some((Some(so), metric))
}

/// Where the KEDA object `name`'s activity changes, as (first row, 1 or 0) in row order: from
/// each poll's row on, the activity of that poll (a later poll overrides an earlier one), 0
/// before the first.
fn active_changes(result: &RunResult, name: &str) -> Vec<(usize, f64)> {
    let s = &result.series;
    let mut changes: Vec<(usize, f64)> = Vec::new();
    let polls = result
        .keda_activity
        .iter()
        .filter(|(n, _, _)| n == name)
        .map(|&(_, t, active)| (t, active));
    for (t, active) in polls {
        let from = s.row(t);
        while changes.last().is_some_and(|c| c.0 >= from) {
            changes.pop();
        }
        changes.push((from, if active { 1.0 } else { 0.0 }));
    }
    changes
}

/// A family's metadata lines (no `# UNIT`: the names already end in theirs where they have one).
fn header(out: &mut impl Write, name: &str, kind: &str, help: &str) -> std::io::Result<()> {
    writeln!(out, "# TYPE {name} {kind}")?;
    writeln!(out, "# HELP {name} {help}")
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

/// The export as it was written from a whole kept series before it was streamed: the
/// reference [`OpenMetricsWriter`]'s bytes are tested against.
#[cfg(test)]
mod whole_run {
    use super::{NAMESPACE, escape, num, stamp};
    use crate::record::{PROM_BUCKETS, RowHistograms, Series};
    use crate::sim::RunResult;
    use std::fmt::Write as _;

    /// One family's samples over the run, as `(labels, value per row)`.
    struct Family<'a> {
        name: &'a str,
        kind: &'a str,
        help: &'a str,
        series: Vec<(String, Vec<f64>)>,
    }

    /// Render the OpenMetrics text of `result` (ends with `# EOF`).
    pub(super) fn render(result: &RunResult) -> String {
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
        let values = s
            .extra
            .iter()
            .filter_map(|(column, col)| {
                let (owner, metric) = super::scaler_metric(column)?;
                let owner = owner.unwrap_or(&first.name);
                let labels = format!("metric=\"{}\",{}", escape(metric), object(owner));
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
        header_text(
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
        header_text(out, name, "histogram", help);
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
        header_text(out, name, "summary", help);
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
        header_text(out, f.name, f.kind, f.help);
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
    fn header_text(out: &mut String, name: &str, kind: &str, help: &str) {
        let _ = writeln!(out, "# TYPE {name} {kind}");
        let _ = writeln!(out, "# HELP {name} {help}");
    }
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
    /// A shipped scenario (`file`) cut to `duration` at a `step`: enough rows for the streamed
    /// series' window to move many times.
    fn scenario(file: &str, duration: &str, step: &str) -> Scenario {
        use crate::scenario::patch::{Patch, PatchTarget};
        use crate::scenario::{Overrides, Scenario};
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(file);
        let mut o = Overrides::default();
        for (path, value) in [
            ("duration", duration),
            ("step", step),
            ("fidelity", "fluid"),
        ] {
            o.patches.push(Patch {
                target: PatchTarget::Scenario,
                path: path.into(),
                value: value.into(),
            });
        }
        Scenario::load(&path, &o).expect("the shipped scenario loads")
    }

    /// Streamed row by row through spill files, the export has the bytes it had when it was
    /// written from the whole kept series (with an HPA; with KEDA objects and their metric
    /// columns), and the spill folder is gone.
    #[test]
    fn the_streamed_export_is_the_whole_run_export() {
        let t = tempfile::tempdir().unwrap();
        let opts = crate::sim::RunOptions {
            latency_histograms: true,
            ..Default::default()
        };
        for (file, duration, step) in [
            ("node-bound-spike.yaml", "30m", "250ms"),
            ("kafka-consumer.yaml", "2h", "1s"),
        ] {
            let scenario = scenario(file, duration, step);
            let kept = crate::sim::run(&scenario, &opts).unwrap();
            let expected = whole_run::render(&kept);
            let spill = t.path().join(SPILL_DIR);
            let mut w = OpenMetricsWriter::create(&spill, &scenario, true).unwrap();
            let mut events = Vec::new();
            let rows = crate::sim::Rows::Stream(vec![&mut w as &mut dyn RowSink]);
            let name = Path::new("events.jsonl");
            let streamed =
                crate::sim::run_streaming(&scenario, &opts, &mut events, name, rows).unwrap();
            assert!(streamed.series.held() < streamed.series.rows / 3, "{file}");
            let out = t.path().join(FILE);
            w.finish(&out, &streamed).unwrap();
            let written = std::fs::read_to_string(&out).unwrap();
            assert!(written == expected, "{file}: the streamed export differs");
            assert!(
                !spill.exists(),
                "{file}: the spill folder outlived the export"
            );
            if file == "kafka-consumer.yaml" {
                assert!(written.contains("keda_scaler_active{"));
                assert!(written.contains("keda_scaler_metrics_value{"));
            }
        }
    }

    /// An export that fails (its file cannot be created) or is dropped unfinished (the run
    /// failed) leaves no spill file behind.
    #[test]
    fn a_failed_or_abandoned_export_leaves_no_spill_files() {
        let t = tempfile::tempdir().unwrap();
        let scenario = scenario("node-bound-spike.yaml", "10m", "1s");
        let opts = crate::sim::RunOptions {
            latency_histograms: true,
            ..Default::default()
        };
        let result = crate::sim::run(&scenario, &opts).unwrap();
        let spill = t.path().join(SPILL_DIR);
        let fill = |w: &mut OpenMetricsWriter| hand_kept_rows(&result, w);
        let mut w = OpenMetricsWriter::create(&spill, &scenario, true).unwrap();
        fill(&mut w);
        assert!(spill.join("requests").exists());
        let unwritable = t.path().join("no-such-folder").join(FILE);
        assert!(w.finish(&unwritable, &result).is_err());
        assert!(!spill.exists(), "a failed export left its spill files");
        let mut w = OpenMetricsWriter::create(&spill, &scenario, true).unwrap();
        fill(&mut w);
        drop(w);
        assert!(!spill.exists(), "an abandoned export left its spill files");
    }
}
