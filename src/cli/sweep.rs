//! `scalesim sweep`: simulate a scenario at every point of a parameter grid, in parallel, and
//! `scalesim sweep merge`: join the outputs of sharded sweeps.

use super::progress::Progress;
use super::shared::{JobsOption, OverwriteOption, QuietOption, ScenarioOptions};
use crate::output::OutputDir;
use crate::scenario::SloSpec;
use crate::sweep::grid::{self, Vary};
use crate::sweep::output::{self, SweepMeta, SweepTable};
use crate::sweep::shard::{self, Shard};
use crate::sweep::{SweepConfig, file, pareto, run as sweep_run};
use crate::{Error, InputError, report, sweep::Sweep};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

const SWEEP_HELP: &str = "\
PATHS: `hpa.`, `scaledobject.`, `scaledjob.`, `deployment.` address the only object of that kind
in the scenario's manifests; `Kind[name].` (e.g. `ScaledObject[orders].`) one of several; any
other path is a field of the scenario file. VALUES: a comma-separated list and/or ranges
`a..b:step` (inclusive end): integers, decimals, or durations (`30s..2m:30s` gives 30s, 60s,
90s, 120s). A value takes the JSON type of the value it replaces (a string stays a string).

METRICS (sweep.csv columns, --objective; `_s` may be left out): arrived, served_ratio,
dropped_ratio, timed_out_ratio, latency_mean_s, latency_p50_s, latency_p95_s, latency_p99_s,
latency_max_s, wait_mean_s, wait_p99_s, replicas_min, replicas_mean, replicas_max, pod_hours,
backlog_max, backlog_mean, backlog_age_max_s, overload_s, scale_events, rejected_ratio,
retries, restarts, throttled_s, pending_pod_s, node_hours, cost,
backtest_replicas_within_1_ratio, backtest_replicas_mae, backtest_latency_p99_mape.

Examples:
  scalesim sweep s.yaml --vary 'hpa.spec.metrics[0].resource.target.averageUtilization=40..80:10'
  scalesim sweep s.yaml --vary 'pods.startup.max=30s,60s,120s' --vary 'hpa.spec.maxReplicas=20,40'
  scalesim sweep s.yaml --vary 'scaledobject.spec.cooldownPeriod=60..600:60' --shard 2/4 --out part2
  scalesim sweep merge part1 part2 part3 part4 --out whole";

