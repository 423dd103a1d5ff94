//! Backtest: how closely a run follows what the cluster recorded over the same period.
//!
//! The observed series (replicas, optionally p99 latency) are read like calibration series
//! (Prometheus `query_range` JSON, or CSV with a time column and one value column of any name).
//! Each time-series row of the run is compared with the observed value at the end of its step
//! (where the run's gauges are read): absolute observed times are matched against the run's
//! clock (`start_time`, or the trace's first timestamp), relative ones against seconds since
//! the start. See `docs/backtest.md`.
//!
//! `scalesim run` pairs each row as the run hands it over ([`BacktestRows`], a [`RowSink`]),
//! so a long run need not keep its rows; [`compare`] does the same over a whole kept series
//! (`scalesim check`). Both give the same figures to the bit.

use crate::calibrate::series::{self, Series as Observed};
use crate::error::{Error, InputError};
use crate::record::{RowSink, Series};

use std::path::{Path, PathBuf};

// The result types are part of the run summary (`crate::sim::summary`), below this module.
pub(crate) use crate::sim::summary::{Backtest, LatencyAgreement, ObservedSteps, ReplicaAgreement};

/// The recorded series to compare a run with.
#[derive(Debug, Clone, Default)]
pub(crate) struct ObservedSeries {
    pub(crate) replicas: Option<Observed>,
    pub(crate) latency_p99: Option<Observed>,
}

