//! Parameter sweeps: one scenario simulated at every point of a grid of changes to the
//! scenario or its manifests, in parallel, with common random numbers; results as `sweep.csv`,
//! a cost/SLO Pareto chart and a ranking of the cheapest points that meet the SLO.
//!
//! - [`grid`]: `--vary PATH=VALUES` and the points (full grid or seeded sample);
//! - [`file`](mod@file): the same in a sweep file (`scalesim sweep --file sweep.yaml`);
//! - [`run`]: parallel execution;
//! - [`output`]: `sweep.csv`, `sweep.json` and the best-points table;
//! - [`shard`]: `--shard I/N` slices and merging them back;
//! - [`pareto`]: the Pareto front and its chart.
//!
//! Nothing here holds wall-clock time, so serial, parallel and sharded sweeps write the same
//! bytes.

pub mod file;
pub mod grid;
pub(crate) mod output;
pub(crate) mod pareto;
pub(crate) mod run;
pub(crate) mod shard;

pub use run::run_points;

use crate::error::{Error, InputError};
use crate::scenario::patch::{Patch, PatchTarget};
use crate::scenario::{Overrides, Scenario, SloSpec};
use crate::sim::figures::{self, MetricDef};
use crate::trace::memo::TraceMemo;
use grid::{Grid, Point, Vary};
use std::path::PathBuf;
use std::sync::Arc;

/// The metric the Pareto chart and the ranking use by default (against cost in pod-hours).
pub(crate) const DEFAULT_OBJECTIVE: &str = "latency_p99_s";

/// A sweep as asked for, before the base scenario is read.
#[derive(Debug, Clone, Default)]
pub struct SweepConfig {
    pub scenario: PathBuf,
    pub varies: Vec<Vary>,
    /// Draw this many random points instead of the full grid.
    pub sample: Option<usize>,
    /// Seeds per point (seed, seed + 1, …). Default 1.
    pub replications: Option<u32>,
    /// Seed of every point (default: the scenario's); also seeds `sample`.
    pub seed: Option<u64>,
    /// Extra manifests, as `scalesim run --manifest`.
    pub manifests: Vec<PathBuf>,
    /// Patches every point gets (e.g. `fidelity`).
    pub patches: Vec<Patch>,
    /// Metric for the Pareto chart and ranking (default latency p99).
    pub objective: Option<String>,
    /// SLOs to mark points with (default: the scenario's `slo:`).
    pub slo: Option<SloSpec>,
    /// As `scalesim run --allow-conflicts`.
    pub allow_conflicts: bool,
}

/// A sweep ready to run: the base scenario checked, the points drawn, every varied path shown
/// to reach something the scenario reads.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub(crate) scenario: PathBuf,
    /// The base scenario's name.
    pub(crate) name: String,
    pub(crate) base: Overrides,
    pub(crate) seed: u64,
    pub(crate) grid: Grid,
    /// Every point of the sweep (all shards).
    pub points: Vec<Point>,
    pub(crate) sample: Option<usize>,
    pub(crate) replications: u32,
    pub(crate) objective: &'static MetricDef,
    pub(crate) slo: Option<SloSpec>,
    /// The trace files read so far, parsed once and shared by every point.
    pub(crate) traces: Arc<TraceMemo>,
}

fn input(msg: String) -> Error {
    InputError::new(Default::default(), msg).into()
}