/// Sweep parameters of a scenario (or merge shard outputs: `scalesim sweep merge`).
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct SweepArgs {
    #[command(subcommand)]
    pub(crate) command: Option<SweepCommand>,
    #[command(flatten)]
    pub(crate) run: SweepRunArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SweepCommand {
    /// Join the outputs of `--shard I/N` sweeps into the unsharded sweep's sweep.csv, Pareto
    /// chart and best-points table.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
#[command(after_long_help = SWEEP_HELP)]
pub(crate) struct SweepRunArgs {
    /// Scenario file (YAML). Optional with --file.
    #[arg(required_unless_present = "file")]
    pub(crate) scenario: Option<PathBuf>,
    /// Sweep file (YAML): scenario, vary, sample, replications, seed, objective, slo, fidelity.
    /// Command-line options win; --vary adds to its list.
    #[arg(long, value_name = "SWEEP.yaml")]
    pub(crate) file: Option<PathBuf>,
    /// A parameter to vary and its values, e.g. 'hpa.spec.maxReplicas=10,20,40' or
    /// 'pods.startup.max=30s..2m:30s'. Repeat for a cross product.
    #[arg(long, value_name = "PATH=VALUES")]
    pub(crate) vary: Vec<String>,
    /// Run N points drawn at random (seeded) instead of the full grid.
    #[arg(long, value_name = "N")]
    pub(crate) sample: Option<usize>,
    /// Seeds per point (seed, seed+1, …); sweep.csv then gives the mean and `<metric>_std`.
    #[arg(long, value_name = "K")]
    pub(crate) replications: Option<u32>,
    #[command(flatten)]
    pub(crate) scenario_options: ScenarioOptions,
    /// Metric plotted against cost and used to rank (default latency_p99).
    #[arg(long, value_name = "METRIC")]
    pub(crate) objective: Option<String>,
    /// An SLO bound points must meet, e.g. latency_p99=500ms or max_dropped_ratio=0.001.
    /// Replaces the scenario's `slo:` block. Repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    pub(crate) slo: Vec<String>,
    /// Rows of the best-points table.
    #[arg(long, default_value_t = 10)]
    pub(crate) top: usize,
    /// Re-run this many of the best points with full outputs, charts and report
    /// (`best-<rank>-point-<index>/`); 0 for none. Other points get no charts.
    #[arg(long, default_value_t = 1)]
    pub(crate) charts: usize,
    /// Output folder. Default: out/<scenario name>-sweep/
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) jobs: JobsOption,
    /// Run only slice I of N (points whose index is I-1 modulo N); join with `sweep merge`.
    /// `auto/N` takes I from JOB_COMPLETION_INDEX (0 to N-1, set by a Kubernetes Indexed Job)
    /// plus one.
    #[arg(long, value_name = "I/N")]
    pub(crate) shard: Option<ShardArg>,
    #[command(flatten)]
    pub(crate) overwrite: OverwriteOption,
    #[command(flatten)]
    pub(crate) quiet: QuietOption,
}

#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// Output folders of the shards (each with sweep.json and sweep.csv).
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub(crate) dirs: Vec<PathBuf>,
    /// Where the merged sweep.csv, sweep.json and Pareto chart go.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Rows of the best-points table.
    #[arg(long, default_value_t = 10)]
    pub(crate) top: usize,
    #[command(flatten)]
    pub(crate) overwrite: OverwriteOption,
    #[command(flatten)]
    pub(crate) quiet: QuietOption,
}

/// `--shard I/N`, or `auto/N`: the index from the environment (see [`ShardArg::resolve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShardArg {
    Given(Shard),
    FromJobIndex { count: usize },
}

/// The variable a Kubernetes Indexed Job sets in each pod: its index, 0-based.
const JOB_INDEX_VAR: &str = "JOB_COMPLETION_INDEX";

impl std::str::FromStr for ShardArg {
    type Err = String;

    fn from_str(s: &str) -> Result<ShardArg, String> {
        match s.strip_prefix("auto") {
            Some(rest) => rest
                .strip_prefix('/')
                .and_then(|n| n.trim().parse::<usize>().ok())
                .filter(|&n| n > 0)
                .map(|count| ShardArg::FromJobIndex { count })
                .ok_or_else(|| {
                    format!("{s:?} is not auto/N with N the number of shards, such as auto/4")
                }),
            None => s.parse().map(ShardArg::Given),
        }
    }
}

impl ShardArg {
    /// The shard to run: `auto/N` reads `JOB_COMPLETION_INDEX` (0 … N−1) as shard index + 1.
    fn resolve(self) -> Result<Shard, Error> {
        let count = match self {
            ShardArg::Given(s) => return Ok(s),
            ShardArg::FromJobIndex { count } => count,
        };
        let value = std::env::var(JOB_INDEX_VAR).map_err(|_| {
            input(format!(
                "--shard auto/{count}: {JOB_INDEX_VAR} is not set (a Kubernetes Indexed Job sets it in each pod); give the shard as I/{count} instead"
            ))
        })?;
        match value.trim().parse::<usize>() {
            Ok(i) if i < count => Ok(Shard {
                index: i + 1,
                count,
            }),
            _ => {
                let shown: String = value.chars().take(40).collect();
                Err(input(format!(
                    "--shard auto/{count}: {JOB_INDEX_VAR} is {shown:?}, not a whole number from 0 to {} (are the Job's completions {count}?)",
                    count - 1
                )))
            }
        }
    }
}

