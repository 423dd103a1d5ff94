//! `scalesim compare RUN_DIR RUN_DIR... [--out DIR]`: overlay finished runs and put their
//! summaries side by side (compare.png, compare.svg, compare.html, and a table on stdout).

use super::shared::{OverwriteOption, QuietOption};
use crate::output::OutputDir;
use crate::report::compare;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    /// Run folders written by `scalesim run` (each with timeseries.csv and summary.json).
    #[arg(required = true, num_args = 2.., value_name = "RUN_DIR")]
    pub(crate) runs: Vec<PathBuf>,
    /// Output folder for compare.png, compare.svg and compare.html. Default: out/compare/
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) overwrite: OverwriteOption,
    #[command(flatten)]
    pub(crate) quiet: QuietOption,
}

pub(super) fn run(args: CompareArgs) -> Result<(), crate::Error> {
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join("compare"));
    let out = OutputDir::open(&dir, &compare::FILES, args.overwrite.mode())?;
    let runs = compare::read_runs(&args.runs)?;
    out.fill(|staging| compare::write_compare(staging, &runs))?;
    out.commit()?;
    let out = dir;
    if !args.quiet.quiet {
        super::out::print(format_args!(
            "{}\n{}\noutputs in {}\n",
            compare::verdict_lines(&runs).join("\n"),
            compare::summary_table(&runs),
            out.display()
        ))?;
    }
    Ok(())
}