impl Sweep {
    /// Read the base scenario, draw the points and check the varied paths.
    pub fn plan(cfg: SweepConfig) -> Result<Sweep, Error> {
        for (i, v) in cfg.varies.iter().enumerate() {
            if cfg.varies[..i]
                .iter()
                .any(|w| w.target == v.target && w.field == v.field)
            {
                return Err(input(format!("--vary {}: given twice", v.path)));
            }
        }
        if cfg.manifests.iter().any(|m| m.as_os_str() == "-") {
            return Err(input(
                "--manifest -: a sweep reads its manifests once per point; write them to a file"
                    .into(),
            ));
        }
        let replications = cfg.replications.unwrap_or(1);
        if replications == 0 {
            return Err(input("--replications must be at least 1".into()));
        }
        if cfg.sample == Some(0) {
            return Err(input("--sample must be at least 1".into()));
        }
        let objective_name = cfg.objective.as_deref().unwrap_or(DEFAULT_OBJECTIVE);
        let objective = figures::find(objective_name).ok_or_else(|| {
            input(format!(
                "unknown objective {objective_name:?} (one of: {})",
                figures::names()
            ))
        })?;
        if let Some(slo) = &cfg.slo {
            slo.validate()
                .map_err(|(field, m)| input(format!("slo {field}: {m}")))?;
        }
        let base_overrides = Overrides {
            seed: cfg.seed,
            manifests: cfg.manifests.clone(),
            patches: cfg.patches.clone(),
            allow_conflicts: cfg.allow_conflicts,
        };
        let traces = Arc::new(TraceMemo::default());
        let base = Scenario::load_sharing(&cfg.scenario, &base_overrides, &traces)?;
        let seed = base.seed;
        let grid = Grid {
            varies: cfg.varies.clone(),
        };
        let points = match cfg.sample {
            Some(n) => grid.sample(n, seed),
            None => grid.full(),
        }
        .map_err(input)?;
        // Every run is a task held in memory: the runs, not only the points, are bounded.
        if points.len() as u128 * u128::from(replications) > grid::MAX_POINTS {
            return Err(input(format!(
                "replications: {} point{} × {replications} replications is more than {} runs (see docs/limits.md): use fewer replications",
                points.len(),
                if points.len() == 1 { "" } else { "s" },
                grid::MAX_POINTS
            )));
        }
        let sweep = Sweep {
            scenario: cfg.scenario.clone(),
            name: base.name.clone(),
            base: Overrides {
                seed: Some(seed),
                ..base_overrides
            },
            seed,
            grid,
            points,
            sample: cfg.sample,
            replications,
            objective,
            slo: cfg.slo.clone().or_else(|| base.slo.clone()),
            traces,
        };
        sweep.check_paths(&base)?;
        Ok(sweep)
    }

    /// Load the first point; name the `--vary` at fault when that fails, and refuse a manifest
    /// path the manifest's reader ignores (a typo would otherwise vary nothing).
    fn check_paths(&self, base: &Scenario) -> Result<(), Error> {
        let Some(first) = self.points.first() else {
            return Ok(());
        };
        let load = |patches: Vec<Patch>| {
            let mut all = self.base.patches.clone();
            all.extend(patches);
            Scenario::load_sharing(
                &self.scenario,
                &Overrides {
                    patches: all,
                    ..self.base.clone()
                },
                &self.traces,
            )
        };
        let loaded = match load(self.grid.patches(first)) {
            Ok(s) => s,
            Err(e) => {
                for (v, &i) in self.grid.varies.iter().zip(&first.choice) {
                    if let Err(e) = load(vec![v.patch(i)]) {
                        return Err(input(format!("--vary {}: {e}", v.path)));
                    }
                }
                return Err(input(format!(
                    "sweep point 0 ({}): {e}",
                    self.grid.describe(first)
                )));
            }
        };
        for v in &self.grid.varies {
            if v.target == PatchTarget::Scenario {
                continue;
            }
            let ignored = loaded
                .warnings
                .iter()
                .filter(|w| !base.warnings.contains(w) && w.contains("not modelled"))
                .find(|w| prefixes(&v.field).any(|p| w.contains(&format!("`{p}`"))));
            if let Some(w) = ignored {
                return Err(input(format!(
                    "--vary {}: scalesim does not read this field, so varying it would change nothing ({w})",
                    v.path
                )));
            }
            if let PatchTarget::Manifest { kind, .. } = &v.target
                && base
                    .warnings
                    .iter()
                    .any(|w| w.contains("kind not modelled") && w.contains(&format!(": {kind} ")))
            {
                return Err(input(format!(
                    "--vary {}: scalesim does not model {kind} objects yet, so varying it would change nothing",
                    v.path
                )));
            }
        }
        Ok(())
    }

    /// Number of simulations the points need.
    pub(crate) fn simulations(&self, points: usize) -> u64 {
        points as u64 * self.replications as u64
    }
}

/// `a`, `a.b`, `a.b[0]`, … : every prefix of a path, at segment boundaries.
fn prefixes(path: &str) -> impl Iterator<Item = &str> {
    path.char_indices()
        .filter(|&(_, c)| c == '.' || c == '[')
        .map(|(i, _)| &path[..i])
        .chain(std::iter::once(path))
}
