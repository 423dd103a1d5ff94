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
use crate::output::{OutputDir, StagedStream};
use crate::record::Series;
use crate::scenario::Scenario;
use crate::sim::{ChartInfo, LogEvent, RunResult, Summary};
use crate::text::{
    Cell, data_cell, data_number_cell, integer_cell, put_data_number, unsigned_cell,
};
use chart::{ChartOptions, Figure, RunData, TimeLabels};
use std::io::Write;
use std::path::Path;

/// The files [`write_run`] writes into a run's folder.
pub(crate) const RUN_FILES: [&str; 3] = ["timeseries.csv", "summary.json", "events.jsonl"];
/// The time series' file, one of [`RUN_FILES`] (`scalesim run` streams it as the run goes).
pub(crate) const TIMESERIES_FILE: &str = "timeseries.csv";
/// The event log's file, one of [`RUN_FILES`] (`scalesim run` streams it as the run goes).
pub(crate) const EVENTS_FILE: &str = "events.jsonl";
/// The files [`write_charts`] writes into a run's folder.
pub(crate) const CHART_FILES: [&str; 3] = ["chart.png", "chart.svg", "report.html"];

/// Write [`RUN_FILES`] of a run into `dir` (created if needed); `timeseries.csv` and
/// `events.jsonl` only when the run kept its rows and events (not when it streamed them into
/// `dir` as it went). Commands write into an
/// [`OutputDir`](crate::output::OutputDir)'s staging folder and commit it, so a run's folder
/// changes only when all of its files are complete (see [`crate::output`]).
pub(crate) fn write_run(dir: &Path, result: &RunResult) -> Result<(), Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create output folder {}", dir.display()), e))?;
    if !result.series_streamed {
        write_file(&dir.join(TIMESERIES_FILE), |w| {
            write_timeseries(w, &result.series)
        })?;
    }
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

/// [`write_charts`] of a run whose rows were streamed, from what `rows` gathered of them.
pub(crate) fn write_streamed_charts(
    dir: &Path,
    result: &RunResult,
    scenario: &Scenario,
    rows: chart::ChartRows,
) -> Result<(), Error> {
    let data = rows
        .into_data(&scenario.name)
        .with_spacing(scenario.fluid_step());
    draw_charts(
        dir,
        result,
        scenario,
        &data,
        &chart_options(result, scenario),
    )
}

/// [`write_charts`] with explicit options (e.g. an SLO line, another width).
pub(crate) fn write_charts_with(
    dir: &Path,
    result: &RunResult,
    scenario: &Scenario,
    opts: &ChartOptions,
) -> Result<(), Error> {
    let observed = result.summary.backtest.as_ref().map(|b| &b.steps);
    let data = RunData::from_series(&scenario.name, &result.series)
        .with_spacing(scenario.fluid_step())
        .with_observed(observed);
    draw_charts(dir, result, scenario, &data, opts)
}

/// Draw [`CHART_FILES`] of a run from its chart data into `dir` (created if needed).
fn draw_charts(
    dir: &Path,
    result: &RunResult,
    scenario: &Scenario,
    data: &RunData,
    opts: &ChartOptions,
) -> Result<(), Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create output folder {}", dir.display()), e))?;
    let figure = Figure::run(data, opts);
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
    writeln!(
        w,
        "{}",
        timeseries_header(s.extra.iter().map(|(n, _)| n.as_str()))
    )?;
    // One reused line buffer, each cell written straight into it (no String per cell).
    let mut rows = RowWriter::default();
    for r in s.base..s.base + s.held() {
        w.write_all(rows.line(s, r))?;
    }
    Ok(())
}

/// The header line of `timeseries.csv` (without its newline), with these extra columns.
fn timeseries_header<'a>(extra: impl Iterator<Item = &'a str>) -> String {
    let mut header = TIMESERIES_COLUMNS.join(",");
    for name in extra {
        header.push(',');
        header.push_str(name);
    }
    header
}

/// Writes the lines of `timeseries.csv`: each cell by the digit writers of [`crate::text`],
/// not the formatter, or copied from the row written before when its column held the same
/// value there (gauges, targets and rates hold for many rows; a cell depends on its value's
/// bits alone, so the copy is the same text).
#[derive(Debug, Default)]
pub(crate) struct RowWriter {
    /// The line being written, `len` bytes of it, with room for every cell after them: a cell
    /// is written as a copy of a fixed [`Cell::fixed`] length, then `len` moves by its own.
    bytes: Vec<u8>,
    len: usize,
    /// Each column's cell in the row written last, with its value's bits.
    last: Vec<(u64, Cell)>,
}

