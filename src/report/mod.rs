//! Writing a finished run to disk: `timeseries.csv`, `summary.json`, `events.jsonl`, and the
//! human summary table. Outputs hold no wall-clock times and no absolute paths, so two runs of
//! the same inputs compare byte for byte wherever they were written.

pub mod table;
pub mod validate;

use crate::error::Error;
use crate::record::Series;
use crate::sim::{LogEvent, RunResult, Summary};
use std::io::Write;
use std::path::Path;

/// Write every output file of a run into `dir` (created if needed).
pub fn write_run(dir: &Path, result: &RunResult) -> Result<(), Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create output folder {}", dir.display()), e))?;
    write_file(&dir.join("timeseries.csv"), |w| {
        write_timeseries(w, &result.series)
    })?;
    write_file(&dir.join("summary.json"), |w| {
        write_summary(w, &result.summary)
    })?;
    write_file(&dir.join("events.jsonl"), |w| {
        write_events(w, &result.events)
    })?;
    Ok(())
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

/// A float for CSV: empty when undefined, otherwise at most 6 decimals without trailing zeros.
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let mut s = format!("{v:.6}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" { "0".into() } else { s }
}

/// The columns of `timeseries.csv`, in order. Counts cover `[time_s, time_s + step)`; gauges
/// (replicas, pods, backlog, in_flight) are read at the end of that interval. `cpu_utilization`
/// is the true CPU use over the interval in percent of the pods' requests (what the HPA would
/// see with no lag); `backlog_age` is the age of the oldest waiting request at the end of the
/// interval (0 when nothing waits); then the nodes and overload columns (`unschedulable_pods`,
/// `nodes`, `nodes_ready` gauges; `retries`, `rejected` (503 answers), `restarts` counts;
/// `throttled_s`, seconds pods were stalled by their CFS quota in the interval);
/// `metric_<name>_seen/_target/_true` follow for each autoscaler metric.
pub const TIMESERIES_COLUMNS: &[&str] = &[
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
    "unschedulable_pods",
    "nodes",
    "nodes_ready",
    "retries",
    "rejected",
    "restarts",
    "throttled_s",
];

pub fn write_timeseries(w: &mut dyn Write, s: &Series) -> std::io::Result<()> {
    let mut header = TIMESERIES_COLUMNS.join(",");
    for (name, _) in &s.extra {
        header.push(',');
        header.push_str(name);
    }
    writeln!(w, "{header}")?;
    let mut line = String::with_capacity(256);
    for r in 0..s.rows {
        line.clear();
        let cells: [String; 25] = [
            fmt_num(s.time(r)),
            fmt_num(s.arrival_rate[r]),
            s.desired_replicas[r].to_string(),
            s.spec_replicas[r].to_string(),
            s.ready_pods[r].to_string(),
            s.starting_pods[r].to_string(),
            s.terminating_pods[r].to_string(),
            fmt_num(s.cpu_utilization[r]),
            s.backlog[r].to_string(),
            s.in_flight[r].to_string(),
            s.served[r].to_string(),
            s.dropped[r].to_string(),
            s.timed_out[r].to_string(),
            fmt_num(s.latency_p50[r]),
            fmt_num(s.latency_p99[r]),
            s.arrivals[r].to_string(),
            fmt_num(s.cpu_cores[r]),
            fmt_num(s.backlog_age[r]),
            s.unschedulable_pods[r].to_string(),
            s.nodes[r].to_string(),
            s.nodes_ready[r].to_string(),
            s.retries[r].to_string(),
            s.rejected[r].to_string(),
            s.restarts[r].to_string(),
            fmt_num(s.throttled_s[r]),
        ];
        line.push_str(&cells.join(","));
        for (_, col) in &s.extra {
            line.push(',');
            line.push_str(&fmt_num(col[r]));
        }
        writeln!(w, "{line}")?;
    }
    Ok(())
}

pub fn write_summary(w: &mut dyn Write, s: &Summary) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, s).map_err(std::io::Error::other)?;
    writeln!(w)
}

pub fn write_events(w: &mut dyn Write, events: &[LogEvent]) -> std::io::Result<()> {
    for e in events {
        serde_json::to_writer(&mut *w, e).map_err(std::io::Error::other)?;
        writeln!(w)?;
    }
    Ok(())
}