fn input(m: impl Into<String>) -> Error {
    InputError::new(Default::default(), m).into()
}

pub(super) fn run(args: SweepArgs) -> Result<(), Error> {
    match args.command {
        Some(SweepCommand::Merge(m)) => merge(m),
        None => sweep(args.run),
    }
}

/// `--slo name=value` arguments as an SLO block.
fn parse_slo(args: &[String], base: Option<SloSpec>) -> Result<Option<SloSpec>, Error> {
    if args.is_empty() {
        return Ok(base);
    }
    let mut map = serde_json::Map::new();
    for a in args {
        let (k, v) = a.split_once('=').ok_or_else(|| {
            input(format!(
                "--slo {a}: expected NAME=VALUE, e.g. latency_p99=500ms"
            ))
        })?;
        map.insert(k.trim().to_string(), grid::infer(v).value);
    }
    serde_json::from_value(serde_json::Value::Object(map))
        .map(Some)
        .map_err(|e| input(format!("--slo: {e}")))
}

fn config(a: &SweepRunArgs) -> Result<SweepConfig, Error> {
    let mut cfg = match &a.file {
        Some(f) => file::load(f)?,
        None => SweepConfig::default(),
    };
    if let Some(s) = &a.scenario {
        cfg.scenario = s.clone();
    }
    for v in &a.vary {
        cfg.varies
            .push(Vary::parse(v).map_err(|m| input(format!("--vary {m}")))?);
    }
    cfg.sample = a.sample.or(cfg.sample);
    cfg.replications = a.replications.or(cfg.replications);
    let o = &a.scenario_options;
    cfg.seed = o.seed.or(cfg.seed);
    cfg.manifests.extend(o.manifests.iter().cloned());
    if let Some(f) = o.fidelity {
        cfg.patches.retain(|p| p.path != "fidelity");
        cfg.patches.push(f.patch());
    }
    if a.objective.is_some() {
        cfg.objective = a.objective.clone();
    }
    cfg.slo = parse_slo(&a.slo, cfg.slo.take())?;
    Ok(cfg)
}

fn sweep(a: SweepRunArgs) -> Result<(), Error> {
    a.jobs.check()?;
    let shard = a.shard.map(ShardArg::resolve).transpose()?;
    let sweep = Sweep::plan(config(&a)?)?;
    let dir = a.out.clone().unwrap_or_else(|| {
        let d = PathBuf::from("out").join(format!("{}-sweep", sweep.name));
        match shard {
            Some(s) => d.join(format!("shard-{}-of-{}", s.index, s.count)),
            None => d,
        }
    });
    let out = OutputDir::open(&dir, &sweep_files(shard.is_none()), a.overwrite.mode())?;
    let points = match shard {
        Some(s) => s.select(&sweep.points),
        None => sweep.points.clone(),
    };
    let jobs = a.jobs.threads();
    let runs = sweep.simulations(points.len());
    if !a.quiet.quiet {
        eprintln!(
            "sweeping {}: {} point{}{} × {} seed{} = {runs} run{} on {jobs} thread{}",
            sweep.name,
            points.len(),
            if points.len() == 1 { "" } else { "s" },
            shard
                .map(|s| format!(" (shard {s} of {})", sweep.points.len()))
                .unwrap_or_default(),
            sweep.replications,
            if sweep.replications == 1 { "" } else { "s" },
            if runs == 1 { "" } else { "s" },
            if jobs == 1 { "" } else { "s" },
        );
    }
    let progress = Progress::start(
        &format!("sweep {}", sweep.name),
        runs,
        "runs",
        a.quiet.quiet,
    );
    let results = sweep_run::run_points(&sweep, &points, jobs, &|| progress.inc(1));
    progress.finish();
    let results = results?;
    let meta = SweepMeta::new(&sweep, shard);
    let table = SweepTable {
        header: meta.header(),
        rows: output::rows(&meta, &sweep, &results),
    };
    out.fill(|staging| {
        write(staging, &meta, &table)?;
        write_best_points(
            staging,
            &sweep,
            &meta,
            &table,
            if shard.is_none() { a.charts } else { 0 },
        )
    })?;
    let dir = out.path().to_path_buf();
    note_removed(&dir, &out.commit()?, a.quiet.quiet);
    if !a.quiet.quiet {
        let head = match shard {
            Some(s) => format!(
                "shard {s}: {} of {} points; join the shards with `scalesim sweep merge`\n",
                table.rows.len(),
                meta.points
            ),
            None => output::best_table(&meta, &table, a.top),
        };
        super::out::print(format_args!("{head}outputs in {}\n", dir.display()))?;
    }
    Ok(())
}