impl RowWriter {
    /// Row `r` of `s` as a line of `timeseries.csv`, newline included.
    fn line(&mut self, s: &Series, r: usize) -> &[u8] {
        let columns = TIMESERIES_COLUMNS.len() + s.extra.len();
        self.start(columns);
        let i = s.slot(r);
        self.time(s.time(r));
        self.num(1, s.arrival_rate[i]);
        self.int(2, s.desired_replicas[i]);
        self.int(3, s.spec_replicas[i]);
        self.int(4, s.ready_pods[i]);
        self.int(5, s.starting_pods[i]);
        self.int(6, s.terminating_pods[i]);
        self.num(7, s.cpu_utilization[i]);
        self.count(8, s.backlog[i]);
        self.count(9, s.in_flight[i]);
        self.int(10, s.served[i]);
        self.int(11, s.dropped[i]);
        self.int(12, s.timed_out[i]);
        self.num(13, s.latency_p50[i]);
        self.num(14, s.latency_p99[i]);
        self.int(15, s.arrivals[i]);
        self.num(16, s.cpu_cores[i]);
        self.num(17, s.backlog_age[i]);
        self.num(18, s.ready_capacity[i]);
        self.int(19, s.unschedulable_pods[i]);
        self.int(20, s.nodes[i]);
        self.int(21, s.nodes_ready[i]);
        self.int(22, s.retries[i]);
        self.int(23, s.rejected[i]);
        self.int(24, s.restarts[i]);
        self.num(25, s.throttled_s[i]);
        for (k, (_, col)) in s.extra.iter().enumerate() {
            self.num(TIMESERIES_COLUMNS.len() + k, col[i]);
        }
        self.bytes[self.len] = b'\n';
        &self.bytes[..self.len + 1]
    }

    /// An empty line with room for `columns` cells and the newline, and a kept cell for each.
    #[inline]
    fn start(&mut self, columns: usize) {
        self.len = 0;
        self.make_room(columns);
        if self.last.len() < columns {
            self.last.resize(columns, (0, Cell::NONE));
        }
    }

    /// Room for `columns` cells and the newline after the line's `len` bytes.
    fn make_room(&mut self, columns: usize) {
        let room = self.len + Cell::FIXED * columns + 1;
        if self.bytes.len() < room {
            self.bytes.resize(room, 0);
        }
    }

    /// Append `cell`.
    #[inline(always)]
    fn put(&mut self, cell: &Cell) {
        self.bytes[self.len..self.len + Cell::FIXED].copy_from_slice(cell.fixed());
        self.len += cell.len();
    }

    /// Append `text` (a number too long for a cell), keeping room for the columns after it.
    #[cold]
    fn put_long(&mut self, text: &[u8]) {
        let columns = self.last.len();
        self.bytes.truncate(self.len);
        self.bytes.extend_from_slice(text);
        self.len = self.bytes.len();
        self.make_room(columns);
    }

    /// The first cell: the row's time, without a comma.
    #[inline]
    fn time(&mut self, t: f64) {
        match data_number_cell(t) {
            Some(cell) => self.put(&cell),
            None => {
                let mut text = Vec::new();
                put_data_number(&mut text, t);
                self.put_long(&text);
            }
        }
    }

    /// A number cell (see [`crate::text::data_number`]) of column `col`.
    #[inline]
    fn num(&mut self, col: usize, v: f64) {
        let key = v.to_bits();
        let kept = &self.last[col];
        if kept.0 == key && !kept.1.is_none() {
            let cell = kept.1;
            self.put(&cell);
            return;
        }
        match data_cell(v) {
            Some(cell) => {
                self.last[col] = (key, cell);
                self.put(&cell);
            }
            None => {
                self.last[col].1 = Cell::NONE;
                let mut text = b",".to_vec();
                put_data_number(&mut text, v);
                self.put_long(&text);
            }
        }
    }

