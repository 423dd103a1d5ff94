//! Running the points of a sweep in parallel (rayon, on a pool of `jobs` threads).
//!
//! Every point uses the same seeds (common random numbers): replication `r` of every point runs
//! with seed `seed + r`, so two points face exactly the same arrivals and service times and
//! differ only by their parameters. Results are gathered in point order whatever the thread
//! scheduling, so serial, parallel and sharded sweeps give the same rows.

use super::Sweep;
use super::grid::Point;
use crate::error::{Error, InputError};
use crate::scenario::{Overrides, Scenario};
use crate::sim::figures::Metrics;
use crate::sim::{self, RunOptions};
use rayon::prelude::*;

/// The runs of one point: one [`Metrics`] per replication, in seed order.
#[derive(Debug, Clone, PartialEq)]
pub struct PointResult {
    pub(crate) point: Point,
    pub(crate) runs: Vec<Metrics>,
}

/// Simulate one replication of one point.
pub(crate) fn run_one(sweep: &Sweep, point: &Point, replication: u32) -> Result<Metrics, Error> {
    let (_, result) = simulate(sweep, point, replication, true)?;
    Ok(Metrics::from_summary(&result.summary))
}

/// Simulate one replication of one point, keeping everything the run produced (to write a
/// chosen point's outputs and charts).
pub(crate) fn run_full(
    sweep: &Sweep,
    point: &Point,
    replication: u32,
) -> Result<(Scenario, sim::RunResult), Error> {
    simulate(sweep, point, replication, false)
}

fn simulate(
    sweep: &Sweep,
    point: &Point,
    replication: u32,
    summary_only: bool,
) -> Result<(Scenario, sim::RunResult), Error> {
    let mut patches = sweep.base.patches.clone();
    patches.extend(sweep.grid.patches(point));
    let overrides = Overrides {
        seed: Some(sweep.seed.wrapping_add(replication as u64)),
        manifests: sweep.base.manifests.clone(),
        patches,
        allow_conflicts: sweep.base.allow_conflicts,
    };
    let mut scenario = Scenario::load_sharing(&sweep.scenario, &overrides, &sweep.traces)?;
    // The sweep's SLO (`--slo`, the sweep file's `slo:`) is the one its runs are judged and
    // charted against.
    if sweep.slo.is_some() {
        scenario.slo = sweep.slo.clone();
    }
    let opts = RunOptions {
        summary_only,
        ..RunOptions::default()
    };
    let result = sim::run(&scenario, &opts)?;
    Ok((scenario, result))
}

/// Run `points` (every replication of each) on `jobs` threads, calling `on_done` after each
/// simulation. The first failing point (in point order) fails the whole sweep, named.
pub fn run_points(
    sweep: &Sweep,
    points: &[Point],
    jobs: usize,
    on_done: &(dyn Fn() + Sync),
) -> Result<Vec<PointResult>, Error> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| Error::io("cannot start the sweep's threads", std::io::Error::other(e)))?;
    let reps = sweep.replications.max(1);
    let tasks: Vec<(usize, u32)> = (0..points.len())
        .flat_map(|p| (0..reps).map(move |r| (p, r)))
        .collect();
    let results: Vec<Result<Metrics, Error>> = pool.install(|| {
        tasks
            .par_iter()
            .map(|&(p, r)| {
                let out = run_one(sweep, &points[p], r);
                on_done();
                out
            })
            .collect()
    });
    let mut out = Vec::with_capacity(points.len());
    let mut it = results.into_iter();
    for point in points {
        let mut runs = Vec::with_capacity(reps as usize);
        for _ in 0..reps {
            match it.next() {
                Some(Ok(m)) => runs.push(m),
                Some(Err(e)) => return Err(name_point(sweep, point, e)),
                None => unreachable!("one result per task"),
            }
        }
        out.push(PointResult {
            point: point.clone(),
            runs,
        });
    }
    Ok(out)
}

/// Prefix an input error with the point that caused it.
fn name_point(sweep: &Sweep, point: &Point, e: Error) -> Error {
    let prefix = format!(
        "sweep point {} ({})",
        point.index,
        sweep.grid.describe(point)
    );
    match e {
        Error::Input(_) | Error::Inputs(_) => {
            InputError::new(Default::default(), format!("{prefix}: {e}")).into()
        }
        other => other,
    }
}