impl ObservedSeries {
    /// Read the files (either may be absent).
    pub(crate) fn read(replicas: Option<&Path>, latency_p99: Option<&Path>) -> Result<Self, Error> {
        let read = |p: &Path| -> Result<Observed, Error> { Ok(series::read(p, false)?.0) };
        Ok(ObservedSeries {
            replicas: replicas.map(read).transpose()?,
            latency_p99: latency_p99.map(read).transpose()?,
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.replicas.is_none() && self.latency_p99.is_none()
    }
}

/// Backtest a finished run against its scenario's `observed:` series, if it has any: fills
/// `summary.backtest`.
pub(crate) fn attach(
    scenario: &crate::scenario::Scenario,
    run: &mut crate::sim::RunResult,
) -> Result<(), Error> {
    let o = &scenario.observed;
    let observed = ObservedSeries::read(o.replicas.as_deref(), o.latency_p99.as_deref())?;
    attach_series(scenario, run, &observed)
}

/// Compare the run with already-read observed series (nothing when there are none): the
/// summary gains `backtest`, and its verdict is judged again with the backtest bounds measured.
pub(crate) fn attach_series(
    scenario: &crate::scenario::Scenario,
    run: &mut crate::sim::RunResult,
    observed: &ObservedSeries,
) -> Result<(), Error> {
    if !observed.is_empty() {
        let clock = clock_start(scenario);
        run.summary.backtest = Some(compare(observed, &run.series, clock)?);
        crate::sim::verdict::reassess(&mut run.summary, scenario, &run.stats);
    }
    Ok(())
}

/// [`attach_series`] for a run whose rows were handed to `rows` as it went.
pub(crate) fn attach_streamed(
    scenario: &crate::scenario::Scenario,
    run: &mut crate::sim::RunResult,
    rows: BacktestRows,
) -> Result<(), Error> {
    run.summary.backtest = Some(rows.finish()?);
    crate::sim::verdict::reassess(&mut run.summary, scenario, &run.stats);
    Ok(())
}

/// The run's t = 0 as Unix seconds, the clock absolute observed times are matched against.
pub(crate) fn clock_start(scenario: &crate::scenario::Scenario) -> f64 {
    scenario.start_time.timestamp_millis() as f64 / 1000.0
}

/// What the charts of a streamed run draw of the observed series: each one's value at the end
/// of a row of `step` seconds, NaN where there is none (the columns [`ObservedSteps`] holds for
/// a kept series), under the charts' column names.
pub(crate) fn chart_columns(
    observed: &ObservedSeries,
    step: f64,
    clock_start: f64,
) -> Vec<(&'static str, crate::report::chart::ObservedColumn)> {
    use crate::report::chart::{OBSERVED_LATENCY_P99, OBSERVED_REPLICAS};
    let column = |o: &Observed| -> crate::report::chart::ObservedColumn {
        let o = o.clone();
        let own_step = o.step();
        Box::new(move |row| {
            o.value_at_step(row_end(&o, row, step, clock_start), own_step)
                .unwrap_or(f64::NAN)
        })
    };
    let mut columns = Vec::new();
    if let Some(o) = &observed.replicas {
        columns.push((OBSERVED_REPLICAS, column(o)));
    }
    if let Some(o) = &observed.latency_p99 {
        columns.push((OBSERVED_LATENCY_P99, column(o)));
    }
    columns
}

/// Compare a run's series with the observed ones. `clock_start` is the run's t = 0 as Unix
/// seconds (for absolute observed times). An observed series that does not overlap the run is
/// an error naming its file.
pub(crate) fn compare(
    observed: &ObservedSeries,
    run: &Series,
    clock_start: f64,
) -> Result<Backtest, Error> {
    let mut steps = ObservedSteps::default();
    let replicas = match &observed.replicas {
        Some(o) => {
            let sim: Vec<f64> = run.spec_replicas.iter().map(|&v| f64::from(v)).collect();
            let pairs = paired(o, &sim, run.step, clock_start)?;
            steps.replicas = Some(at_steps(o, sim.len(), run.step, clock_start));
            Some(replica_agreement(&o.name, &pairs))
        }
        None => None,
    };
    let latency_p99 = match &observed.latency_p99 {
        Some(o) => {
            let pairs = paired(o, &run.latency_p99, run.step, clock_start)?;
            steps.latency_p99 = Some(at_steps(o, run.latency_p99.len(), run.step, clock_start));
            Some(latency_agreement(&o.name, &pairs))
        }
        None => None,
    };
    Ok(Backtest {
        replicas,
        latency_p99,
        steps,
    })
}

/// Seconds on the observed series' clock at the end of row `i`.
fn row_end(o: &Observed, i: usize, step: f64, clock_start: f64) -> f64 {
    let offset = if o.absolute { clock_start } else { 0.0 };
    offset + (i + 1) as f64 * step
}

/// The observed value at the end of each of `rows` rows, NaN where there is none.
fn at_steps(o: &Observed, rows: usize, step: f64, clock_start: f64) -> Vec<f64> {
    let own_step = o.step();
    (0..rows)
        .map(|i| {
            o.value_at_step(row_end(o, i, step, clock_start), own_step)
                .unwrap_or(f64::NAN)
        })
        .collect()
}

/// (simulated, observed) at the end of every step both have a value for.
fn paired(
    o: &Observed,
    sim: &[f64],
    step: f64,
    clock_start: f64,
) -> Result<Vec<(f64, f64)>, Error> {
    let own_step = o.step();
    let pairs: Vec<(f64, f64)> = sim
        .iter()
        .enumerate()
        .filter_map(|(i, &s)| {
            let v = o.value_at_step(row_end(o, i, step, clock_start), own_step)?;
            (s.is_finite() && v.is_finite()).then_some((s, v))
        })
        .collect();
    if pairs.is_empty() {
        return Err(no_overlap(o));
    }
    Ok(pairs)
}

/// The error for an observed series none of whose values falls within the run.
fn no_overlap(o: &Observed) -> Error {
    let how = if o.absolute {
        "its timestamps do not fall within the run (check the scenario's start_time or the trace's timestamps)"
    } else {
        "its times (seconds from 0) do not fall within the run"
    };
    InputError::in_file(PathBuf::from(&o.name), format!("observed series: {how}")).into()
}

fn replica_agreement(name: &str, pairs: &[(f64, f64)]) -> ReplicaAgreement {
    let n = pairs.len() as f64;
    let errors: Vec<f64> = pairs.iter().map(|(s, o)| (s - o).abs()).collect();
    ReplicaAgreement {
        observed: name.to_string(),
        samples: pairs.len(),
        within_1_ratio: round6(errors.iter().filter(|e| **e <= 1.0 + 1e-9).count() as f64 / n),
        mae: round6(errors.iter().sum::<f64>() / n),
        max_abs_error: round6(errors.iter().copied().fold(0.0, f64::max)),
    }
}

fn latency_agreement(name: &str, pairs: &[(f64, f64)]) -> LatencyAgreement {
    let pct: Vec<f64> = pairs
        .iter()
        .filter(|(_, o)| *o > 0.0)
        .map(|(s, o)| (s - o).abs() / o * 100.0)
        .collect();
    LatencyAgreement {
        observed: name.to_string(),
        samples: pct.len(),
        mape: if pct.is_empty() {
            0.0
        } else {
            round6(pct.iter().sum::<f64>() / pct.len() as f64)
        },
    }
}

/// The backtest of a run whose rows are streamed: each row is paired with the observed series
/// as it is handed over, and the agreement figures accumulated with the operations, in the
/// order, [`compare`] applies to the whole series.
pub(crate) struct BacktestRows {
    observed: ObservedSeries,
    /// Each observed series' own step ([`Observed::step`]), computed once.
    steps: (f64, f64),
    clock_start: f64,
    replicas: Option<ReplicaSums>,
    latency_p99: Option<LatencySums>,
}

/// [`replica_agreement`] accumulated pair by pair.
#[derive(Default)]
struct ReplicaSums {
    samples: usize,
    within_1: usize,
    sum: f64,
    max: f64,
}

/// [`latency_agreement`] accumulated pair by pair.
#[derive(Default)]
struct LatencySums {
    /// Rows paired (the series overlaps the run when there is one).
    pairs: usize,
    /// Pairs with a positive observed value, and the sum of their percentage errors.
    samples: usize,
    sum: f64,
}

impl BacktestRows {
    /// The backtest of a run against `observed` (not empty); `clock_start` is the run's t = 0
    /// as Unix seconds.
    pub(crate) fn new(observed: &ObservedSeries, clock_start: f64) -> BacktestRows {
        BacktestRows {
            replicas: observed.replicas.as_ref().map(|_| ReplicaSums::default()),
            latency_p99: observed
                .latency_p99
                .as_ref()
                .map(|_| LatencySums::default()),
            steps: (
                observed.replicas.as_ref().map_or(0.0, Observed::step),
                observed.latency_p99.as_ref().map_or(0.0, Observed::step),
            ),
            observed: observed.clone(),
            clock_start,
        }
    }

    /// The backtest of the rows handed over: an error naming an observed series none of them
    /// could be paired with.
    pub(crate) fn finish(self) -> Result<Backtest, Error> {
        let replicas = match (&self.observed.replicas, self.replicas) {
            (Some(o), Some(r)) if r.samples > 0 => Some(ReplicaAgreement {
                observed: o.name.clone(),
                samples: r.samples,
                within_1_ratio: round6(r.within_1 as f64 / r.samples as f64),
                mae: round6(r.sum / r.samples as f64),
                max_abs_error: round6(r.max),
            }),
            (Some(o), _) => return Err(no_overlap(o)),
            _ => None,
        };
        let latency_p99 = match (&self.observed.latency_p99, self.latency_p99) {
            (Some(o), Some(l)) if l.pairs > 0 => Some(LatencyAgreement {
                observed: o.name.clone(),
                samples: l.samples,
                mape: if l.samples == 0 {
                    0.0
                } else {
                    round6(l.sum / l.samples as f64)
                },
            }),
            (Some(o), _) => return Err(no_overlap(o)),
            _ => None,
        };
        Ok(Backtest {
            replicas,
            latency_p99,
            steps: ObservedSteps::default(),
        })
    }
}

impl RowSink for BacktestRows {
    fn row(&mut self, s: &Series, row: usize) {
        let i = s.slot(row);
        let clock = self.clock_start;
        if let (Some(o), Some(r)) = (&self.observed.replicas, &mut self.replicas) {
            let sim = f64::from(s.spec_replicas[i]);
            if let Some(v) = o.value_at_step(row_end(o, row, s.step, clock), self.steps.0)
                && sim.is_finite()
                && v.is_finite()
            {
                let e = (sim - v).abs();
                r.samples += 1;
                r.within_1 += usize::from(e <= 1.0 + 1e-9);
                r.sum += e;
                r.max = f64::max(r.max, e);
            }
        }
        if let (Some(o), Some(l)) = (&self.observed.latency_p99, &mut self.latency_p99) {
            let sim = s.latency_p99[i];
            if let Some(v) = o.value_at_step(row_end(o, row, s.step, clock), self.steps.1)
                && sim.is_finite()
                && v.is_finite()
            {
                l.pairs += 1;
                if v > 0.0 {
                    l.samples += 1;
                    l.sum += (sim - v).abs() / v * 100.0;
                }
            }
        }
    }

    /// The backtest compares replicas and latency, not timeouts.
    fn late_timeouts(&mut self, _row: usize, _n: u32) {}
}

/// Six decimals: the summary's figures are read by people and compared byte for byte.
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_of(replicas: &[i32]) -> Series {
        let mut s = Series::new(replicas.len() as f64 * 10.0, 10.0);
        s.spec_replicas = replicas.to_vec();
        s.latency_p99 = vec![f64::NAN; replicas.len()];
        s
    }

    #[test]
    fn agreement_counts_steps_within_one_replica() {
        let run = run_of(&[2, 3, 5, 8]);
        let obs = Observed::new(
            "r.csv",
            vec![10.0, 20.0, 30.0, 40.0],
            vec![2.0, 4.0, 7.0, 8.0],
            false,
        );
        let o = ObservedSeries {
            replicas: Some(obs),
            latency_p99: None,
        };
        let b = compare(&o, &run, 0.0).unwrap().replicas.unwrap();
        assert_eq!(b.samples, 4);
        assert_eq!(b.within_1_ratio, 0.75);
        assert_eq!(b.max_abs_error, 2.0);
        assert_eq!(b.mae, 0.75);
    }

    #[test]
    fn a_series_outside_the_run_is_an_error_naming_it() {
        let run = run_of(&[1, 1]);
        let obs = Observed::new("r.csv", vec![1e9, 1e9 + 10.0], vec![1.0, 1.0], true);
        let o = ObservedSeries {
            replicas: Some(obs),
            latency_p99: None,
        };
        let e = compare(&o, &run, 0.0).unwrap_err().to_string();
        assert!(e.starts_with("r.csv: observed series"), "{e}");
    }
}
