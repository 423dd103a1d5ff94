//! What a sweep writes: `sweep.csv` (one row per point), `sweep.json` (what was swept, so shards
//! can be merged and checked), and the table of the best points.
//!
//! `sweep.csv` columns: `point`, one column per `--vary` (named by its path, holding the value
//! as written), then every metric of [`crate::sim::figures::METRICS`] (ratios of the arrived
//! requests, durations in seconds, counts, pod-hours) — with `--replications K > 1` the mean
//! over the K seeds followed by `<metric>_std` (sample standard deviation) — then, when SLOs
//! are set, `slo_pass` (`true`/`false`, judged on the means) and `slo_failed` (the failed
//! objectives, `;`-separated). Empty cells mean "no value" (no request served).

use super::Sweep;
use super::run::PointResult;
use super::shard::Shard;
use crate::error::{Error, InputError};
use crate::scenario::SloSpec;
use crate::sim::figures::{self, METRICS, Metrics};
use crate::sim::slo;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The cost axis of the Pareto chart and the ranking.
pub(crate) const COST: &str = "pod_hours";

/// `sweep.json`: what a sweep (or one shard of it) covered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SweepMeta {
    /// Base scenario name.
    pub(crate) scenario: String,
    /// The varied paths, in column order.
    pub(crate) vary: Vec<String>,
    /// Points of the full grid (saturating).
    pub(crate) grid_points: u64,
    /// Points of the sweep (all shards).
    pub(crate) points: usize,
    /// `--sample N`, when points were drawn at random.
    pub(crate) sample: Option<usize>,
    pub(crate) replications: u32,
    pub(crate) seed: u64,
    pub(crate) cost: String,
    pub(crate) objective: String,
    pub(crate) slo: Option<SloSpec>,
    /// This slice, for a shard; absent for a whole (or merged) sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) shard: Option<Shard>,
}

impl SweepMeta {
    pub(crate) fn new(sweep: &Sweep, shard: Option<Shard>) -> SweepMeta {
        SweepMeta {
            scenario: sweep.name.clone(),
            vary: sweep.grid.varies.iter().map(|v| v.path.clone()).collect(),
            grid_points: sweep.grid.size().min(u64::MAX as u128) as u64,
            points: sweep.points.len(),
            sample: sweep.sample,
            replications: sweep.replications,
            seed: sweep.seed,
            cost: COST.into(),
            objective: sweep.objective.name.into(),
            slo: sweep.slo.clone().filter(|s| !s.is_empty()),
            shard,
        }
    }

    /// The column names of `sweep.csv`.
    pub(crate) fn header(&self) -> Vec<String> {
        let mut h = vec!["point".to_string()];
        h.extend(self.vary.iter().cloned());
        for m in METRICS {
            h.push(m.name.to_string());
            if self.replications > 1 {
                h.push(format!("{}_std", m.name));
            }
        }
        if self.slo.is_some() {
            h.push("slo_pass".into());
            h.push("slo_failed".into());
        }
        h
    }
}

/// One row of `sweep.csv`, as text (merging shards copies rows verbatim).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SweepRow {
    pub(crate) point: usize,
    pub(crate) cells: Vec<String>,
}

/// `sweep.csv` in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SweepTable {
    pub(crate) header: Vec<String>,
    pub(crate) rows: Vec<SweepRow>,
}

impl SweepTable {
    pub(crate) fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The number in a cell, if any.
    pub(crate) fn num(&self, row: &SweepRow, col: usize) -> Option<f64> {
        row.cells
            .get(col)
            .and_then(|c| c.parse::<f64>().ok())
            .filter(|v| v.is_finite())
    }

    pub(crate) fn cell<'a>(&self, row: &'a SweepRow, col: usize) -> &'a str {
        row.cells.get(col).map_or("", String::as_str)
    }
}

/// A metric value for `sweep.csv`: up to 9 decimals, no trailing zeros, empty when undefined.
pub(crate) fn fmt_metric(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or_else(String::new, |v| crate::text::decimals(v, 9))
}