/// The files a sweep (or a merge, `whole`) writes at the top of its folder.
fn sweep_files(whole: bool) -> Vec<&'static str> {
    let mut names = vec!["sweep.csv", "sweep.json"];
    if whole {
        names.extend(["pareto.png", "pareto.svg"]);
    }
    names
}

/// The points the sweep recommends get a full run folder with charts and report
/// (`best-<rank>-point-<index>/`).
fn write_best_points(
    dir: &Path,
    sweep: &Sweep,
    meta: &SweepMeta,
    table: &SweepTable,
    charts: usize,
) -> Result<(), Error> {
    if charts == 0 {
        return Ok(());
    }
    let best: Vec<usize> = output::best_points(meta, table)
        .map(|(_, rows)| rows.iter().map(|r| r.point).take(charts).collect())
        .unwrap_or_default();
    for (rank, p) in best.into_iter().enumerate() {
        let Some(point) = sweep.points.iter().find(|q| q.index == p) else {
            continue;
        };
        let (scenario, result) = sweep_run::run_full(sweep, point, 0)?;
        let run_dir = dir.join(format!("best-{}-point-{p}", rank + 1));
        report::write_run(&run_dir, &result)?;
        report::write_charts(&run_dir, &result, &scenario)?;
    }
    Ok(())
}

/// Say which files of an earlier sweep in the folder were removed (they were scalesim's).
fn note_removed(dir: &Path, removed: &[String], quiet: bool) {
    if !removed.is_empty() && !quiet {
        eprintln!(
            "note: removed {} of an earlier run in {} (this run did not write them)",
            removed.join(", "),
            dir.display()
        );
    }
}

/// Write sweep.csv and sweep.json, and the Pareto chart unless this is one shard.
fn write(dir: &Path, meta: &SweepMeta, table: &SweepTable) -> Result<(), Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create output folder {}", dir.display()), e))?;
    output::write_csv(&dir.join("sweep.csv"), table)?;
    output::write_meta(&dir.join("sweep.json"), meta)?;
    if meta.shard.is_none() {
        pareto::write_charts(dir, meta, table)?;
    }
    Ok(())
}

fn merge(a: MergeArgs) -> Result<(), Error> {
    let out = OutputDir::open(&a.out, &sweep_files(true), a.overwrite.mode())?;
    let (meta, table) = shard::merge(&a.dirs)?;
    out.fill(|staging| write(staging, &meta, &table))?;
    note_removed(&a.out, &out.commit()?, a.quiet.quiet);
    if !a.quiet.quiet {
        super::out::print(format_args!(
            "{}outputs in {}\n",
            output::best_table(&meta, &table, a.top),
            a.out.display()
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn help_lists_every_metric() {
        let listed: String = super::SWEEP_HELP
            .split("METRICS")
            .nth(1)
            .unwrap()
            .split_once(':')
            .unwrap()
            .1
            .split("\n\n")
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(listed.trim_end_matches('.'), crate::sim::figures::names());
    }
}