    /// Column `col`'s cell of value bits `key`, made by `make` unless kept.
    #[inline(always)]
    fn kept(&mut self, col: usize, key: u64, make: impl FnOnce() -> Cell) {
        let kept = &mut self.last[col];
        if kept.0 != key || kept.1.is_none() {
            *kept = (key, make());
        }
        let cell = kept.1;
        self.put(&cell);
    }

    /// An integer cell of column `col`.
    #[inline]
    fn int(&mut self, col: usize, v: impl Into<i64>) {
        let v = v.into();
        self.kept(col, v as u64, || integer_cell(v));
    }

    /// A count cell of column `col`.
    #[inline]
    fn count(&mut self, col: usize, v: u64) {
        self.kept(col, v, || unsigned_cell(v));
    }
}

/// `timeseries.csv` written row by row as a run hands its rows over ([`RowSink`]), into a
/// file of the staging folder streamed like `events.jsonl` (hashed as it is written, see
/// [`crate::output`]): the same bytes [`write_timeseries`] writes from a whole series.
/// Two things can only be settled at the end, and then the file is rewritten once, line by line:
/// timeouts found after their row was written (its `timed_out` cell grows), and an autoscaler
/// metric column that first appeared after the header was written (earlier rows gain empty
/// cells). The rewrite is a new file renamed over the streamed one, so the commit reads it back
/// rather than trust the digest taken as the first was written.
pub(crate) struct TimeseriesWriter {
    path: std::path::PathBuf,
    w: StagedStream,
    rows: RowWriter,
    /// Every extra column seen (the header names those of the first row).
    extra: Vec<String>,
    /// How many extra columns the rows were written with: (first row, count), by row.
    written_with: Vec<(usize, usize)>,
    late: std::collections::BTreeMap<usize, u32>,
    error: Option<std::io::Error>,
}

impl TimeseriesWriter {
    /// Stream [`TIMESERIES_FILE`] into `out`'s staging folder.
    pub(crate) fn open(out: &OutputDir) -> Result<TimeseriesWriter, Error> {
        Ok(TimeseriesWriter {
            path: out.staged_path(TIMESERIES_FILE),
            w: out.open_stream(TIMESERIES_FILE)?,
            rows: RowWriter::default(),
            extra: Vec::new(),
            written_with: Vec::new(),
            late: std::collections::BTreeMap::new(),
            error: None,
        })
    }

    /// Complete the file in `out`'s staging folder: flushed, synced, settled (see the type).
    pub(crate) fn finish(mut self, out: &OutputDir) -> Result<(), Error> {
        let fail = |e| out.write_error(TIMESERIES_FILE, e);
        if let Some(e) = self.error.take() {
            return Err(fail(e));
        }
        out.close_stream(TIMESERIES_FILE, self.w)?;
        if self.late.is_empty() && self.written_with.len() <= 1 {
            return Ok(());
        }
        rewrite_timeseries(&self.path, &self.extra, &self.written_with, &self.late).map_err(fail)
    }

    fn write_row(&mut self, s: &Series, row: usize) -> std::io::Result<()> {
        if self.written_with.is_empty() {
            let header = timeseries_header(s.extra.iter().map(|(n, _)| n.as_str()));
            writeln!(self.w, "{header}")?;
        }
        if self
            .written_with
            .last()
            .is_none_or(|w| w.1 != s.extra.len())
        {
            self.written_with.push((row, s.extra.len()));
            self.extra = s.extra.iter().map(|(n, _)| n.clone()).collect();
        }
        self.w.write_all(self.rows.line(s, row))
    }
}

impl crate::record::RowSink for TimeseriesWriter {
    fn row(&mut self, s: &Series, row: usize) {
        if self.error.is_none()
            && let Err(e) = self.write_row(s, row)
        {
            self.error = Some(e);
        }
    }

    fn late_timeouts(&mut self, row: usize, n: u32) {
        *self.late.entry(row).or_insert(0) += n;
    }
}