/// The rows of finished points.
pub(crate) fn rows(meta: &SweepMeta, sweep: &Sweep, results: &[PointResult]) -> Vec<SweepRow> {
    results
        .iter()
        .map(|r| {
            let mean = Metrics::mean(&r.runs);
            let std = Metrics::std(&r.runs);
            let mut cells = vec![r.point.index.to_string()];
            cells.extend(sweep.grid.labels(&r.point).into_iter().map(String::from));
            for (i, _) in METRICS.iter().enumerate() {
                cells.push(fmt_metric(mean.0[i]));
                if meta.replications > 1 {
                    cells.push(fmt_metric(std.0[i]));
                }
            }
            if let Some(spec) = &meta.slo {
                let results = slo::evaluate(spec, &mean);
                let failed: Vec<&str> =
                    results.iter().filter(|r| !r.pass).map(|r| r.name).collect();
                cells.push(failed.is_empty().to_string());
                cells.push(failed.join(";"));
            }
            SweepRow {
                point: r.point.index,
                cells,
            }
        })
        .collect()
}

/// Write `sweep.csv`.
pub(crate) fn write_csv(path: &Path, table: &SweepTable) -> Result<(), Error> {
    let err = |e: csv::Error| Error::io(format!("cannot write {}", path.display()), e.into());
    let mut w = csv::Writer::from_path(path).map_err(err)?;
    w.write_record(&table.header).map_err(err)?;
    for r in &table.rows {
        w.write_record(&r.cells).map_err(err)?;
    }
    w.flush()
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

/// Read a `sweep.csv` written by [`write_csv`].
pub(crate) fn read_csv(path: &Path) -> Result<SweepTable, Error> {
    let bad = |m: String| -> Error { InputError::in_file(path, m).into() };
    let mut r = csv::Reader::from_path(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let header: Vec<String> = r
        .headers()
        .map_err(|e| bad(format!("cannot read the header: {e}")))?
        .iter()
        .map(String::from)
        .collect();
    if header.first().map(String::as_str) != Some("point") {
        return Err(bad(
            "not a sweep.csv (the first column is not `point`)".into()
        ));
    }
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| bad(format!("row {}: {e}", i + 2)))?;
        let cells: Vec<String> = rec.iter().map(String::from).collect();
        let point = cells[0].parse().map_err(|_| {
            bad(format!(
                "row {}: point {:?} is not an index",
                i + 2,
                cells[0]
            ))
        })?;
        rows.push(SweepRow { point, cells });
    }
    Ok(SweepTable { header, rows })
}

/// Write `sweep.json`.
pub(crate) fn write_meta(path: &Path, meta: &SweepMeta) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(meta)
        .map_err(|e| Error::io("cannot render sweep.json", std::io::Error::other(e)))?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

/// Read a `sweep.json`.
pub(crate) fn read_meta(path: &Path) -> Result<SweepMeta, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        InputError::in_file(
            path,
            match e.kind() {
                std::io::ErrorKind::NotFound => {
                    "file not found (not a sweep output folder?)".into()
                }
                _ => format!("cannot read: {e}"),
            },
        )
    })?;
    serde_json::from_str(&text).map_err(|e| {
        InputError::new(
            crate::Location::file(path).with_line(e.line(), Some(e.column())),
            format!(
                "not a sweep.json: {}",
                crate::yaml::messages::json_words(&e)
            ),
        )
        .into()
    })
}

/// The short header of a varied path: its last field, unless two share it.
fn short_names(paths: &[String]) -> Vec<String> {
    let last = |p: &str| -> String { p.rsplit('.').next().unwrap_or(p).to_string() };
    paths
        .iter()
        .map(|p| {
            let l = last(p);
            if paths.iter().filter(|q| last(q) == l).count() > 1 {
                p.clone()
            } else {
                l
            }
        })
        .collect()
}

