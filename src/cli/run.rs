//! `scalesim run SCENARIO`: simulate one scenario and write its outputs.

use clap::Args;
use scalesim::report;
use scalesim::scenario::{Overrides, Scenario};
use scalesim::sim::{self, RunOptions};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (YAML).
    pub scenario: PathBuf,
    /// Output folder. Default: out/<scenario name>/
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seed for every random stream (overrides the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Extra autoscaler manifest(s); `-` reads standard input (e.g. from `helm template`).
    #[arg(long = "manifest", value_name = "FILE")]
    pub manifests: Vec<PathBuf>,
    /// Log every autoscaler sync in events.jsonl, not only the ones that change something.
    #[arg(long)]
    pub log_every_sync: bool,
    /// Print nothing on success.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: RunArgs) -> Result<(), scalesim::Error> {
    let overrides = Overrides {
        seed: args.seed,
        manifests: args.manifests.clone(),
        ..Default::default()
    };
    let scenario = Scenario::load(&args.scenario, &overrides)?;
    let opts = RunOptions {
        log_every_sync: args.log_every_sync,
    };
    let result = sim::run(&scenario, &opts)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(&scenario.name));
    report::write_run(&dir, &result)?;
    for w in &result.warnings {
        eprintln!("warning: {w}");
    }
    if !args.quiet {
        println!("{}", report::table::summary_table(&result.summary));
        println!("outputs in {}", dir.display());
    }
    Ok(())
}