/// Rewrite a streamed `timeseries.csv` with every extra column named in its header, empty
/// cells for rows written before a column appeared, and late timeouts added (see
/// [`TimeseriesWriter`]).
fn rewrite_timeseries(
    path: &Path,
    extra: &[String],
    written_with: &[(usize, usize)],
    late: &std::collections::BTreeMap<usize, u32>,
) -> std::io::Result<()> {
    use std::io::BufRead;
    let timed_out = TIMESERIES_COLUMNS
        .iter()
        .position(|c| *c == "timed_out")
        .expect("timeseries.csv has a timed_out column");
    let tmp = path.with_extension("csv.settling");
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(&tmp)?);
    let input = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    let mut lines = input.lines();
    lines.next().transpose()?;
    writeln!(
        out,
        "{}",
        timeseries_header(extra.iter().map(String::as_str))
    )?;
    for (row, line) in lines.enumerate() {
        let line = line?;
        let had = written_with
            .iter()
            .rev()
            .find(|(from, _)| row >= *from)
            .map_or(extra.len(), |w| w.1);
        let missing = extra.len().saturating_sub(had);
        match late.get(&row) {
            Some(&n) => {
                let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
                let v: u32 = cells[timed_out].parse().unwrap_or(0);
                cells[timed_out] = v.wrapping_add(n).to_string();
                out.write_all(cells.join(",").as_bytes())?;
            }
            None => out.write_all(line.as_bytes())?,
        }
        for _ in 0..missing {
            out.write_all(b",")?;
        }
        out.write_all(b"\n")?;
    }
    out.flush()?;
    out.get_ref().sync_all()?;
    drop(out);
    std::fs::rename(&tmp, path)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Overwrite;
    use crate::record::RowSink;

    /// Streamed row by row — with timeouts found after their row was written and a metric
    /// column that appeared after the header — `timeseries.csv` has the bytes written from the
    /// whole series.
    #[test]
    fn a_streamed_time_series_is_the_whole_series_file() {
        let mut s = Series::new(50.0, 1.0);
        for r in 0..50 {
            s.served[r] = r as u32;
            s.timed_out[r] = (r % 4) as u32;
            s.latency_p99[r] = r as f64 / 7.0;
        }
        s.extra_column("metric_x_seen");
        for r in 20..50 {
            s.extra[0].1[r] = r as f64 / 3.0;
        }
        let mut found_late = s.clone();
        found_late.timed_out[7] = 0;
        found_late.timed_out[30] = 1;
        let mut narrow = found_late.clone();
        narrow.extra.clear();
        let mut whole = Vec::new();
        write_timeseries(&mut whole, &s).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::open(dir.path(), &[], Overwrite::OnlyOwn).unwrap();
        let mut w = TimeseriesWriter::open(&out).unwrap();
        for r in 0..50 {
            w.row(if r < 20 { &narrow } else { &found_late }, r);
        }
        w.late_timeouts(7, 3);
        w.late_timeouts(30, 1);
        w.finish(&out).unwrap();
        out.commit().unwrap();
        let path = dir.path().join(TIMESERIES_FILE);
        let streamed = std::fs::read_to_string(&path).unwrap();
        assert_eq!(streamed, String::from_utf8(whole).unwrap());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "the file and the ledger, no file left over"
        );
        assert!(out_ledger_vouches(dir.path(), streamed.as_bytes()));
    }

    /// Streamed without a rewrite, `timeseries.csv` is recorded with its bytes' digest too.
    #[test]
    fn a_streamed_time_series_without_a_rewrite_is_vouched_for() {
        let mut s = Series::new(30.0, 1.0);
        for r in 0..30 {
            s.served[r] = (r * 3) as u32;
            s.latency_p50[r] = r as f64 / 9.0;
        }
        let mut whole = Vec::new();
        write_timeseries(&mut whole, &s).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::open(dir.path(), &[], Overwrite::OnlyOwn).unwrap();
        let mut w = TimeseriesWriter::open(&out).unwrap();
        for r in 0..30 {
            w.row(&s, r);
        }
        w.finish(&out).unwrap();
        out.commit().unwrap();
        let streamed = std::fs::read(dir.path().join(TIMESERIES_FILE)).unwrap();
        assert_eq!(streamed, whole);
        assert!(out_ledger_vouches(dir.path(), &streamed));
    }

    /// Whether the ledger in `dir` records `bytes`' SHA-256 for `timeseries.csv`, so the next
    /// run into `dir` may replace it.
    fn out_ledger_vouches(dir: &Path, bytes: &[u8]) -> bool {
        use sha2::Digest;
        let ledger = std::fs::read_to_string(dir.join(crate::output::LEDGER)).unwrap();
        let digest: String = sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        ledger.contains(&digest)
            && OutputDir::open(dir, &[TIMESERIES_FILE], Overwrite::OnlyOwn).is_ok()
    }
}
