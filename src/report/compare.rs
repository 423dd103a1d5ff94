//! `compare`: finished runs side by side, for a before/after of a tuning change. Reads each run
//! folder's `timeseries.csv` and `summary.json` (runs may differ in step and length), overlays
//! the runs on the same panels (one colour per run) and puts their summaries in one table:
//! `compare.png`, `compare.svg`, `compare.html`, and a plain table for the terminal.

use super::chart::{ChartOptions, Figure, RunData};
use super::digest;
use super::html::{Page, inline_svg};
use super::stored::StoredSummary;
use crate::error::{Error, InputError, Location};
use crate::sim::ChartInfo;
use crate::text::{Markup::Html, escape};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A finished run read back from its folder.
#[derive(Debug, Clone)]
pub(crate) struct RunFolder {
    /// Its name in legends and tables (the folder name, made unique).
    pub(crate) label: String,
    pub(crate) data: RunData,
    pub(crate) summary: StoredSummary,
}

/// Read several run folders, labelling each by its folder name (with parent folders added
/// until the labels are unique).
pub(crate) fn read_runs(dirs: &[PathBuf]) -> Result<Vec<RunFolder>, Error> {
    let labels = labels(dirs);
    dirs.iter()
        .zip(labels)
        .map(|(d, l)| read_run(d, l))
        .collect()
}

/// Read one run folder.
pub(crate) fn read_run(dir: &Path, label: String) -> Result<RunFolder, Error> {
    if !dir.is_dir() {
        return Err(InputError::in_file(dir, "no such run folder").into());
    }
    let summary = StoredSummary::from_json(&read_summary(&dir.join("summary.json"))?);
    let data = read_timeseries(&dir.join("timeseries.csv"), &label, &summary)?;
    Ok(RunFolder {
        label,
        data,
        summary,
    })
}

fn missing(path: &Path, e: std::io::Error) -> InputError {
    if e.kind() == std::io::ErrorKind::NotFound {
        InputError::in_file(
            path,
            "missing: not a finished run folder (write one with `scalesim run`)",
        )
    } else {
        InputError::in_file(path, format!("cannot read: {e}"))
    }
}

fn read_summary(path: &Path) -> Result<Value, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| missing(path, e))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| {
        InputError::new(
            Location::file(path).with_line(e.line(), Some(e.column())),
            format!("not valid JSON: {}", crate::yaml::messages::json_words(&e)),
        )
    })?;
    if !v.is_object() {
        return Err(InputError::in_file(path, "expected a JSON object (a run's summary)").into());
    }
    Ok(v)
}

/// Read a `timeseries.csv`: a `time_s` column and numeric columns (empty cells are "no value").
pub(crate) fn read_timeseries(
    path: &Path,
    label: &str,
    summary: &StoredSummary,
) -> Result<RunData, Error> {
    let file = std::fs::File::open(path).map_err(|e| missing(path, e))?;
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(std::io::BufReader::new(file));
    let headers = rd
        .headers()
        .map_err(|e| {
            Error::from(InputError::at_line(
                path,
                1,
                format!("cannot read the header: {e}"),
            ))
        })?
        .clone();
    let names: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
    let Some(time_idx) = names.iter().position(|n| n == "time_s") else {
        return Err(InputError::at_line(
            path,
            1,
            "no `time_s` column: not a scalesim timeseries.csv",
        )
        .into());
    };
    let mut columns: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let mut record = csv::StringRecord::new();
    loop {
        match rd.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                return Err(InputError::at_line(path, line.max(1), format!("{e}")).into());
            }
        }
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.len() != names.len() {
            return Err(InputError::at_line(
                path,
                line,
                format!(
                    "{} cells, expected {} (one per header column)",
                    record.len(),
                    names.len()
                ),
            )
            .into());
        }
        for (i, cell) in record.iter().enumerate() {
            let cell = cell.trim();
            let v = if cell.is_empty() {
                f64::NAN
            } else {
                cell.parse::<f64>().map_err(|_| {
                    InputError::new(
                        Location::file(path)
                            .with_line(line, None)
                            .with_field(names[i].clone()),
                        format!("{cell:?} is not a number"),
                    )
                })?
            };
            columns[i].push(v);
        }
        let t = &columns[time_idx];
        let n = t.len();
        if !t[n - 1].is_finite() || (n > 1 && t[n - 1] < t[n - 2]) {
            return Err(InputError::new(
                Location::file(path)
                    .with_line(line, None)
                    .with_field("time_s"),
                "time_s must be a number that never decreases",
            )
            .into());
        }
    }
    let time = std::mem::take(&mut columns[time_idx]);
    if time.is_empty() {
        return Err(InputError::in_file(path, "no rows").into());
    }
    let step = if time.len() > 1 && time[1] > time[0] {
        time[1] - time[0]
    } else {
        summary.duration_s.map_or(1.0, |d| d / time.len() as f64)
    };
    let cols = names
        .into_iter()
        .zip(columns)
        .enumerate()
        .filter(|(i, _)| *i != time_idx)
        .map(|(_, c)| c)
        .collect();
    // A flow-level run has latency only once per interval: its lines bridge those holes.
    let spacing = summary.fidelity.step;
    Ok(RunData::from_columns(label, time, step, cols).with_spacing(spacing))
}