/// The points a sweep recommends, best first: those meeting the SLO cheapest first, or the
/// Pareto front of cost against the objective when none does (or no SLO is set); with the
/// table's title line. `None` when the table lacks its cost or objective column.
pub(crate) fn best_points<'t>(
    meta: &SweepMeta,
    table: &'t SweepTable,
) -> Option<(String, Vec<&'t SweepRow>)> {
    let cost_col = table.column(&meta.cost)?;
    let obj_col = table.column(&meta.objective)?;
    figures::find(&meta.objective)?;
    let pass_col = table.column("slo_pass");
    let slo_text = meta.slo.as_ref().map(|s| {
        slo::bounds(s)
            .iter()
            .map(|(name, m, b)| format!("{name} <= {}", m.display(Some(*b))))
            .collect::<Vec<_>>()
            .join(", ")
    });
    let passing: Vec<&SweepRow> = match pass_col {
        Some(c) => table
            .rows
            .iter()
            .filter(|r| table.cell(r, c) == "true")
            .collect(),
        None => Vec::new(),
    };
    let (title, mut chosen): (String, Vec<&SweepRow>) = match (&slo_text, passing.is_empty()) {
        (Some(s), false) => (
            format!(
                "{} of {} points meet the SLO ({s}); cheapest first:",
                passing.len(),
                table.rows.len()
            ),
            passing,
        ),
        (Some(s), true) => (
            format!(
                "no point meets the SLO ({s}); the Pareto front of cost against {} instead:",
                meta.objective
            ),
            super::pareto::front_rows(table, cost_col, obj_col),
        ),
        (None, _) => (
            format!(
                "no SLO set; the Pareto front of cost against {}, cheapest first:",
                meta.objective
            ),
            super::pareto::front_rows(table, cost_col, obj_col),
        ),
    };
    let key = |r: &SweepRow| {
        (
            table.num(r, cost_col).unwrap_or(f64::INFINITY),
            table.num(r, obj_col).unwrap_or(f64::INFINITY),
            r.point,
        )
    };
    chosen.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.total_cmp(&kb.0)
            .then(ka.1.total_cmp(&kb.1))
            .then(ka.2.cmp(&kb.2))
    });
    Some((title, chosen))
}

/// The best points as a table for the terminal: those meeting every SLO ranked by cost (then
/// by the objective); without SLOs, or when no point meets them, the Pareto front by cost.
/// At most `top` rows.
pub(crate) fn best_table(meta: &SweepMeta, table: &SweepTable, top: usize) -> String {
    let Some((title, chosen)) = best_points(meta, table) else {
        return "no cost or objective column in sweep.csv\n".into();
    };
    let (Some(cost_col), Some(obj_col), Some(objective)) = (
        table.column(&meta.cost),
        table.column(&meta.objective),
        figures::find(&meta.objective),
    ) else {
        return "no cost or objective column in sweep.csv\n".into();
    };
    let shown = chosen.len().min(top);
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    let mut header = vec!["point".to_string()];
    header.extend(short_names(&meta.vary));
    header.extend(["pod-hours".into(), meta.objective.clone()]);
    let dropped = table.column("dropped_ratio");
    let timed_out = table.column("timed_out_ratio");
    header.extend(["dropped".into(), "timed out".into()]);
    t.set_header(header);
    let ratio = figures::find("dropped_ratio").expect("metric exists");
    for r in chosen.iter().take(shown) {
        let mut cells = vec![r.point.to_string()];
        cells.extend((0..meta.vary.len()).map(|i| table.cell(r, 1 + i).to_string()));
        cells.push(
            table
                .num(r, cost_col)
                .map_or("–".into(), |v| format!("{v:.2}")),
        );
        cells.push(objective.display(table.num(r, obj_col)));
        cells.push(ratio.display(dropped.and_then(|c| table.num(r, c))));
        cells.push(ratio.display(timed_out.and_then(|c| table.num(r, c))));
        t.add_row(cells);
    }
    let more = if chosen.len() > shown {
        format!("\n({} more not shown; see sweep.csv)", chosen.len() - shown)
    } else {
        String::new()
    };
    format!("{title}\n{t}{more}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_cells() {
        assert_eq!(fmt_metric(Some(0.1 + 0.2)), "0.3");
        assert_eq!(fmt_metric(Some(2.0)), "2");
        assert_eq!(fmt_metric(Some(1e-7)), "0.0000001");
        assert_eq!(fmt_metric(None), "");
        assert_eq!(fmt_metric(Some(f64::NAN)), "");
    }

    #[test]
    fn short_headers() {
        let p = |v: &[&str]| short_names(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            p(&["hpa.spec.maxReplicas", "pods.startup.max"]),
            ["maxReplicas", "max"]
        );
        assert_eq!(p(&["a.max", "b.max"]), ["a.max", "b.max"]);
    }
}
