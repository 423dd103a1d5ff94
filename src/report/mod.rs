//! Writing a finished run to disk: `timeseries.csv`, `summary.json`, `events.jsonl`, the human
//! summary table, and — with [`write_charts`] — `chart.png`, `chart.svg` and `report.html`.
//! Outputs hold no wall-clock times and no absolute paths, so two runs of the same inputs
//! compare byte for byte wherever they were written.
//!
//! Module map: [`chart`] (the figure), [`html`] (the report page), `explore` (its cursor, zoom
//! and filtered decision log), [`digest`] (summary rows),
//! [`compare`] (several finished runs side by side), [`table`] (the terminal summary),
//! [`verdict`] (the verdict in words).

pub mod chart;
pub(crate) mod compare;
pub(crate) mod digest;
mod explore;
pub(crate) mod html;
mod stored;
pub(crate) mod table;
pub mod validate;
pub(crate) mod verdict;

use crate::error::Error;
use crate::record::Series;
use crate::scenario::Scenario;
use crate::sim::{ChartInfo, LogEvent, RunResult, Summary};
use crate::text::push_data_number;
use chart::{ChartOptions, Figure, RunData, TimeLabels};
use std::io::Write;
use std::path::Path;

/// The files [`write_run`] writes into a run's folder.
pub(crate) const RUN_FILES: [&str; 3] = ["timeseries.csv", "summary.json", "events.jsonl"];
/// The event log's file, one of [`RUN_FILES`] (`scalesim run` streams it as the run goes).
pub(crate) const EVENTS_FILE: &str = "events.jsonl";
/// The files [`write_charts`] writes into a run's folder.
pub(crate) const CHART_FILES: [&str; 3] = ["chart.png", "chart.svg", "report.html"];

/// Write [`RUN_FILES`] of a run into `dir` (created if needed); `events.jsonl` only when the
/// run kept its events (not when it streamed them into `dir` as it went). Commands write into an
/// [`OutputDir`](crate::output::OutputDir)'s staging folder and commit it, so a run's folder
/// changes only when all of its files are complete (see [`crate::output`]).
pub(crate) fn write_run(dir: &Path, result: &RunResult) -> Result<(), Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create output folder {}", dir.display()), e))?;
    write_file(&dir.join("timeseries.csv"), |w| {
        write_timeseries(w, &result.series)
    })?;
    write_file(&dir.join("summary.json"), |w| {
        write_summary(w, &result.summary)
    })?;
    if !result.events_streamed {
        write_file(&dir.join("events.jsonl"), |w| {
            write_events(w, &result.events)
        })?;
    }
    Ok(())
}

/// Write [`CHART_FILES`] of a run into `dir` (created if needed), with the options
/// [`chart_options`] derives from the scenario. `run --no-charts` skips this; sweeps call it
/// for the runs worth looking at.
pub fn write_charts(dir: &Path, result: &RunResult, scenario: &Scenario) -> Result<(), Error> {
    write_charts_with(dir, result, scenario, &chart_options(result, scenario))
}

/// [`write_charts`] with explicit options (e.g. an SLO line, another width).
pub(crate) fn write_charts_with(
    dir: &Path,
    result: &RunResult,
    scenario: &Scenario,
    opts: &ChartOptions,
) -> Result<(), Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create output folder {}", dir.display()), e))?;
    let observed = result.summary.backtest.as_ref().map(|b| &b.steps);
    let data = RunData::from_series(&scenario.name, &result.series)
        .with_spacing(scenario.fluid_step())
        .with_observed(observed);
    let figure = Figure::run(&data, opts);
    let svg = figure.svg()?;
    let png = figure.png()?;
    write_bytes(&dir.join("chart.png"), &png)?;
    write_bytes(&dir.join("chart.svg"), svg.as_bytes())?;
    let data = explore::figure_json(&figure, &opts.time);
    let page = html::run_report(scenario, result, &svg, &data, &opts.time);
    write_bytes(&dir.join("report.html"), page.as_bytes())
}

/// Draw a load trace (its rate and extra columns) for `path`: SVG bytes when the name ends in
/// `.svg`, PNG otherwise (the caller writes them, see [`crate::output::write_single`]).
pub(crate) fn plot_trace(
    path: &Path,
    trace: &crate::trace::Trace,
    label: &str,
) -> Result<Vec<u8>, Error> {
    let data = RunData::from_trace(label, trace);
    let opts = ChartOptions {
        title: format!("{label} — scalesim trace"),
        subtitle: format!(
            "{} rows · span {}",
            trace.len(),
            crate::units::format_seconds(trace.span())
        ),
        time: match trace.start_time {
            Some(t) => TimeLabels::Clock(t),
            None => TimeLabels::Elapsed,
        },
        ..ChartOptions::default()
    };
    let figure = Figure::trace(&data, trace.span(), &opts);
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"))
    {
        Ok(figure.svg()?.into_bytes())
    } else {
        figure.png()
    }
}