/// Unique labels: each folder's name, with parent folders prepended where names repeat.
pub(crate) fn labels(dirs: &[PathBuf]) -> Vec<String> {
    let parts: Vec<Vec<String>> = dirs
        .iter()
        .map(|d| {
            d.components()
                .filter_map(|c| match c {
                    std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let label = |p: &Vec<String>, depth: usize| -> String {
        let n = p.len();
        if n == 0 {
            return ".".into();
        }
        p[n.saturating_sub(depth)..].join("/")
    };
    let mut depth = vec![1usize; dirs.len()];
    for _ in 0..64 {
        let current: Vec<String> = parts
            .iter()
            .zip(&depth)
            .map(|(p, &d)| label(p, d))
            .collect();
        let mut changed = false;
        for i in 0..dirs.len() {
            let dup = (0..dirs.len()).any(|j| j != i && current[j] == current[i]);
            if dup && depth[i] < parts[i].len() {
                depth[i] += 1;
                changed = true;
            }
        }
        if !changed {
            let mut out = current;
            // Still equal (the same folder twice): number them.
            for i in 0..out.len() {
                if (0..i).any(|j| out[j] == out[i]) {
                    out[i] = format!("{} #{}", out[i], i + 1);
                }
            }
            return out;
        }
    }
    parts
        .iter()
        .zip(&depth)
        .map(|(p, &d)| label(p, d))
        .collect()
}

fn chart_options(runs: &[RunFolder]) -> ChartOptions {
    let names: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
    let subtitle = runs
        .iter()
        .map(|r| {
            let seed = r.summary.seed;
            let scen = r.summary.scenario.as_deref().unwrap_or("?");
            match seed {
                Some(s) => format!("{}: {scen}, seed {s}", r.label),
                None => format!("{}: {scen}", r.label),
            }
        })
        .collect::<Vec<_>>()
        .join(" · ");
    ChartOptions {
        title: format!("compare: {}", names.join(" vs ")),
        subtitle,
        ..ChartOptions::default()
    }
    .with_info(&shared_chart_info(runs))
}

/// What every run's `summary.json` agrees on among the chart settings it records (`chart`):
/// the clock start (else elapsed time), the timeout and SLO lines, and each metric's unit
/// (among the runs that have the metric). A run folder written before the summary recorded
/// them agrees on nothing.
pub(crate) fn shared_chart_info(runs: &[RunFolder]) -> ChartInfo {
    let infos: Vec<Option<ChartInfo>> = runs.iter().map(|r| r.summary.chart.clone()).collect();
    let Some(infos) = infos.into_iter().collect::<Option<Vec<ChartInfo>>>() else {
        return ChartInfo::default();
    };
    let Some((first, rest)) = infos.split_first() else {
        return ChartInfo::default();
    };
    let agreed = |f: &dyn Fn(&ChartInfo) -> Option<String>| {
        let v = f(first);
        rest.iter().all(|i| f(i) == v).then_some(v).flatten()
    };
    let agreed_f64 = |f: &dyn Fn(&ChartInfo) -> Option<f64>| {
        let v = f(first);
        rest.iter().all(|i| f(i) == v).then_some(v).flatten()
    };
    let mut metric_units = std::collections::BTreeMap::new();
    for info in &infos {
        for (metric, unit) in &info.metric_units {
            let same = infos
                .iter()
                .filter_map(|i| i.metric_units.get(metric))
                .all(|u| u == unit);
            if same {
                metric_units.insert(metric.clone(), unit.clone());
            }
        }
    }
    ChartInfo {
        start_time: agreed(&|i| i.start_time.clone()),
        timeout_s: agreed_f64(&|i| i.timeout_s),
        slo_latency_p99_s: agreed_f64(&|i| i.slo_latency_p99_s),
        metric_units,
    }
}

/// The summaries side by side as rows of text: label, one cell per run, and `b − a` when
/// exactly two runs are compared.
pub(crate) fn table_rows(runs: &[RunFolder]) -> (Vec<String>, Vec<Vec<String>>) {
    let summaries: Vec<&StoredSummary> = runs.iter().map(|r| &r.summary).collect();
    let mut headers = vec![String::new()];
    headers.extend(runs.iter().map(|r| r.label.clone()));
    let pair = runs.len() == 2;
    if pair {
        headers.push(format!("{} − {}", runs[1].label, runs[0].label));
    }
    let rows = digest::side_by_side(&summaries)
        .into_iter()
        .map(|(label, cells)| {
            let mut row = vec![label];
            row.extend(cells.iter().map(|c| c.text.clone()));
            if pair {
                row.push(digest::difference(&cells[0], &cells[1]));
            }
            row
        })
        .collect();
    (headers, rows)
}

/// One verdict line per run, `label: verdict: …` (a run folder written before summaries had a
/// verdict says so).
pub(crate) fn verdict_lines(runs: &[RunFolder]) -> Vec<String> {
    runs.iter()
        .map(|r| {
            let start = r
                .summary
                .chart
                .as_ref()
                .and_then(|c| c.start_time.as_deref());
            match &r.summary.verdict {
                Some(v) => format!("{}: {}", r.label, super::verdict::line(v, start)),
                None => format!(
                    "{}: verdict: – (its summary.json was written before runs had a verdict)",
                    r.label
                ),
            }
        })
        .collect()
}

/// The plain table `compare` prints.
pub(crate) fn summary_table(runs: &[RunFolder]) -> String {
    let (headers, rows) = table_rows(runs);
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(headers);
    for r in rows {
        t.add_row(r);
    }
    t.to_string()
}

/// The files [`write_compare`] writes.
pub(crate) const FILES: [&str; 3] = ["compare.png", "compare.svg", "compare.html"];

/// Write `compare.png`, `compare.svg` and `compare.html` into `out` (created if needed).
pub(crate) fn write_compare(out: &Path, runs: &[RunFolder]) -> Result<(), Error> {
    std::fs::create_dir_all(out)
        .map_err(|e| Error::io(format!("cannot create output folder {}", out.display()), e))?;
    let opts = chart_options(runs);
    let data: Vec<RunData> = runs.iter().map(|r| r.data.clone()).collect();
    let figure = Figure::compare(&data, &opts);
    let svg = figure.svg()?;
    let png = figure.png()?;
    let write = |name: &str, bytes: &[u8]| {
        let p = out.join(name);
        std::fs::write(&p, bytes).map_err(|e| Error::io(format!("cannot write {}", p.display()), e))
    };
    write("compare.png", &png)?;
    write("compare.svg", svg.as_bytes())?;
    write("compare.html", compare_html(runs, &svg, &opts).as_bytes())
}

fn compare_html(runs: &[RunFolder], svg: &str, opts: &ChartOptions) -> String {
    let mut page = Page::new(&opts.title);
    page.heading(1, &opts.title);
    for line in verdict_lines(runs) {
        page.para(&line, Some("verdict"));
    }
    page.heading(2, "Runs");
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let s = &r.summary;
            vec![
                escape(&r.label, Html),
                escape(s.scenario.as_deref().unwrap_or(""), Html),
                s.seed.map_or(String::new(), |v| v.to_string()),
                s.duration_s
                    .map_or(String::new(), crate::units::format_seconds),
                format!("{}", r.data.rows()),
            ]
        })
        .collect();
    page.table(
        "runs",
        &[
            "run".into(),
            "scenario".into(),
            "seed".into(),
            "duration".into(),
            "rows".into(),
        ],
        &rows,
        &[4],
    );
    page.heading(2, "Summaries");
    let (headers, rows) = table_rows(runs);
    let numeric: Vec<usize> = (1..headers.len()).collect();
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| r.iter().map(|c| escape(c, Html)).collect())
        .collect();
    page.table("summary", &headers, &rows, &numeric);
    page.heading(2, "Charts");
    page.para(
        "One colour per run. Each pixel column shows the full range of the steps it covers.",
        Some("note"),
    );
    page.raw(&inline_svg(svg, &opts.title));
    page.heading(2, "Warnings");
    let mut warnings = Vec::new();
    for r in runs {
        for w in &r.summary.warnings {
            warnings.push(format!("{}: {w}", r.label));
        }
    }
    if warnings.is_empty() {
        page.para("None.", None);
    } else {
        page.list(&warnings);
    }
    page.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_folder_names_made_unique() {
        let dirs: Vec<PathBuf> = ["out/a/checkout", "out/b/checkout", "out/tuned"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(labels(&dirs), vec!["a/checkout", "b/checkout", "tuned"]);
        let same: Vec<PathBuf> = ["x", "x"].iter().map(PathBuf::from).collect();
        assert_eq!(labels(&same), vec!["x", "x #2"]);
    }
}
