//! `scalesim run SCENARIO`: simulate one scenario and write its outputs (CSV, JSON, and unless
//! `--no-charts`, the charts and the HTML report).

use clap::Args;
use scalesim::report;
use scalesim::scenario::patch::{Patch, PatchTarget};
use scalesim::scenario::{Overrides, Scenario};
use scalesim::sim::{self, RunOptions};
use std::path::PathBuf;

/// `--fidelity`: the scenario's traffic model, passed through as a patch of its `fidelity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fidelity {
    Request,
    Fluid,
    Auto,
}

impl Fidelity {
    /// The scenario patch that sets `fidelity` (the loader decides which models exist).
    pub fn patch(self) -> Patch {
        let name = match self {
            Fidelity::Request => "request",
            Fidelity::Fluid => "fluid",
            Fidelity::Auto => "auto",
        };
        Patch {
            target: PatchTarget::Scenario,
            path: "fidelity".into(),
            value: name.into(),
        }
    }
}

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
    /// Traffic model (sets the scenario's `fidelity`): `request` simulates every request,
    /// `fluid` whole counts per interval (fast), `auto` picks fluid above 2 million requests.
    #[arg(long, value_enum)]
    pub fidelity: Option<Fidelity>,
    /// Simulate a hand-made HPA beside a ScaledObject on the same workload, both writing the
    /// replica count (as on clusters whose KEDA predates its admission check).
    #[arg(long)]
    pub allow_conflicts: bool,
    /// Skip chart.png, chart.svg and report.html (faster; the CSV and JSON are still written).
    #[arg(long)]
    pub no_charts: bool,
    /// Simulate an autoscaler metric that nothing feeds (no modelled signal, no `metrics:`
    /// binding) as failing, as upstream would, instead of stopping with an error.
    #[arg(long)]
    pub allow_missing_metrics: bool,
    /// Print nothing on standard output (warnings and errors still go to standard error).
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: RunArgs) -> Result<(), scalesim::Error> {
    let overrides = Overrides {
        seed: args.seed,
        manifests: args.manifests.clone(),
        patches: args.fidelity.map(Fidelity::patch).into_iter().collect(),
        allow_conflicts: args.allow_conflicts,
    };
    let scenario = Scenario::load(&args.scenario, &overrides)?;
    let opts = RunOptions {
        log_every_sync: args.log_every_sync,
        allow_missing_metrics: args.allow_missing_metrics,
        ..RunOptions::default()
    };
    let result = sim::run(&scenario, &opts)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(&scenario.name));
    let stale = if args.no_charts {
        report::remove_stale_charts(&dir)?
    } else {
        Vec::new()
    };
    report::write_run(&dir, &result)?;
    if !args.no_charts {
        report::write_charts(&dir, &result, &scenario)?;
    } else if !stale.is_empty() && !args.quiet {
        eprintln!(
            "note: removed {} of an earlier run in {} (--no-charts draws none)",
            stale.join(", "),
            dir.display()
        );
    }
    for w in &result.warnings {
        eprintln!("warning: {w}");
    }
    if !args.quiet {
        super::out::print(format_args!(
            "{}\n{}\noutputs in {}\n",
            report::table::verdict_line(&result.summary),
            report::table::summary_table(&result.summary),
            dir.display()
        ))?;
    }
    Ok(())
}