/// Chart options for a run: title, subtitle, time labels, client timeout, SLO and metric units.
///
/// The time axis shows clock time when t = 0 has a real wall-clock meaning — the trace carried
/// absolute timestamps, or the scenario set a `start_time` — and elapsed `h:mm` otherwise (the
/// default start time is a placeholder). The scenario decides (it may have been changed since
/// the run, e.g. a sweep's SLO); the units are the run's.
pub fn chart_options(result: &RunResult, scenario: &Scenario) -> ChartOptions {
    let info = ChartInfo::new(scenario, result.summary.chart.metric_units.clone());
    let mut subtitle = format!(
        "seed {} · {} simulated in {} steps",
        scenario.seed,
        chart::panels::fmt_duration(scenario.duration),
        chart::panels::fmt_duration(scenario.step)
    );
    if let Some(h) = scenario.autoscalers.hpas.first() {
        subtitle.push_str(&format!(
            " · HPA {} ({}–{} replicas)",
            h.name,
            h.spec.min_replicas.unwrap_or(1),
            h.spec.max_replicas
        ));
    }
    for so in &scenario.autoscalers.scaled_objects {
        subtitle.push_str(&format!(
            " · ScaledObject {} ({}–{} replicas)",
            so.name,
            so.min_replicas(),
            so.hpa_max_replicas()
        ));
    }
    if let Some(start) = scenario.clock_start() {
        subtitle.push_str(&format!(
            " · t = 0 at {}",
            start.format("%Y-%m-%d %H:%M:%S %:z")
        ));
    }
    ChartOptions {
        title: format!("{} — scalesim", scenario.name),
        subtitle,
        ..ChartOptions::default()
    }
    .with_info(&info)
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

fn write_file(
    path: &Path,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let file = std::fs::File::create(path)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    let mut w = std::io::BufWriter::new(file);
    f(&mut w)
        .and_then(|_| w.flush())
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

/// The columns of `timeseries.csv`, in order. Counts cover `[time_s, time_s + step)`; gauges
/// (replicas, pods, backlog, in_flight) are read at the end of that interval. `cpu_utilization`
/// is the true CPU use over the interval in percent of the pods' requests (what the HPA would
/// see with no lag); `backlog_age` is the age of the oldest waiting request at the end of the
/// interval (0 when nothing waits); `capacity_rps` is Ready pods × one pod's nominal throughput
/// (see [`WorldConfig::pod_throughput`](crate::world::WorldConfig::pod_throughput); with nodes,
/// each Ready pod at its share of its node's CPU); then the
/// nodes and overload columns (`unschedulable_pods`, `nodes`, `nodes_ready` gauges; `retries`,
/// `rejected` (503 answers), `restarts` counts; `throttled_s`, seconds pods were stalled by
/// their CFS quota in the interval);
/// `metric_<name>_seen/_target/_true` follow for each autoscaler metric.
pub(crate) const TIMESERIES_COLUMNS: &[&str] = &[
    "time_s",
    "arrival_rate",
    "desired_replicas",
    "spec_replicas",
    "ready_pods",
    "starting_pods",
    "terminating_pods",
    "cpu_utilization",
    "backlog",
    "in_flight",
    "served",
    "dropped",
    "timed_out",
    "latency_p50_s",
    "latency_p99_s",
    "arrivals",
    "cpu_cores",
    "backlog_age",
    "capacity_rps",
    "unschedulable_pods",
    "nodes",
    "nodes_ready",
    "retries",
    "rejected",
    "restarts",
    "throttled_s",
];

pub(crate) fn write_timeseries(w: &mut dyn Write, s: &Series) -> std::io::Result<()> {
    let mut header = TIMESERIES_COLUMNS.join(",");
    for (name, _) in &s.extra {
        header.push(',');
        header.push_str(name);
    }
    writeln!(w, "{header}")?;
    // One reused line buffer, each cell written straight into it (no String per cell).
    let mut line = String::with_capacity(256);
    for r in 0..s.rows {
        line.clear();
        let num = |line: &mut String, v: f64| {
            line.push(',');
            push_data_number(line, v);
        };
        fn int(line: &mut String, v: impl std::fmt::Display) {
            use std::fmt::Write as _;
            // Writing to a String cannot fail.
            let _ = write!(line, ",{v}");
        }
        push_data_number(&mut line, s.time(r));
        num(&mut line, s.arrival_rate[r]);
        int(&mut line, s.desired_replicas[r]);
        int(&mut line, s.spec_replicas[r]);
        int(&mut line, s.ready_pods[r]);
        int(&mut line, s.starting_pods[r]);
        int(&mut line, s.terminating_pods[r]);
        num(&mut line, s.cpu_utilization[r]);
        int(&mut line, s.backlog[r]);
        int(&mut line, s.in_flight[r]);
        int(&mut line, s.served[r]);
        int(&mut line, s.dropped[r]);
        int(&mut line, s.timed_out[r]);
        num(&mut line, s.latency_p50[r]);
        num(&mut line, s.latency_p99[r]);
        int(&mut line, s.arrivals[r]);
        num(&mut line, s.cpu_cores[r]);
        num(&mut line, s.backlog_age[r]);
        num(&mut line, s.ready_capacity[r]);
        int(&mut line, s.unschedulable_pods[r]);
        int(&mut line, s.nodes[r]);
        int(&mut line, s.nodes_ready[r]);
        int(&mut line, s.retries[r]);
        int(&mut line, s.rejected[r]);
        int(&mut line, s.restarts[r]);
        num(&mut line, s.throttled_s[r]);
        for (_, col) in &s.extra {
            num(&mut line, col[r]);
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}

pub(crate) fn write_summary(w: &mut dyn Write, s: &Summary) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, s).map_err(std::io::Error::other)?;
    writeln!(w)
}

pub(crate) fn write_events(w: &mut dyn Write, events: &[LogEvent]) -> std::io::Result<()> {
    for e in events {
        serde_json::to_writer(&mut *w, e).map_err(std::io::Error::other)?;
        writeln!(w)?;
    }
    Ok(())
}
